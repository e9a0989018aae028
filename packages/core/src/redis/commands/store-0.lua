--[[
  Stores task results as Celery's Redis backend does, and tells listeners: for each result
  SET <key> <value> PX <ms>, then PUBLISH <key> <value> (a Python AsyncResult.get() only listens).
  Input:
    ARGV        triplets: key, value (JSON meta), expiry in ms
  Output:
    how many were stored
]]
local n = 0
for i = 1, #ARGV, 3 do
  redis.call('SET', ARGV[i], ARGV[i + 1], 'PX', ARGV[i + 2])
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
  n = n + 1
end
return n
