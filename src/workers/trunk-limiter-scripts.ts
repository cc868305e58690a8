import { LUA_NOW, LuaScript } from '../redis/lua-script.js';

/*
 * The trunk limiter's decisions, each one Lua script so that every worker of the fleet sees one
 * order of events. ARGV[1] is always the clock (see LUA_NOW). Times are milliseconds, written with
 * three decimals because Lua's tostring keeps only 14 significant digits. Replies are strings:
 * Redis truncates Lua numbers to integers.
 */

const HELPERS = `
local function fmt(n) return string.format('%.3f', n) end
local function keepFor(key, ms)
  local ttl = redis.call('PTTL', key)
  if ttl < ms then redis.call('PEXPIRE', key, math.ceil(ms)) end
end
local function pace(key, cap)
  local cps = tonumber(redis.call('HGET', key, 'cps')) or cap
  if cps > cap then cps = cap end
  return cps
end
`;

/** A slowed pace left alone (no success, no error) for this long is forgotten: back to the cap. */
const PACE_TTL_MS = 86_400_000;
/**
 * Extra real-time life for limiter keys beyond what their own state needs: key expiry runs on
 * Redis time while scores may come from an injected test clock, and a lost key must never be the
 * reason a cap is exceeded.
 */
const KEY_SLACK_MS = 60_000;

/**
 * GCRA (the "virtual scheduling" form of a token bucket). KEYS: cps (theoretical arrival time),
 * pace. ARGV: now, cap, burst, reserveMs. Reply: {granted 1|0, waitMs, now}. A start whose slot is
 * at most reserveMs away is granted and booked: the caller waits `waitMs` and goes, instead of
 * asking again (at high paces the slots are closer than a timer can sleep).
 * The interval follows the *current* pace; the burst never exceeds one second's worth of it.
 */
export const acquireStartScript = new LuaScript(
  'trunk-acquire-start',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local pausedUntil = tonumber(redis.call('HGET', KEYS[2], 'pausedUntil')) or 0
if now < pausedUntil then
  return {0, tostring(math.ceil(pausedUntil - now)), fmt(now)}
end
local rate = pace(KEYS[2], cap)
local interval = 1000 / rate
local perSecond = math.max(1, math.floor(rate))
if burst > perSecond then burst = perSecond end
local tolerance = (burst - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - tolerance - now
local reserve = tonumber(ARGV[4]) or 0
if wait > reserve then
  return {0, tostring(math.max(1, math.ceil(wait))), fmt(now)}
end
if wait < 0 then wait = 0 end
tat = tat + interval
redis.call('SET', KEYS[1], fmt(tat), 'PX', math.ceil(tat - now) + ${KEY_SLACK_MS})
return {1, fmt(wait), fmt(now)}
`,
);

/**
 * Counting semaphore. KEYS: channels (sorted set lease id → expiry). ARGV: now, max, leaseMs,
 * leaseId. Expired leases (a worker that died without releasing) are swept first. Acquiring a
 * lease id already held just extends it. Reply: 1 granted, 0 full.
 */
export const acquireChannelScript = new LuaScript(
  'trunk-acquire-channel',
  `${LUA_NOW}${HELPERS}
local max = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now))
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= max then
  return 0
end
redis.call('ZADD', KEYS[1], fmt(now + leaseMs), ARGV[4])
keepFor(KEYS[1], leaseMs + ${KEY_SLACK_MS})
return 1
`,
);

/**
 * KEYS: channels. ARGV: now, leaseMs, leaseId. Reply: 1 extended, 0 the lease had already expired
 * (it is removed: its channel may have been handed to someone else).
 */
export const renewChannelScript = new LuaScript(
  'trunk-renew-channel',
  `${LUA_NOW}${HELPERS}
local leaseMs = tonumber(ARGV[2])
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[3]))
if not expiry then return 0 end
if expiry <= now then
  redis.call('ZREM', KEYS[1], ARGV[3])
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', fmt(now + leaseMs), ARGV[3])
keepFor(KEYS[1], leaseMs + ${KEY_SLACK_MS})
return 1
`,
);

/** KEYS: channels. ARGV: now. Sweeps expired leases; reply: leases still held. */
export const channelsInUseScript = new LuaScript(
  'trunk-channels-in-use',
  `${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.3f', now))
return redis.call('ZCARD', KEYS[1])
`,
);

/**
 * Multiplicative decrease, at most once per cooldown fleet-wide: a burst of 503s seen by ten
 * workers at once is one signal, not ten halvings. KEYS: pace. ARGV: now, cap, factor, floor,
 * cooldownMs, reason. Reply: {before, after, changed 1|0}.
 */
export const slowDownScript = new LuaScript(
  'trunk-slow-down',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local factor = tonumber(ARGV[3])
local floor = tonumber(ARGV[4])
local cooldown = tonumber(ARGV[5])
local cur = pace(KEYS[1], cap)
local last = tonumber(redis.call('HGET', KEYS[1], 'decreasedAt'))
if last and now >= last and now - last < cooldown then
  return {fmt(cur), fmt(cur), 0}
end
local nxt = cur * factor
if nxt < floor then nxt = floor end
redis.call('HSET', KEYS[1], 'cps', fmt(nxt), 'decreasedAt', fmt(now), 'changedAt', fmt(now), 'reason', ARGV[6])
keepFor(KEYS[1], ${PACE_TTL_MS})
if nxt < cur then return {fmt(cur), fmt(nxt), 1} end
return {fmt(cur), fmt(nxt), 0}
`,
);

/**
 * Additive increase: at most one step per ramp interval since the last change, never above the
 * cap; back at the cap the pace fields are dropped (no state means "at the cap").
 * KEYS: pace. ARGV: now, cap, step, intervalMs. Reply: {before, after, changed 1|0}.
 */
export const recordSuccessScript = new LuaScript(
  'trunk-record-success',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local step = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local stored = tonumber(redis.call('HGET', KEYS[1], 'cps'))
if not stored then return {fmt(cap), fmt(cap), 0} end
local cur = stored
if cur > cap then cur = cap end
local changedAt = tonumber(redis.call('HGET', KEYS[1], 'changedAt')) or 0
if cur < cap and now >= changedAt and now - changedAt < interval then
  return {fmt(cur), fmt(cur), 0}
end
local nxt = cur + step
if nxt >= cap then
  redis.call('HDEL', KEYS[1], 'cps', 'changedAt', 'reason')
  nxt = cap
else
  redis.call('HSET', KEYS[1], 'cps', fmt(nxt), 'changedAt', fmt(now))
  keepFor(KEYS[1], ${PACE_TTL_MS})
end
if nxt > cur then return {fmt(cur), fmt(nxt), 1} end
return {fmt(cur), fmt(nxt), 0}
`,
);

/**
 * Blocks new starts fleet-wide (a carrier's Retry-After); never shortens a pause already set.
 * KEYS: pace. ARGV: now, ms, reason. Reply: pausedUntil.
 */
export const pauseScript = new LuaScript(
  'trunk-pause',
  `${LUA_NOW}${HELPERS}
local untilMs = now + tonumber(ARGV[2])
local cur = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or 0
if cur > untilMs then untilMs = cur end
redis.call('HSET', KEYS[1], 'pausedUntil', fmt(untilMs), 'pauseReason', ARGV[3])
keepFor(KEYS[1], untilMs - now + ${KEY_SLACK_MS})
return fmt(untilMs)
`,
);
