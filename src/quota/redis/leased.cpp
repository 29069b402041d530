// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tenantkit/quota/redis/leased.hpp>

namespace tenantkit::quota::redis {

namespace {

// The local pool of one tenant's meter packs (window epoch: 24 bits | units: 40 bits) into one
// word, so a decision spends a unit with one compare-and-swap, and a lease of a newer window
// invalidates the units of the old one in the same word (their CAS then fails).
constexpr int kUnitBits = 40;
constexpr std::uint64_t kUnitMask = (std::uint64_t{1} << kUnitBits) - 1;
constexpr std::uint64_t kEpochMask = (std::uint64_t{1} << 24) - 1;

inline std::uint64_t pack(std::int64_t window_index, std::int64_t units) noexcept {
  return ((static_cast<std::uint64_t>(window_index) & kEpochMask) << kUnitBits) |
         (static_cast<std::uint64_t>(std::max<std::int64_t>(0, units)) & kUnitMask);
}
inline std::uint64_t epoch_of(std::uint64_t w) noexcept {
  return w >> kUnitBits;
}
inline std::int64_t units_of(std::uint64_t w) noexcept {
  return static_cast<std::int64_t>(w & kUnitMask);
}

// Leases at least this large are refilled in the background before they run out; smaller ones
// (near the limit, or small limits) are only taken when a decision needs them, so a process
// holds no units it has no use for when headroom is scarce.
constexpr std::int64_t kPrefetchMinLease = 256;

std::int64_t to_us(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}

std::uint64_t key_hash(std::string_view tenant, std::string_view meter) noexcept {
  const std::uint64_t a = std::hash<std::string_view>{}(tenant);
  const std::uint64_t b = std::hash<std::string_view>{}(meter);
  std::uint64_t h = a ^ (b + 0x9E3779B97F4A7C15ULL + (a << 6) + (a >> 2));
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  return h;
}

// One tenant's meter. What a decision served from the pool reads and writes sits in the first
// cache line; the key strings and the slow path's state follow. The key and `hash` never change
// after publication; the rest is rewritten only under `mu` (and `word` by decisions) and read
// with relaxed atomics on the hot path (a stale read there only misstates `used` by the units in
// flight, which Outcome documents).
struct alignas(64) Entry {
  Entry(std::string_view t, std::string_view m, std::uint64_t h) : hash(h), tenant(t), meter(m) {}

  const std::uint64_t hash;
  std::atomic<std::uint64_t> word{0};
  std::atomic<std::int64_t> reset_us{0};    // end of the window the word's units belong to
  std::atomic<std::int64_t> redis_used{0};  // Redis's count at the last lease
  std::atomic<std::uint64_t> version{0};    // the LimitSource version `leased` was read at
  std::atomic<std::int64_t> limit{0};       // shape of the last answer, for local Outcomes
  std::atomic<std::int32_t> window_s{0};
  std::atomic<std::int32_t> refill_below{-1};  // prefetch when fewer units remain; -1: never
  std::atomic<MeterKind> kind{MeterKind::counter};
  std::atomic<Errc> deny_code{Errc::quota_exceeded};
  std::atomic<bool> leased{false};  // counter or fixed window with a hard limit
  std::atomic<bool> refill_queued{false};

  const std::string tenant;
  const std::string meter;
  std::atomic<std::int64_t> window_index{0};  // full index of the word's window (return_lease)
  std::mutex mu;  // slow path: policy refresh, synchronous lease, refill, return
};

// Open addressing; readers take no lock. A shard's table is replaced (never resized in place)
// when it fills, and old generations stay until destruction, so a reader never sees freed memory.
// A slot is the entry's address (64-byte aligned: its low 6 bits are dropped) below 13 bits of
// the key's hash, so a probe past another key rarely touches that entry. 0: empty.
constexpr int kTagShift = 51;
constexpr std::uintptr_t kAddrMask = (std::uintptr_t{1} << kTagShift) - 1;
static_assert(sizeof(std::uintptr_t) == 8);

inline std::uintptr_t tag_of(std::uint64_t h) noexcept {
  return static_cast<std::uintptr_t>((h >> 32) & 0x1FFF);
}

struct Slot {
  std::atomic<std::uintptr_t> word{0};
};

struct Table {
  explicit Table(std::size_t capacity) : mask(capacity - 1), slots(new Slot[capacity]()) {}
  std::size_t mask;
  std::unique_ptr<Slot[]> slots;
};

struct alignas(64) Shard {
  std::atomic<const Table*> table{nullptr};
  std::mutex mu;
  std::vector<std::unique_ptr<Table>> tables;
  std::vector<std::unique_ptr<Entry>> entries;
};

constexpr std::size_t kShardBits = 6;
constexpr std::size_t kShards = std::size_t{1} << kShardBits;

}  // namespace

struct LeasedBackend::Impl {
  RedisBackend& redis;
  const LimitSource& limits;
  const Clock& clock;
  LeaseOptions options;
  std::array<Shard, kShards> shards;

  // Background refills: entries whose pool ran low, leased again before they run out.
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<Entry*> queue;
  bool stopping = false;
  std::thread refiller;

  Impl(RedisBackend& r, const LimitSource& l, const Clock& c, LeaseOptions o)
      : redis(r), limits(l), clock(c), options(o) {
    options.max_lease = std::clamp<std::int64_t>(options.max_lease, 1, 1'000'000);
    options.processes = std::clamp<std::int64_t>(options.processes, 1, 4096);
    refiller = std::thread([this] { refill_loop(); });
  }

  ~Impl() { stop(); }

  void stop() {
    {
      std::lock_guard lk(queue_mu);
      stopping = true;
    }
    queue_cv.notify_all();
    if (refiller.joinable()) refiller.join();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // ---- lookup ------------------------------------------------------------------------------

  Entry* find(std::uint64_t h, std::string_view tenant, std::string_view meter) const noexcept {
    const Table* t = shards[h >> (64 - kShardBits)].table.load(std::memory_order_acquire);
    if (t == nullptr) return nullptr;
    const std::uintptr_t tag = tag_of(h);
    for (std::size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      const std::uintptr_t w = t->slots[i].word.load(std::memory_order_acquire);
      if (w == 0) return nullptr;
      if ((w >> kTagShift) != tag) continue;
      Entry* e = reinterpret_cast<Entry*>((w & kAddrMask) << 6);
      if (e->hash == h && e->tenant == tenant && e->meter == meter) return e;
    }
  }

  static void insert(const Table& t, Entry* e) noexcept {
    std::size_t i = e->hash & t.mask;
    while (t.slots[i].word.load(std::memory_order_relaxed) != 0) i = (i + 1) & t.mask;
    const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(e) >> 6;  // 64-byte aligned
    t.slots[i].word.store((tag_of(e->hash) << kTagShift) | addr, std::memory_order_release);
  }

  // nullptr only when the allocator hands out an address the slots cannot hold.
  Entry* get_or_create(std::uint64_t h, std::string_view tenant, std::string_view meter) {
    if (Entry* e = find(h, tenant, meter)) return e;
    Shard& sh = shards[h >> (64 - kShardBits)];
    std::lock_guard lk(sh.mu);
    if (Entry* e = find(h, tenant, meter)) return e;
    auto fresh = std::make_unique<Entry>(tenant, meter, h);
    if ((reinterpret_cast<std::uintptr_t>(fresh.get()) >> (kTagShift + 6)) != 0)
      return nullptr;  // an address beyond 57 bits: no platform we build for hands one out
    sh.entries.push_back(std::move(fresh));
    Entry* e = sh.entries.back().get();
    const Table* t = sh.table.load(std::memory_order_relaxed);
    if (t == nullptr || sh.entries.size() * 2 > t->mask + 1) {
      auto grown = std::make_unique<Table>(t == nullptr ? 16 : (t->mask + 1) * 2);
      for (const auto& old : sh.entries) insert(*grown, old.get());
      sh.tables.push_back(std::move(grown));
      sh.table.store(sh.tables.back().get(), std::memory_order_release);
    } else {
      insert(*t, e);
    }
    return e;
  }

  // ---- outcomes ----------------------------------------------------------------------------

  static void spent(Outcome& o, const Entry& e, std::int64_t units_left, std::int64_t reset_us) {
    o.is_allowed = true;
    o.overage = false;
    o.kind = e.kind.load(std::memory_order_relaxed);
    o.deny_code = e.deny_code.load(std::memory_order_relaxed);
    o.limit = e.limit.load(std::memory_order_relaxed);
    o.window = std::chrono::seconds{e.window_s.load(std::memory_order_relaxed)};
    o.used = std::max<std::int64_t>(0, e.redis_used.load(std::memory_order_relaxed) - units_left);
    o.remaining = std::max<std::int64_t>(0, o.limit - o.used);
    o.warning = o.limit < kUnlimited && o.used * 5 >= o.limit * 4;
    o.reset = Timestamp{std::chrono::microseconds{reset_us}};
    o.retry_after = std::chrono::seconds{0};
  }

  // Spends `cost` local units when the pool holds them for the window in force at `now_us`.
  // Reads reset_us before the word: a lease of a newer window zeroes the word before it
  // publishes its reset, so units of a window that has ended are never spent.
  bool try_spend(Entry& e, std::int64_t now_us, std::int64_t cost, Outcome& o) {
    const std::int64_t reset = e.reset_us.load(std::memory_order_acquire);
    if (now_us >= reset) return false;
    std::uint64_t w = e.word.load(std::memory_order_acquire);
    while (units_of(w) >= cost) {
      if (e.word.compare_exchange_weak(w, w - static_cast<std::uint64_t>(cost),
                                       std::memory_order_acq_rel, std::memory_order_acquire)) {
        const std::int64_t left = units_of(w) - cost;
        spent(o, e, left, reset);
        if (left < e.refill_below.load(std::memory_order_relaxed)) request_refill(e);
        return true;
      }
    }
    return false;
  }

  void request_refill(Entry& e) {
    if (e.refill_queued.exchange(true, std::memory_order_acq_rel)) return;
    {
      std::lock_guard lk(queue_mu);
      queue.push_back(&e);
    }
    queue_cv.notify_one();
  }

  // Adds a lease to the pool (under e.mu). `spent_now` units of it were spent by the decision
  // that took it.
  void install(Entry& e, const RedisBackend::Lease& lease, std::int64_t min_units,
               std::int64_t spent_now) {
    const Outcome& o = lease.outcome;
    e.limit.store(o.limit, std::memory_order_relaxed);
    e.window_s.store(static_cast<std::int32_t>(std::min<std::int64_t>(o.window.count(), INT32_MAX)),
                     std::memory_order_relaxed);
    e.kind.store(o.kind, std::memory_order_relaxed);
    e.deny_code.store(o.deny_code, std::memory_order_relaxed);
    const std::int64_t fresh = lease.units - spent_now;
    std::uint64_t w = e.word.load(std::memory_order_acquire);
    // A window is known by its index and its end: after an idle spell longer than the window,
    // Redis forgets the anchor and counts from index 0 again, with another end.
    if (lease.window_index != e.window_index.load(std::memory_order_relaxed) ||
        epoch_of(w) != (static_cast<std::uint64_t>(lease.window_index) & kEpochMask) ||
        to_us(o.reset) != e.reset_us.load(std::memory_order_relaxed)) {
      // A new window: the old units ended with their window in Redis too. Invalidate them before
      // publishing the new reset (try_spend reads in the opposite order).
      e.word.store(pack(lease.window_index, 0), std::memory_order_release);
      e.window_index.store(lease.window_index, std::memory_order_relaxed);
      e.reset_us.store(to_us(o.reset), std::memory_order_release);
      w = e.word.load(std::memory_order_acquire);
    } else {
      e.reset_us.store(to_us(o.reset), std::memory_order_release);
    }
    std::uint64_t next = 0;
    do {
      next = pack(lease.window_index, units_of(w) + fresh);
    } while (!e.word.compare_exchange_weak(w, next, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
    // Redis's count: what was spent before plus the whole lease (outcome.used leaves out its
    // unspent part beyond min_units).
    e.redis_used.store(o.used + lease.units - min_units, std::memory_order_relaxed);
    e.refill_below.store(
        lease.units >= kPrefetchMinLease ? static_cast<std::int32_t>(lease.units / 2) : -1,
        std::memory_order_relaxed);
  }

  struct Unspent {
    std::int64_t units = 0;  // 0: nothing Redis still counts
    std::int64_t window_index = 0;
  };
  // Empties a meter's pool (under e.mu). Its units are worth returning only while their window
  // lasts: Redis has reset a window that has passed.
  static Unspent take_unspent(Entry& e, std::int64_t now_us) {
    const std::int64_t index = e.window_index.load(std::memory_order_relaxed);
    const std::uint64_t w = e.word.exchange(pack(index, 0), std::memory_order_acq_rel);
    const bool live = now_us < e.reset_us.load(std::memory_order_acquire) &&
                      epoch_of(w) == pack(index, 0) >> kUnitBits;
    return {live ? units_of(w) : 0, index};
  }

  // Re-reads the policy when the LimitSource moved (under e.mu). Returns whether it is leased.
  Result<bool> refresh(Entry& e, std::uint64_t version) {
    if (e.version.load(std::memory_order_acquire) == version)
      return e.leased.load(std::memory_order_relaxed);
    // Units leased under the old policy (a lower limit now, or no leasing) are not spent under
    // the new one: they go back to Redis, and the next lease follows the new policy. A failed
    // return leaves them counted in Redis until the window ends (never an overshoot).
    if (const Unspent u = take_unspent(e, to_us(clock.now())); u.units > 0)
      (void)redis.return_lease(e.tenant, e.meter, u.units, u.window_index);
    auto p = limits.policy(e.tenant, e.meter);
    if (!p) return p.error();
    const bool leased = (p->kind == MeterKind::counter || p->kind == MeterKind::fixed_window) &&
                        p->enforcement == Enforcement::hard;
    e.leased.store(leased, std::memory_order_relaxed);
    e.version.store(version, std::memory_order_release);
    return leased;
  }

  // A decision the pool could not serve: wait for a refill in flight (it holds e.mu), then lease
  // synchronously.
  Result<Outcome> slow(Entry& e, std::int64_t cost) {
    std::unique_lock lk(e.mu);
    auto leased = refresh(e, limits.version());
    if (!leased) return leased.error();
    if (!*leased) {
      lk.unlock();
      return redis.decide(e.tenant, e.meter, cost);
    }
    Outcome o;
    const std::int64_t now_us = to_us(clock.now());
    if (try_spend(e, now_us, cost, o)) return o;
    // The pool holds fewer than `cost` units. Redis already counts them as used, so they are
    // spent with a lease of only the rest: leasing the whole cost would deny a decision that
    // fits (one process, limit 10: 5 leased, 1 spent; a cost of 8 must be allowed).
    const Unspent have = take_unspent(e, now_us);
    if (have.units >= cost) {  // a refill landed in between
      put_back(e, have.window_index, have.units - cost);
      spent(o, e, units_of(e.word.load(std::memory_order_acquire)),
            e.reset_us.load(std::memory_order_acquire));
      return o;
    }
    const std::int64_t need = cost - have.units;
    auto lease =
        redis.take_lease(e.tenant, e.meter, need, 2 * options.processes, options.max_lease);
    if (!lease || !lease->outcome.allowed()) put_back(e, have.window_index, have.units);
    if (!lease) {
      lk.unlock();
      // Redis unreachable: decide() applies the configured failure policy.
      if (lease.error().code == Errc::unavailable) return redis.decide(e.tenant, e.meter, cost);
      return lease.error();
    }
    if (!lease->outcome.allowed()) return lease->outcome;
    if (have.units > 0 && lease->window_index != have.window_index) {
      // The window turned in between: the pool's units ended with the old one, and the lease
      // covers only part of the cost. Keep the lease for later decisions; Redis decides this one.
      install(e, *lease, need, 0);
      lk.unlock();
      return redis.decide(e.tenant, e.meter, cost);
    }
    install(e, *lease, need, need);
    const std::int64_t left = units_of(e.word.load(std::memory_order_acquire));
    spent(o, e, left, to_us(lease->outcome.reset));
    return o;
  }

  // Returns units taken out of the pool by take_unspent() while their window is still the
  // pool's (under e.mu); otherwise they ended with their window.
  static void put_back(Entry& e, std::int64_t window_index, std::int64_t units) {
    if (units <= 0) return;
    std::uint64_t w = e.word.load(std::memory_order_acquire);
    while (epoch_of(w) == epoch_of(pack(window_index, 0)) &&
           !e.word.compare_exchange_weak(w, w + static_cast<std::uint64_t>(units),
                                         std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
  }

  void refill(Entry& e) {
    std::lock_guard lk(e.mu);
    e.refill_queued.store(false, std::memory_order_release);
    if (e.version.load(std::memory_order_acquire) != limits.version() ||
        !e.leased.load(std::memory_order_relaxed))
      return;  // the next decision re-reads the policy and leases itself
    const std::uint64_t w = e.word.load(std::memory_order_acquire);
    const std::int64_t below = e.refill_below.load(std::memory_order_relaxed);
    const std::int64_t now_us = to_us(clock.now());
    if (below < 0 || units_of(w) >= below || now_us >= e.reset_us.load(std::memory_order_acquire))
      return;
    // min_units 1: Redis grants nothing (and the next decision leases itself) when not even one
    // unit is left.
    auto lease = redis.take_lease(e.tenant, e.meter, 1, 2 * options.processes, options.max_lease);
    if (!lease || !lease->outcome.allowed()) return;
    install(e, *lease, 1, 0);
  }

  void refill_loop() {
    std::unique_lock lk(queue_mu);
    for (;;) {
      queue_cv.wait(lk, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      Entry* e = queue.front();
      queue.pop_front();
      lk.unlock();
      refill(*e);
      lk.lock();
    }
  }
};

LeasedBackend::LeasedBackend(RedisBackend& redis, const LimitSource& limits, const Clock& clock,
                             LeaseOptions options)
    : impl_(std::make_unique<Impl>(redis, limits, clock, options)) {}

LeasedBackend::~LeasedBackend() {
  impl_->stop();  // no refill may lease again after the units went back
  (void)return_leases();
}

Result<Outcome> LeasedBackend::decide(std::string_view tenant, std::string_view meter,
                                      std::int64_t cost) {
  // Non-positive and out-of-range costs: the Redis backend answers (or refuses) them.
  if (cost <= 0 || cost > kUnlimited) return impl_->redis.decide(tenant, meter, cost);
  Impl& im = *impl_;
  const std::uint64_t h = key_hash(tenant, meter);
  Entry* e = im.find(h, tenant, meter);
  if (e == nullptr) [[unlikely]] {
    if (tenant.empty()) return im.redis.decide(tenant, meter, cost);  // its validation error
    e = im.get_or_create(h, tenant, meter);
    if (e == nullptr) return Error{Errc::unavailable, "leased quota backend: address out of range"};
  }
  if (e->version.load(std::memory_order_acquire) == im.limits.version() &&
      e->leased.load(std::memory_order_relaxed)) {
    Result<Outcome> out{boost::system::in_place_value};
    if (im.try_spend(*e, to_us(im.clock.now()), cost, *out)) return out;
  }
  return im.slow(*e, cost);
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
    const Entry* entry;
    std::int64_t units, window_index;
  };
  std::vector<Give> todo;
  const std::int64_t now_us = to_us(im.clock.now());
  for (Shard& sh : im.shards) {
    std::lock_guard slk(sh.mu);
    for (const auto& e : sh.entries) {
      std::lock_guard lk(e->mu);
      e->refill_below.store(-1, std::memory_order_relaxed);  // until the next lease
      if (const Impl::Unspent u = Impl::take_unspent(*e, now_us); u.units > 0)
        todo.push_back(Give{e.get(), u.units, u.window_index});
    }
  }
  Result<void> result = ok();
  for (const Give& g : todo) {
    auto r = im.redis.return_lease(g.entry->tenant, g.entry->meter, g.units, g.window_index);
    if (!r) result = r.error();
  }
  return result;
}

}  // namespace tenantkit::quota::redis
