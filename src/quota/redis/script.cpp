// SPDX-License-Identifier: Apache-2.0
#include "script.hpp"

namespace tenantkit::quota::redis::detail {

// Numbers are written with %.0f: Lua 5.1's tostring keeps only 14 digits, too few for
// microsecond timestamps.
//
// Speed: the chunk runs from the top on every EVALSHA, and every `local function` statement
// allocates a closure, which costs more than the decision itself. So counter decisions (op B)
// run first, inline, without closures: each key of the call is distinct and carries all of the
// call's decisions on it, so it costs one HMGET and at most one write (redis.call is what a
// decision costs in Redis; arguments, reply numbers and tonumber come next, hence the policy
// sent once per call and two reply numbers per key). Anything else (other kinds, other ops, a
// counter whose reservations may have expired) falls through to the general part below, which
// defines its helpers then.
//
// Expired reservations of the tenant are swept before they can change an answer: by every
// general call, and by counter decisions once the counter's field x (a lower bound of the expiry
// of its pending reservations, set by reserve) has passed.
const std::string_view kScript = R"lua(
local op = ARGV[1]
local out, resume, now, n = {}, nil, 0, 0
local base, stride
if op == 'B' then
  -- Locals, not globals, inside the loop (plain values: no closure is made).
  local call, tonum, floor, fmt = redis.call, tonumber, math.floor, string.format
  -- ARGV 2 now, 3 count P of policies, then P policies of 5 (kind, limit, window, soft,
  -- anchor), then per key KEYS[i] (distinct counter keys): the policy index (only when P > 1),
  -- the number m of decisions and their cost each. Reply per counter key: used before its
  -- decisions and the reset; the client replays the m decisions from those two numbers.
  now, n = tonum(ARGV[2]), #KEYS
  local np = tonum(ARGV[3])
  -- The usual call has one policy: plain locals, no tables.
  local kd, lim, win, soft, anc =
    ARGV[4], tonum(ARGV[5]), tonum(ARGV[6]), ARGV[7] == '1', tonum(ARGV[8])
  local pk, pl, pw, ps, pa
  base, stride = np * 5 + 4, 2
  if np > 1 then
    stride = 3
    pk, pl, pw, ps, pa = {}, {}, {}, {}, {}
    for p = 1, np do
      local j = p * 5 - 1
      pk[p], pl[p], pw[p], ps[p], pa[p] =
        ARGV[j], tonum(ARGV[j + 1]), tonum(ARGV[j + 2]), ARGV[j + 3] == '1', tonum(ARGV[j + 4])
    end
  end
  local o = 0
  for i = 1, n do
    local j = base + (i - 1) * stride
    if stride == 3 then
      local p = tonum(ARGV[j])
      kd, lim, win, soft, anc, j = pk[p], pl[p], pw[p], ps[p], pa[p], j + 1
    end
    if kd ~= 'c' then resume = i break end
    local key = KEYS[i]
    local st = call('HMGET', key, 'a', 'k', 'u', 'x')
    if st[4] and tonum(st[4]) <= now then resume = i break end
    local a = anc
    if a < 0 then a = tonum(st[1]) or now end
    local w = 0
    if now > a then w = floor((now - a) / win) end
    local used = 0
    if tonum(st[2]) == w then used = tonum(st[3]) or 0 end
    local reset = a + (w + 1) * win
    out[o + 1], out[o + 2], o = used, reset, o + 2
    local m, c = tonum(ARGV[j]), tonum(ARGV[j + 1])
    if c > 0 then
      -- The decisions allowed in order: all of them (soft), or as many as fit (hard).
      local add = m * c
      if not soft then
        local k = floor((lim - used) / c)
        if k < m then add = k * c end
      end
      if add > 0 then
        if used == 0 then
          -- A new window (or counter): one write of the whole state, and the key's expiry.
          call('HSET', key, 'a', fmt('%.0f', a), 'k', fmt('%.0f', w), 'u', fmt('%.0f', add))
          call('PEXPIRE', key, fmt('%.0f', math.ceil((reset - now) / 1000) + 60000))
        elseif add < 1e9 then
          call('HINCRBY', key, 'u', add)
        else
          call('HINCRBY', key, 'u', fmt('%.0f', add))
        end
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
  -- The rest of a batch (other kinds, or a counter whose reservations may have expired), one
  -- key at a time through the general functions; the reply stays per key as above.
  for i = resume, n do
    local j = base + (i - 1) * stride
    local q = 3
    if stride == 3 then q, j = tonumber(ARGV[j]) * 5 - 2, j + 1 end
    kind, limit, win = ARGV[q + 1], tonumber(ARGV[q + 2]), tonumber(ARGV[q + 3])
    soft, anchor = ARGV[q + 4] == '1', tonumber(ARGV[q + 5])
    local m = tonumber(ARGV[j])
    cost, key = tonumber(ARGV[j + 1]), KEYS[i]
    prefix = string.match(key, '^(.-}:)')
    reskey, expkey = prefix .. '#res', prefix .. '#rexp'
    sweep()
    if kind == 'c' then
      local nx = redis.call('ZRANGE', expkey, 0, 0, 'WITHSCORES')
      if nx[2] then redis.call('HSET', key, 'x', nx[2]) else redis.call('HDEL', key, 'x') end
      local r = counter(0, false)
      out[#out + 1] = r[2]
      out[#out + 1] = r[3]
      local add = m * cost
      if cost > 0 and not soft then
        local k = math.floor((limit - r[2]) / cost)
        if k < m then add = k * cost end
      end
      if cost > 0 and add > 0 then counter(add, true) end
    else
      local r = decide(cost)
      for q = 1, 6 do out[#out + 1] = r[q] end
    end
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
