--[[
  A worker's final writes, in one step: results stored and published as store-0.lua does, then the
  messages of the tasks whose final state this is acked (HDEL from the worker's unacked hash). A result
  is never stored without its ack, nor a message acked without its result, and it is one round trip.
  Input:
    ARGV[1]     n, the number of results
    ARGV[2..]   n triplets: key, value (JSON meta), expiry in ms
    then        groups: an unacked hash, m, then m tags held in it
  Output:
    how many results were stored
]]
local n = tonumber(ARGV[1])
local i = 2
for _ = 1, n do
  redis.call('SET', ARGV[i], ARGV[i + 1], 'PX', ARGV[i + 2])
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
  i = i + 3
end
while i <= #ARGV do
  local hash, m = ARGV[i], tonumber(ARGV[i + 1])
  local first = i + 2
  -- NOTE: unpack() takes at most a few thousand values at once.
  while first < i + 2 + m do
    local last = math.min(first + 999, i + 1 + m)
    redis.call('HDEL', hash, unpack(ARGV, first, last))
    first = last + 1
  end
  i = i + 2 + m
end
return n
