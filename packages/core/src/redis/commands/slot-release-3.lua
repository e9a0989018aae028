--[[
  Gives a per-key concurrency slot back; for each free slot, the oldest message parked for it goes back to
  the front of its queue (it takes the slot when a worker fetches it).
  Input:
    KEYS[1]     the slot's holders zset
    KEYS[2]     the slot's parked list
    KEYS[3]     slot index hash (celeriac.slotindex)
    ARGV[1]     member "<worker id>\t<tag>"
    ARGV[2]     max holders
    ARGV[3]     the slot's name
  Output:
    how many parked messages went back to their queues
]]
redis.call('ZREM', KEYS[1], ARGV[1])
local free = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
local woken = 0
while woken < free do
  local v = redis.call('RPOP', KEYS[2])
  if not v then break end
  local cut = string.find(v, '\n', 1, true)
  redis.call('RPUSH', string.sub(v, 1, cut - 1), string.sub(v, cut + 1))
  woken = woken + 1
end
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return woken
