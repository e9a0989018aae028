--[[
  Moves a held message to the dead-letter list, only while this worker still holds it: a write resent
  after a reconnect, or a message another worker's recovery already gave back, leaves no second letter.
  Input:
    KEYS[1]     the worker's unacked hash
    KEYS[2]     the dead-letter list (celeriac.deadletter)
    ARGV[1]     the message's tag
    ARGV[2]     the dead letter (JSON { reason, queue, raw, at, worker })
  Output:
    1 if the letter was written, 0 if the message was no longer held
]]
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
