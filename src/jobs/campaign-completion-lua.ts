// Lua fragments shared by every script that can end or reopen a campaign, so "all numbers have a
// final outcome" is decided in one place and inside the same step as the write that makes it
// true: every API server and worker then reads the same state, and no poller is needed.
// Each defines a local function; the including script passes the campaign hash key, the control
// channel, the campaign's name (and, to complete, the completion notices key).

/**
 * Ends a `running` campaign whose every counted number has a final outcome: state `completed`,
 * `completedAt`, and the announcement on the control channel. Paused and cancelled campaigns are
 * left alone (a paused one is checked when it is resumed). A campaign with a callback URL also
 * gets a completion notice in the notices sorted set (score: completedAt), in this same step, so
 * a crash after it cannot lose the `campaign.completed` callback: the callbacks drain the set.
 * Returns completedAt, or false.
 */
export const COMPLETE_IF_DONE = `
local function completeIfDone(ckey, channel, cname, nkey)
  local f = redis.call('HMGET', ckey, 'state', 'total', 'done', 'settings')
  local total = tonumber(f[2] or '0') or 0
  local done = tonumber(f[3] or '0') or 0
  if f[1] ~= 'running' or total <= 0 or done < total then return false end
  -- The Redis server's clock: one clock for the fleet, whichever process wrote the last outcome.
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', ckey, 'state', 'completed', 'completedAt', now)
  local ok, settings = pcall(cjson.decode, f[4] or '{}')
  local url = ok and type(settings) == 'table' and settings.callbackUrl or nil
  if type(url) == 'string' then
    local counts = {}
    local h = redis.call('HGETALL', ckey)
    for i = 1, #h, 2 do
      local status = string.match(h[i], '^status:(.+)$')
      if status then counts[status] = tonumber(h[i + 1]) end
    end
    redis.call('ZADD', nkey, now, cjson.encode({campaign = cname, completedAt = now, total = total,
      done = done, counts = counts, url = url, trunk = tostring(settings.trunk or '')}))
    -- Notices no process drains (no worker has callbacks configured) do not pile up forever.
    redis.call('ZREMRANGEBYSCORE', nkey, '-inf', now - 14 * 86400000)
  end
  redis.call('PUBLISH', channel, cjson.encode({type = 'campaign', name = cname, state = 'completed'}))
  return now
end
`;

/** New numbers in a completed campaign make it `running` again (and say so to the workers). */
export const REOPEN_IF_COMPLETED = `
local function reopenIfCompleted(ckey, channel, cname)
  if redis.call('HGET', ckey, 'state') ~= 'completed' then return false end
  redis.call('HSET', ckey, 'state', 'running')
  redis.call('HDEL', ckey, 'completedAt')
  redis.call('PUBLISH', channel, cjson.encode({type = 'campaign', name = cname, state = 'running'}))
  return true
end
`;
