--[[
  Sends a message unless a task holds its dedup key, in one step: two producers racing on one key send one.
  Input:
    KEYS[1]     the dedup key (celeriac.dedup.<key>)
    KEYS[2]     the queue list
    KEYS[3]     the queue's kombu binding set
    KEYS[4]     celeriac.queues
    ARGV[1]     the task id
    ARGV[2]     TTL of the key (ms)
    ARGV[3]     the raw message
    ARGV[4]     the binding member
    ARGV[5]     the queue name
  Output:
    the id of the task that holds the key (nothing sent), or nil when sent
]]
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('SADD', KEYS[4], ARGV[5])
return false
