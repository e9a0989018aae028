--[[
  A worker's heartbeat: says it is alive, gives back the messages held by workers that stopped beating,
  and moves deferred messages that are due back to their lists.
  A worker gives back others' messages only once it has itself beaten without a gap for a whole timeout:
  after a Redis outage every worker's heartbeat is old, and the first one back must not take the live
  others for dead.
  Input:
    KEYS[1]     workers zset (celeriac.workers): id → last heartbeat (ms)
    KEYS[2]     this worker's info key
    KEYS[3]     delayed zset (celeriac.delayed)
    KEYS[4]     hash celeriac.workers.since: id → start of its current gap-free run of heartbeats (ms)
    ARGV[1]     this worker's id ('' to only move due deferred messages)
    ARGV[2]     this worker's info JSON
    ARGV[3]     heartbeat timeout, ms
    ARGV[4]     unacked hash prefix
    ARGV[5]     worker info prefix
    ARGV[6]     most deferred messages to move
  Output:
    { recovered, promoted, next due (ms, or -1) }
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local timeout = tonumber(ARGV[3])

local recovered = 0
if ARGV[1] ~= '' then
  local prev = redis.call('ZSCORE', KEYS[1], ARGV[1])
  local since = redis.call('HGET', KEYS[4], ARGV[1])
  if (not prev) or (not since) or (now - tonumber(prev) > timeout) then
    since = now
    redis.call('HSET', KEYS[4], ARGV[1], now)
  end
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2], 'PX', timeout * 3)

  if now - tonumber(since) >= timeout then
    local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - timeout)
    for _, id in ipairs(dead) do
      local hash = ARGV[4] .. id
      local held = redis.call('HVALS', hash)
      for _, v in ipairs(held) do
        local cut = string.find(v, '\n', 1, true)
        if cut then
          redis.call('RPUSH', string.sub(v, 1, cut - 1), string.sub(v, cut + 1))
          recovered = recovered + 1
        end
      end
      redis.call('DEL', hash, ARGV[5] .. id)
      redis.call('ZREM', KEYS[1], id)
      redis.call('HDEL', KEYS[4], id)
    end
  end
end

local promoted = 0
local head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if head[2] and tonumber(head[2]) <= now then
  local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
  for _, v in ipairs(due) do
    local cut = string.find(v, '\n', 1, true)
    if cut then
      redis.call('RPUSH', string.sub(v, 1, cut - 1), string.sub(v, cut + 1))
    end
    redis.call('ZREM', KEYS[3], v)
    promoted = promoted + 1
  end
  head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
end

local nextDue = -1
if head[2] then nextDue = tonumber(head[2]) end
return { recovered, promoted, nextDue }
