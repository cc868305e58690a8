import type { RedisConnection } from '../redis/index.js';
import { TypedEventEmitter } from '../kernel/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { InvalidTrunkOptionError } from './invalid-trunk-option-error.js';
import { checkNumber, checkTrunkName, clockArg } from './trunk-option-checks.js';
import { TrunkClosedError } from './trunk-closed-error.js';
import { TRUNK_PACE_DEFAULTS as D } from './trunk-pace-defaults.js';
import {
  acquireChannelScript,
  acquireStartScript,
  channelsInUseScript,
  paceStateScript,
  pauseScript,
  RING_BUCKET_MS,
  recordSuccessScript,
  renewChannelScript,
  slowDownScript,
} from './trunk-limiter-scripts.js';

export interface TrunkLimiterOptions {
  /** Shared connection; the limiter does not own it and never closes it. */
  redis: RedisConnection;
  keys: DialerKeys;
  trunk: string;
  /** Configured calls-per-second cap of the trunk (> 0; fractions allowed: 0.5 is one call per 2 s). */
  cps: number;
  /** Concurrent channels the trunk allows, fleet-wide (integer >= 1). */
  maxChannels: number;
  /**
   * Clock in milliseconds, for tests. Default: none, and every script reads the Redis server's
   * `TIME`, so workers on machines whose clocks disagree still share one clock. An injected clock
   * must be the same for every limiter of the trunk.
   */
  now?: () => number;
  /**
   * A booked pace slot reached later than this past its time is refused at `acquireChannelForStart`
   * (book a new one) when another start was booked after it: sent on, it would reach the carrier
   * closer than the pace to that start. Default 20: with slots 1/cps apart, k+1 starts then span
   * at least k/cps s minus this. A late slot with nothing booked after it is sent, and the next
   * booking is spaced from the real send.
   */
  lateStartToleranceMs?: number;
  /** Life of a channel lease without renewal (a crashed worker's channel frees after this). Default 60 000. */
  channelLeaseMs?: number;
  /**
   * Starts allowed back to back after an idle spell. Default 1: calls evenly spaced, never more than
   * `cps` starts in any one-second window. At most one second's worth of the current pace (a
   * higher value is capped to it when the pace is slowed).
   */
  burst?: number;
  /** Multiplicative decrease of `slowDown` when no ceiling can be learned. Default 0.5 (halve). */
  slowDownFactor?: number;
  /** The pace never drops below this. Default 0.5 (one call per 2 s), or `cps` if that is lower. */
  minCps?: number;
  /** Further `slowDown` calls within this long of a decrease are one signal, ignored. Default 1 000. */
  slowDownCooldownMs?: number;
  /** Additive increase of `recordSuccess` below the learned ceiling, as a fraction of the cap. Default 0.1. */
  rampStep?: number;
  /** At most one such increase per this long since the last change of pace. Default 1 000. */
  rampIntervalMs?: number;
  /**
   * Learn the carrier's real limit: on `slowDown`, the rate the carrier accepted over the last
   * `measureWindowMs` (fleet-wide) becomes the ceiling and the pace goes just below it. Default
   * true. False: only the multiplicative decrease and ramp (the behaviour before learning).
   */
  learnCeiling?: boolean;
  /** The pace after a learned ceiling, as a fraction of it. Default 0.95. */
  ceilingMargin?: number;
  /**
   * How far back accepted starts are counted to learn the ceiling (>= 1 000), at most back to the
   * last cut. Long enough that one refusal is a small share of the calls in it. Default 15 000.
   */
  measureWindowMs?: number;
  /** Fewer accepted starts than this in the window teach nothing: multiplicative decrease instead. Default 3. */
  minAcceptedToLearn?: number;
  /** Within this of margin × the ceiling or above, `recordSuccess` raises the pace by this many cps (a probe). Default 0.1. */
  probeStepCps?: number;
  /** At most one probe step per this long since the last change of pace. Default 10 000. */
  probeIntervalMs?: number;
  /** A learned ceiling rises linearly back to `cps` over this long, so a raised limit is found again. Default 20 min. */
  ceilingDecayMs?: number;
}

/**
 * `ok` with `waitMs` > 0: the start is booked that far ahead (asked for with `reserveMs`); wait,
 * then go. Not `ok`: ask again after `waitMs`. The booked slot is at `at + waitMs` on the
 * limiter's clock; `tat` is the pace state this booking left (how `acquireChannelForStart` tells
 * whether a start was booked after it), `tatBefore` the one it found (0: none).
 */
export type StartGrant =
  { ok: true; at: number; waitMs: number; tat: number; tatBefore: number } | { ok: false; waitMs: number };

/**
 * `acquireChannelForStart`'s answer: `late` means the pace slot has passed and another start was
 * booked after it; book another.
 */
export type StartChannel = 'granted' | 'full' | 'late';

/** A pace decision: cps before and after, and whether this call changed it. */
export interface PaceChange {
  readonly before: number;
  readonly after: number;
  readonly changed: boolean;
  /** The ceiling `slowDown` learned from the accepted rate; absent when none was learned. */
  readonly ceiling?: number;
}

/** Where the trunk's pace stands, fleet-wide, in calls per second. */
export interface PaceState {
  /** The pace starts follow now. */
  readonly cps: number;
  /** The trunk's configured cap. */
  readonly configuredCps: number;
  /** The learned carrier limit as it stands now (risen since it was learned); absent when none. */
  readonly ceiling?: number;
}

/** A channel lease being renewed on a timer until `release()`. */
export interface HeldChannel {
  readonly leaseId: string;
  release(): Promise<void>;
}

export type TrunkLimiterEvents = {
  /**
   * A held lease had expired before its renewal (the event loop or Redis stalled longer than the
   * lease) and the channel could not be taken back because the trunk is full: the fleet is
   * momentarily over its channel cap. `inUse` is the fleet's count just after (absent when it
   * could not be read).
   */
  leaseLost: [leaseId: string, channels: { inUse: number | undefined; max: number }];
  /** A background renewal failed (Redis unreachable); the next tick tries again. */
  renewFailed: [leaseId: string, error: unknown];
};

/**
 * Per-trunk limits shared by every worker process through Redis: calls per second (GCRA at the
 * adaptive current pace, which learns the carrier's real limit from its refusals, plus a
 * fleet-wide pause for Retry-After) and concurrent channels (a
 * sorted set of leases that expire unless renewed).
 */
export class TrunkLimiter extends TypedEventEmitter<TrunkLimiterEvents> {
  readonly trunk: string;
  readonly cps: number;
  readonly maxChannels: number;
  readonly channelLeaseMs: number;
  readonly burst: number;
  readonly lateStartToleranceMs: number;
  readonly #redis: RedisConnection;
  readonly #keys: { cps: string; channels: string; pace: string; rate: string };
  readonly #now: (() => number) | undefined;
  readonly #slowDownFactor: number;
  readonly #minCps: number;
  readonly #slowDownCooldownMs: number;
  readonly #rampStep: number;
  readonly #rampIntervalMs: number;
  readonly #learn: boolean;
  readonly #margin: number;
  /** Slots of the rate ring; 0 when not learning (nothing is counted). */
  readonly #ringSlots: number;
  readonly #minAccepted: number;
  readonly #probeStep: number;
  readonly #probeIntervalMs: number;
  readonly #ceilingDecayMs: number;
  readonly #held = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(options: TrunkLimiterOptions) {
    super();
    this.trunk = checkTrunkName('trunk', options.trunk);
    this.cps = checkNumber('cps', options.cps, { min: 0, minExclusive: true });
    this.maxChannels = checkNumber('maxChannels', options.maxChannels, { min: 1, integer: true });
    this.channelLeaseMs = checkNumber('channelLeaseMs', options.channelLeaseMs ?? D.channelLeaseMs, {
      min: 3,
      integer: true,
    });
    this.burst = checkNumber('burst', options.burst ?? D.burst, {
      min: 1,
      max: Math.max(1, Math.floor(this.cps)),
      integer: true,
    });
    this.lateStartToleranceMs = checkNumber(
      'lateStartToleranceMs',
      options.lateStartToleranceMs ?? D.lateStartToleranceMs,
      { min: 0 },
    );
    this.#slowDownFactor = checkNumber('slowDownFactor', options.slowDownFactor ?? D.slowDownFactor, {
      min: 0,
      max: 1,
      minExclusive: true,
    });
    this.#minCps = Math.min(
      this.cps,
      checkNumber('minCps', options.minCps ?? D.minCps, { min: 0, minExclusive: true }),
    );
    this.#slowDownCooldownMs = checkNumber(
      'slowDownCooldownMs',
      options.slowDownCooldownMs ?? D.slowDownCooldownMs,
      { min: 0 },
    );
    this.#rampStep = checkNumber('rampStep', options.rampStep ?? D.rampStep, {
      min: 0,
      max: 1,
      minExclusive: true,
    });
    this.#rampIntervalMs = checkNumber('rampIntervalMs', options.rampIntervalMs ?? D.rampIntervalMs, {
      min: 0,
    });
    const learn = options.learnCeiling ?? D.learnCeiling;
    if (typeof learn !== 'boolean') throw new InvalidTrunkOptionError('learnCeiling', learn, 'true or false');
    this.#learn = learn;
    this.#margin = checkNumber('ceilingMargin', options.ceilingMargin ?? D.ceilingMargin, {
      min: 0,
      max: 1,
      minExclusive: true,
    });
    const windowMs = checkNumber('measureWindowMs', options.measureWindowMs ?? D.measureWindowMs, {
      min: 1_000,
      max: 600_000,
    });
    this.#ringSlots = learn ? Math.ceil(windowMs / RING_BUCKET_MS) : 0;
    this.#minAccepted = checkNumber(
      'minAcceptedToLearn',
      options.minAcceptedToLearn ?? D.minAcceptedToLearn,
      {
        min: 1,
        integer: true,
      },
    );
    this.#probeStep = checkNumber('probeStepCps', options.probeStepCps ?? D.probeStepCps, {
      min: 0,
      minExclusive: true,
    });
    this.#probeIntervalMs = checkNumber('probeIntervalMs', options.probeIntervalMs ?? D.probeIntervalMs, {
      min: 0,
    });
    this.#ceilingDecayMs = checkNumber('ceilingDecayMs', options.ceilingDecayMs ?? D.ceilingDecayMs, {
      min: 0,
    });
    this.#redis = options.redis;
    this.#keys = options.keys.trunkLimiter(this.trunk);
    this.#now = options.now;
  }

  /**
   * Asks to start one call now, or within `reserveMs` (then booked: wait `waitMs` and go). Denied
   * while the trunk is paused or when the pace has no room that soon; `waitMs` says when to ask
   * again. `at` is the limiter clock's time of the grant.
   */
  async acquireStart(options: { reserveMs?: number } = {}): Promise<StartGrant> {
    this.#checkOpen();
    const reply = (await acquireStartScript.run(
      this.#redis,
      [this.#keys.cps, this.#keys.pace],
      [clockArg(this.#now), this.cps, this.burst, options.reserveMs ?? 0],
    )) as [number, string, string, string, string?];
    return reply[0] === 1
      ? {
          ok: true,
          at: Number(reply[2]),
          waitMs: Number(reply[1]),
          tat: Number(reply[3]),
          tatBefore: Number(reply[4] ?? 0),
        }
      : { ok: false, waitMs: Number(reply[1]) };
  }

  /**
   * Takes one of the trunk's channels for `leaseId`, for `channelLeaseMs` unless renewed. False when
   * all are taken. `countsAsStart`: the INVITE follows this channel, so the ceiling's measure counts
   * it as a call sent (the gate's last step; a renewal's re-take is not a call).
   */
  async acquireChannel(leaseId: string, options: { countsAsStart?: boolean } = {}): Promise<boolean> {
    this.#checkOpen();
    checkTrunkName('leaseId', leaseId);
    const reply = await acquireChannelScript.run(
      this.#redis,
      [this.#keys.channels, this.#keys.rate],
      [
        clockArg(this.#now),
        this.maxChannels,
        this.channelLeaseMs,
        leaseId,
        options.countsAsStart === true ? this.#ringSlots : 0,
      ],
    );
    return reply === 1;
  }

  /**
   * The gate's last step before the INVITE: takes a channel for `leaseId` for the start `grant`
   * booked, and counts it as a call sent (see `acquireChannel`), unless the booked slot is more
   * than `lateStartToleranceMs` in the past by the limiter's clock and another start was booked
   * after it (`late`: no channel is taken; book a new start), or every channel is taken (`full`:
   * the slot is given back when nothing was booked after it, so trying does not slow the fleet).
   * A late slot sent moves the pace on by its lateness: the next start keeps its spacing from this one.
   */
  async acquireChannelForStart(
    leaseId: string,
    grant: Extract<StartGrant, { ok: true }>,
  ): Promise<StartChannel> {
    this.#checkOpen();
    checkTrunkName('leaseId', leaseId);
    const reply = await acquireChannelScript.run(
      this.#redis,
      [this.#keys.channels, this.#keys.rate, this.#keys.cps],
      [
        clockArg(this.#now),
        this.maxChannels,
        this.channelLeaseMs,
        leaseId,
        this.#ringSlots,
        grant.at + grant.waitMs,
        this.lateStartToleranceMs,
        grant.tat,
        grant.tatBefore,
      ],
    );
    return reply === 1 ? 'granted' : reply === -1 ? 'late' : 'full';
  }

  /** Extends a lease by `channelLeaseMs`. False when it had already expired (and was dropped). */
  async renewChannel(leaseId: string): Promise<boolean> {
    this.#checkOpen();
    const reply = await renewChannelScript.run(
      this.#redis,
      [this.#keys.channels],
      [clockArg(this.#now), this.channelLeaseMs, leaseId],
    );
    return reply === 1;
  }

  /** Gives the channel back. Safe to call for a lease that expired or was never taken. */
  async releaseChannel(leaseId: string): Promise<void> {
    this.#stopRenewing(leaseId);
    await this.#redis.zrem(this.#keys.channels, leaseId);
  }

  /** Leases currently held fleet-wide (expired ones swept first). */
  async channelsInUse(): Promise<number> {
    this.#checkOpen();
    return Number(await channelsInUseScript.run(this.#redis, [this.#keys.channels], [clockArg(this.#now)]));
  }

  /**
   * Keeps an acquired lease alive while a call lasts: renews every `channelLeaseMs / 3` on an
   * unref'd timer (a live call, not this timer, is what keeps the process up) until `release()`.
   * A lease found expired at renewal is taken again if there is room, else `leaseLost` is emitted.
   */
  holdChannel(leaseId: string): HeldChannel {
    this.#checkOpen();
    this.#stopRenewing(leaseId);
    let inFlight = false;
    const timer = setInterval(
      () => {
        if (inFlight) return;
        inFlight = true;
        void this.#renewHeld(leaseId).finally(() => {
          inFlight = false;
        });
      },
      Math.max(1, Math.floor(this.channelLeaseMs / 3)),
    );
    timer.unref();
    this.#held.set(leaseId, timer);
    let released: Promise<void> | undefined;
    return {
      leaseId,
      release: () => (released ??= this.releaseChannel(leaseId)),
    };
  }

  /**
   * The carrier refused our pace (503, "CPS exceeded"), for every worker of the fleet: learns the
   * ceiling from the rate the carrier accepted and paces just below it, or when that cannot be
   * measured (too few accepted starts, learning off) cuts the pace by `slowDownFactor`.
   */
  async slowDown(reason: string): Promise<PaceChange> {
    this.#checkOpen();
    const reply = (await slowDownScript.run(
      this.#redis,
      [this.#keys.pace, this.#keys.rate],
      [
        clockArg(this.#now),
        this.cps,
        this.#slowDownFactor,
        this.#minCps,
        this.#slowDownCooldownMs,
        reason,
        this.#learn ? 1 : 0,
        this.#margin,
        this.#ringSlots,
        this.#minAccepted,
      ],
    )) as [string, string, number, string];
    const change = paceChange(reply);
    return reply[3] === '' ? change : { ...change, ceiling: Number(reply[3]) };
  }

  /** A call the carrier handled normally: quick ramp up to just below the learned ceiling, slow probe above it. */
  async recordSuccess(): Promise<PaceChange> {
    this.#checkOpen();
    const reply = (await recordSuccessScript.run(
      this.#redis,
      [this.#keys.pace],
      [
        clockArg(this.#now),
        this.cps,
        this.#rampStep * this.cps,
        this.#rampIntervalMs,
        this.#margin,
        this.#probeStep,
        this.#probeIntervalMs,
        this.#ceilingDecayMs,
      ],
    )) as [string, string, number];
    return paceChange(reply);
  }

  /** The trunk's pace right now, fleet-wide, in calls per second. */
  async currentCps(): Promise<number> {
    this.#checkOpen();
    const stored = await this.#redis.hget(this.#keys.pace, 'cps');
    return stored === null ? this.cps : Math.min(this.cps, Number(stored));
  }

  /** The pace, the configured cap and the learned ceiling, fleet-wide. */
  async paceState(): Promise<PaceState> {
    this.#checkOpen();
    const [cps, ceiling] = (await paceStateScript.run(
      this.#redis,
      [this.#keys.pace],
      [clockArg(this.#now), this.cps, this.#ceilingDecayMs],
    )) as [string, string];
    return {
      cps: Number(cps),
      configuredCps: this.cps,
      ...(ceiling === '' ? {} : { ceiling: Number(ceiling) }),
    };
  }

  /**
   * Blocks every new start fleet-wide for `ms` (a carrier's Retry-After). A pause already set to
   * end later is kept. Resolves with the time the pause ends, on the limiter's clock.
   */
  async pauseFor(ms: number, reason = 'retry-after'): Promise<number> {
    this.#checkOpen();
    checkNumber('pauseFor ms', ms, { min: 0 });
    return Number(
      await pauseScript.run(
        this.#redis,
        [this.#keys.pace, this.#keys.rate],
        [clockArg(this.#now), ms, reason, this.#ringSlots],
      ),
    );
  }

  /** Stops every renewal timer. Held leases are not released: they expire on their own. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#held.values()) clearInterval(timer);
    this.#held.clear();
  }

  async #renewHeld(leaseId: string): Promise<void> {
    try {
      if (await this.renewChannel(leaseId)) return;
      if (!this.#held.has(leaseId)) return; // released while the renewal was in flight
      if (await this.acquireChannel(leaseId)) return;
      // The count is for the log line only; failing to read it must not turn a lost lease into a
      // renewal failure.
      const inUse = await this.channelsInUse().catch(() => undefined);
      this.emit('leaseLost', leaseId, { inUse, max: this.maxChannels });
    } catch (error) {
      if (this.#closed) return;
      this.emit('renewFailed', leaseId, error);
    }
  }

  #stopRenewing(leaseId: string): void {
    const timer = this.#held.get(leaseId);
    if (timer === undefined) return;
    clearInterval(timer);
    this.#held.delete(leaseId);
  }

  #checkOpen(): void {
    if (this.#closed) throw new TrunkClosedError(`trunk limiter for ${this.trunk} is closed`);
  }
}

function paceChange(reply: readonly [string, string, number, ...string[]]): PaceChange {
  return { before: Number(reply[0]), after: Number(reply[1]), changed: reply[2] === 1 };
}
