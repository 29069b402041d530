// SPDX-License-Identifier: Apache-2.0
#include "script.hpp"

namespace tenantkit::quota::redis::detail {

// Numbers are written with %.0f: Lua 5.1's tostring keeps only 14 digits, too few for
// microsecond timestamps.
//
// Speed: the chunk runs from the top on every EVALSHA, and every `local function` statement
// allocates a closure, which costs more than the decision itself. So counter decisions (op B)
// run first, inline, without closures: one HMGET per distinct key of the call and one write per
// key at the end. Anything else (other kinds, other ops, a counter whose reservations may have
// expired) falls through to the general part below, which defines its helpers then.
//
// Expired reservations of the tenant are swept before they can change an answer: by every
// general call, and by counter decisions once the counter's field x (a lower bound of the expiry
// of its pending reservations, set by reserve) has passed.
const std::string_view kScript = R"lua(
local op = ARGV[1]
local out, resume, now, n = {}, nil, 0, 0
if op == 'B' then
  -- Locals, not globals, inside the loop (plain values: no closure is made).
  local call, tonum, floor, max, fmt = redis.call, tonumber, math.floor, math.max, string.format
  -- Counter decisions: ARGV 2 now, 3 count, then 7 per decision (kind, limit, window, cost,
  -- soft, anchor, meter); KEYS[i] is decision i's counter key. Reply: 6 numbers per decision,
  -- those of op d.
  now, n = tonum(ARGV[2]), tonum(ARGV[3])
  local cache, order = {}, {}
  for i = 1, n do
    local j = 4 + (i - 1) * 7
    if ARGV[j] ~= 'c' then resume = i break end
    local key = KEYS[i]
    local s = cache[key]
    if not s then
      local st = call('HMGET', key, 'a', 'k', 'u', 'x')
      if st[4] and tonum(st[4]) <= now then resume = i break end
      local a, win = tonum(ARGV[j + 5]), tonum(ARGV[j + 2])
      if a < 0 then a = tonum(st[1]) or now end
      local w = floor(max(0, now - a) / win)
      local used = 0
      if tonum(st[2]) == w then used = tonum(st[3]) or 0 end
      -- {anchor, window index, used, added by this call, new window, reset}
      s = {a, w, used, 0, used == 0, a + (w + 1) * win}
      cache[key] = s
      order[#order + 1] = key
    end
    local limit, c, soft = tonum(ARGV[j + 1]), tonum(ARGV[j + 3]), ARGV[j + 4] == '1'
    local used, reset, b = s[3], s[6], (i - 1) * 6
    local ok, over, retry = 1, 0, 0
    if c == 0 then
      if not soft and used >= limit then ok, retry = 0, reset - now end
      if used > limit then over = 1 end
    elseif used + c > limit and not soft then
      ok, retry = 0, reset - now
    else
      if used + c > limit then over = 1 end
      used = used + c
      s[3], s[4] = used, s[4] + c
    end
    out[b + 1], out[b + 2], out[b + 3], out[b + 4], out[b + 5], out[b + 6] =
      ok, used, reset, retry, over, s[2]
  end
  for q = 1, #order do
    local k = order[q]
    local s = cache[k]
    if s[4] ~= 0 then
      if s[5] then
        -- A new window (or counter): one write of the whole state, and the key's expiry.
        call('HSET', k, 'a', fmt('%.0f', s[1]), 'k', fmt('%.0f', s[2]), 'u', fmt('%.0f', s[3]))
        call('PEXPIRE', k, fmt('%.0f', math.ceil((s[6] - now) / 1000) + 60000))
      else
        call('HINCRBY', k, 'u', fmt('%.0f', s[4]))
      end
    end
  end
  if not resume then return out end
end

local kind, limit, win, cost, soft, anchor, prefix, meter, arg, extra
local key, reskey, expkey, idkey
local function f(x) return string.format('%.0f', x) end
local function interval() return math.max(1, math.floor(win / math.max(limit, 1))) end

local function adjust(k2, kd, w, delta, iv)
  if kd == 'c' then
    local st = redis.call('HMGET', k2, 'k', 'u')
    if tonumber(st[1]) == w then
      redis.call('HSET', k2, 'u', f(math.max(0, (tonumber(st[2]) or 0) + delta)))
    end
  elseif kd == 'g' then
    local v = tonumber(redis.call('HGET', k2, 'v')) or 0
    redis.call('HSET', k2, 'v', f(math.max(0, v + delta)))
  else
    local t = tonumber(redis.call('HGET', k2, 't')) or 0
    redis.call('HSET', k2, 't', f(math.max(0, t + delta * iv)))
  end
end

local function sweep()
  local expired = redis.call('ZRANGEBYSCORE', expkey, '-inf', f(now), 'LIMIT', 0, 64)
  for _, id in ipairs(expired) do
    local rec = redis.call('HGET', reskey, id)
    if rec then
      local m, kd, w, amount, iv = string.match(rec, '^(.-)|(%a)|(%d+)|(%d+)|(%d+)$')
      adjust(prefix .. m, kd, tonumber(w), -tonumber(amount), tonumber(iv))
      redis.call('HDEL', reskey, id)
    end
    redis.call('ZREM', expkey, id)
  end
end

local function counter(c, write)
  local st = redis.call('HMGET', key, 'a', 'k', 'u')
  local a = anchor
  if a < 0 then a = tonumber(st[1]) or now end
  local w = math.floor(math.max(0, now - a) / win)
  local used = 0
  if tonumber(st[2]) == w then used = tonumber(st[3]) or 0 end
  local reset = a + (w + 1) * win
  if c == 0 then
    local ok = 0
    if soft or used < limit then ok = 1 end
    local over = 0
    if used > limit then over = 1 end
    return {ok, used, reset, reset - now, over, w}
  end
  if used + c > limit and not soft then return {0, used, reset, reset - now, 0, w} end
  local over = 0
  if used + c > limit then over = 1 end
  if write then
    if used == 0 then
      -- A new window (or counter): one write of the whole state, and the key's expiry.
      redis.call('HSET', key, 'a', f(a), 'k', f(w), 'u', f(c))
      redis.call('PEXPIRE', key, f(math.ceil((reset - now) / 1000) + 60000))
    else
      redis.call('HINCRBY', key, 'u', f(c))
    end
  end
  used = used + c
  return {1, used, reset, 0, over, w}
end

local function bucket(c)
  local st = redis.call('HMGET', key, 'a', 't')
  local a = anchor
  if a < 0 then a = tonumber(st[1]) or now end
  local rel = math.max(0, now - a)
  local iv = interval()
  local base = math.max(tonumber(st[2]) or 0, rel)
  local nxt = base + math.max(c, 1) * iv
  local fits = (nxt - rel) <= win
  if c == 0 or (not fits and not soft) then
    local remaining = math.max(0, math.floor((win - (base - rel)) / iv))
    local ok = 0
    if c == 0 and (soft or fits) then ok = 1 end
    local retry = nxt - win - rel
    if c > limit then retry = win end
    return {ok, limit - remaining, a + base, retry, 0, 0}
  end
  redis.call('HSET', key, 'a', f(a), 't', f(nxt))
  redis.call('PEXPIRE', key, f(math.ceil((nxt - rel) / 1000) + 60000))
  local remaining = math.max(0, math.floor((win - (nxt - rel)) / iv))
  local over = 0
  if not fits then over = 1 end
  return {1, limit - remaining, a + nxt, 0, over, 0}
end

local function gauge(c)
  local v = tonumber(redis.call('HGET', key, 'v')) or 0
  if c == 0 then
    local ok, over = 0, 0
    if soft or v < limit then ok = 1 end
    if v > limit then over = 1 end
    return {ok, v, 0, 0, over, 0}
  end
  if v + c > limit and not soft then return {0, v, 0, 0, 0, 0} end
  local over = 0
  if v + c > limit then over = 1 end
  redis.call('HSET', key, 'v', f(v + c))
  return {1, v + c, 0, 0, over, 0}
end

local function decide(c)
  if kind == 'g' then return gauge(c) end
  if kind == 'b' then return bucket(c) end
  return counter(c, true)
end


if op == 'B' then
  -- The rest of a batch, one decision at a time through the general functions.
  for i = resume, n do
    local j = 4 + (i - 1) * 7
    kind, limit, win = ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
    cost, soft, anchor = tonumber(ARGV[j + 3]), ARGV[j + 4] == '1', tonumber(ARGV[j + 5])
    meter, key = ARGV[j + 6], KEYS[i]
    prefix = string.sub(key, 1, #key - #meter)
    reskey, expkey = prefix .. '#res', prefix .. '#rexp'
    sweep()
    if kind == 'c' then
      local nx = redis.call('ZRANGE', expkey, 0, 0, 'WITHSCORES')
      if nx[2] then redis.call('HSET', key, 'x', nx[2]) else redis.call('HDEL', key, 'x') end
    end
    local r = decide(cost)
    local b = (i - 1) * 6
    for q = 1, 6 do out[b + q] = r[q] end
  end
  return out
end

kind = ARGV[2]
limit, win, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
cost, soft, anchor = tonumber(ARGV[6]), ARGV[7] == '1', tonumber(ARGV[8])
prefix, meter, arg, extra = ARGV[9], ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12])
key, reskey, expkey, idkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
sweep()
if op == 'd' then return decide(cost) end
if op == 'g' then
  redis.call('HSET', key, 'v', f(cost))
  return {1, cost, 0, 0, 0, 0}
end
if op == 'a' then
  -- Add units already spent, whatever the limit; answer the state after it like decide(0).
  if kind == 'c' then
    local r = counter(0, false)
    adjust(key, 'c', r[6], cost, 1)
    if tonumber(redis.call('HGET', key, 'k')) ~= r[6] then
      local a = anchor
      if a < 0 then a = tonumber(redis.call('HGET', key, 'a')) or now end
      redis.call('HSET', key, 'a', f(a), 'k', f(r[6]), 'u', f(math.max(0, cost)))
      redis.call('PEXPIRE', key, f(math.ceil((r[3] - now) / 1000) + 60000))
    end
  elseif kind == 'b' then
    -- From now when the bucket has refilled: an old TAT would undercount.
    local st = redis.call('HMGET', key, 'a', 't')
    local a = anchor
    if a < 0 then a = tonumber(st[1]) or now end
    local rel = math.max(0, now - a)
    local nxt = math.max(tonumber(st[2]) or 0, rel) + cost * interval()
    redis.call('HSET', key, 'a', f(a), 't', f(nxt))
    redis.call('PEXPIRE', key, f(math.ceil((nxt - rel) / 1000) + 60000))
  else
    adjust(key, kind, 0, cost, interval())
  end
  return decide(0)
end
if op == 'l' then
  -- Lease: grant at least `cost` and up to min(extra, headroom / arg) units, counted as used now.
  local r = counter(0, false)
  local headroom = limit - r[2]
  if headroom < cost then return {0, r[2], r[3], r[4], 0, r[6], 0} end
  local grant = math.min(headroom, math.max(cost, math.min(extra, math.floor(headroom / arg))))
  counter(grant, true)
  return {1, r[2] + grant, r[3], 0, 0, r[6], grant}
end
if op == 'u' then
  -- Unlease: give back `cost` unused units of window `arg` (no effect once it has passed).
  adjust(key, 'c', arg, -cost, 1)
  return {1, 0, 0, 0, 0, 0}
end
if op == 'r' then
  local r = decide(cost)
  if r[1] == 1 then
    local id = redis.call('INCR', idkey)
    local expires = now + arg
    redis.call('HSET', reskey, id, meter .. '|' .. kind .. '|' .. f(r[6]) .. '|' .. f(cost) .. '|' .. f(interval()))
    redis.call('ZADD', expkey, f(expires), id)
    if kind == 'c' then
      -- Counter decisions skip the sweep until the earliest pending expiry (op B above).
      local x = tonumber(redis.call('HGET', key, 'x'))
      if not x or expires < x then redis.call('HSET', key, 'x', f(expires)) end
    end
    r[6] = id
  else
    r[6] = 0
  end
  return r
end
if op == 'c' or op == 'x' then
  local id = f(arg)
  local rec = redis.call('HGET', reskey, id)
  if not rec then
    if arg > 0 and arg <= (tonumber(redis.call('GET', idkey)) or 0) then return {-2} end
    return {-1}
  end
  local m, kd, w, amount, iv = string.match(rec, '^(.-)|(%a)|(%d+)|(%d+)|(%d+)$')
  if m ~= meter then return {-1} end
  redis.call('HDEL', reskey, id)
  redis.call('ZREM', expkey, id)
  local actual = cost
  if op == 'x' then actual = 0 end
  adjust(key, kd, tonumber(w), actual - tonumber(amount), tonumber(iv))
  return decide(0)
end
return redis.error_reply('tenantkit quota: unknown op')
)lua";

}  // namespace tenantkit::quota::redis::detail
