--[[
  Claims one run of a periodic (beat) entry and sends its message, in one step: of any number of beats that read
  the same last run, exactly one wins; a beat that dies before or after this step leaves nothing half done.
  Input:
    KEYS[1]     celeriac.beat (hash: entry name -> last run, ms of Redis time)
    KEYS[2]     the queue list ('' when the caller sends the message itself)
    KEYS[3]     the queue's kombu binding set
    KEYS[4]     celeriac.queues
    ARGV[1]     the entry name
    ARGV[2]     the last run the caller read ('' = none: record now as the last run, send nothing)
    ARGV[3]     the due time (ms)
    ARGV[4]     the raw message ('' = none)
    ARGV[5]     the binding member
    ARGV[6]     the queue name
  Output:
    { 1 if this call won the run else 0, the stored last run, Redis time (ms) }
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if cur then return { 0, cur, now } end
  redis.call('HSET', KEYS[1], ARGV[1], tostring(now))
  return { 0, tostring(now), now }
end
if cur ~= ARGV[2] then return { 0, cur or '', now } end
if now < tonumber(ARGV[3]) then return { 0, cur, now } end
-- NOTE: the stored run always moves forward, at least 1 ms past the one read: a claim made within the same
-- millisecond (or after Redis' clock stepped back) with the same last run then loses, as it must.
local run = math.max(now, (tonumber(cur) or 0) + 1)
redis.call('HSET', KEYS[1], ARGV[1], tostring(run))
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[4])
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('SADD', KEYS[4], ARGV[6])
end
return { 1, tostring(run), now }
