import { LuaScript, type RedisConnection } from '../redis/index.js';
import type { AttemptRecord } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';

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
  if ok and type(r) == 'table' and r['sipCode'] == 200 and r['state'] == 'done' and r['noPerson'] ~= true then
    return -1
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 0
`,
);

// The fence and the attempts share the number's hash tag; the worker's dialog registry does not
// (it is the fleet's, with the orphan sweep), so its entry goes in a command of its own, after.
const FINISH = new LuaScript(
  'attempt-fence-finish',
  `
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  local hold = tonumber(ARGV[3])
  if hold > 0 then redis.call('PEXPIRE', KEYS[1], hold) else redis.call('DEL', KEYS[1]) end
end
return 1
`,
);

export interface AttemptFenceOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  /** This worker: its dialog registry entries go when an attempt finishes. */
  readonly workerId: string;
  /** How long attempt records are kept. Default: 30 days. */
  readonly retentionMs?: number;
  /**
   * Replicas that must hold each fence and attempt write before the call goes on (Sentinel):
   * a failover promotes a replica, and what it had not received is gone, the fence included.
   * `redis` is a connection of its own (borrowed): WAIT only covers the writes of the connection
   * it is sent on, and holds that connection until the replicas answer.
   */
  readonly replicaWait?: {
    readonly redis: RedisConnection;
    readonly replicas: number;
    readonly timeoutMs: number;
    readonly logger: Logger;
  };
}

/**
 * After a WAIT came back short, how long fence writes go on without one: with a replica gone,
 * waiting `timeoutMs` on every write would serialise the worker's calls behind the fence
 * connection, for no gain (the call goes on either way). Then a WAIT probes again.
 */
const SHORT_WAIT_PAUSE_MS = 10_000;

/** Fences each INVITE in Redis before it goes out (DESIGN: at most one live INVITE per number). */
export class AttemptFence {
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;
  readonly #retentionMs: number;
  readonly #workerId: string;
  readonly #replicaWait: AttemptFenceOptions['replicaWait'];
  /** Fence and attempt-result writes go here: the WAIT connection when there is one. */
  readonly #writer: RedisConnection;
  #waitPausedUntil = 0;

  constructor(options: AttemptFenceOptions) {
    this.#replicaWait = options.replicaWait;
    this.#writer = options.replicaWait?.redis ?? options.redis;
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
      this.#writer,
      [this.#keys.liveCall(e164), this.#keys.attempts(jobId, e164)],
      [record.id, String(Math.ceil(liveMs)), JSON.stringify(record), String(this.#retentionMs)],
    )) as number;
    if (wait === -1) return { ok: false, answered: true };
    if (wait !== 0) return { ok: false, waitMs: wait };
    await this.#replicated(jobId, 'fence');
    return { ok: true };
  }

  /**
   * Stores the attempt's result, drops its dialog registry entry and lifts the fence if it is
   * still ours: at once, or after `holdMs` when the carrier may still answer the INVITE (we gave
   * up on it without its final response, so a 2xx can still come for up to 64·T1).
   */
  async finish(jobId: string, e164: string, record: AttemptRecord, holdMs = 0): Promise<void> {
    await FINISH.run(
      this.#writer,
      [this.#keys.liveCall(e164), this.#keys.attempts(jobId, e164)],
      [record.id, JSON.stringify(record), String(Math.max(0, Math.ceil(holdMs)))],
    );
    // After the result, never before: a crash in between leaves a dialog entry for a finished
    // attempt, which the orphan sweep ends harmlessly (it keeps the finished record), where the
    // other order would leave a live attempt with nothing to end it.
    await this.#writer.hdel(this.#keys.workerDialogs(this.#workerId), record.id);
    // An answered attempt lost in a failover would look interrupted, and be dialled again.
    await this.#replicated(jobId, 'attempt result');
  }

  /**
   * Waits (bounded) until the replicas have this connection's writes. Short of them, the call goes
   * on: holding every call while a replica is down would stop the dialer, and Redis itself can be
   * told to refuse unreplicated writes (`min-replicas-to-write`). The warning says the window is open.
   */
  async #replicated(jobId: string, what: string): Promise<void> {
    const wait = this.#replicaWait;
    if (wait === undefined || wait.replicas === 0 || Date.now() < this.#waitPausedUntil) return;
    // The write itself succeeded: a WAIT that fails (the link dropped) must not fail the attempt,
    // whose fence would then hold its own retry off.
    const acked = await wait.redis.wait(wait.replicas, wait.timeoutMs).catch(() => 0);
    if (acked < wait.replicas) {
      this.#waitPausedUntil = Date.now() + SHORT_WAIT_PAUSE_MS;
      wait.logger.warn(
        {
          jobId,
          replicas: acked,
          wanted: wait.replicas,
          timeoutMs: wait.timeoutMs,
          pauseMs: SHORT_WAIT_PAUSE_MS,
        },
        `redis replicas did not confirm the ${what} write: a failover now could lose it (not waiting for them for ${SHORT_WAIT_PAUSE_MS / 1000} s)`,
      );
    }
  }

  /** Every attempt of the job (dialling `e164`), oldest first. */
  async list(jobId: string, e164: string): Promise<AttemptRecord[]> {
    const all = await this.#redis.hvals(this.#keys.attempts(jobId, e164));
    return all.map((json) => JSON.parse(json) as AttemptRecord).sort((a, b) => a.startedAt - b.startedAt);
  }

  /**
   * Marks attempts left `live` by a run that is gone (a killed or stalled worker) as
   * interrupted. Their fence is left to lapse: that INVITE may still be ringing someone.
   */
  async markInterrupted(
    jobId: string,
    e164: string,
    records: readonly AttemptRecord[],
  ): Promise<AttemptRecord[]> {
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
      await this.#redis.hset(this.#keys.attempts(jobId, e164), record.id, JSON.stringify(interrupted));
      out.push(interrupted);
    }
    return out;
  }
}
