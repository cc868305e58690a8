import { LuaScript, type RedisConnection } from '../redis/index.js';
import { callOutcomeSchema, type CallOutcome } from './call-outcome.js';
import { COMPLETE_IF_DONE } from './campaign-completion-lua.js';
import type { DialerKeys } from '../kernel/index.js';

export interface OutcomeStoreOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  /** Approximate cap on the outcomes stream. Default: 1 000 000 entries. */
  readonly streamMaxLen?: number;
  /** How long an outcome is kept for `getOutcome`. Default: 30 days. */
  readonly retentionMs?: number;
}

// SET NX is the "exactly once": whoever writes first wins, every later writer reads the winner.
// The stream entry and the campaign counters move in the same script, so they can never disagree;
// the outcome that finishes a campaign's last number completes the campaign in that same step.
const WRITE_ONCE = new LuaScript(
  'outcome-write-once',
  `${COMPLETE_IF_DONE}
local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[6])
if not ok then return redis.call('GET', KEYS[1]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'jobId', ARGV[5], 'status', ARGV[2], 'outcome', ARGV[1])
if ARGV[7] == '1' then
  redis.call('HINCRBY', KEYS[3], 'status:' .. ARGV[2], 1)
  redis.call('HINCRBY', KEYS[3], 'attempts', tonumber(ARGV[3]))
  redis.call('HINCRBY', KEYS[3], 'done', 1)
  local completedAt = completeIfDone(KEYS[3], ARGV[8], ARGV[9], KEYS[4])
  if completedAt then return completedAt end
end
return false
`,
);

/** Final outcomes: written once per job, streamed, counted per campaign. */
export class OutcomeStore {
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;
  readonly #maxLen: number;
  readonly #retentionMs: number;

  constructor(options: OutcomeStoreOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#maxLen = options.streamMaxLen ?? 1_000_000;
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
  }

  /**
   * Writes the outcome unless one exists; returns the one that stands, and when this write
   * completed its campaign, the campaign's `completedAt`.
   */
  async writeOnce(
    outcome: CallOutcome,
  ): Promise<{ written: boolean; outcome: CallOutcome; campaignCompletedAt?: number }> {
    const json = JSON.stringify(outcome);
    const campaignKey =
      outcome.campaign !== undefined
        ? this.#keys.campaign(outcome.campaign)
        : this.#keys.outcome(outcome.jobId);
    const attempts = new Set(outcome.attempts.map((a) => a.attempt)).size;
    const existing = (await WRITE_ONCE.run(
      this.#redis,
      [this.#keys.outcome(outcome.jobId), this.#keys.outcomes, campaignKey, this.#keys.campaignCompletions],
      [
        json,
        outcome.status,
        String(attempts),
        String(this.#maxLen),
        outcome.jobId,
        String(this.#retentionMs),
        outcome.campaign !== undefined ? '1' : '0',
        this.#keys.control,
        outcome.campaign ?? '',
      ],
    )) as string | number | null;
    if (existing === null) return { written: true, outcome };
    // A number is the completedAt of the campaign this write completed (an existing outcome is JSON).
    if (typeof existing === 'number') return { written: true, outcome, campaignCompletedAt: existing };
    return { written: false, outcome: JSON.parse(existing) as CallOutcome };
  }

  async get(jobId: string): Promise<CallOutcome | undefined> {
    const json = await this.#redis.get(this.#keys.outcome(jobId));
    return json === null ? undefined : (callOutcomeSchema.parse(JSON.parse(json)) as CallOutcome);
  }
}
