import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../redis/index.js';
import { callingTimeZone, nextCallingTime } from '../compliance/index.js';
import type { DailyAttemptCap } from '../compliance/index.js';
import type { DncList } from '../compliance/index.js';
import type { DialJob } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import type { CampaignStateCache } from './campaign-state-cache.js';
import type { TrunkSignal } from '../jobs/index.js';
import type { DialGate, GateVerdict, TrunkFeedback, TrunkReportDetail } from './dial-gate.js';
import type { TrunkCircuit } from './trunk-circuit.js';
import type { TrunkLimiter } from './trunk-limiter.js';
import { TRUNK_PACE_DEFAULTS } from './trunk-pace-defaults.js';

export interface TrunkDialGateOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly campaigns: CampaignStateCache;
  readonly dnc: DncList;
  readonly limiter: TrunkLimiter;
  readonly circuit: TrunkCircuit;
  /** Absent: no per-day cap. */
  readonly dailyCap?: DailyAttemptCap;
  readonly logger: Logger;
  /** How long a paused campaign's job waits before it is looked at again (resume promotes it sooner). Default: 1 h. */
  readonly parkMs?: number;
  /** Longest a job waits in the worker for its turn (pace or channel) before going back to the queue. Default: 2000 ms. */
  readonly maxInlineWaitMs?: number;
  /**
   * Fresh pace slots one check books after finding its slot late (another start was booked after
   * it) before delaying the job. Every booking takes a slot of the fleet's shared pace: a worker
   * whose event loop lags would otherwise burn them all until its deadline. Default 3.
   */
  readonly maxLateRebooks?: number;
  readonly now?: () => number;
}

/** How long a job of an import still committing waits before it is looked at again. */
const IMPORT_WAIT_MS = 1000;

/** The checks of DESIGN's data flow, in order: campaign, DNC, calling hours, daily cap, circuit, pace, channels. */
export class TrunkDialGate implements DialGate, TrunkFeedback {
  readonly #o: TrunkDialGateOptions;
  readonly #now: () => number;

  constructor(options: TrunkDialGateOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Where an import whose entry was just seen stands, its entry and lease read again in one step:
   * the commit removes both together, so reading the lease alone after the entry could find the
   * entry, then no lease, and take a committed import for one whose importer died (its jobs then
   * waited an hour: seen under load).
   */
  async #importState(importId: string): Promise<'committed' | 'running' | 'orphaned'> {
    const o = this.#o;
    const reply = await o.redis
      .multi()
      .hexists(o.keys.imports, importId)
      .exists(o.keys.importLease(importId))
      .exec();
    if (reply === null) throw new Error(`the state of import ${importId} could not be read`);
    const [listed, leased] = reply.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
    if (listed !== 1) return 'committed';
    return leased === 1 ? 'running' : 'orphaned';
  }

  async check(job: DialJob, jobId: string): Promise<GateVerdict> {
    const o = this.#o;
    // Independent reads go out together: each round trip saved is latency before the INVITE.
    const [campaign, dnc, , listed] = await Promise.all([
      job.campaign !== undefined ? o.campaigns.get(job.campaign) : undefined,
      o.dnc.has(job.number, job.campaign),
      // A job taken is no longer held by the circuit; it is put back in the set if it still is.
      o.redis.srem(o.keys.circuitHeld(o.circuit.trunk), jobId),
      // One command in the batch for the usual case, a committed import; only a listed one costs more.
      job.importId !== undefined ? o.redis.hexists(o.keys.imports, job.importId) : 0,
    ]);
    const importState = listed === 1 ? await this.#importState(job.importId as string) : 'committed';
    // Its import is still committing (or is being taken back): the job is not the campaign's yet.
    // One whose importer died waits for the recovery that removes it, looked at far less often.
    if (importState !== 'committed') {
      const wait = importState === 'running' ? IMPORT_WAIT_MS : (o.parkMs ?? 3_600_000);
      return {
        kind: 'delay',
        until: this.#now() + wait + Math.random() * IMPORT_WAIT_MS,
        reason: `import ${job.importId} not committed`,
      };
    }
    if (campaign?.state === 'cancelled')
      return { kind: 'final', status: 'cancelled', reason: `campaign ${campaign.name} was cancelled` };
    if (campaign?.state === 'paused') {
      await o.redis.sadd(o.keys.campaignParked(campaign.name), jobId);
      return {
        kind: 'delay',
        until: this.#now() + (o.parkMs ?? 3_600_000),
        reason: 'campaign paused',
        parkedIn: campaign.name,
      };
    }
    if (dnc.blocked)
      return {
        kind: 'final',
        status: 'blocked',
        reason: `number is on the ${dnc.list ?? 'global'} do-not-call list`,
      };
    const window = campaign?.settings.window;
    if (window) {
      const zone = callingTimeZone({
        window,
        ...(campaign.settings.timeZone ? { timeZone: campaign.settings.timeZone } : {}),
        ...(job.country ? { country: job.country } : {}),
      });
      const decision = nextCallingTime(this.#now(), window, zone);
      if (!decision.allowed)
        return { kind: 'delay', until: decision.at, reason: `outside calling hours in ${zone}` };
    }
    const deadline = this.#now() + (o.maxInlineWaitMs ?? 2000);
    const [permission, grant] = await Promise.all([
      o.circuit.canDial(),
      // Only slots closer than a timer can sleep are booked; farther ones are asked for again, so
      // a late wake-up here cannot squeeze two starts closer than the pace at the carrier.
      o.limiter.acquireStart({ reserveMs: RESERVE_MS }),
    ]);
    // retryAt is on Redis's clock; retryInMs is not, so machines with skewed clocks still agree.
    if (!permission.ok) {
      await this.#hold(jobId);
      return {
        kind: 'delay',
        until: this.#now() + permission.retryInMs,
        reason: `trunk circuit open: ${permission.reason}`,
      };
    }
    let start = grant;
    const leaseId = randomUUID();
    let lateRebooks = 0;
    const maxLateRebooks = o.maxLateRebooks ?? TRUNK_PACE_DEFAULTS.maxLateRebooks;
    for (;;) {
      while (!start.ok) {
        if (this.#now() + start.waitMs > deadline) {
          return { kind: 'delay', until: this.#now() + start.waitMs, reason: 'trunk pace' };
        }
        await sleep(start.waitMs);
        start = await o.limiter.acquireStart({ reserveMs: RESERVE_MS });
      }
      if (start.waitMs >= 1) await sleep(start.waitMs);
      const channel = await o.limiter.acquireChannelForStart(leaseId, start);
      if (channel === 'granted') break;
      // Late again and again: this worker cannot keep to the pace (its event loop lags). Each
      // fresh slot would be one the fleet loses, so the job goes back to the queue instead.
      if (this.#now() > deadline || (channel === 'late' && lateRebooks >= maxLateRebooks))
        return channel === 'full'
          ? {
              kind: 'delay',
              until: this.#now() + 500 + Math.random() * 500,
              reason: 'all trunk channels busy',
            }
          : { kind: 'delay', until: this.#now() + 100, reason: 'trunk pace' };
      if (channel === 'full') await sleep(50 + Math.random() * 50);
      // The slot has passed while we waited for a channel or for the CPU, and a start was booked
      // after it: sent now, it would reach the carrier bunched with that one. A fresh slot is booked.
      if (channel === 'late') lateRebooks++;
      start = await o.limiter.acquireStart({ reserveMs: RESERVE_MS });
    }
    if (o.dailyCap) {
      const counted = await o.dailyCap.tryCount(job.number);
      if (!counted.ok) {
        await o.limiter.releaseChannel(leaseId);
        return {
          kind: 'delay',
          until: nextUtcDay(this.#now()),
          reason: `daily attempt cap (${o.dailyCap.max}) reached`,
        };
      }
    }
    const held = o.limiter.holdChannel(leaseId);
    return { kind: 'go', release: () => held.release(), nextStart: (signal) => this.#nextStart(signal) };
  }

  /** Waits for a pace slot for one more INVITE of a job that already holds its channel. */
  async #nextStart(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      const start = await this.#o.limiter.acquireStart({ reserveMs: RESERVE_MS });
      // Not granted: the pace (or a carrier's Retry-After pause) has no room yet; ask again then.
      if (start.waitMs >= 1) await sleep(start.waitMs);
      if (start.ok) return;
    }
  }

  async report(signal: TrunkSignal, detail: TrunkReportDetail): Promise<void> {
    const o = this.#o;
    switch (signal) {
      case 'ok':
        await Promise.all([o.circuit.recordSuccess(), o.limiter.recordSuccess()]);
        return;
      case 'carrier-error':
        await o.circuit.recordCarrierError(detail.reason);
        if (detail.retryAfterMs) await o.limiter.pauseFor(detail.retryAfterMs);
        return;
      case 'slow-down':
        await Promise.all([o.limiter.slowDown(detail.reason), o.circuit.recordCarrierError(detail.reason)]);
        if (detail.retryAfterMs) await o.limiter.pauseFor(detail.retryAfterMs);
        return;
      case 'carrier-fault':
        // The circuit's own line says it once per opening; calls that were already under way
        // when it opened report here too and must not each log it again.
        await Promise.all([o.circuit.recordCarrierFault(detail.reason), this.#hold(detail.jobId)]);
        return;
      case 'auth-failed':
        o.logger.error(
          { reason: detail.reason },
          'carrier refused the trunk credentials: trunk stopped, jobs kept',
        );
        await Promise.all([o.circuit.recordAuthFailure(detail.reason), this.#hold(detail.jobId)]);
        return;
      case 'auth-strike': {
        const [strike] = await Promise.all([
          o.circuit.recordAuthStrike(detail.reason, detail.number ?? detail.jobId ?? ''),
          this.#hold(detail.jobId),
        ]);
        // The circuit's own error line says when it opens; until then each strike is a warning.
        if (strike.state === 'closed')
          o.logger.warn(
            { reason: detail.reason, strikes: strike.strikes, threshold: o.circuit.authStrikes },
            '403 right after our credentials: suspected trunk fault, job kept (not declined)',
          );
        return;
      }
    }
  }

  /** Keeps the job's id where a closing circuit finds it, so it need not wait out its delay. */
  async #hold(jobId: string | undefined): Promise<void> {
    if (jobId === undefined || jobId === '') return;
    await this.#o.redis.sadd(this.#o.keys.circuitHeld(this.#o.circuit.trunk), jobId);
  }

  async holdUntil(): Promise<number> {
    const permission = await this.#o.circuit.canDial();
    return permission.ok ? this.#now() + 1000 : this.#now() + permission.retryInMs;
  }
}

/** Slots at most this far ahead are booked by the limiter rather than asked for again. */
const RESERVE_MS = 5;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function nextUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
