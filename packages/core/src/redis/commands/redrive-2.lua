--[[
  Sends dead letters back to their queues, each taken off the dead-letter list and pushed to its queue in
  this one step, so an interrupted redrive leaves every message in exactly one of the two places.
  Input:
    KEYS[1]     the dead-letter list (celeriac.deadletter; newest at the head)
    KEYS[2]     celeriac.queues
    ARGV[1]     'at': the dead letter at 1-based position ARGV[2] from the oldest; 'oldest': up to ARGV[2] oldest
    ARGV[2]     position or count
    ARGV[3]     ('at', optional) a task id: the letter is sent back only if its message is that task's
  Output:
    how many were sent back
]]
local function target(entry)
  local ok, e = pcall(cjson.decode, entry)
  if not ok or type(e) ~= 'table' or type(e.queue) ~= 'string' or type(e.raw) ~= 'string' then return nil end
  local step = 0
  local ok2, env = pcall(cjson.decode, e.raw)
  if ok2 and type(env) == 'table' and type(env.properties) == 'table' and type(env.properties.priority) == 'number' then
    local p = env.properties.priority
    for _, s in ipairs({ 3, 6, 9 }) do if p >= s then step = s end end
  end
  local key = e.queue
  if step > 0 then key = e.queue .. '\6\22' .. step end
  return key, e.raw, e.queue
end

-- Whether the letter's message is task `id` (Celery message protocol 2: headers.id).
local function owns(entry, id)
  local e = cjson.decode(entry)
  local ok, env = pcall(cjson.decode, e.raw)
  return ok and type(env) == 'table' and type(env.headers) == 'table' and env.headers.id == id
end

local function send(entry)
  local key, raw, queue = target(entry)
  if not key then
    -- Not one of ours to read: kept (at the newest end), never dropped.
    redis.call('LPUSH', KEYS[1], entry)
    return 0
  end
  redis.call('LPUSH', key, raw)
  redis.call('SADD', KEYS[2], queue)
  return 1
end

local n = tonumber(ARGV[2])
if ARGV[1] == 'at' then
  local entry = redis.call('LINDEX', KEYS[1], -n)
  if not entry or not target(entry) then return 0 end
  if ARGV[3] and ARGV[3] ~= '' and not owns(entry, ARGV[3]) then return 0 end
  redis.call('LREM', KEYS[1], -1, entry)
  return send(entry)
end
local moved = 0
for _ = 1, n do
  local entry = redis.call('RPOP', KEYS[1])
  if not entry then break end
  moved = moved + send(entry)
end
return moved
