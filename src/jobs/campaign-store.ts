import type { RedisConnection } from '../redis/index.js';
import type { CampaignControlMessage } from './campaign-control-message.js';
import { CampaignConflictError } from './campaign-conflict-error.js';
import { CampaignNotFoundError } from './campaign-not-found-error.js';
import {
  normalizeCampaignSettings,
  validateCampaignName,
  type CampaignSettings,
} from './campaign-settings.js';
import { CampaignStateError } from './campaign-state-error.js';
import { COMPLETE_IF_DONE, REOPEN_IF_COMPLETED } from './campaign-completion-lua.js';
import { CONTROL_STATES, isCampaignState, type CampaignState } from './campaign-state.js';
import type { DialerKeys } from '../kernel/index.js';
import { FINAL_STATUSES, type FinalStatus } from './final-status.js';
import { InvalidCampaignError } from './invalid-campaign-error.js';
import { LAST_IMPORT_FIELD, parseLastImport, type LastImport } from './last-import.js';

export interface CampaignRecord {
  readonly name: string;
  readonly settings: CampaignSettings;
  readonly state: CampaignState;
  readonly createdAt: number;
}

export interface CampaignStatus {
  readonly name: string;
  readonly state: CampaignState;
  /** Jobs enqueued by imports (duplicates not counted). */
  readonly total: number;
  /** `total` minus final outcomes: queued, delayed for a retry or calling hours, or on a call now. */
  readonly pending: number;
  readonly byStatus: Readonly<Record<FinalStatus, number>>;
  /** Call attempts made, retries included. */
  readonly attempts: number;
  /** How the latest import ended; absent before any. */
  readonly lastImport?: LastImport;
  /** When the last number got its final outcome (ms since the epoch); only while `completed`. */
  readonly completedAt?: number;
}

export interface CreateCampaignResult {
  /** False when a campaign of that name already had these very settings (an import run twice). */
  readonly created: boolean;
  readonly campaign: CampaignRecord;
}

/**
 * Hash fields of a campaign record. `status:<final status>` and `attempts` are incremented by the
 * outcome writer (HINCRBY); `total` by imports through `addTotal`.
 */
const FIELD = Object.freeze({
  settings: 'settings',
  createdAt: 'createdAt',
  state: 'state',
  total: 'total',
  attempts: 'attempts',
  status: (s: FinalStatus) => `status:${s}`,
});

// Settings are compared as canonical JSON, so "create" with the same settings is a no-op and with
// other settings a refusal, decided in one step however many importers race.
const CREATE = `
local existing = redis.call('HGET', KEYS[1], 'settings')
if existing then
  if existing == ARGV[1] then return 0 end
  return existing
end
redis.call('HSET', KEYS[1], 'settings', ARGV[1], 'createdAt', ARGV[2], 'state', ARGV[3], 'total', 0)
redis.call('SADD', KEYS[2], ARGV[4])
return 1
`;

// The state and its announcement change together: no worker can hear of a state it cannot read yet.
// A completed campaign has nothing left to pause, resume or cancel; one resumed with every number
// done (its last calls ended while it was paused) completes at once.
const SET_STATE = `${COMPLETE_IF_DONE}
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {0, ''} end
if current == 'cancelled' and ARGV[1] ~= 'cancelled' then return {2, current} end
if current == 'completed' then return {2, current} end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
if ARGV[1] == 'running' then completeIfDone(KEYS[1], ARGV[2], ARGV[4], KEYS[2]) end
return {1, current}
`;

const SET_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

const ADD_TOTAL = `${REOPEN_IF_COMPLETED}
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local total = redis.call('HINCRBY', KEYS[1], 'total', ARGV[1])
if tonumber(ARGV[1]) > 0 then reopenIfCompleted(KEYS[1], ARGV[2], ARGV[3]) end
return total
`;

// Only a campaign nothing was ever counted in, and no import holds, is taken back: another
// importer that found it meanwhile either holds the import lock or has already counted its jobs.
const REMOVE_IF_EMPTY = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local f = redis.call('HMGET', KEYS[1], 'total', 'done')
if (tonumber(f[1] or '0') or 0) > 0 or (tonumber(f[2] or '0') or 0) > 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`;

/**
 * Campaigns in Redis: settings, state and counters in one hash per campaign, plus the set of
 * names. Borrows the Redis connection; the caller closes it.
 */
export class CampaignStore {
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;

  constructor(options: { readonly redis: RedisConnection; readonly keys: DialerKeys }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
  }

  /**
   * Creates a campaign, `running` unless `state: 'paused'` is given. Creating it again with the same
   * settings returns it unchanged (`created: false`), so an import can always start with this.
   * @throws InvalidCampaignError / InvalidCallingWindowError naming a bad field;
   *   CampaignConflictError when the name is taken with other settings.
   */
  async create(
    name: string,
    settings: CampaignSettings & { readonly createdAt?: number },
    options: { readonly state?: 'running' | 'paused' } = {},
  ): Promise<CreateCampaignResult> {
    validateCampaignName(name, 'name');
    const { createdAt = Date.now(), ...rest } = settings;
    if (!Number.isInteger(createdAt) || createdAt < 0) {
      throw new InvalidCampaignError('createdAt', createdAt, 'expected ms since the epoch');
    }
    const state = options.state ?? 'running';
    if (state !== 'running' && state !== 'paused') {
      throw new InvalidCampaignError('state', state, 'expected running or paused');
    }
    const canonical = normalizeCampaignSettings(rest);
    const json = JSON.stringify(canonical);
    const key = this.#keys.campaign(name);
    const reply = await this.#redis.eval(CREATE, 2, key, this.#keys.campaigns, json, createdAt, state, name);
    if (typeof reply === 'string') throw new CampaignConflictError(name, reply);
    if (reply === 1) return { created: true, campaign: { name, settings: canonical, state, createdAt } };
    const existing = await this.get(name);
    if (existing === undefined) throw new CampaignNotFoundError(name);
    return { created: false, campaign: existing };
  }

  async get(name: string): Promise<CampaignRecord | undefined> {
    validateCampaignName(name, 'name');
    const [settings, createdAt, state] = await this.#redis.hmget(
      this.#keys.campaign(name),
      FIELD.settings,
      FIELD.createdAt,
      FIELD.state,
    );
    return toRecord(name, settings ?? null, createdAt ?? null, state ?? null);
  }

  /** Every campaign, by name. */
  async list(): Promise<CampaignRecord[]> {
    const names = (await this.#redis.smembers(this.#keys.campaigns)).sort();
    if (names.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const name of names) {
      pipeline.hmget(this.#keys.campaign(name), FIELD.settings, FIELD.createdAt, FIELD.state);
    }
    const replies = (await pipeline.exec()) ?? [];
    const records: CampaignRecord[] = [];
    replies.forEach(([err, value], i) => {
      if (err) throw err;
      const [settings, createdAt, state] = value as (string | null)[];
      const record = toRecord(names[i] as string, settings ?? null, createdAt ?? null, state ?? null);
      if (record !== undefined) records.push(record);
    });
    return records;
  }

  async state(name: string): Promise<CampaignState | undefined> {
    validateCampaignName(name, 'name');
    const state = await this.#redis.hget(this.#keys.campaign(name), FIELD.state);
    return isCampaignState(state) ? state : undefined;
  }

  /**
   * Changes the state and announces `{ type: 'campaign', name, state }` on `keys.control`, in one
   * step. Setting the current state again is allowed (and announced again).
   * Resuming a campaign whose numbers are all done makes it `completed`.
   * @returns the previous state.
   * @throws CampaignNotFoundError; CampaignStateError when leaving `cancelled` or `completed`.
   */
  async setState(name: string, state: CampaignState): Promise<CampaignState> {
    validateCampaignName(name, 'name');
    if (!(CONTROL_STATES as readonly string[]).includes(state)) {
      throw new InvalidCampaignError('state', state, 'expected running, paused or cancelled');
    }
    const message: CampaignControlMessage = { type: 'campaign', name, state };
    const [code, previous] = (await this.#redis.eval(
      SET_STATE,
      2,
      this.#keys.campaign(name),
      this.#keys.campaignCompletions,
      state,
      this.#keys.control,
      JSON.stringify(message),
      name,
    )) as [number, string];
    if (code === 0) throw new CampaignNotFoundError(name);
    if (code === 2) throw new CampaignStateError(name, previous, state);
    return previous as CampaignState;
  }

  /**
   * Adds jobs an import enqueued to `total`.
   * @throws CampaignNotFoundError rather than create a record without settings.
   */
  async addTotal(name: string, count: number): Promise<number> {
    validateCampaignName(name, 'name');
    if (!Number.isInteger(count) || count < 0) {
      throw new InvalidCampaignError('count', count, 'expected a non-negative integer');
    }
    const total = (await this.#redis.eval(
      ADD_TOTAL,
      1,
      this.#keys.campaign(name),
      count,
      this.#keys.control,
      name,
    )) as number;
    if (total < 0) throw new CampaignNotFoundError(name);
    return total;
  }

  /**
   * Keeps how the latest import ended (a refused or aborted one leaves no job, but the campaign
   * says what happened). A campaign that is gone is left gone.
   */
  async recordImport(name: string, lastImport: LastImport): Promise<void> {
    validateCampaignName(name, 'name');
    await this.#redis.eval(
      SET_IF_EXISTS,
      1,
      this.#keys.campaign(name),
      LAST_IMPORT_FIELD,
      JSON.stringify(lastImport),
    );
  }

  /**
   * Takes back a campaign its own first import left empty (refused or broken off), so no empty
   * `running` campaign stays behind. One with jobs or outcomes, or an import running, stays.
   * @returns whether it was removed.
   */
  async removeIfEmpty(name: string): Promise<boolean> {
    validateCampaignName(name, 'name');
    const keys = [this.#keys.campaign(name), this.#keys.campaigns, this.#keys.campaignImport(name)];
    return (await this.#redis.eval(REMOVE_IF_EMPTY, keys.length, ...keys, name)) === 1;
  }

  /** @throws CampaignNotFoundError */
  async status(name: string): Promise<CampaignStatus> {
    validateCampaignName(name, 'name');
    const hash = await this.#redis.hgetall(this.#keys.campaign(name));
    const state = hash[FIELD.state];
    if (hash[FIELD.settings] === undefined || !isCampaignState(state)) throw new CampaignNotFoundError(name);
    const byStatus = {} as Record<FinalStatus, number>;
    let finished = 0;
    for (const s of FINAL_STATUSES) {
      byStatus[s] = Number(hash[FIELD.status(s)] ?? 0);
      finished += byStatus[s];
    }
    const total = Number(hash[FIELD.total] ?? 0);
    const lastImport = parseLastImport(hash[LAST_IMPORT_FIELD]);
    return {
      name,
      state,
      total,
      // A job can finish before its import's addTotal lands; never show a negative backlog.
      pending: Math.max(0, total - finished),
      byStatus,
      attempts: Number(hash[FIELD.attempts] ?? 0),
      ...(lastImport === undefined ? {} : { lastImport }),
      ...(state === 'completed' && hash.completedAt !== undefined
        ? { completedAt: Number(hash.completedAt) }
        : {}),
    };
  }
}

function toRecord(
  name: string,
  settings: string | null,
  createdAt: string | null,
  state: string | null,
): CampaignRecord | undefined {
  if (settings === null || !isCampaignState(state)) return undefined;
  return {
    name,
    settings: JSON.parse(settings) as CampaignSettings,
    state,
    createdAt: Number(createdAt ?? 0),
  };
}
