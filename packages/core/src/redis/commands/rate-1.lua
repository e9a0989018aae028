--[[
  Reserves the next slot of a rate shared by every worker (a bucket of one token, as Celery's rate_limit):
  each call gets its own slot, one interval after the previous one, so a task waits for its slot without
  asking again.
  Input:
    KEYS[1]     the rate key (celeriac.rate.<task>)
    ARGV[1]     interval between slots, ms (may be fractional)
  Output:
    { slot - now (ms to wait, >= 0) }
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(nxt, now)
local after = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', after), 'PX', math.ceil(after - now) + 1000)
return { math.floor(slot - now) }
