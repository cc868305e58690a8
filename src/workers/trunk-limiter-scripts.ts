import { LUA_NOW, LuaScript } from '../redis/index.js';

/*
 * The trunk limiter's decisions, each one Lua script so that every worker of the fleet sees one
 * order of events. ARGV[1] is always the clock (see LUA_NOW). Times are milliseconds, written with
 * three decimals because Lua's tostring keeps only 14 significant digits. Replies are strings:
 * Redis truncates Lua numbers to integers.
 */

/** A slowed pace left alone (no success, no error) for this long is forgotten: back to the cap. */
const PACE_TTL_MS = 86_400_000;
/**
 * Extra real-time life for limiter keys beyond what their own state needs: key expiry runs on
 * Redis time while scores may come from an injected test clock, and a lost key must never be the
 * reason a cap is exceeded.
 */
const KEY_SLACK_MS = 60_000;
/** Width of one slot of the rate ring: fine enough that a window's edge blurs it by little. */
export const RING_BUCKET_MS = 250;
/** A measure of the accepted rate since the last cut needs at least this long, else the whole window is used. */
const MIN_SPAN_SINCE_CUT_MS = 2_000;
/** Starts sent at this share of the pace or more: the trunk was dialing at its pace, not short of jobs. */
const AT_PACE_SHARE = 0.8;

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
local BUCKET = ${RING_BUCKET_MS}
-- The rate ring: slot i of 'slots' holds bucket number i<n> (BUCKET ms of the clock) and its starts
-- s<n>, refusals r<n> and paused ms p<n>; a slot found holding an older bucket is reset first.
local function ringAdd(key, now, field, by, slots)
  local idx = math.floor(now / BUCKET)
  local slot = idx % slots
  local at = string.format('%d', idx)
  if redis.call('HGET', key, 'i' .. slot) ~= at then
    redis.call('HSET', key, 'i' .. slot, at, 's' .. slot, 0, 'r' .. slot, 0, 'p' .. slot, 0)
  end
  redis.call('HINCRBY', key, field .. slot, math.floor(by))
  keepFor(key, slots * BUCKET + ${KEY_SLACK_MS})
end
-- Effective learned ceiling: it rises linearly back to the cap over decayMs after it was learned.
-- From the fields already read (ceiling, learnedAt: strings or false), so a script that needs
-- other fields of the pace hash too reads them all in one HMGET.
local function ceilingOf(ceiling, learnedAt, now, cap, decayMs)
  local c = tonumber(ceiling)
  if not c then return nil end
  local at = tonumber(learnedAt) or now
  local dt = now - at
  if dt < 0 then dt = 0 end
  if decayMs > 0 then c = c + (cap - c) * dt / decayMs end
  if c >= cap then return nil end
  return c
end
local function ceilingNow(key, now, cap, decayMs)
  local f = redis.call('HMGET', key, 'ceiling', 'learnedAt')
  return ceilingOf(f[1], f[2], now, cap, decayMs)
end
`;

/**
 * GCRA (the "virtual scheduling" form of a token bucket). KEYS: cps (theoretical arrival time),
 * pace. ARGV: now, cap, burst, reserveMs. Reply: {granted 1|0, waitMs, now, tat ('' when not
 * granted)}: `tat` is what this booking set, so acquireChannelScript can tell whether a start was
 * booked after it. A start whose slot is
 * at most reserveMs away is granted and booked: the caller waits `waitMs` and goes, instead of
 * asking again (at high paces the slots are closer than a timer can sleep).
 * The interval follows the *current* pace; the burst never exceeds one second's worth of it.
 */
export const acquireStartScript = new LuaScript(
  'trunk-acquire-start',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
-- The pace hash and the TAT are each read once: this runs before every INVITE.
local paceFields = redis.call('HMGET', KEYS[2], 'pausedUntil', 'cps')
local pausedUntil = tonumber(paceFields[1]) or 0
if now < pausedUntil then
  return {0, tostring(math.ceil(pausedUntil - now)), fmt(now), ''}
end
local rate = tonumber(paceFields[2]) or cap
if rate > cap then rate = cap end
local interval = 1000 / rate
local perSecond = math.max(1, math.floor(rate))
if burst > perSecond then burst = perSecond end
local tolerance = (burst - 1) * interval
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = stored or now
if tat < now then tat = now end
local wait = tat - tolerance - now
local reserve = tonumber(ARGV[4]) or 0
if wait > reserve then
  return {0, tostring(math.max(1, math.ceil(wait))), fmt(now), ''}
end
if wait < 0 then wait = 0 end
local before = stored or 0
tat = tat + interval
redis.call('SET', KEYS[1], fmt(tat), 'PX', math.ceil(tat - now) + ${KEY_SLACK_MS})
return {1, fmt(wait), fmt(now), fmt(tat), fmt(before)}
`,
);

/**
 * Counting semaphore. KEYS: channels (sorted set lease id → expiry), rate ring, cps (the pace's
 * TAT). ARGV: now, max, leaseMs, leaseId, ringSlots, slotAt ('' for none), lateToleranceMs,
 * bookedTat (the TAT the slot's booking set, '' for unknown), tatBefore (the TAT before that
 * booking: where a slot given back puts it). Expired leases (a worker that died
 * without releasing) are swept first. Acquiring a lease id already held just extends it.
 * With ringSlots > 0 a granted lease is counted as a start in the rate ring: the channel is the
 * last step before the INVITE, so starts the pace granted but no channel followed are not counted
 * as sent.
 * A pace slot reached more than lateToleranceMs after its time (a worker starved of CPU, or one
 * that waited for a channel) is refused before the channel is looked at when a start was booked
 * after it (the TAT moved past bookedTat): sent now, it would reach the carrier bunched with that
 * one. When nothing was booked after it, refusing would only make the caller book a fresh slot and
 * waste this one (a lagging worker would burn the fleet's slots): it is sent, and a granted one
 * moves the TAT on by its lateness, so the next booking keeps the pace's spacing from the real
 * send. Reply: 1 granted, 0 full, -1 the slot is late (book a new one).
 */
export const acquireChannelScript = new LuaScript(
  'trunk-acquire-channel',
  `${LUA_NOW}${HELPERS}
local max = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
local slotAt = tonumber(ARGV[6])
local rebased = nil
if slotAt and now - slotAt > tonumber(ARGV[7]) then
  local booked = tonumber(ARGV[8])
  local tat = tonumber(redis.call('GET', KEYS[3]))
  -- Every later booking adds an interval to the TAT; the margin only absorbs the 3-decimal format.
  -- No TAT at all: it expired, so nothing was booked after this slot either.
  if not booked or (tat and tat > booked + 0.001) then return -1 end
  rebased = booked + (now - slotAt)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now))
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= max then
  -- No INVITE follows this slot: give it back when nothing was booked after it, or a fleet whose
  -- channels are full would push the pace further out with every try that finds them full.
  local booked, before = tonumber(ARGV[8]), tonumber(ARGV[9])
  local tat = booked and before and tonumber(redis.call('GET', KEYS[3]))
  if tat and math.abs(tat - booked) <= 0.001 then
    if before > now then
      redis.call('SET', KEYS[3], fmt(before), 'PX', math.ceil(before - now) + ${KEY_SLACK_MS})
    else
      redis.call('DEL', KEYS[3])
    end
  end
  return 0
end
redis.call('ZADD', KEYS[1], fmt(now + leaseMs), ARGV[4])
keepFor(KEYS[1], leaseMs + ${KEY_SLACK_MS})
local slots = tonumber(ARGV[5]) or 0
if slots > 0 then ringAdd(KEYS[2], now, 's', 1, slots) end
if rebased then
  redis.call('SET', KEYS[3], fmt(rebased), 'PX', math.ceil(rebased - now) + ${KEY_SLACK_MS})
end
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
 * A carrier refusal that names our pace (503, "CPS exceeded"), at most one decision per cooldown
 * fleet-wide: a burst of 503s seen by ten workers at once is one signal, not ten cuts. Every
 * refusal is still counted in the rate ring.
 * With learning on and enough accepted starts in the window, the ceiling is the rate the carrier
 * accepted (starts minus refusals over the window's span, or since the last cut, paused time
 * left out: a Retry-After pause is not the carrier's limit; when the trunk was dialing at its
 * pace, at least the pace × the share accepted) and the pace goes to margin × that; else multiplicative
 * decrease. Either way the pace only goes down.
 * KEYS: pace, rate ring. ARGV: now, cap, factor, floor, cooldownMs, reason, learn 1|0, margin,
 * ringSlots, minAccepted. Reply: {before, after, changed 1|0, ceiling or ''}.
 */
export const slowDownScript = new LuaScript(
  'trunk-slow-down',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local factor = tonumber(ARGV[3])
local floor = tonumber(ARGV[4])
local cooldown = tonumber(ARGV[5])
local learn = ARGV[7] == '1'
local margin = tonumber(ARGV[8])
local slots = tonumber(ARGV[9])
local minAccepted = tonumber(ARGV[10])
if slots > 0 then ringAdd(KEYS[2], now, 'r', 1, slots) end
local cur = pace(KEYS[1], cap)
local last = tonumber(redis.call('HGET', KEYS[1], 'decreasedAt'))
if last and now >= last and now - last < cooldown then
  return {fmt(cur), fmt(cur), 0, ''}
end
local ceiling = nil
if learn and slots > 0 then
  local newest = math.floor(now / BUCKET)
  local oldestAllowed = newest - slots + 1
  -- Measure what the carrier took since our last cut, not before: at cold start it let a burst
  -- through, which would inflate a window that spans it. Unless that leaves too short a span.
  if last then
    local since = math.floor(last / BUCKET) + 1
    if since > oldestAllowed and now - since * BUCKET >= ${MIN_SPAN_SINCE_CUT_MS} then oldestAllowed = since end
  end
  local starts, refused, paused, oldest = 0, 0, 0, nil
  for slot = 0, slots - 1 do
    local v = redis.call('HMGET', KEYS[2], 'i' .. slot, 's' .. slot, 'r' .. slot, 'p' .. slot)
    local idx = tonumber(v[1])
    if idx and idx >= oldestAllowed and idx <= newest then
      local s = tonumber(v[2]) or 0
      starts = starts + s
      refused = refused + (tonumber(v[3]) or 0)
      paused = paused + (tonumber(v[4]) or 0)
      if s > 0 and (oldest == nil or idx < oldest) then oldest = idx end
    end
  end
  local accepted = starts - refused
  if oldest and accepted >= minAccepted then
    -- A pause still running was counted whole where it began; only its past part was idle time.
    local pausedUntil = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or 0
    if pausedUntil > now then paused = paused - (pausedUntil - now) end
    if paused < 0 then paused = 0 end
    -- Under a second tells nothing about a per-second limit: a carrier may take a short burst.
    local span = now - oldest * BUCKET
    local active = span - paused
    if active < 1000 then active = 1000 end
    ceiling = accepted * 1000 / active
    -- Dialing at our pace (not short of jobs) for long enough, a rare refusal says the limit is
    -- about our pace: the accepted rate alone would also hold the few ms each start loses to
    -- timers and round trips, and the margin would be taken twice.
    if span >= ${MIN_SPAN_SINCE_CUT_MS} and starts * 1000 / active >= ${AT_PACE_SHARE} * cur then
      local scaled = cur * accepted / starts
      if scaled > ceiling then ceiling = scaled end
    end
    if ceiling > cap then ceiling = cap end
    if ceiling < floor then ceiling = floor end
  end
end
local nxt
if ceiling then
  nxt = margin * math.min(ceiling, cur)
  redis.call('HSET', KEYS[1], 'ceiling', fmt(ceiling), 'learnedAt', fmt(now))
else
  nxt = cur * factor
end
if nxt < floor then nxt = floor end
if nxt > cur then nxt = cur end
redis.call('HSET', KEYS[1], 'cps', fmt(nxt), 'decreasedAt', fmt(now), 'changedAt', fmt(now), 'reason', ARGV[6])
keepFor(KEYS[1], ${PACE_TTL_MS})
local learned = ''
if ceiling then learned = fmt(ceiling) end
if nxt < cur then return {fmt(cur), fmt(nxt), 1, learned} end
return {fmt(cur), fmt(nxt), 0, learned}
`,
);

/**
 * Increase after a call the carrier took: at most one step per interval since the last change,
 * never above the cap. Well below margin × the learned ceiling (which rises back to the cap over
 * decayMs) the step is rampStep (quick recovery to a rate known to pass); within probeStep of it
 * or above, the step is probeStep per probeInterval (a slow probe, so a raised carrier limit is found again
 * with few refusals). Back at the cap the pace fields are dropped (no state means "at the cap").
 * KEYS: pace. ARGV: now, cap, rampStep, rampIntervalMs, margin, probeStep, probeIntervalMs,
 * decayMs. Reply: {before, after, changed 1|0}.
 */
export const recordSuccessScript = new LuaScript(
  'trunk-record-success',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local rampStep = tonumber(ARGV[3])
local rampInterval = tonumber(ARGV[4])
local margin = tonumber(ARGV[5])
local probeStep = tonumber(ARGV[6])
local probeInterval = tonumber(ARGV[7])
local decayMs = tonumber(ARGV[8])
-- One read of the pace hash: this runs after every call the carrier handled.
local f = redis.call('HMGET', KEYS[1], 'cps', 'ceiling', 'learnedAt', 'changedAt')
local stored = tonumber(f[1])
local ceiling = ceilingOf(f[2], f[3], now, cap, decayMs)
-- Fields that are not there need no HDEL (at the cap with nothing learned: every call).
if not ceiling and (f[2] or f[3]) then redis.call('HDEL', KEYS[1], 'ceiling', 'learnedAt') end
if not stored then return {fmt(cap), fmt(cap), 0} end
local cur = stored
if cur > cap then cur = cap end
local target = cap
if ceiling then target = margin * ceiling end
-- Well below the target: quick ramp. Within a probe step of it or above: the slow probe (the
-- target itself creeps up as the ceiling decays).
local quick = cur + probeStep < target
local step, interval = probeStep, probeInterval
if quick then step, interval = rampStep, rampInterval end
local changedAt = tonumber(f[4]) or 0
if cur < cap and now >= changedAt and now - changedAt < interval then
  return {fmt(cur), fmt(cur), 0}
end
local nxt = cur + step
if quick and nxt > target then nxt = target end
if nxt >= cap then
  redis.call('HDEL', KEYS[1], 'cps', 'changedAt', 'reason', 'ceiling', 'learnedAt')
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
 * The pace and the effective learned ceiling now. KEYS: pace. ARGV: now, cap, decayMs.
 * Reply: {cps, ceiling or ''}.
 */
export const paceStateScript = new LuaScript(
  'trunk-pace-state',
  `${LUA_NOW}${HELPERS}
local cap = tonumber(ARGV[2])
local ceiling = ceilingNow(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]))
local learned = ''
if ceiling then learned = fmt(ceiling) end
return {fmt(pace(KEYS[1], cap)), learned}
`,
);

/**
 * Blocks new starts fleet-wide (a carrier's Retry-After); never shortens a pause already set.
 * The time it adds is noted in the rate ring, so a measured ceiling leaves idle time out.
 * KEYS: pace, rate ring. ARGV: now, ms, reason, ringSlots. Reply: pausedUntil.
 */
export const pauseScript = new LuaScript(
  'trunk-pause',
  `${LUA_NOW}${HELPERS}
local untilMs = now + tonumber(ARGV[2])
local cur = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or 0
local slots = tonumber(ARGV[4]) or 0
local added = untilMs - math.max(cur, now)
if slots > 0 and added >= 1 then ringAdd(KEYS[2], now, 'p', added, slots) end
if cur > untilMs then untilMs = cur end
redis.call('HSET', KEYS[1], 'pausedUntil', fmt(untilMs), 'pauseReason', ARGV[3])
keepFor(KEYS[1], untilMs - now + ${KEY_SLACK_MS})
return fmt(untilMs)
`,
);
