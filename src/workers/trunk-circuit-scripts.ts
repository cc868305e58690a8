import { LUA_NOW, LuaScript } from '../redis/index.js';

/*
 * The trunk circuit's transitions, each one Lua script. KEYS: the circuit hash (in the trunk's hash
 * tag). ARGV[1]: clock (see LUA_NOW), ARGV[2]: trunk name, then each script's own, and last the
 * control channel, published from inside the script so a change and its announcement are one step
 * (an argument, not a key: it is fleet-wide, and a Cluster refuses keys of two slots in one
 * script; a PUBLISH reaches every node's subscribers). No hash means closed with no failures.
 * "open" whose `until` has passed becomes "half-open" the first time any script looks at it.
 * Every reply is an array whose last element is the messages the script published, one JSON per
 * line, so the caller can log the changes it made.
 */

const PRELUDE = `${LUA_NOW}
local h = KEYS[1]
local published = {}
local function publish(state, reason, kind, untilMs)
  local msg = { type = 'circuit', trunk = ARGV[2], state = state, reason = reason }
  if kind and kind ~= '' then msg.kind = kind end
  if untilMs and untilMs > 0 then msg['until'] = untilMs end
  local json = cjson.encode(msg)
  redis.call('PUBLISH', ARGV[#ARGV], json)
  published[#published + 1] = json
end
local function done(...)
  local out = { ... }
  out[#out + 1] = table.concat(published, '\\n')
  return out
end
local function load()
  local f = redis.call('HMGET', h, 'state', 'failures', 'kind', 'reason', 'until', 'probeUntil')
  -- Every write to the hash sets its state field, so no state field means no hash.
  local s = {
    stored = f[1] ~= false, state = f[1] or 'closed', failures = tonumber(f[2]) or 0, kind = f[3] or '', reason = f[4] or '',
    untilMs = tonumber(f[5]) or 0, probeUntil = tonumber(f[6]) or 0,
  }
  if s.state == 'open' and now >= s.untilMs then
    s.state = 'half-open'
    redis.call('HSET', h, 'state', 'half-open')
    publish('half-open', s.reason, s.kind, 0)
  end
  return s
end
local function open(kind, reason, ms)
  local untilMs = math.ceil(now + ms)
  redis.call('DEL', h)
  redis.call('HSET', h, 'state', 'open', 'kind', kind, 'reason', reason, 'until', untilMs,
    'openedAt', math.floor(now))
  publish('open', reason, kind, untilMs)
  return untilMs
end
local function reply(s)
  return done(s.state, tostring(s.failures), s.kind, s.reason, tostring(s.untilMs), tostring(s.probeUntil))
end
`;

/** ARGV: now, trunk. Reply: {state, failures, kind, reason, until, probeUntil, published}. */
export const circuitStateScript = new LuaScript(
  'circuit-state',
  `${PRELUDE}
return reply(load())
`,
);

/**
 * May a call be placed? In half-open only one caller fleet-wide gets the probe, for
 * probeLeaseMs at most (a probe whose worker died must not hold the trunk shut).
 * ARGV: now, trunk, probeLeaseMs. Reply: {ok 1|0, probe 1|0, retryAt, reason, retryInMs, published}.
 */
export const circuitCanDialScript = new LuaScript(
  'circuit-can-dial',
  `${PRELUDE}
local s = load()
local function wait(at) return tostring(math.max(0, math.ceil(at - now))) end
if s.state == 'closed' then return done(1, 0, '0', '', '0') end
if s.state == 'open' then return done(0, 0, tostring(s.untilMs), s.reason, wait(s.untilMs)) end
if s.probeUntil > now then
  local at = math.ceil(s.probeUntil)
  return done(0, 0, tostring(at), 'half-open, probe in flight: ' .. s.reason, wait(at))
end
redis.call('HSET', h, 'probeUntil', math.ceil(now + tonumber(ARGV[3])))
return done(1, 1, '0', '', '0')
`,
);

/**
 * The carrier handled a call normally. Closed: the run of errors is broken. Half-open: the probe
 * worked, close. Open: a call started before the circuit opened says nothing about now; ignored.
 * ARGV: now, trunk. Reply: {state after, published}.
 */
export const circuitSuccessScript = new LuaScript(
  'circuit-success',
  `${PRELUDE}
local s = load()
if s.state == 'open' then return done('open') end
-- Nothing to clear on the usual call (no hash): no DEL, this runs after every call.
if s.stored then redis.call('DEL', h) end
if s.state == 'half-open' then publish('closed', 'probe succeeded', '', 0) end
return done('closed')
`,
);

/**
 * 5xx or a transport timeout. ARGV: now, trunk, threshold, openMs, reason.
 * Reply: {state after, published}.
 */
export const circuitCarrierErrorScript = new LuaScript(
  'circuit-carrier-error',
  `${PRELUDE}
local threshold = tonumber(ARGV[3])
local s = load()
if s.state == 'open' then return done('open') end
if s.state == 'half-open' then
  open('carrier', 'probe failed: ' .. ARGV[5], tonumber(ARGV[4]))
  return done('open')
end
local failures = s.failures + 1
if failures >= threshold then
  open('carrier', ARGV[5] .. ' (' .. failures .. ' carrier errors in a row)', tonumber(ARGV[4]))
  return done('open')
end
redis.call('HSET', h, 'state', 'closed', 'failures', failures)
return done('closed')
`,
);

/**
 * Carrier trouble no retry fixes (its TLS certificate does not verify): open at once, kind
 * carrier, as a failed probe would. Already open: left as it is (calls started before it opened
 * report the same again). ARGV: now, trunk, openMs, reason. Reply: {published}.
 */
export const circuitCarrierFaultScript = new LuaScript(
  'circuit-carrier-fault',
  `${PRELUDE}
local s = load()
if s.state ~= 'open' then open('carrier', ARGV[4], tonumber(ARGV[3])) end
return done()
`,
);

/**
 * Credentials rejected: open at once. Already open for auth: left as it is (calls started before
 * it opened report the same failure again). ARGV: now, trunk, authOpenMs, reason.
 * Reply: {published}.
 */
export const circuitAuthFailureScript = new LuaScript(
  'circuit-auth-failure',
  `${PRELUDE}
local s = load()
if s.state ~= 'open' or s.kind ~= 'auth' then open('auth', ARGV[4], tonumber(ARGV[3])) end
return done()
`,
);

/**
 * A 403 right after our credentials: a strike against the trunk's account, counted once per
 * number. `threshold` different numbers in a row (no normal call in between: success clears the
 * hash) open it with kind `auth`; a failed half-open probe reopens it at once.
 * ARGV: now, trunk, threshold, authOpenMs, reason, number. Reply: {state after, strikes, published}.
 */
export const circuitAuthStrikeScript = new LuaScript(
  'circuit-auth-strike',
  `${PRELUDE}
local threshold = tonumber(ARGV[3])
local s = load()
if s.state == 'open' then return done('open', '0') end
if s.state == 'half-open' then
  open('auth', 'probe failed: ' .. ARGV[5], tonumber(ARGV[4]))
  return done('open', '0')
end
local numbers = cjson.decode(redis.call('HGET', h, 'authStrikeNumbers') or '[]')
local seen = false
for _, n in ipairs(numbers) do if n == ARGV[6] then seen = true end end
if not seen then numbers[#numbers + 1] = ARGV[6] end
if #numbers >= threshold then
  open('auth', ARGV[5] .. ' (after our credentials, on ' .. #numbers .. ' different numbers in a row)',
    tonumber(ARGV[4]))
  return done('open', tostring(#numbers))
end
redis.call('HSET', h, 'state', 'closed', 'authStrikeNumbers', cjson.encode(numbers))
return done('closed', tostring(#numbers))
`,
);

/**
 * A worker started: an open `auth` circuit goes half-open now, so one probe call tests the
 * credentials it was started with instead of waiting out authOpenMs. Other states are left alone.
 * ARGV: now, trunk, reason. Reply: {state after, published}.
 */
export const circuitProbeAuthNowScript = new LuaScript(
  'circuit-probe-auth-now',
  `${PRELUDE}
local s = load()
if s.state == 'open' and s.kind == 'auth' then
  redis.call('HSET', h, 'state', 'half-open', 'probeUntil', 0)
  publish('half-open', ARGV[3] .. '; was: ' .. s.reason, 'auth', 0)
  return done('half-open')
end
return done(s.state)
`,
);

/** Operator action: closed, no failures. ARGV: now, trunk, reason. Reply: {published}. */
export const circuitResetScript = new LuaScript(
  'circuit-reset',
  `${PRELUDE}
redis.call('DEL', h)
publish('closed', ARGV[3], '', 0)
return done()
`,
);
