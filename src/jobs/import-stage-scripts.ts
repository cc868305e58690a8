import { LuaScript } from '../redis/index.js';
import { REOPEN_IF_COMPLETED } from './campaign-completion-lua.js';

// An import's entry in `imports` is JSON { campaign, trunk, at, abortedAt? }. An entry with
// `abortedAt` was taken back by a recovery: its jobs stay held by every worker's gate until a
// later recovery has removed all of them and the grace time has passed.

/**
 * Opens an import: one per campaign at a time (two at once would each count the same new rows and
 * could take back each other's jobs). KEYS: imports, lease, campaign import lock. ARGV: id, entry
 * JSON, lease ms. Returns 1, or the id of the import that holds the campaign.
 */
export const OPEN_IMPORT = new LuaScript(
  'open-import',
  `
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[1] then return holder end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return 1
`,
);

/**
 * Keeps a live import's lease. SET, not PEXPIRE: an importer that stalled past the lease gets it
 * back as long as no recovery took the import and no other import took the campaign. KEYS:
 * imports, lease, stage, campaign import lock. ARGV: id, lease ms. Returns 1, or 0 when the
 * import was lost (the importer must stop committing).
 */
export const RENEW_IMPORT = new LuaScript(
  'renew-import',
  `
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry or cjson.decode(entry).abortedAt then return 0 end
local holder = redis.call('GET', KEYS[4])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1
`,
);

/**
 * The commit point: the import stops gating its jobs and its new jobs count in the campaign in
 * one step; new numbers make a completed campaign running again. A recovery that already took the
 * import back wins: 0, and nothing counts. KEYS: imports, campaign, stage, added, lease, campaign
 * import lock. ARGV: id, added, last-import field, last-import JSON, control channel, campaign name.
 */
export const FINISH_IMPORT = new LuaScript(
  'finish-import',
  `${REOPEN_IF_COMPLETED}
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry or cjson.decode(entry).abortedAt then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'total', ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  if tonumber(ARGV[2]) > 0 then reopenIfCompleted(KEYS[2], ARGV[5], ARGV[6]) end
end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
if redis.call('GET', KEYS[6]) == ARGV[1] then redis.call('DEL', KEYS[6]) end
return 1
`,
);

/**
 * A recovery's claim on an import whose lease ran out: marks the entry aborted, so the importer,
 * should it wake up, can neither commit nor renew. KEYS: imports, lease. ARGV: id, now ms.
 * Returns 0 (alive, or gone), 1 (claimed now) or the abortedAt of an earlier claim.
 */
export const CLAIM_IMPORT = new LuaScript(
  'claim-import',
  `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
local decoded = cjson.decode(entry)
if decoded.abortedAt then return decoded.abortedAt end
decoded.abortedAt = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(decoded))
return 1
`,
);

/** Releases the campaign's import lock if this import holds it. KEYS: lock. ARGV: id. */
export const RELEASE_IMPORT_LOCK = new LuaScript(
  'release-import-lock',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`,
);
