// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <tenantkit/quota/redis/leased.hpp>

namespace tenantkit::quota::redis {

namespace {

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

struct Local {
  std::string tenant;
  std::string meter;
  std::uint64_t version = 0;
  bool leased = false;  // counter or fixed window with a hard limit
  std::int64_t units = 0;
  std::int64_t window_index = 0;
  std::int64_t reset_us = 0;
  std::int64_t redis_used = 0;  // Redis's count after the last lease (spent + these units)
  Outcome shape;                // limit, window, kind, deny code of the last answer
};

struct alignas(64) Shard {
  std::mutex mu;
  std::unordered_map<std::string, Local, KeyHash, std::equal_to<>> map;
};

constexpr std::size_t kShards = 64;

std::int64_t to_us(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}

}  // namespace

struct LeasedBackend::Impl {
  RedisBackend& redis;
  const LimitSource& limits;
  const Clock& clock;
  LeaseOptions options;
  std::array<Shard, kShards> shards;

  Impl(RedisBackend& r, const LimitSource& l, const Clock& c, LeaseOptions o)
      : redis(r), limits(l), clock(c), options(o) {
    options.max_lease = std::clamp<std::int64_t>(options.max_lease, 1, 1'000'000);
    options.processes = std::clamp<std::int64_t>(options.processes, 1, 4096);
  }

  static Outcome spent(const Local& l) {
    Outcome o = l.shape;
    o.is_allowed = true;
    o.overage = false;
    o.retry_after = std::chrono::seconds{0};
    o.used = std::max<std::int64_t>(0, l.redis_used - l.units);
    o.remaining = std::max<std::int64_t>(0, o.limit - o.used);
    o.warning = o.limit < kUnlimited && o.used * 5 >= o.limit * 4;
    o.reset = Timestamp{std::chrono::microseconds{l.reset_us}};
    return o;
  }
};

LeasedBackend::LeasedBackend(RedisBackend& redis, const LimitSource& limits, const Clock& clock,
                             LeaseOptions options)
    : impl_(std::make_unique<Impl>(redis, limits, clock, options)) {}

LeasedBackend::~LeasedBackend() {
  (void)return_leases();
}

Result<Outcome> LeasedBackend::decide(std::string_view tenant, std::string_view meter,
                                      std::int64_t cost) {
  if (cost <= 0) return impl_->redis.decide(tenant, meter, cost);
  Impl& im = *impl_;
  std::array<char, 256> buf{};
  std::string owned;
  std::string_view key;
  if (tenant.size() + meter.size() + 1 <= buf.size()) {
    std::copy(tenant.begin(), tenant.end(), buf.begin());
    buf[tenant.size()] = '\x1f';
    std::copy(meter.begin(), meter.end(),
              buf.begin() + static_cast<std::ptrdiff_t>(tenant.size()) + 1);
    key = std::string_view(buf.data(), tenant.size() + meter.size() + 1);
  } else {
    owned.assign(tenant).append(1, '\x1f').append(meter);
    key = owned;
  }
  Shard& sh = im.shards[KeyHash{}(key) % kShards];
  const std::uint64_t version = im.limits.version();
  const std::int64_t now_us = to_us(im.clock.now());
  bool known = false;
  bool leased = false;
  {
    std::lock_guard lk(sh.mu);
    auto it = sh.map.find(key);
    if (it != sh.map.end() && it->second.version == version) {
      known = true;
      Local& l = it->second;
      leased = l.leased;
      if (leased && now_us < l.reset_us && l.units >= cost) {
        l.units -= cost;
        return Impl::spent(l);
      }
      if (leased && now_us >= l.reset_us) l.units = 0;  // that window is over in Redis too
    }
  }
  if (!known) {
    auto p = im.limits.policy(tenant, meter);
    if (!p) return p.error();
    leased = (p->kind == MeterKind::counter || p->kind == MeterKind::fixed_window) &&
             p->enforcement == Enforcement::hard;
    std::lock_guard lk(sh.mu);
    Local& l = sh.map[std::string(key)];
    l.tenant.assign(tenant);
    l.meter.assign(meter);
    l.version = version;
    l.leased = leased;
  }
  if (!leased) return im.redis.decide(tenant, meter, cost);
  auto lease =
      im.redis.take_lease(tenant, meter, cost, 2 * im.options.processes, im.options.max_lease);
  if (!lease) {
    // Redis unreachable: decide() applies the configured failure policy.
    if (lease.error().code == Errc::unavailable) return im.redis.decide(tenant, meter, cost);
    return lease.error();
  }
  if (!lease->outcome.allowed()) return lease->outcome;
  std::lock_guard lk(sh.mu);
  Local& l = sh.map[std::string(key)];
  if (l.window_index != lease->window_index) l.units = 0;
  l.units += lease->units - cost;
  l.window_index = lease->window_index;
  l.reset_us = to_us(lease->outcome.reset);
  l.redis_used = lease->outcome.used + l.units;
  l.shape = lease->outcome;
  return Impl::spent(l);
}

Result<Outcome> LeasedBackend::add(std::string_view tenant, std::string_view meter,
                                   std::int64_t amount) {
  // Straight to Redis: units spent elsewhere are not taken from this process's leases.
  return impl_->redis.add(tenant, meter, amount);
}

Result<void> LeasedBackend::set_gauge(std::string_view tenant, std::string_view meter,
                                      std::int64_t value) {
  return impl_->redis.set_gauge(tenant, meter, value);
}

Result<Reservation> LeasedBackend::reserve(std::string_view tenant, std::string_view meter,
                                           std::int64_t amount, std::chrono::seconds ttl) {
  return impl_->redis.reserve(tenant, meter, amount, ttl);
}

Result<Outcome> LeasedBackend::commit(const Reservation& reservation, std::int64_t actual) {
  return impl_->redis.commit(reservation, actual);
}

Result<void> LeasedBackend::release(const Reservation& reservation) {
  return impl_->redis.release(reservation);
}

Result<void> LeasedBackend::return_leases() {
  Impl& im = *impl_;
  struct Give {
    std::string tenant, meter;
    std::int64_t units, window_index;
  };
  std::vector<Give> todo;
  const std::int64_t now_us = to_us(im.clock.now());
  for (Shard& sh : im.shards) {
    std::lock_guard lk(sh.mu);
    for (auto& [k, l] : sh.map) {
      if (l.units > 0 && now_us < l.reset_us)
        todo.push_back(Give{l.tenant, l.meter, l.units, l.window_index});
      l.units = 0;
    }
  }
  Result<void> result = ok();
  for (const Give& g : todo) {
    auto r = im.redis.return_lease(g.tenant, g.meter, g.units, g.window_index);
    if (!r) result = r.error();
  }
  return result;
}

}  // namespace tenantkit::quota::redis
