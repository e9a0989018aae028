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
