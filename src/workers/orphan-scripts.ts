import { LuaScript } from '../redis/index.js';

/**
 * Takes a dead worker's calls: when its lease is gone, moves its dialogs (and any orphans it had
 * taken over itself) into the caller's orphans hash. Atomic, so two sweepers never both take one.
 * KEYS: lease, dialogs and orphans of the dead worker, orphans of the caller, the owners set.
 * ARGV: dead worker id, caller id. Returns how many calls were taken.
 */
export const CLAIM_ORPHANS = new LuaScript(
  'orphans-claim',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local moved = 0
for _, key in ipairs({KEYS[2], KEYS[3]}) do
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    redis.call('HSET', KEYS[4], all[i], all[i + 1])
    moved = moved + 1
  end
  redis.call('DEL', key)
end
redis.call('SREM', KEYS[5], ARGV[1])
if moved > 0 then redis.call('SADD', KEYS[5], ARGV[2]) end
return moved
`,
);

/**
 * Records on the attempt how its orphaned call was ended, then releases the number: at once,
 * after a hold (ARGV[3] ms: a CANCELled INVITE may still be answered), or not at all (`keep`: the
 * call may still be up, its fence lapses by itself). An attempt its own worker finished (it was
 * only stalled) keeps that worker's record. The caller's orphans entry is not in the number's
 * hash tag: it is dropped after this step (`HDEL`), so a crash in between only ends the call again.
 * KEYS: attempts of the job, the number's fence. ARGV: attempt id, JSON fields to set, hold.
 */
export const ORPHAN_ENDED = new LuaScript(
  'orphans-ended',
  `
local json = redis.call('HGET', KEYS[1], ARGV[1])
if json then
  local ok, record = pcall(cjson.decode, json)
  if ok and type(record) == 'table' and record['state'] ~= 'done' then
    for k, v in pairs(cjson.decode(ARGV[2])) do record[k] = v end
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
  end
end
if ARGV[3] ~= 'keep' and redis.call('GET', KEYS[2]) == ARGV[1] then
  local hold = tonumber(ARGV[3])
  if hold > 0 then redis.call('PEXPIRE', KEYS[2], hold) else redis.call('DEL', KEYS[2]) end
end
return 1
`,
);
