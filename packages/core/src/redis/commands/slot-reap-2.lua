--[[
  Run with a worker's heartbeat: drops slot holders whose worker stopped beating for the heartbeat timeout,
  and sends messages parked for a free slot back to the front of their queues. Forgets slots with neither.
  Input:
    KEYS[1]     slot index hash (celeriac.slotindex): name -> max holders
    KEYS[2]     workers zset (celeriac.workers)
    ARGV[1]     heartbeat timeout (ms)
    ARGV[2]     holders zset prefix (celeriac.slots.)
    ARGV[3]     parked list prefix (celeriac.slotwait.)
  Output:
    how many parked messages went back to their queues
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local timeout = tonumber(ARGV[1])
local index = redis.call('HGETALL', KEYS[1])
local woken = 0
for i = 1, #index, 2 do
  local name, max = index[i], tonumber(index[i + 1])
  local holders, parked = ARGV[2] .. name, ARGV[3] .. name
  for _, m in ipairs(redis.call('ZRANGE', holders, 0, -1)) do
    local cut = string.find(m, '\t', 1, true)
    local seen = cut and redis.call('ZSCORE', KEYS[2], string.sub(m, 1, cut - 1))
    if (not seen) or now - tonumber(seen) > timeout then redis.call('ZREM', holders, m) end
  end
  local free = max - redis.call('ZCARD', holders)
  local n = 0
  while n < free do
    local v = redis.call('RPOP', parked)
    if not v then break end
    local cut = string.find(v, '\n', 1, true)
    redis.call('RPUSH', string.sub(v, 1, cut - 1), string.sub(v, cut + 1))
    n = n + 1
  end
  woken = woken + n
  if redis.call('ZCARD', holders) == 0 and redis.call('LLEN', parked) == 0 then redis.call('HDEL', KEYS[1], name) end
end
return woken
