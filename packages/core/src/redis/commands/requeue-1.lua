--[[
  Gives held messages back to the front of their lists (the end consumers pop next), in the order given:
  the first tag is served first.
  Input:
    KEYS[1]     the worker's unacked hash
    ARGV[1..]   tags
  Output:
    how many were given back
]]
local n = 0
-- The last one pushed is served first: push in reverse order.
for i = #ARGV, 1, -1 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    local cut = string.find(v, '\n', 1, true)
    redis.call('RPUSH', string.sub(v, 1, cut - 1), string.sub(v, cut + 1))
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
