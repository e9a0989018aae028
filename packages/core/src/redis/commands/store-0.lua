--[[
  Stores task results as Celery's Redis backend does, and tells listeners: for each result
  SET <key> <value> PX <ms>, then PUBLISH <key> <value> (a Python AsyncResult.get() only listens).
  Then acks the messages of the tasks whose final state this is, when any are given (HDEL from the
  worker's unacked hash): in one step, a result is never stored without its ack, nor a message acked
  without its result, and it is one round trip.
  Input:
    ARGV[1]     n, the number of results
    ARGV[2..]   n triplets: key, value (JSON meta), expiry in ms
    then        groups, possibly none: an unacked hash, m, then m tags held in it
  Output:
    how many were stored
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
