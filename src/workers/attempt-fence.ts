import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/index.js';
import type { AttemptRecord } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';

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
-- An attempt of this job was answered (a re-run read the attempts before another worker recorded
-- that it ended a dead worker's answered call): the person was reached, never ring them again.
for _, json in ipairs(redis.call('HVALS', KEYS[2])) do
  local ok, r = pcall(cjson.decode, json)
  if ok and type(r) == 'table' and r['sipCode'] == 200 and r['state'] == 'done' then return -1 end
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
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  local hold = tonumber(ARGV[3])
  if hold > 0 then redis.call('PEXPIRE', KEYS[1], hold) else redis.call('DEL', KEYS[1]) end
end
return 1
`,
);

export interface AttemptFenceOptions {
  readonly redis: Redis;
  readonly keys: DialerKeys;
  /** This worker: its dialog registry entries go when an attempt finishes. */
  readonly workerId: string;
  /** How long attempt records are kept. Default: 30 days. */
  readonly retentionMs?: number;
}

/** Fences each INVITE in Redis before it goes out (DESIGN: at most one live INVITE per number). */
export class AttemptFence {
  readonly #redis: Redis;
  readonly #keys: DialerKeys;
  readonly #retentionMs: number;
  readonly #workerId: string;

  constructor(options: AttemptFenceOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#workerId = options.workerId;
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
  }

  /**
   * Takes the number's fence for `liveMs` (the longest the call can live: ring timeout plus max
   * call length plus margin, so a crashed worker's call has surely ended when it lapses) and
   * records the attempt as live. Returns how long to wait when another attempt holds it, or
   * `answered` when an earlier attempt of the job reached the person.
   */
  async begin(
    jobId: string,
    e164: string,
    record: AttemptRecord,
    liveMs: number,
  ): Promise<{ ok: true } | { ok: false; waitMs: number } | { ok: false; answered: true }> {
    const wait = (await BEGIN.run(
      this.#redis,
      [this.#keys.liveCall(e164), this.#keys.attempts(jobId)],
      [record.id, String(Math.ceil(liveMs)), JSON.stringify(record), String(this.#retentionMs)],
    )) as number;
    if (wait === -1) return { ok: false, answered: true };
    return wait === 0 ? { ok: true } : { ok: false, waitMs: wait };
  }

  /**
   * Stores the attempt's result, drops its dialog registry entry and lifts the fence if it is
   * still ours: at once, or after `holdMs` when the carrier may still answer the INVITE (we gave
   * up on it without its final response, so a 2xx can still come for up to 64·T1).
   */
  async finish(jobId: string, e164: string, record: AttemptRecord, holdMs = 0): Promise<void> {
    await FINISH.run(
      this.#redis,
      [this.#keys.liveCall(e164), this.#keys.attempts(jobId), this.#keys.workerDialogs(this.#workerId)],
      [record.id, JSON.stringify(record), String(Math.max(0, Math.ceil(holdMs)))],
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
