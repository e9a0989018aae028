--[[
  Takes up to ARGV[1] messages from the queue lists, in the order given, and records them as held by
  this worker, in one step, so that a worker killed at any moment loses nothing.
  Input:
    KEYS[1]     the worker's unacked hash (celeriac.unacked.<id>)
    ARGV[1]     how many at most
    ARGV[2]     tag prefix, unique per call for this worker
    ARGV[3..]   the list keys, highest priority first
  Output:
    flat array { tag, list key, raw message, ... }
]]
local max = tonumber(ARGV[1])
local out = {}
local fields = {}
local n = 0

-- Run a second time with the same tag prefix (ioredis resends a command whose reply a lost connection
-- swallowed): hand back the batch the first run took, instead of taking more under the same tags and
-- overwriting, and so losing, the first batch.
if redis.call('HEXISTS', KEYS[1], ARGV[2] .. '1') == 1 then
  local i = 1
  while true do
    local v = redis.call('HGET', KEYS[1], ARGV[2] .. i)
    if not v then break end
    local cut = string.find(v, '\n', 1, true)
    out[#out + 1] = ARGV[2] .. i
    out[#out + 1] = string.sub(v, 1, cut - 1)
    out[#out + 1] = string.sub(v, cut + 1)
    i = i + 1
  end
  return out
end
for i = 3, #ARGV do
  if n >= max then break end
  local key = ARGV[i]
  local items = redis.call('RPOP', key, max - n)
  if items then
    for _, raw in ipairs(items) do
      n = n + 1
      local tag = ARGV[2] .. n
      fields[#fields + 1] = tag
      fields[#fields + 1] = key .. '\n' .. raw
      out[#out + 1] = tag
      out[#out + 1] = key
      out[#out + 1] = raw
    end
  end
end
if n > 0 then
  redis.call('HSET', KEYS[1], unpack(fields))
end
return out
