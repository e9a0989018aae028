--[[
  Lets go of a dedup key, only if the given task still holds it (a later task may hold it by now).
  Input:
    KEYS[1]     the dedup key
    ARGV[1]     the task id
  Output:
    1 if deleted, else 0
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
