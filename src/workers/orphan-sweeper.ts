import { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { AttemptRecord, OrphanEnd } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import type { OrphanDialogEnd } from '../sip/index.js';
import type { SipEngine } from '../sip/index.js';
import type { SipTrunk } from '../sip/index.js';
import type { RegisteredDialog } from './dialog-registry.js';
import { CLAIM_ORPHANS, ORPHAN_ENDED } from './orphan-scripts.js';

export interface OrphanSweeperOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly workerId: string;
  readonly engine: SipEngine;
  /** The trunks this worker serves, by name: a BYE may have to answer the carrier's challenge. */
  readonly trunks: ReadonlyMap<string, SipTrunk>;
  readonly logger: Logger;
  /** How often dead workers are looked for, ±30 % so a fleet does not sweep in step. Default: 1 s. */
  readonly intervalMs?: number;
  /** How long a CANCELled orphan keeps its number fenced: the carrier may still answer it. Default: 32 s. */
  readonly cancelHoldMs?: number;
  /** BYEs without an answer before the call is left to its fence. Default: 3. */
  readonly maxTries?: number;
}

/** One orphaned call ended (or given up on), for metrics and tests. */
export interface OrphanSweepEnd {
  readonly entry: RegisteredDialog;
  readonly end: OrphanEnd;
}

/**
 * Ends the calls of workers that died with calls up. Each live worker looks for owners whose
 * liveness lease lapsed, takes their dialogs atomically, sends BYE (answered) or CANCEL
 * (ringing), writes that on the attempt, and only then releases the number. Taken calls sit in
 * this worker's own orphans hash until ended, so if it dies too the next sweeper takes them on.
 */
export class OrphanSweeper {
  readonly #o: OrphanSweeperOptions;
  readonly #tries = new Map<string, number>();
  readonly #queues = new Map<string, Queue>();
  readonly #ended: OrphanSweepEnd[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;
  #closed = false;

  constructor(options: OrphanSweeperOptions) {
    this.#o = options;
  }

  /** Orphans this worker ended so far (most recent last, at most 1 000 kept). */
  get ended(): readonly OrphanSweepEnd[] {
    return this.#ended;
  }

  start(): void {
    if (this.#closed || this.#timer) return;
    this.#schedule();
  }

  #schedule(): void {
    const base = this.#o.intervalMs ?? 1_000;
    this.#timer = setTimeout(
      () => {
        this.#sweeping = this.sweepOnce()
          .then(() => undefined)
          .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'orphan sweep failed'))
          .finally(() => {
            this.#sweeping = undefined;
            if (!this.#closed) this.#schedule();
          });
      },
      base * (0.7 + Math.random() * 0.6),
    );
  }

  /** One pass: takes dead workers' calls and ends every call taken. Returns how many it ended. */
  async sweepOnce(): Promise<number> {
    const { redis, keys, workerId } = this.#o;
    const owners = (await redis.smembers(keys.dialogOwners)).filter((id) => id !== workerId);
    if (owners.length > 0) {
      const pipeline = redis.pipeline();
      for (const id of owners) pipeline.exists(keys.workerLease(id));
      const alive = (await pipeline.exec()) ?? [];
      for (const [i, id] of owners.entries()) {
        if (alive[i]?.[1] === 1) continue;
        const taken = (await CLAIM_ORPHANS.run(
          redis,
          [
            keys.workerLease(id),
            keys.workerDialogs(id),
            keys.workerOrphans(id),
            keys.workerOrphans(workerId),
            keys.dialogOwners,
          ],
          [id, workerId],
        )) as number;
        if (taken > 0)
          this.#o.logger.warn({ deadWorker: id, calls: taken }, 'worker died with calls up: ending them');
      }
    }
    const mine = await redis.hvals(keys.workerOrphans(workerId));
    if (mine.length === 0) return 0;
    const results = await Promise.all(mine.map((json) => this.#end(JSON.parse(json) as RegisteredDialog)));
    return results.filter(Boolean).length;
  }

  async #end(entry: RegisteredDialog): Promise<boolean> {
    const { engine, logger, workerId } = this.#o;
    const { snapshot } = entry;
    const trunk = this.#o.trunks.get(snapshot.trunk);
    let result: OrphanDialogEnd | undefined;
    let error: string | undefined;
    if (trunk === undefined) {
      error = `trunk ${snapshot.trunk} is not served by worker ${workerId}`;
    } else {
      try {
        result = await engine.endOrphanDialog(snapshot, trunk, {
          onAnswered: () => void this.#answeredAfterCancel(entry).catch(() => undefined),
        });
      } catch (caught) {
        const tries = (this.#tries.get(entry.attemptId) ?? 0) + 1;
        this.#tries.set(entry.attemptId, tries);
        if (tries < (this.#o.maxTries ?? 3)) return false;
        error = caught instanceof Error ? caught.message : String(caught);
      }
    }
    this.#tries.delete(entry.attemptId);
    const at = Date.now();
    const method = snapshot.state === 'confirmed' ? 'BYE' : 'CANCEL';
    const end: OrphanEnd = {
      endedBy: workerId,
      method,
      at,
      ...(result?.status !== undefined ? { status: result.status } : {}),
      ...(error !== undefined ? { error } : {}),
    };
    const outcome =
      error !== undefined
        ? `could not end it: ${error}`
        : `${method}${result?.status ? ` ${result.status}` : ''}`;
    const patch: Partial<AttemptRecord> =
      snapshot.state === 'confirmed'
        ? {
            state: 'done',
            sipCode: 200,
            reason: `answered; worker ${entry.workerId} died during the call; ${workerId} ended it (${outcome})`,
            endedAt: at,
            hangupBy: 'local',
            endReason: 'orphan-bye',
            callId: snapshot.callId,
            pointsTo: 'answered',
            orphan: end,
          }
        : {
            state: 'interrupted',
            reason: `worker ${entry.workerId} died while the call rang; ${workerId} cancelled it (${outcome})`,
            endedAt: at,
            endReason: 'orphan-cancel',
            callId: snapshot.callId,
            orphan: end,
          };
    // A BYE that went unanswered leaves the call possibly up: its fence lapses by itself.
    const hold =
      error !== undefined
        ? 'keep'
        : snapshot.state === 'confirmed'
          ? '0'
          : String(this.#o.cancelHoldMs ?? 32_000);
    const { redis, keys } = this.#o;
    await ORPHAN_ENDED.run(
      redis,
      [keys.attempts(entry.jobId, entry.number), keys.liveCall(entry.number)],
      [entry.attemptId, JSON.stringify(patch), hold],
    );
    await redis.hdel(keys.workerOrphans(workerId), entry.attemptId);
    // A re-run of the job may be waiting out the fence: it can decide now (answered, or dial).
    if (error === undefined) await this.#promote(snapshot.trunk, entry.jobId);
    logger[error !== undefined ? 'error' : 'info'](
      {
        jobId: entry.jobId,
        callId: snapshot.callId,
        deadWorker: entry.workerId,
        method,
        ...(result?.status !== undefined ? { sipCode: result.status } : {}),
        ...(error !== undefined ? { error } : {}),
        sinceRegisteredMs: at - snapshot.at,
      },
      error !== undefined ? 'orphaned call could not be ended' : 'orphaned call ended',
    );
    this.#ended.push({ entry, end });
    if (this.#ended.length > 1_000) this.#ended.shift();
    return error === undefined;
  }

  /**
   * A ringing orphan CANCELled here had in fact been answered (its 2xx reached this engine, which
   * ACKed and hung it up): the person was reached, so the attempt is answered, the number is
   * released at once and the job, waiting on the fence, is told.
   */
  async #answeredAfterCancel(entry: RegisteredDialog): Promise<void> {
    const { redis, keys, workerId, logger } = this.#o;
    const at = Date.now();
    const patch: Partial<AttemptRecord> = {
      state: 'done',
      sipCode: 200,
      reason: `answered as worker ${entry.workerId} died; ${workerId} ended it (ACK and BYE)`,
      endedAt: at,
      hangupBy: 'local',
      endReason: 'orphan-bye',
      callId: entry.snapshot.callId,
      pointsTo: 'answered',
      orphan: { endedBy: workerId, method: 'BYE', at },
    };
    await ORPHAN_ENDED.run(
      redis,
      [keys.attempts(entry.jobId, entry.number), keys.liveCall(entry.number)],
      [entry.attemptId, JSON.stringify(patch), '0'],
    );
    await redis.hdel(keys.workerOrphans(workerId), entry.attemptId);
    await this.#promote(entry.snapshot.trunk, entry.jobId);
    logger.info(
      { jobId: entry.jobId, callId: entry.snapshot.callId, deadWorker: entry.workerId },
      'orphaned call cancelled as ringing had been answered: hung up, the person is not rung again',
    );
  }

  async #promote(trunk: string, jobId: string): Promise<void> {
    const { redis, keys } = this.#o;
    let queue = this.#queues.get(trunk);
    if (!queue) {
      queue = new Queue(keys.queueName(trunk), { connection: redis, prefix: keys.queuePrefix(trunk) });
      queue.on('error', () => undefined);
      this.#queues.set(trunk, queue);
    }
    const job = await queue.getJob(jobId).catch(() => undefined);
    // Not delayed (running, or already back in the queue): nothing to hurry.
    if (job && (await job.isDelayed().catch(() => false))) await job.promote().catch(() => undefined);
  }

  /** Stops sweeping; waits for a pass under way. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#sweeping;
    // Queue handles on the worker's shared connection: close() leaves the connection open.
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
  }
}
