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
  A state that is not final (STARTED, RETRY, a custom one) never replaces a SUCCESS, as Celery's
  backends keep a SUCCESS: a late write (resent after a failover, or by a second delivery of a task
  already done) cannot take a finished task back to running. A FAILURE can be: a task redriven from
  the dead letters, or delivered again after its worker was lost, runs again.
  Output:
    how many were stored
]]
local FINAL = { SUCCESS = true, FAILURE = true, REVOKED = true }
-- NOTE: celeriac and Celery both write "status" first ({"status":"SUCCESS", … / {"status": "SUCCESS", …).
local function status(json)
  return json and string.match(json, '^{"status": ?"([%w_]+)"')
end
local n = tonumber(ARGV[1])
local stored = 0
local i = 2
for _ = 1, n do
  local key, value, px = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local kept = false
  if FINAL[status(value)] then
    redis.call('SET', key, value, 'PX', px)
  else
    -- NOTE: SET … GET rather than GET then SET: one command, as many as before. A SUCCESS found is put back
    -- (rare: a late write), its expiry counted again from now.
    local old = redis.call('SET', key, value, 'PX', px, 'GET')
    if status(old) == 'SUCCESS' then
      redis.call('SET', key, old, 'PX', px)
      kept = true
    end
  end
  if not kept then
    redis.call('PUBLISH', key, value)
    stored = stored + 1
  end
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
return stored
