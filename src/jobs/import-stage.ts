import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { DialJob } from './dial-job.js';
import type { DialerClient } from './dialer-client.js';
import { ImportInProgressError } from './import-in-progress-error.js';
import {
  CLAIM_IMPORT,
  FINISH_IMPORT,
  OPEN_IMPORT,
  RELEASE_IMPORT_LOCK,
  RENEW_IMPORT,
} from './import-stage-scripts.js';
import { LAST_IMPORT_FIELD, type LastImport } from './last-import.js';

export type StagedJob = { readonly jobId: string; readonly data: DialJob };

/** What `keys.imports` holds per import not committed. */
export interface ImportEntry {
  readonly campaign: string;
  readonly trunk: string;
  readonly at: number;
  /** Set by the recovery that took the import back (epoch ms). */
  readonly abortedAt?: number;
}

/** Staged rows and the lease live this long without news from the importer (renewed meanwhile). */
export const IMPORT_LEASE_MS = 60_000;
const RENEW_EVERY_MS = 10_000;
const REMOVE_BATCH = 500;

/**
 * One import's rows, held where no worker dials them until the whole upload was read and
 * accepted. Rows are staged in a Redis list (bounded memory here, a TTL there); `commit` moves them
 * into the trunk's queue in batches, each job carrying the import id, and the worker's gate holds
 * such jobs back while the id is in `keys.imports`; `finish` removes it in one step. `discard`
 * takes back whatever the commit had added. A process that dies mid-import leaves an entry whose
 * lease runs out: `recoverInterruptedImports` claims it (so the importer, should it only have
 * stalled, can neither renew nor commit) and takes it back. One import per campaign at a time.
 */
export class ImportStage {
  readonly id: string;
  readonly #client: DialerClient;
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;
  readonly #entry: ImportEntry;
  #staged = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** A renewal found the import claimed by a recovery or the campaign taken by another import. */
  #lost = false;

  private constructor(client: DialerClient, entry: ImportEntry, id: string) {
    this.#client = client;
    this.#redis = client.redis;
    this.#keys = client.keys;
    this.#entry = entry;
    this.id = id;
  }

  get campaign(): string {
    return this.#entry.campaign;
  }

  /**
   * Registers a new import of `campaign` and keeps its lease while it runs.
   * @throws ImportInProgressError when another import into the campaign is running.
   */
  static async open(
    client: DialerClient,
    campaign: string,
    trunk: string,
    options: { readonly renewEveryMs?: number } = {},
  ): Promise<ImportStage> {
    const stage = new ImportStage(client, { campaign, trunk, at: Date.now() }, randomUUID());
    const reply = await OPEN_IMPORT.run(
      client.redis,
      [client.keys.imports, client.keys.importLease(stage.id), client.keys.campaignImport(campaign)],
      [stage.id, JSON.stringify(stage.#entry), IMPORT_LEASE_MS],
    );
    if (reply !== 1) throw new ImportInProgressError(campaign, String(reply));
    stage.#timer = setInterval(() => void stage.#renew(), options.renewEveryMs ?? RENEW_EVERY_MS);
    stage.#timer.unref();
    return stage;
  }

  /**
   * Claims an import whose process died or stalled (its lease ran out) for taking back.
   * @returns the stage and when it was first claimed, or undefined when its lease is alive.
   */
  static async claim(
    client: DialerClient,
    id: string,
    entry: { campaign: string; trunk: string },
    now: number,
  ): Promise<{ stage: ImportStage; abortedAt: number; first: boolean } | undefined> {
    const reply = Number(
      await CLAIM_IMPORT.run(client.redis, [client.keys.imports, client.keys.importLease(id)], [id, now]),
    );
    if (reply === 0) return undefined;
    const stage = new ImportStage(client, { ...entry, at: 0 }, id);
    stage.#closed = true;
    stage.#lost = true;
    return { stage, abortedAt: reply === 1 ? now : reply, first: reply === 1 };
  }

  async #renew(): Promise<void> {
    if (this.#closed) return;
    try {
      const kept = await RENEW_IMPORT.run(
        this.#redis,
        [
          this.#keys.imports,
          this.#keys.importLease(this.id),
          this.#keys.importStage(this.id),
          this.#keys.campaignImport(this.#entry.campaign),
        ],
        [this.id, IMPORT_LEASE_MS],
      );
      if (kept !== 1) this.#lost = true;
    } catch {
      // A renewal lost to a Redis blip is retried at the next tick; the lease outlives a few, and
      // one that lapsed meanwhile is set again as long as no recovery claimed the import.
    }
  }

  /** Keeps validated jobs until the commit. */
  async add(jobs: readonly StagedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const stageKey = this.#keys.importStage(this.id);
    await this.#redis
      .multi()
      .rpush(stageKey, ...jobs.map((j) => JSON.stringify(j)))
      .pexpire(stageKey, IMPORT_LEASE_MS)
      .exec()
      .then(failedReply);
    this.#staged += jobs.length;
  }

  /**
   * Adds the staged jobs to the queue, gated, in batches of `batchSize`.
   * @returns how many were new (the rest were queued already).
   */
  async commit(batchSize: number, onBatch?: (added: number, done: number) => void): Promise<number> {
    const stageKey = this.#keys.importStage(this.id);
    let added = 0;
    for (let from = 0; from < this.#staged; from += batchSize) {
      // A recovery that judged this import dead (lease lost) has claimed it: adding more would
      // queue jobs for it to chase. A batch already on its way when the claim came is still
      // gated (the entry stays until a recovery removed every job it lists).
      if (this.#lost || !(await this.#stillOurs())) {
        throw new Error(`import ${this.id}: taken back by a recovery while committing`);
      }
      const raw = await this.#redis.lrange(stageKey, from, from + batchSize - 1);
      if (raw.length < Math.min(batchSize, this.#staged - from)) {
        throw new Error(`import ${this.id}: its staged rows expired before the commit`);
      }
      const jobs = raw.map((r) => JSON.parse(r) as StagedJob);
      const fresh = await this.#client.addJobs(this.#entry.trunk, jobs);
      const ids = jobs.filter((_, i) => fresh[i]).map((j) => j.jobId);
      if (ids.length > 0) await this.#redis.rpush(this.#keys.importAdded(this.id), ...ids);
      added += ids.length;
      onBatch?.(added, from + jobs.length);
    }
    return added;
  }

  /**
   * The commit point: the jobs become dialable and count in the campaign.
   * @returns false when a recovery took the import back first (then nothing was committed).
   */
  async finish(added: number, lastImport: LastImport): Promise<boolean> {
    const done = await FINISH_IMPORT.run(
      this.#redis,
      [
        this.#keys.imports,
        this.#keys.campaign(this.#entry.campaign),
        this.#keys.importStage(this.id),
        this.#keys.importAdded(this.id),
        this.#keys.importLease(this.id),
        this.#keys.campaignImport(this.#entry.campaign),
      ],
      [
        this.id,
        added,
        LAST_IMPORT_FIELD,
        JSON.stringify(lastImport),
        this.#keys.control,
        this.#entry.campaign,
      ],
    );
    return done === 1;
  }

  async #stillOurs(): Promise<boolean> {
    const entry = await this.#redis.hget(this.#keys.imports, this.id);
    return entry !== null && (JSON.parse(entry) as ImportEntry).abortedAt === undefined;
  }

  /**
   * Drops the staged rows and removes every job the commit had added. The import stays gated
   * until all of them are gone: a job a worker holds right now is tried again, and one that still
   * cannot be removed leaves the entry for the next recovery. A recovery within its grace time
   * asks to `keepEntry`: the importer may have stalled with a batch on its way, and the jobs of
   * that batch must still find themselves gated, and listed, for the next recovery.
   * @returns jobs that could not be removed yet (0 when the import is fully taken back).
   */
  async discard(keepEntry = false): Promise<number> {
    const queue = this.#client.queue(this.#entry.trunk);
    const addedKey = this.#keys.importAdded(this.id);
    const left: string[] = [];
    // Popped, not read: ids a late batch pushes meanwhile stay in the list for the next pass.
    for (;;) {
      const ids = (await this.#redis.lpop(addedKey, REMOVE_BATCH)) ?? [];
      if (ids.length === 0) break;
      const removed = await Promise.all(ids.map((id) => removeJob(queue, id)));
      left.push(...ids.filter((_, i) => !removed[i]));
    }
    const lock = this.#keys.campaignImport(this.#entry.campaign);
    if (left.length > 0 || keepEntry) {
      const multi = this.#redis.multi().del(this.#keys.importStage(this.id), this.#keys.importLease(this.id));
      if (left.length > 0) multi.rpush(addedKey, ...left);
      await multi.exec().then(failedReply);
      await RELEASE_IMPORT_LOCK.run(this.#redis, [lock], [this.id]);
      return left.length;
    }
    await this.#redis
      .multi()
      .hdel(this.#keys.imports, this.id)
      .del(this.#keys.importStage(this.id), addedKey, this.#keys.importLease(this.id))
      .exec()
      .then(failedReply);
    await RELEASE_IMPORT_LOCK.run(this.#redis, [lock], [this.id]);
    return 0;
  }

  /** Stops renewing the lease. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
  }
}

async function removeJob(queue: ReturnType<DialerClient['queue']>, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    // 1 removed, 0 gone already or locked by a worker at the gate (it will delay the job, then it can go).
    if ((await queue.remove(id)) === 1) return true;
    if ((await queue.getJob(id)) === undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

function failedReply(replies: Array<[Error | null, unknown]> | null): void {
  const failed = replies?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}
