// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include <hiredis/hiredis.h>

#include <tenantkit/auth/redis/login_throttle.hpp>
#include <tenantkit/core/random.hpp>

#include "endpoint.hpp"

namespace tenantkit::auth::redis {

namespace {

using Steady = std::chrono::steady_clock;
using quota::redis::FailurePolicy;

// KEYS[1]: one key's sorted set of failure times (score = member time, us).
// ARGV: 1 op (c check, f failure, s success), 2 now (us), 3 window (us), 4 max attempts,
// 5 member (unique per failure). Reply: c -> microseconds until an attempt is allowed (0: now);
// f, s -> 0. Numbers go out through %.0f: Lua 5.1's tostring keeps only 14 digits.
constexpr std::string_view kScript = R"lua(
local key, op = KEYS[1], ARGV[1]
if op == 's' then
  redis.call('DEL', key)
  return 0
end
local now, win, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function f(x) return string.format('%.0f', x) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', f(now - win))
if op == 'f' then
  redis.call('ZADD', key, f(now), ARGV[5])
  local n = redis.call('ZCARD', key)
  if n > max then redis.call('ZREMRANGEBYRANK', key, 0, n - max - 1) end
  redis.call('PEXPIRE', key, f(math.ceil(win / 1000) + 1000))
  return 0
end
local n = redis.call('ZCARD', key)
if n < max then return 0 end
local oldest = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
local wait = tonumber(oldest[2]) + win - now
if wait <= 0 then return 0 end
return wait
)lua";

// Long values (an attacker picks the identifier) are replaced by their FNV-1a hash, so keys stay
// small; 2^-64 collisions only merge two attackers' counters.
std::string key_part(std::string_view value, bool fold_case) {
  std::string v;
  v.reserve(std::min<std::size_t>(value.size(), 200));
  if (value.size() <= 200) {
    for (char c : value)
      v.push_back(fold_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c);
    return v;
  }
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : value) {
    const auto b = static_cast<unsigned char>(
        fold_case ? std::tolower(static_cast<unsigned char>(c)) : static_cast<unsigned char>(c));
    h = (h ^ b) * 0x100000001b3ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  v = "#h";
  for (int i = 60; i >= 0; i -= 4) v.push_back(kHex[(h >> i) & 0xF]);
  return v;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept {
    if (c != nullptr) redisFree(c);
  }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct Op {
  std::string key;
  char op = 'c';
  std::string member;
};

}  // namespace

struct RedisLoginThrottle::Impl {
  Impl(RedisThrottleOptions o, quota::redis::detail::Endpoint e, const Clock& c,
       LoginThrottleOptions t)
      : options(std::move(o)), endpoint(std::move(e)), clock(c), throttle(t) {
    nonce_prefix = std::to_string(system_random().next_u64()) + ":";
  }

  RedisThrottleOptions options;
  quota::redis::detail::Endpoint endpoint;
  const Clock& clock;
  LoginThrottleOptions throttle;
  std::string nonce_prefix;  // with `sequence`: a member no other failure shares
  std::atomic<std::uint64_t> sequence{0};

  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<ContextPtr> idle;
  std::size_t out = 0;
  std::atomic<std::int64_t> down_until{0};
  std::mutex sha_mu;
  std::string sha;

  ContextPtr checkout() {
    std::unique_lock lk(pool_mu);
    pool_cv.wait(lk, [&] { return !idle.empty() || out < options.pool_size; });
    ++out;
    if (idle.empty()) return nullptr;
    ContextPtr c = std::move(idle.back());
    idle.pop_back();
    return c;
  }

  void checkin(ContextPtr c) {
    {
      std::lock_guard lk(pool_mu);
      --out;
      if (c && c->err == 0) idle.push_back(std::move(c));
    }
    pool_cv.notify_one();
  }

  void mark_down() {
    const auto until = Steady::now() + options.retry_backoff;
    down_until.store(until.time_since_epoch().count(), std::memory_order_relaxed);
  }

  bool is_down() const {
    return Steady::now().time_since_epoch().count() < down_until.load(std::memory_order_relaxed);
  }

  Result<void> load_script(redisContext* c) {
    ReplyPtr r(static_cast<redisReply*>(
        redisCommand(c, "SCRIPT LOAD %b", kScript.data(), kScript.size())));
    if (!r || r->type != REDIS_REPLY_STRING)
      return Error{Errc::unavailable, "redis SCRIPT LOAD failed"};
    std::lock_guard lk(sha_mu);
    sha.assign(r->str, r->len);
    return ok();
  }

  std::string current_sha() {
    std::lock_guard lk(sha_mu);
    return sha;
  }

  Result<void> ensure_connected(ContextPtr& c) {
    if (c && c->err == 0) return ok();
    c.reset();
    if (is_down()) return Error{Errc::unavailable, "redis unreachable (backing off)"};
    c.reset(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                    quota::redis::detail::to_timeval(options.connect_timeout)));
    if (!c || c->err != 0) {
      c.reset();
      mark_down();
      return Error{Errc::unavailable, "redis connect failed"};
    }
    redisSetTimeout(c.get(), quota::redis::detail::to_timeval(options.command_timeout));
    redisEnableKeepAlive(c.get());
    if (endpoint.db != 0) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", endpoint.db)));
      if (!r || r->type == REDIS_REPLY_ERROR) {
        c.reset();
        mark_down();
        return Error{Errc::unavailable, "redis SELECT failed"};
      }
    }
    if (auto loaded = load_script(c.get()); !loaded) {
      c.reset();
      mark_down();
      return loaded.error();
    }
    return ok();
  }

  std::string key(char kind, std::string_view value) const {
    std::string k = options.key_prefix;
    k.push_back(kind);
    k.append(":{").append(key_part(value, kind == 'u')).push_back('}');
    return k;
  }

  // Runs `ops` pipelined on one connection (one round trip); reply i is the script's integer
  // for ops[i]. Reloads the script once when Redis lost it (NOSCRIPT).
  Result<std::vector<long long>> run(const std::vector<Op>& ops) {
    ContextPtr c = checkout();
    struct Return {
      Impl* impl;
      ContextPtr& c;
      ~Return() { impl->checkin(std::move(c)); }
    } give_back{this, c};
    if (auto connected = ensure_connected(c); !connected) return connected.error();
    const std::string now = std::to_string(clock.now().time_since_epoch().count());
    const std::string window = std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(throttle.window).count());
    const std::string max = std::to_string(throttle.max_attempts);
    for (int attempt = 0; attempt < 2; ++attempt) {
      const std::string script_sha = current_sha();
      for (const Op& op : ops) {
        const std::string_view opcode(&op.op, 1);
        std::array<const char*, 9> argv{"EVALSHA",     script_sha.data(), "1",
                                        op.key.data(), opcode.data(),     now.data(),
                                        window.data(), max.data(),        op.member.data()};
        std::array<std::size_t, 9> len{
            7,          script_sha.size(), 1,          op.key.size(),   1,
            now.size(), window.size(),     max.size(), op.member.size()};
        if (redisAppendCommandArgv(c.get(), 9, argv.data(), len.data()) != REDIS_OK) {
          c.reset();
          mark_down();
          return Error{Errc::unavailable, "redis write failed"};
        }
      }
      std::vector<long long> out_values;
      bool noscript = false;
      bool refused = false;
      for (std::size_t i = 0; i < ops.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(c.get(), &raw) != REDIS_OK || raw == nullptr) {
          c.reset();
          mark_down();
          return Error{Errc::unavailable, "redis command failed or timed out"};
        }
        ReplyPtr r(static_cast<redisReply*>(raw));
        if (r->type == REDIS_REPLY_INTEGER) {
          out_values.push_back(r->integer);
        } else if (r->type == REDIS_REPLY_ERROR &&
                   std::string_view(r->str, r->len).substr(0, 8) == "NOSCRIPT") {
          noscript = true;
        } else {
          refused = true;
        }
      }
      if (refused) return Error{Errc::internal, "redis rejected the login throttle script"};
      if (!noscript) return out_values;
      if (auto loaded = load_script(c.get()); !loaded) {
        c.reset();
        mark_down();
        return loaded.error();
      }
    }
    return Error{Errc::internal, "redis keeps losing the login throttle script"};
  }
};

RedisLoginThrottle::RedisLoginThrottle(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisLoginThrottle::~RedisLoginThrottle() = default;

Result<std::chrono::seconds> RedisLoginThrottle::blocked_for(std::string_view ip,
                                                             std::string_view identifier) {
  auto waits =
      impl_->run({{impl_->key('i', ip), 'c', "-"}, {impl_->key('u', identifier), 'c', "-"}});
  if (!waits) return waits.error();
  long long wait_us = 0;
  for (long long w : *waits) wait_us = std::max(wait_us, w);
  return std::chrono::seconds{(wait_us + 999'999) / 1'000'000};  // round up: never "retry in 0 s"
}

ThrottleDecision RedisLoginThrottle::check(std::string_view ip, std::string_view identifier) {
  auto wait = blocked_for(ip, identifier);
  if (!wait) {
    if (impl_->options.on_unavailable == FailurePolicy::fail_open) return {};
    return {false, std::chrono::seconds{1}};
  }
  if (wait->count() == 0) return {};
  return {false, *wait};
}

Result<void> RedisLoginThrottle::admit(std::string_view ip, std::string_view identifier) {
  auto wait = blocked_for(ip, identifier);
  if (!wait) {
    if (impl_->options.on_unavailable == FailurePolicy::fail_open) return ok();
    return Error{Errc::unavailable, "login throttle unavailable"};
  }
  if (wait->count() == 0) return ok();
  return Error{Errc::rate_limited, "retry after " + std::to_string(wait->count()) + " s"};
}

void RedisLoginThrottle::record_failure(std::string_view ip, std::string_view identifier) {
  const std::string member =
      impl_->nonce_prefix + std::to_string(impl_->sequence.fetch_add(1, std::memory_order_relaxed));
  (void)impl_->run(
      {{impl_->key('i', ip), 'f', member}, {impl_->key('u', identifier), 'f', member}});
}

void RedisLoginThrottle::record_success(std::string_view, std::string_view identifier) {
  (void)impl_->run({{impl_->key('u', identifier), 's', "-"}});
}

Result<void> RedisLoginThrottle::ping() {
  ContextPtr c = impl_->checkout();
  auto connected = impl_->ensure_connected(c);
  bool good = false;
  if (connected) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
    good = r && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG";
    if (!good) c.reset();
  }
  impl_->checkin(std::move(c));
  if (!good) return Error{Errc::unavailable, "redis did not answer PING"};
  return ok();
}

Result<void> RedisLoginThrottle::flush_all_for_tests() {
  ContextPtr c = impl_->checkout();
  auto connected = impl_->ensure_connected(c);
  bool good = false;
  if (connected) {
    const std::string pattern = impl_->options.key_prefix + "*";
    ReplyPtr r(static_cast<redisReply*>(
        redisCommand(c.get(), "EVAL %s 0 %b",
                     "local ks = redis.call('KEYS', ARGV[1]) for i = 1, #ks, 500 do "
                     "redis.call('DEL', unpack(ks, i, math.min(i + 499, #ks))) end return #ks",
                     pattern.data(), pattern.size())));
    good = r && r->type == REDIS_REPLY_INTEGER;
    if (!good) c.reset();
  }
  impl_->checkin(std::move(c));
  if (!good) return Error{Errc::unavailable, "redis flush failed"};
  return ok();
}

Result<std::unique_ptr<RedisLoginThrottle>> open_login_throttle(const RedisThrottleOptions& options,
                                                                const Clock& clock,
                                                                LoginThrottleOptions throttle) {
  if (auto valid = validate(throttle); !valid) return valid.error();
  auto ep = quota::redis::detail::parse_url(options.url);
  if (!ep) return ep.error();
  if (options.pool_size < 1 || options.pool_size > 256)
    return Error{Errc::validation_failed, "pool_size: must be 1..256"};
  const auto in_range = [](std::chrono::milliseconds ms) {
    return ms.count() >= 1 && ms.count() <= 60'000;
  };
  if (!in_range(options.connect_timeout))
    return Error{Errc::validation_failed, "connect_timeout: must be 1 ms..60 s"};
  if (!in_range(options.command_timeout))
    return Error{Errc::validation_failed, "command_timeout: must be 1 ms..60 s"};
  if (options.retry_backoff.count() < 0)
    return Error{Errc::validation_failed, "retry_backoff: must not be negative"};
  if (options.key_prefix.find_first_of("{}") != std::string::npos)
    return Error{Errc::validation_failed, "key_prefix: must hold no { or }"};
  auto impl = std::make_unique<RedisLoginThrottle::Impl>(options, std::move(*ep), clock, throttle);
  ContextPtr c = impl->checkout();
  auto connected = impl->ensure_connected(c);
  impl->checkin(std::move(c));
  if (!connected) return connected.error();
  return std::make_unique<RedisLoginThrottle>(std::move(impl));
}

}  // namespace tenantkit::auth::redis
