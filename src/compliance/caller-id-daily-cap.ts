import { LuaScript, type RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { ComplianceInputError } from './compliance-input-error.js';

/** Two days: a key outlives its UTC day whatever the time zone of whoever reads it. */
const TTL_MS = 48 * 3_600_000;

// The first candidate under its cap is counted and returned, in one step: two workers racing for
// a caller ID's last call of the day cannot both get it, and the losers move on to the next one.
const TAKE = new LuaScript(
  'caller-id-daily-cap',
  `
local cap = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count < cap then
    redis.call('INCR', key)
    redis.call('PEXPIRE', key, ARGV[2])
    return i
  end
end
return 0
`,
);

/**
 * A cap on the calls presenting one caller ID per UTC day, across every campaign and worker (a
 * number that calls too often is flagged as spam by the callee's network). Borrows the Redis
 * connection; the caller closes it.
 */
export class CallerIdDailyCap {
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;
  readonly #now: () => number;

  constructor(options: {
    readonly redis: RedisConnection;
    readonly keys: DialerKeys;
    /** Clock in ms; injected by tests. Default `Date.now`. */
    readonly now?: () => number;
  }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#now = options.now ?? Date.now;
  }

  /** Counts one call on the first of `callerIds` (in order) still under `cap` today, and names it. */
  async take(callerIds: readonly string[], cap: number): Promise<string | undefined> {
    if (!Number.isInteger(cap) || cap < 1) {
      throw new ComplianceInputError('callerIdDailyCap', cap, 'expected an integer of at least 1');
    }
    if (callerIds.length === 0) return undefined;
    const day = new Date(this.#now()).toISOString().slice(0, 10);
    const keys = callerIds.map((id) => this.#keys.callerIdDaily(day, id));
    const index = Number(await TAKE.run(this.#redis, keys, [cap, TTL_MS]));
    return index >= 1 ? callerIds[index - 1] : undefined;
  }

  /** Calls presenting `callerId` so far today. */
  async count(callerId: string): Promise<number> {
    const day = new Date(this.#now()).toISOString().slice(0, 10);
    return Number((await this.#redis.get(this.#keys.callerIdDaily(day, callerId))) ?? 0);
  }
}
