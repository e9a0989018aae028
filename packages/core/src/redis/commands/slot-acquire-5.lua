--[[
  Takes a per-key concurrency slot for a message this worker holds, or parks the message until one is free.
  Holders whose worker stopped beating for the heartbeat timeout are dropped first (their slots come back).
  Input:
    KEYS[1]     the slot's holders zset (celeriac.slots.<name>)
    KEYS[2]     the slot's parked list (celeriac.slotwait.<name>)
    KEYS[3]     this worker's unacked hash
    KEYS[4]     workers zset (celeriac.workers): id -> last heartbeat (ms)
    KEYS[5]     slot index hash (celeriac.slotindex)
    ARGV[1]     max holders
    ARGV[2]     member "<worker id>\t<tag>"
    ARGV[3]     the message's tag
    ARGV[4]     heartbeat timeout (ms)
    ARGV[5]     "<list key>\n<raw message>"
    ARGV[6]     the slot's name
  Output:
    1 acquired, 0 parked, -1 the message is no longer held here
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local timeout = tonumber(ARGV[4])
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0 then return -1 end
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 1 end
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local cut = string.find(m, '\t', 1, true)
  local seen = cut and redis.call('ZSCORE', KEYS[4], string.sub(m, 1, cut - 1))
  if (not seen) or now - tonumber(seen) > timeout then redis.call('ZREM', KEYS[1], m) end
end
redis.call('HSET', KEYS[5], ARGV[6], ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  return 1
end
redis.call('HDEL', KEYS[3], ARGV[3])
redis.call('LPUSH', KEYS[2], ARGV[5])
return 0
