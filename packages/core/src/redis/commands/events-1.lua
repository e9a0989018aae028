--[[
  Publishes a batch of events on the celeryev fanout and appends the task events to the capped history, in one
  command (two per event otherwise: a worker with -E sends three events per task).
  Input:
    KEYS[1]     the history stream
    ARGV[1]     the channel prefix, "/<db>.celeryev/"
    ARGV[2]     the history's MAXLEN (approximate); 0 keeps nothing
    ARGV[3..]   triples: routing key, kombu envelope, history entry ("" for none)
  Output:
    the number of events published
]]
local max = tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV, 3 do
  redis.call('PUBLISH', ARGV[1] .. ARGV[i], ARGV[i + 1])
  local entry = ARGV[i + 2]
  if max > 0 and entry ~= '' then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', max, '*', 'e', entry)
  end
  n = n + 1
end
return n
