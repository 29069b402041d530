// SPDX-License-Identifier: Apache-2.0
#include "script.hpp"

namespace tenantkit::quota::redis::detail {

// Numbers are written with %.0f: Lua 5.1's tostring keeps only 14 digits, too few for
// microsecond timestamps.
//
// Counters (and fixed windows) keep one plain integer per window, `<key>#<window start us>`,
// and the anchor of windows anchored at first use in `<key>#a` (kept alive as long as its
// newest window key). So a counter decision costs one INCRBY: every redis.call costs about a
// microsecond of Redis CPU, more than the rest of a decision.
//
// Speed: the chunk runs from the top on every EVALSHA, and every `local function` statement
// allocates a closure, which costs more than the decision itself. So counter decisions (op B)
// run first, inline, without closures: each key of the call is distinct and carries all of the
// call's decisions on it, so it costs one INCRBY when the client knows the window (its hint,
// the start of the window it last heard of for that counter, is checked whenever the window
// key turns out to be new: a stale hint costs a DEL and a second INCRBY, never a wrong count),
// plus a DECRBY when a hard limit denies some of them. A client that knows the counter is full
// asks for a GET first, so denials write nothing. Anything else (other kinds, other ops, a
// window holding reservations) falls through to the general part below, which defines its
// helpers then.
//
// Expired reservations of the tenant are swept before they can change an answer: by every
// general call, and by counter decisions once the window they were counted in has passed their
// expiry (reserve turns that window key into a hash {u, x}, x the earliest pending expiry; op
// B's INCRBY then fails on it, and the general part sweeps once x has passed and turns the key
// back into a plain integer when nothing is pending).
const std::string_view kScript = R"lua(
local op = ARGV[1]
local out, resume, now, n = {}, nil, 0, 0
local base, stride
if op == 'B' then
  -- Locals, not globals, inside the loop (plain values: no closure is made).
  local call, pcall, tonum, floor, fmt = redis.call, redis.pcall, tonumber, math.floor, string.format
  local K, A, typ = KEYS, ARGV, type
  -- ARGV 2 now, 3 count P of policies, then P policies of 6 (kind, limit, window, soft,
  -- anchor, cost), then per key (distinct counters): the policy index (only when P > 1) and the
  -- units its decisions add (count x cost): `N`, `-N` when the client believes the counter
  -- full, `nN` when it has no hint. KEYS[i] is the window key `<base>#<start>` named by the
  -- client's hint (the window it expects), or the base key without a hint. Reply per counter:
  -- used before its decisions, and the reset, or 0 when it is the hint's (no number is
  -- formatted on that path); the client replays the decisions from those two numbers.
  now, n = tonum(ARGV[2]), #KEYS
  local np = tonum(ARGV[3])
  -- The usual call has one policy: plain locals, no tables.
  local kd, lim, win, soft, anc, c =
    ARGV[4], tonum(ARGV[5]), tonum(ARGV[6]), ARGV[7] == '1', tonum(ARGV[8]), tonum(ARGV[9])
  local pk, pl, pw, ps, pa, pc
  base, stride = np * 6 + 4, 1
  if np > 1 then
    stride = 2
    pk, pl, pw, ps, pa, pc = {}, {}, {}, {}, {}, {}
    for p = 1, np do
      local j = p * 6 - 2
      pk[p], pl[p], pw[p], ps[p], pa[p], pc[p] = ARGV[j], tonum(ARGV[j + 1]), tonum(ARGV[j + 2]),
        ARGV[j + 3] == '1', tonum(ARGV[j + 4]), tonum(ARGV[j + 5])
    end
  end
  local o = 0
  for i = 1, n do
    local j = base + (i - 1) * stride
    if stride == 2 then
      local p = tonum(ARGV[j])
      kd, lim, win, soft, anc, c, j = pk[p], pl[p], pw[p], ps[p], pa[p], pc[p], j + 1
    end
    if kd ~= 'c' then resume = i break end
    local wk, ad = K[i], A[j]
    -- One decision of cost 1 is the usual entry: no number to parse then.
    local add, sh = 1, true
    if ad ~= '1' then add = tonum(ad) end
    if not add then add, sh, ad = tonum(string.sub(ad, 2)), false, nil end
    local full = add < 0
    if full then add, ad = -add, nil end
    -- s and bk (the window start and the base key) are only worked out off the fast path; ok:
    -- the window is known right (the policy's anchor, or the anchor read here).
    local s, bk, ok = nil, nil, anc >= 0
    if not sh then
      -- First contact of this client: the anchor, set now on first use.
      bk = wk
      local a = tonum(call('SET', bk .. '#a', fmt('%.0f', now), 'NX', 'GET', 'PX',
        fmt('%.0f', math.ceil(win / 1000) + 60000))) or now
      s = a
      if now > a then s = a + floor((now - a) / win) * win end
      wk, ok = bk .. '#' .. fmt('%.0f', s), true
    end
    local used = -1
    if full or c == 0 then
      -- A read first: an existing key answers without a write (and proves the window).
      local g = pcall('GET', wk)
      if typ(g) == 'table' then resume = i break end
      g = tonum(g) or 0
      if g > 0 and (c == 0 or (not soft and g + c > lim)) then
        used = g
      elseif c == 0 then
        resume = i break
      end
    end
    if used < 0 then
      local v = pcall('INCRBY', wk, ad or add)
      if typ(v) == 'table' then resume = i break end
      used = v - add
      if used == 0 then
        -- A new (or empty) window key: check the client's hint against the anchor.
        bk = bk or string.match(wk, '^(.*)#')
        s = s or tonum(string.match(wk, '#(%d+)$'))
        local ak = bk .. '#a'
        if not ok then
          -- The anchor, or (none: the counter is new to Redis) now, set as its first use.
          local a = tonum(call('SET', ak, fmt('%.0f', now), 'NX', 'GET', 'PX',
            fmt('%.0f', math.ceil(win / 1000) + 60000))) or now
          local s2 = a
          if now > a then s2 = a + floor((now - a) / win) * win end
          if s2 ~= s then
            -- A stale hint (the counter expired or was flushed): nothing was counted there
            -- before this call, so dropping the key undoes it; then the right window.
            call('DEL', wk)
            s, wk = s2, bk .. '#' .. fmt('%.0f', s2)
            v = pcall('INCRBY', wk, add)
            if typ(v) == 'table' then resume = i break end
            used = v - add
          end
        end
        if used == 0 then
          -- The key (and the anchor, which must outlive it) expire a minute after the window.
          local ttl = fmt('%.0f', math.ceil((s + win - now) / 1000) + 60000)
          call('PEXPIRE', wk, ttl)
          if anc < 0 then call('PEXPIRE', ak, ttl, 'GT') end
        end
      end
      if c > 0 and not soft and used + add > lim then
        -- Only the decisions that fit count (in order, each of cost c).
        local k = floor((lim - used) / c)
        if k < 0 then k = 0 end
        if k * c < add then call('DECRBY', wk, add - k * c) end
      end
    end
    local r = 0
    if s then r = s + win end
    out[o + 1], out[o + 2], o = used, r, o + 2
  end
  if not resume then return out end
end

local kind, limit, win, cost, soft, anchor, prefix, meter, arg, extra
local key, reskey, expkey, idkey
local function f(x) return string.format('%.0f', x) end
local function interval() return math.max(1, math.floor(win / math.max(limit, 1))) end

-- Counter windows (see the top): `base#<start>` holds the count, a plain integer, or a hash
-- {u, x} while reservations counted in it may be pending.
local last_s = 0  -- the window start of counter()'s last call
local function wkey(k2, s) return k2 .. '#' .. f(s) end
local function window()
  -- The anchor and the current window (index, start) of `key`; reads, never writes.
  local a = anchor
  if a < 0 then a = tonumber(redis.call('GET', key .. '#a')) or now end
  local w = 0
  if now > a then w = math.floor((now - a) / win) end
  return a, w, a + w * win
end
local function wget(wk)
  -- used and x (nil: none) of a window key; 0 when absent.
  local v = redis.pcall('GET', wk)
  if type(v) == 'table' then
    local st = redis.call('HMGET', wk, 'u', 'x')
    return tonumber(st[1]) or 0, tonumber(st[2])
  end
  return tonumber(v) or 0, nil
end
local function wadd(wk, delta)
  -- Adds delta to an existing window key, never below 0 (nothing once the window is gone).
  local v = redis.pcall('GET', wk)
  if type(v) == 'table' then
    if redis.call('HINCRBY', wk, 'u', f(delta)) < 0 then redis.call('HSET', wk, 'u', '0') end
  elseif v then
    if redis.call('INCRBY', wk, f(delta)) < 0 then redis.call('SET', wk, '0', 'KEEPTTL') end
  end
end
local function wput(a, s, c)
  -- Counts c (> 0) in window s of anchor a, creating the key (and the anchor) when new.
  local wk = wkey(key, s)
  local v = redis.pcall('INCRBY', wk, f(c))
  if type(v) == 'table' then v = redis.call('HINCRBY', wk, 'u', f(c)) end
  if v == c then
    local ttl = f(math.ceil((s + win - now) / 1000) + 60000)
    redis.call('PEXPIRE', wk, ttl)
    if anchor < 0 then
      local ak = key .. '#a'
      redis.call('SET', ak, f(a), 'NX', 'PX', ttl)
      redis.call('PEXPIRE', ak, ttl, 'GT')
    end
  end
end

local function adjust(k2, kd, w, delta, iv)
  -- w: a counter's window start (reservation records) or -1 for other kinds.
  if kd == 'c' then
    wadd(wkey(k2, w), delta)
  elseif kd == 'g' then
    local v = tonumber(redis.call('HGET', k2, 'v')) or 0
    redis.call('HSET', k2, 'v', f(math.max(0, v + delta)))
  else
    local t = tonumber(redis.call('HGET', k2, 't')) or 0
    redis.call('HSET', k2, 't', f(math.max(0, t + delta * iv)))
  end
end

-- Returns the tenant's expired reservations, in rounds of 64 while rounds come back full, at
-- most 4,096 per call (a bound on one call's time in Redis); any beyond that come back over the
-- next calls and are counted as used until then (never more allowed than the limit).
local function sweep()
  for _ = 1, 64 do
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
    if #expired < 64 then return end
  end
end

local function counter(c, write)
  local a, w, s = window()
  local used = wget(wkey(key, s))
  local reset = s + win
  last_s = s
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
  if write then wput(a, s, c) end
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
  -- The rest of a batch (other kinds, a counter window holding reservations, a read of an
  -- unused counter), one key at a time through the general functions; the reply stays per key
  -- as above.
  for i = resume, n do
    local j = base + (i - 1) * stride
    local q = 3
    if stride == 2 then q, j = tonumber(ARGV[j]) * 6 - 3, j + 1 end
    kind, limit, win = ARGV[q + 1], tonumber(ARGV[q + 2]), tonumber(ARGV[q + 3])
    soft, anchor, cost = ARGV[q + 4] == '1', tonumber(ARGV[q + 5]), tonumber(ARGV[q + 6])
    local add = tonumber(ARGV[j])
    key = KEYS[i]
    if add then
      add = math.abs(add)
      if kind == 'c' then key = string.match(key, '^(.*)#') end
    else
      add = tonumber(string.sub(ARGV[j], 2))
    end
    prefix = string.match(key, '^(.-}:)')
    reskey, expkey = prefix .. '#res', prefix .. '#rexp'
    if kind == 'c' then
      local _, _, s = window()
      local wk = wkey(key, s)
      local _, x = wget(wk)
      if x and x <= now then
        -- Reservations counted in this window may have expired: sweep them, then note the
        -- earliest still pending, or make the window a plain integer again (op B's fast path).
        sweep()
        local nx = redis.call('ZRANGE', expkey, 0, 0, 'WITHSCORES')
        if nx[2] then
          redis.call('HSET', wk, 'x', nx[2])
        else
          redis.call('SET', wk, f(wget(wk)), 'KEEPTTL')
        end
      end
      local r = counter(0, false)
      out[#out + 1] = r[2]
      out[#out + 1] = r[3]
      if cost > 0 and not soft then
        local k = math.floor((limit - r[2]) / cost)
        if k * cost < add then add = k * cost end
      end
      if cost > 0 and add > 0 then counter(add, true) end
    else
      sweep()
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
    if cost > 0 then
      local a, _, s = window()
      wput(a, s, cost)
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
  local a, w, s = window()
  local used = wget(wkey(key, s))
  local reset = s + win
  local headroom = limit - used
  if headroom < cost then return {0, used, reset, reset - now, 0, w, 0} end
  local grant = math.min(headroom, math.max(cost, math.min(extra, math.floor(headroom / arg))))
  wput(a, s, grant)
  return {1, used + grant, reset, 0, 0, w, grant}
end
if op == 'u' then
  -- Unlease: give back `cost` unused units of window `arg` (no effect once it has passed).
  local a = window()
  adjust(key, 'c', a + arg * win, -cost, 1)
  return {1, 0, 0, 0, 0, 0}
end
if op == 'r' then
  local r = decide(cost)
  if r[1] == 1 then
    local id = redis.call('INCR', idkey)
    local expires = now + arg
    local w = 0
    if kind == 'c' then w = last_s end
    redis.call('HSET', reskey, id, meter .. '|' .. kind .. '|' .. f(w) .. '|' .. f(cost) .. '|' .. f(interval()))
    redis.call('ZADD', expkey, f(expires), id)
    if kind == 'c' then
      -- The window becomes a hash {u, x} (x: the earliest pending expiry), on which op B's
      -- INCRBY fails, so its decisions take the general path, which sweeps once x has passed.
      local wk = wkey(key, w)
      local v = redis.pcall('GET', wk)
      if type(v) == 'table' then
        local x = tonumber(redis.call('HGET', wk, 'x'))
        if not x or expires < x then redis.call('HSET', wk, 'x', f(expires)) end
      else
        local ttl = redis.call('PTTL', wk)
        redis.call('DEL', wk)
        redis.call('HSET', wk, 'u', v or '0', 'x', f(expires))
        if ttl > 0 then redis.call('PEXPIRE', wk, ttl) end
      end
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
