import { LuaScript, type RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { ComplianceInputError } from './compliance-input-error.js';

export interface DailyAttemptCount {
  /** False when the number already had `max` attempts today; that refusal was not counted. */
  readonly ok: boolean;
  /** Attempts on the number today, the one just allowed included. */
  readonly count: number;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
/** Two days: a key outlives its UTC day whatever the time zone of whoever reads it. */
const TTL_MS = 48 * 3_600_000;

// Read, compare and increment in one step, so two workers racing for the last attempt of the day
// cannot both get it, and a refusal leaves the counter as it was.
const TRY_COUNT = new LuaScript(
  'daily-attempt-cap',
  `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return {0, count} end
count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, count}
`,
);

/**
 * A cap on call attempts per number per UTC day, across every campaign and worker. Borrows the
 * Redis connection; the caller closes it.
 */
export class DailyAttemptCap {
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: {
    readonly redis: RedisConnection;
    readonly keys: DialerKeys;
    /** Attempts allowed per number per UTC day. */
    readonly max: number;
    /** Clock in ms; injected by tests. Default `Date.now`. */
    readonly now?: () => number;
  }) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new ComplianceInputError('max', options.max, 'expected an integer of at least 1');
    }
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#max = options.max;
    this.#now = options.now ?? Date.now;
  }

  get max(): number {
    return this.#max;
  }

  /** Counts one attempt on `e164` today, unless that would exceed `max`. */
  async tryCount(e164: string): Promise<DailyAttemptCount> {
    const reply = await TRY_COUNT.run(this.#redis, [this.#key(e164)], [this.#max, TTL_MS]);
    const [ok, count] = reply as [number, number];
    return { ok: ok === 1, count };
  }

  /** Attempts on `e164` so far today. */
  async count(e164: string): Promise<number> {
    return Number((await this.#redis.get(this.#key(e164))) ?? 0);
  }

  #key(e164: string): string {
    if (typeof e164 !== 'string' || !E164.test(e164)) {
      throw new ComplianceInputError('e164', e164, 'expected an E.164 number such as +5534984149880');
    }
    const day = new Date(this.#now()).toISOString().slice(0, 10);
    return this.#keys.dailyAttempts(day, e164);
  }
}
