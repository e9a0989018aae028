--[[
  Parks a held message in the delayed set until its eta, only while this worker still holds it: a message
  another worker's recovery already gave back (it runs there) must not come back a second time.
  Input:
    KEYS[1]     the worker's unacked hash
    KEYS[2]     the delayed zset (celeriac.delayed)
    ARGV[1]     the message's tag
    ARGV[2]     eta (ms)
    ARGV[3]     the member: "<list key>\n<raw message>"
  Output:
    1 if parked, 0 if the message was no longer held
]]
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0
