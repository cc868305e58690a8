import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script.js';
import type { AttemptRecord } from '../jobs/call-outcome.js';
import type { DialerKeys } from '../jobs/dialer-keys.js';

// The number's live-call key is the fence: nobody INVITEs a number while another attempt on it
// may be alive, whichever job, campaign or worker it belongs to. The attempt record is written
// in the same step, so a crash after this point always leaves a trace to count.
const BEGIN = new LuaScript(
  'attempt-fence-begin',
  `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = 1000 end
  return ttl
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 0
`,
);

const FINISH = new LuaScript(
  'attempt-fence-finish',
  `
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`,
);

export interface AttemptFenceOptions {
  readonly redis: Redis;
  readonly keys: DialerKeys;
  /** How long attempt records are kept. Default: 30 days. */
  readonly retentionMs?: number;
}

/** Fences each INVITE in Redis before it goes out (DESIGN: at most one live INVITE per number). */
export class AttemptFence {
  readonly #redis: Redis;
  readonly #keys: DialerKeys;
  readonly #retentionMs: number;

  constructor(options: AttemptFenceOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
  }

  /**
   * Takes the number's fence for `liveMs` (the longest the call can live: ring timeout plus max
   * call length plus margin, so a crashed worker's call has surely ended when it lapses) and
   * records the attempt as live. Returns how long to wait when another attempt holds it.
   */
  async begin(
    jobId: string,
    e164: string,
    record: AttemptRecord,
    liveMs: number,
  ): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    const wait = (await BEGIN.run(
      this.#redis,
      [this.#keys.liveCall(e164), this.#keys.attempts(jobId)],
      [record.id, String(Math.ceil(liveMs)), JSON.stringify(record), String(this.#retentionMs)],
    )) as number;
    return wait === 0 ? { ok: true } : { ok: false, waitMs: wait };
  }

  /** Stores the attempt's result and lifts the fence if it is still ours. */
  async finish(jobId: string, e164: string, record: AttemptRecord): Promise<void> {
    await FINISH.run(
      this.#redis,
      [this.#keys.liveCall(e164), this.#keys.attempts(jobId)],
      [record.id, JSON.stringify(record)],
    );
  }

  /** Every attempt of the job, oldest first. */
  async list(jobId: string): Promise<AttemptRecord[]> {
    const all = await this.#redis.hvals(this.#keys.attempts(jobId));
    return all.map((json) => JSON.parse(json) as AttemptRecord).sort((a, b) => a.startedAt - b.startedAt);
  }

  /**
   * Marks attempts left `live` by a run that is gone (a killed or stalled worker) as
   * interrupted. Their fence is left to lapse: that INVITE may still be ringing someone.
   */
  async markInterrupted(jobId: string, records: readonly AttemptRecord[]): Promise<AttemptRecord[]> {
    const out: AttemptRecord[] = [];
    for (const record of records) {
      if (record.state !== 'live') {
        out.push(record);
        continue;
      }
      const interrupted: AttemptRecord = {
        ...record,
        state: 'interrupted',
        reason: record.reason ?? 'worker stopped during the attempt',
      };
      await this.#redis.hset(this.#keys.attempts(jobId), record.id, JSON.stringify(interrupted));
      out.push(interrupted);
    }
    return out;
  }
}
