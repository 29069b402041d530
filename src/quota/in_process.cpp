// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <tenantkit/quota/in_process.hpp>

#include <sched.h>
#include <sys/rseq.h>
#include <time.h>

namespace tenantkit::quota {

using namespace detail;

namespace {

class CoarseClock final : public Clock {
 public:
  Timestamp now() const noexcept override {
    return Timestamp{std::chrono::microseconds{coarse_now_us()}};
  }
};

}  // namespace

// Entries of one shard are carved from chunks that only grow (1 KiB doubling to 16 KiB): no
// allocation per counter, and a shard's counters sit on consecutive lines and pages, created
// hottest-first in a Zipf stream, instead of scattered over the heap. Never freed before the
// backend, so entry addresses are stable (reservations and slots keep them).
class EntryArena {
 public:
  EntryArena() = default;
  EntryArena(const EntryArena&) = delete;
  EntryArena& operator=(const EntryArena&) = delete;
  ~EntryArena() = default;  // entries are trivially destructible: dropping the chunks is enough

  Entry* make(std::string_view tenant, std::string_view meter) {
    const std::size_t bytes = (sizeof(Entry) + Entry::key_bytes(tenant, meter) + 63) / 64 * 64;
    if (left_ < bytes) {
      next_chunk_ = std::max(std::min<std::size_t>(next_chunk_ * 2, 16384), bytes);
      chunks_.push_back(aligned_bytes(next_chunk_));
      cursor_ = chunks_.back().get();
      left_ = next_chunk_;
    }
    std::byte* raw = cursor_;
    cursor_ += bytes;
    left_ -= bytes;
    Entry* e = new (raw) Entry;
    e->set_key(tenant, meter);
    return e;
  }

 private:
  std::vector<AlignedBytes> chunks_;
  std::byte* cursor_ = nullptr;
  std::size_t left_ = 0;
  std::size_t next_chunk_ = 512;
};

namespace {

// Writers' side of a shard (creation, growth, policy refresh). Readers never touch it: they
// load the shard's table word from Impl::tables.
struct alignas(64) Shard {
  std::mutex mu;
  std::size_t count = 0;
  std::vector<AlignedBytes> tables;  // every generation; old ones stay until destruction
  std::vector<std::pair<std::uint64_t, Entry*>> entries;  // (hash, entry)
  EntryArena arena;
};

struct Held {
  Entry* entry = nullptr;
  std::int64_t amount = 0;
  std::uint32_t epoch = 0;
  std::int64_t expires_us = 0;
};

}  // namespace

struct InProcessBackend::Impl : FastPath {
  Impl(const LimitSource& l, const Clock& c, InProcessOptions o)
      : FastPath(l, c, &c == &coarse_clock()) {
    std::size_t s = o.stripes;
    if (s == 0) s = std::max<std::size_t>(2, std::thread::hardware_concurrency());
    s = std::bit_ceil(std::min<std::size_t>(s, 64));
    stripes = s;
    stripe_mask = s - 1;
    max_chunk = std::clamp<std::int64_t>(o.max_chunk, 0, 65536);
    leasing = stripes > 1 && max_chunk > 0;
    dirs = std::make_unique<StripeDir[]>(stripes);
    front = aligned_bytes(std::size_t{64} << (kShardBits + kFrontBits));
    for (std::size_t i = 0; i < (std::size_t{1} << (kShardBits + kFrontBits)); ++i)
      new (front.get() + i * 64) Entry;
  }

  std::array<Shard, kShards> shards;
  alignas(64) std::mutex blocks_mu;
  std::uint32_t next_index = 0;  // guarded by blocks_mu
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>[]>> blocks;

  alignas(64) std::mutex policies_mu;
  std::vector<std::unique_ptr<Compiled>> policies;  // retired ones stay until destruction
  // Every distinct policy compiled so far, so that re-reading a policy after a version bump
  // finds its Compiled again instead of adding one (a LimitSource that bumps periodically would
  // otherwise grow `policies` on every bump once there are more than a few distinct policies).
  using PolicyKey = std::tuple<int, std::int64_t, std::int64_t, int, int, bool, std::int64_t>;
  std::map<PolicyKey, const Compiled*> policy_index;

  alignas(64) std::mutex res_mu;
  std::map<std::uint64_t, Held> held;
  std::multimap<std::int64_t, std::uint64_t> by_expiry;
  std::uint64_t next_res_id = 1;

  // ---- lookup --------------------------------------------------------------------------

  static bool fits_front(std::string_view tenant, std::string_view meter) noexcept {
    return sizeof(Entry) + Entry::key_bytes(tenant, meter) <= 64;
  }

  // Tenants on the same plan share one Compiled, so it stays in cache.
  Result<const Compiled*> compile(const Policy& p) {
    if (p.limit < 0) return Error{Errc::internal, "quota policy with a negative limit"};
    if (p.kind != MeterKind::gauge && p.window.count() < 1)
      return Error{Errc::internal, "quota policy with a window under 1 s"};
    const PolicyKey key{static_cast<int>(p.kind),
                        p.limit,
                        p.window.count(),
                        static_cast<int>(p.enforcement),
                        static_cast<int>(p.deny_code),
                        p.anchor.has_value(),
                        p.anchor ? to_us(*p.anchor) : 0};
    {
      std::lock_guard lk(policies_mu);
      if (auto it = policy_index.find(key); it != policy_index.end()) return it->second;
    }
    auto c = std::make_unique<Compiled>();
    c->kind = p.kind;
    c->enforcement = p.enforcement;
    c->deny_code = p.deny_code;
    c->unlimited = p.limit >= kUnlimited;
    c->limit = std::min<std::int64_t>(p.limit, static_cast<std::int64_t>(kUnitMask));
    c->window_s = p.kind == MeterKind::gauge ? 1 : p.window.count();
    c->window_us = c->window_s * 1'000'000;
    c->window_ns = c->window_us * 1000;
    c->interval_ns = std::max<std::int64_t>(1, c->window_ns / std::max<std::int64_t>(1, c->limit));
    c->has_anchor = p.anchor.has_value();
    c->anchor_us = p.anchor ? to_us(*p.anchor) : 0;
    c->out_limit = c->unlimited ? kUnlimited : c->limit;
    c->warn_at = c->unlimited ? INT64_MAX : (c->limit * 4 + 4) / 5;  // used * 5 >= limit * 4
    c->source = p;
    std::lock_guard lk(policies_mu);
    if (auto it = policy_index.find(key); it != policy_index.end()) return it->second;
    policies.push_back(std::move(c));
    policy_index.emplace(key, policies.back().get());
    return policies.back().get();
  }

  Result<std::uint32_t> allocate_index() {
    std::lock_guard lk(blocks_mu);
    if (next_index >= kMaxBlocks * kBlockSize)
      return Error{Errc::unavailable, "in-process quota backend is full (4 Mi counters)"};
    const std::uint32_t index = next_index++;
    const std::size_t b = index >> kBlockBits;
    if (dirs[0].blocks[b].load(std::memory_order_relaxed) == nullptr) {
      for (std::size_t s = 0; s < stripes; ++s) {
        blocks.emplace_back(new std::atomic<std::uint64_t>[kBlockSize]());
        dirs[s].blocks[b].store(blocks.back().get(), std::memory_order_release);
      }
    }
    return index;
  }

  Result<Entry*> get_or_create(const Probe& p, std::int64_t now_us) {
    const std::uint64_t h = p.hash;
    const std::string_view tenant = p.tenant;
    const std::string_view meter = p.meter;
    if (Entry* e = find(p)) return e;
    if (tenant.empty()) return Error{Errc::validation_failed, "empty tenant"};
    if (tenant.size() > 1024 || meter.size() > 1024)
      return Error{Errc::validation_failed, "tenant or meter name too long"};
    Shard& sh = shards[h >> (64 - kShardBits)];
    std::lock_guard lk(sh.mu);
    if (Entry* e = find(p)) return e;
    const std::uint64_t version = limits.version();
    auto policy = limits.policy(tenant, meter);
    if (!policy) return policy.error();
    auto compiled = compile(*policy);
    if (!compiled) return compiled.error();
    auto index = allocate_index();
    if (!index) return index.error();
    Entry* e = nullptr;
    if (fits_front(tenant, meter)) {
      Entry& cell = front_cell(h);
      if (cell.policy.load(std::memory_order_relaxed) == nullptr) {  // free: shard mutex held
        cell.set_key(tenant, meter);
        e = &cell;
      }
    }
    if (e == nullptr) e = sh.arena.make(tenant, meter);
    if ((reinterpret_cast<std::uintptr_t>(e) >> (kTagShift + 6)) != 0)
      return Error{Errc::unavailable, "in-process quota backend: address outside 57 bits"};
    e->placement.store(Entry::place(*index, static_cast<std::uint32_t>(current_stripe())),
                       std::memory_order_relaxed);
    e->first_use_us = now_us;
    e->policy_version.store(version, std::memory_order_relaxed);
    e->policy.store(*compiled, std::memory_order_release);  // publishes a front cell

    std::atomic<std::uintptr_t>& table = tables[h >> (64 - kShardBits)];
    std::uintptr_t tw = table.load(std::memory_order_relaxed);
    TableRef t = table_ref(tw);
    if (tw == 0 || (sh.count + 1) * 2 > t.mask + 1) {
      const std::size_t log2 = tw == 0 ? 4 : (tw & 63) + 1;
      AlignedBytes mem = aligned_bytes(sizeof(Slot) << log2);
      auto* slots = reinterpret_cast<Slot*>(mem.get());
      for (std::size_t i = 0; i < (std::size_t{1} << log2); ++i) new (&slots[i]) Slot;
      tw = reinterpret_cast<std::uintptr_t>(slots) | log2;
      t = table_ref(tw);
      for (const auto& [hash, old] : sh.entries) insert(t, hash, old);
      sh.tables.push_back(std::move(mem));
      table.store(tw, std::memory_order_release);
    }
    sh.entries.emplace_back(h, e);
    ++sh.count;
    insert(t, h, e);
    return e;
  }

  static void insert(const TableRef& t, std::uint64_t h, Entry* e) noexcept {
    std::size_t i = h & t.mask;
    while (t.slots[i].word.load(std::memory_order_relaxed) != 0) i = (i + 1) & t.mask;
    const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(e) >> 6;  // 64-byte aligned
    t.slots[i].word.store((tag_of(h) << kTagShift) | addr, std::memory_order_release);
  }

  Result<const Compiled*> current_policy(Entry& e) {
    const std::uint64_t version = limits.version();
    if (e.policy_version.load(std::memory_order_acquire) == version)
      return e.policy.load(std::memory_order_acquire);
    Shard& sh = shards[key_hash(e.tenant(), e.meter()) >> (64 - kShardBits)];
    std::lock_guard lk(sh.mu);
    if (e.policy_version.load(std::memory_order_acquire) == version)
      return e.policy.load(std::memory_order_acquire);
    auto policy = limits.policy(e.tenant(), e.meter());
    if (!policy) return policy.error();
    auto compiled = compile(*policy);
    if (!compiled) return compiled.error();
    const Compiled* fresh = *compiled;
    const Compiled* old = e.policy.load(std::memory_order_acquire);
    if (fresh == nullptr || old == nullptr) return Error{Errc::internal, "quota policy missing"};
    if (old->kind != fresh->kind) {
      // The state word means something else for another kind: start the meter afresh.
      e.state.store(0, std::memory_order_release);
      for (std::size_t s = 0; s < stripes; ++s)
        stripe_word(e.index(), s).store(0, std::memory_order_release);
    }
    if (old->window_us != fresh->window_us || old->anchor_us != fresh->anchor_us ||
        old->has_anchor != fresh->has_anchor)
      e.window.store(0, std::memory_order_relaxed);
    e.policy.store(fresh, std::memory_order_release);
    e.policy_version.store(version, std::memory_order_release);
    return fresh;
  }

  // ---- windows ---------------------------------------------------------------------------

  // The epoch (low 24 bits of the window index since the anchor) holding `now_us`, and the
  // window's end. The last computed window is cached in the entry to keep the division off the
  // hot path (cached_window()).
  static std::uint32_t window_epoch(Entry& e, const Compiled& c, std::int64_t now_us,
                                    std::int64_t& end_us) noexcept {
    if (const CachedWindow cached = cached_window(e, c); cached.holds(now_us, now_us)) {
      end_us = cached.end_us;
      return cached.epoch;
    }
    const std::int64_t anchor = anchor_of(e, c);
    const std::int64_t rel = std::max<std::int64_t>(0, now_us - anchor);
    const std::int64_t k = rel / c.window_us;
    const std::int64_t end_s = (k + 1) * c.window_s;
    const auto epoch = static_cast<std::uint32_t>(k) & kEpochMask;
    e.window.store(pack(epoch, end_s), std::memory_order_relaxed);
    end_us = anchor + end_s * 1'000'000;
    return epoch;
  }

  // ---- outcomes --------------------------------------------------------------------------

  // Writes every field in place: the Outcome lives in the caller's Result (no copy).
  static void make(Outcome& o, const Compiled& c, bool allowed, std::int64_t used,
                   std::int64_t reset_us, std::int64_t now_us, bool overage,
                   std::int64_t retry_us) noexcept {
    o.is_allowed = allowed;
    o.kind = c.kind;
    o.deny_code = c.deny_code;
    o.limit = c.unlimited ? kUnlimited : c.limit;
    o.used = std::max<std::int64_t>(0, used);
    o.remaining = std::max<std::int64_t>(0, o.limit - o.used);
    o.overage = overage;
    o.warning = !c.unlimited && o.used * 5 >= o.limit * 4;
    const bool windowed = c.kind != MeterKind::gauge;
    o.window = std::chrono::seconds{windowed ? c.window_s : 0};
    o.reset = Timestamp{std::chrono::microseconds{windowed ? reset_us : 0}};
    o.retry_after =
        std::chrono::seconds{allowed ? 0 : std::max<std::int64_t>(1, ceil_seconds(retry_us))};
    (void)now_us;
  }

  // ---- counters and fixed windows ----------------------------------------------------------

  std::int64_t leased_units(const Entry& e, std::uint32_t epoch) const noexcept {
    std::int64_t sum = 0;
    for (std::size_t s = 0; s < stripes; ++s) {
      const std::uint64_t b = stripe_word(e.index(), s).load(std::memory_order_acquire);
      if (epoch_of(b) == epoch) sum += units_of(b);
    }
    return sum;
  }

  bool spend_leased(const Entry& e, std::uint32_t epoch, std::int64_t cost) const noexcept {
    for (std::size_t s = 0; s < stripes; ++s) {
      auto& word = stripe_word(e.index(), s);
      std::uint64_t b = word.load(std::memory_order_acquire);
      while (epoch_of(b) == epoch && units_of(b) >= cost) {
        if (word.compare_exchange_weak(b, b - static_cast<std::uint64_t>(cost),
                                       std::memory_order_acq_rel, std::memory_order_acquire))
          return true;
      }
    }
    return false;
  }

  static void add_leased(std::atomic<std::uint64_t>& word, std::uint32_t epoch,
                         std::int64_t units) noexcept {
    std::uint64_t b = word.load(std::memory_order_acquire);
    for (;;) {
      const std::uint64_t next =
          epoch_of(b) == epoch ? b + static_cast<std::uint64_t>(units) : pack(epoch, units);
      if (word.compare_exchange_weak(b, next, std::memory_order_acq_rel, std::memory_order_acquire))
        return;
    }
  }

  void counter(Outcome& o, Entry& e, const Compiled& c, std::int64_t now_us,
               std::int64_t cost) noexcept {
    std::int64_t end_us = 0;
    std::uint32_t k = window_epoch(e, c, now_us, end_us);
    std::atomic<std::uint64_t>* mine = nullptr;
    if (leasing) {
      // Direct path: while only the CPU that created a counter (its home) spends from it, units
      // are counted on the counter word itself, which shares the entry's cache line: no stripe
      // line is touched. The first time another CPU spends from it, the counter leaves home for
      // good, and from then on every CPU, the former home too, spends units its own stripe
      // leased in chunks, so threads on different cores do not fight over the entry's line.
      const std::size_t here = current_stripe();
      const std::uint32_t home = e.home();
      if (cost > 0 && here == home && take_direct(o, e, c, k, end_us, cost)) return;
      if (cost > 0 && here != home && home != Entry::kNoHome) e.leave_home();
      mine = &stripe_word(e.index(), here);
      // Then units this CPU's stripe leased earlier in this window.
      if (cost > 0 && take_leased(o, e, c, *mine, k, end_us, cost)) return;
    }
    const bool soft = c.enforcement == Enforcement::soft;
    std::uint64_t g = e.state.load(std::memory_order_acquire);
    for (;;) {
      const std::uint32_t ge = epoch_of(g);
      if (ge != k) {
        if (newer(k, ge)) {
          if (!e.state.compare_exchange_weak(g, pack(k, 0), std::memory_order_acq_rel,
                                             std::memory_order_acquire))
            continue;
          g = pack(k, 0);
        } else {
          // Another thread's clock already moved the counter to the next window: join it.
          k = ge;
          end_us += c.window_us;
        }
      }
      const std::int64_t used = units_of(g);
      const std::int64_t headroom = c.limit - used;
      if (cost == 0) {
        const std::int64_t real = used - (leasing ? leased_units(e, k) : 0);
        const bool ok = soft || real < c.limit;
        return make(o, c, ok, real, end_us, now_us, real > c.limit, end_us - now_us);
      }
      if (headroom >= cost) {
        const std::int64_t extra =
            leasing ? std::min<std::int64_t>(
                          max_chunk, (headroom - cost) / static_cast<std::int64_t>(8 * stripes))
                    : 0;
        if (!e.state.compare_exchange_weak(g, pack(k, used + cost + extra),
                                           std::memory_order_acq_rel, std::memory_order_acquire))
          continue;
        if (extra > 0) add_leased(*mine, k, extra);
        return make(o, c, true, used + cost, end_us, now_us, false, 0);
      }
      // No headroom in the counter: units may still sit in a stripe leased earlier.
      if (leasing && spend_leased(e, k, cost))
        return make(o, c, true, used - leased_units(e, k), end_us, now_us, false, 0);
      const std::uint64_t again = e.state.load(std::memory_order_acquire);
      if (again != g) {
        g = again;
        continue;
      }
      if (soft) {
        const std::int64_t next = std::min<std::int64_t>(used + cost, kUnitMask);
        if (!e.state.compare_exchange_weak(g, pack(k, next), std::memory_order_acq_rel,
                                           std::memory_order_acquire))
          continue;
        return make(o, c, true, next - (leasing ? leased_units(e, k) : 0), end_us, now_us, true, 0);
      }
      const std::int64_t real = used - (leasing ? leased_units(e, k) : 0);
      return make(o, c, false, real, end_us, now_us, false, end_us - now_us);
    }
  }

  // ---- token bucket (GCRA) -----------------------------------------------------------------

  static void bucket(Outcome& o, Entry& e, const Compiled& c, std::int64_t now_us,
                     std::int64_t cost) noexcept {
    const bool soft = c.enforcement == Enforcement::soft;
    const std::int64_t anchor = anchor_of(e, c);
    const std::int64_t now_ns = std::max<std::int64_t>(0, now_us - anchor) * 1000;
    std::uint64_t cur = e.state.load(std::memory_order_acquire);
    for (;;) {
      const auto tat = static_cast<std::int64_t>(cur);
      const std::int64_t base = std::max(tat, now_ns);
      const std::int64_t next = base + sat_mul(std::max<std::int64_t>(cost, 1), c.interval_ns);
      const bool fits = next - now_ns <= c.window_ns;
      const std::int64_t level = base - now_ns;  // ns of the bucket in use
      if (cost == 0 || (!fits && !soft)) {
        const std::int64_t remaining =
            std::max<std::int64_t>(0, (c.window_ns - level) / c.interval_ns);
        const bool ok = cost == 0 ? (soft || fits) : false;
        const std::int64_t retry_ns = next - c.window_ns - now_ns;
        return make(o, c, ok, c.limit - remaining, anchor + base / 1000, now_us, false,
                    cost > c.limit && !soft ? c.window_us : (retry_ns + 999) / 1000);
      }
      if (e.state.compare_exchange_weak(cur, static_cast<std::uint64_t>(next),
                                        std::memory_order_acq_rel, std::memory_order_acquire)) {
        const std::int64_t remaining =
            std::max<std::int64_t>(0, (c.window_ns - (next - now_ns)) / c.interval_ns);
        return make(o, c, true, c.limit - remaining, anchor + next / 1000, now_us, !fits, 0);
      }
    }
  }

  // ---- gauges ------------------------------------------------------------------------------

  static void gauge(Outcome& o, Entry& e, const Compiled& c, std::int64_t now_us,
                    std::int64_t cost) noexcept {
    const bool soft = c.enforcement == Enforcement::soft;
    std::uint64_t cur = e.state.load(std::memory_order_acquire);
    for (;;) {
      const auto level = static_cast<std::int64_t>(cur);
      const std::int64_t next = level + cost;
      const bool fits = next <= c.limit;
      if (cost == 0) return make(o, c, soft || level<c.limit, level, 0, now_us, level> c.limit, 0);
      if (!fits && !soft) return make(o, c, false, level, 0, now_us, false, 0);
      if (e.state.compare_exchange_weak(cur, static_cast<std::uint64_t>(next),
                                        std::memory_order_acq_rel, std::memory_order_acquire))
        return make(o, c, true, next, 0, now_us, !fits, 0);
    }
  }

  // ---- the common decision ----------------------------------------------------------------

  // A counter with its current policy, created on first use.
  struct Counter {
    Entry* entry = nullptr;
    const Compiled* policy = nullptr;
  };

  Result<Counter> lookup(std::string_view tenant, std::string_view meter, std::int64_t now) {
    auto e = get_or_create(probe_of(tenant, meter), now);
    if (!e) return e.error();
    if (*e == nullptr) return Error{Errc::internal, "quota counter missing"};
    auto policy = current_policy(**e);
    if (!policy) return policy.error();
    if (*policy == nullptr) return Error{Errc::internal, "quota policy missing"};
    return Counter{*e, *policy};
  }

  // Every other decision: creation, reservations due, policy refresh, window change, leasing,
  // denials, gauges and buckets. Out of line, so the common case above stays small.
  void decide_general(Result<Outcome>& out, std::string_view tenant, std::string_view meter,
                      std::int64_t cost) {
    if (auto v = check_units(cost, 0, "cost"); !v) {
      out = v.error();
      return;
    }
    const std::int64_t now = now_us();
    expire(now);
    auto c = lookup(tenant, meter, now);
    if (!c) {
      out = c.error();
      return;
    }
    decide_entry(*out, *c->entry, *c->policy, now, cost);
  }

  void decide_entry(Outcome& o, Entry& e, const Compiled& c, std::int64_t now_us,
                    std::int64_t cost) {
    switch (c.kind) {
      case MeterKind::gauge:
        return gauge(o, e, c, now_us, cost);
      case MeterKind::token_bucket:
        return bucket(o, e, c, now_us, cost);
      case MeterKind::counter:
      case MeterKind::fixed_window:
      default:
        return counter(o, e, c, now_us, cost);
    }
  }

  // ---- reservations ------------------------------------------------------------------------

  // Gives back (negative delta) or adds (positive) units outside a decision: settling and
  // expiring reservations. Units of a window that has passed are not carried into the next.
  void adjust(Entry& e, std::uint32_t epoch, std::int64_t delta) {
    const Compiled& c = *e.policy.load(std::memory_order_acquire);
    std::uint64_t cur = e.state.load(std::memory_order_acquire);
    for (;;) {
      std::uint64_t next = cur;
      switch (c.kind) {
        case MeterKind::gauge:
          next = static_cast<std::uint64_t>(
              std::max<std::int64_t>(0, static_cast<std::int64_t>(cur) + delta));
          break;
        case MeterKind::token_bucket:
          next = static_cast<std::uint64_t>(
              std::max<std::int64_t>(0, static_cast<std::int64_t>(cur) + delta * c.interval_ns));
          break;
        case MeterKind::counter:
        case MeterKind::fixed_window:
        default:
          if (epoch_of(cur) != epoch) return;
          next = pack(epoch, std::clamp<std::int64_t>(units_of(cur) + delta, 0,
                                                      static_cast<std::int64_t>(kUnitMask)));
          break;
      }
      if (e.state.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
        return;
    }
  }

  // Counts units already spent, whatever the limit (QuotaBackend::add), then reports the state.
  void add_units(Outcome& o, Entry& e, const Compiled& c, std::int64_t now_us,
                 std::int64_t amount) {
    // A zero-cost decision first moves a counter into the current window, so the units land
    // there and not in a window that has passed.
    decide_entry(o, e, c, now_us, 0);
    if (amount == 0) return;
    if (c.kind == MeterKind::token_bucket) {
      // GCRA: spending starts from now when the bucket has refilled (an old TAT would undercount).
      const std::int64_t now_ns = std::max<std::int64_t>(0, now_us - anchor_of(e, c)) * 1000;
      std::uint64_t cur = e.state.load(std::memory_order_acquire);
      for (;;) {
        const std::int64_t base = std::max(static_cast<std::int64_t>(cur), now_ns);
        const auto next = static_cast<std::uint64_t>(base + sat_mul(amount, c.interval_ns));
        if (e.state.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                          std::memory_order_acquire))
          break;
      }
    } else {
      adjust(e, epoch_of(e.state.load(std::memory_order_acquire)), amount);
    }
    decide_entry(o, e, c, now_us, 0);
  }

  void expire(std::int64_t now_us) {
    if (now_us < next_expiry.load(std::memory_order_relaxed)) return;
    std::lock_guard lk(res_mu);
    while (!by_expiry.empty() && by_expiry.begin()->first <= now_us) {
      auto it = held.find(by_expiry.begin()->second);
      if (it != held.end()) {
        adjust(*it->second.entry, it->second.epoch, -it->second.amount);
        held.erase(it);
      }
      by_expiry.erase(by_expiry.begin());
    }
    next_expiry.store(by_expiry.empty() ? INT64_MAX : by_expiry.begin()->first,
                      std::memory_order_relaxed);
  }

  Result<Held> take_held(const Reservation& r) {
    std::lock_guard lk(res_mu);
    auto it = held.find(r.id);
    if (it == held.end()) {
      if (r.id != 0 && r.id < next_res_id)
        return Error{Errc::gone, "reservation already settled or expired"};
      return Error{Errc::not_found, "unknown reservation"};
    }
    if (it->second.entry->tenant() != r.tenant || it->second.entry->meter() != r.meter)
      return Error{Errc::not_found, "unknown reservation"};
    Held h = it->second;
    held.erase(it);
    auto range = by_expiry.equal_range(h.expires_us);
    for (auto i = range.first; i != range.second; ++i) {
      if (i->second == r.id) {
        by_expiry.erase(i);
        break;
      }
    }
    return h;
  }
};

InProcessBackend::InProcessBackend(const LimitSource& limits, const Clock& clock,
                                   InProcessOptions options)
    : impl_(std::make_unique<Impl>(limits, clock, options)), fast_(impl_.get()) {}

InProcessBackend::~InProcessBackend() = default;

std::size_t InProcessBackend::stripes() const noexcept {
  return impl_->stripes;
}

Result<Outcome> InProcessBackend::decide_general(std::string_view tenant, std::string_view meter,
                                                 std::int64_t cost) {
  // One named result on every path, so it is built in the caller's storage (NRVO).
  Result<Outcome> out{boost::system::in_place_value};
  impl_->decide_general(out, tenant, meter, cost);
  return out;
}

Result<Outcome> InProcessBackend::add(std::string_view tenant, std::string_view meter,
                                      std::int64_t amount) {
  if (auto v = check_units(amount, 0, "amount"); !v) return v.error();
  Impl& im = *impl_;
  const std::int64_t now_us = im.now_us();
  im.expire(now_us);
  auto counter = im.lookup(tenant, meter, now_us);
  if (!counter) return counter.error();
  Entry* entry = counter->entry;
  const Compiled* c = counter->policy;
  Outcome o;
  im.add_units(o, *entry, *c, now_us, amount);
  return o;
}

Result<void> InProcessBackend::set_gauge(std::string_view tenant, std::string_view meter,
                                         std::int64_t value) {
  if (auto v = check_units(value, 0, "gauge level"); !v) return v.error();
  Impl& im = *impl_;
  const std::int64_t now_us = im.now_us();
  auto counter = im.lookup(tenant, meter, now_us);
  if (!counter) return counter.error();
  Entry* entry = counter->entry;
  const Compiled* c = counter->policy;
  if (c->kind != MeterKind::gauge) return Error{Errc::validation_failed, "meter is not a gauge"};
  entry->state.store(static_cast<std::uint64_t>(value), std::memory_order_release);
  return ok();
}

Result<Reservation> InProcessBackend::reserve(std::string_view tenant, std::string_view meter,
                                              std::int64_t amount, std::chrono::seconds ttl) {
  if (auto v = check_units(amount, 1, "reservation amount"); !v) return v.error();
  if (ttl.count() < 1) return Error{Errc::validation_failed, "reservation ttl must be >= 1 s"};
  Impl& im = *impl_;
  const std::int64_t now_us = im.now_us();
  im.expire(now_us);
  auto counter = im.lookup(tenant, meter, now_us);
  if (!counter) return counter.error();
  Entry* entry = counter->entry;
  const Compiled* c = counter->policy;
  Reservation r;
  r.tenant.assign(tenant);
  r.meter.assign(meter);
  r.amount = amount;
  im.decide_entry(r.outcome, *entry, *c, now_us, amount);
  if (!r.outcome.allowed()) return r;
  std::int64_t end_us = 0;
  const std::uint32_t epoch = Impl::window_epoch(*entry, *c, now_us, end_us);
  const std::int64_t expires_us = now_us + ttl.count() * 1'000'000;
  r.expires_at = Timestamp{std::chrono::microseconds{expires_us}};
  std::lock_guard lk(im.res_mu);
  r.id = im.next_res_id++;
  im.held.emplace(r.id, Held{entry, amount, epoch, expires_us});
  im.by_expiry.emplace(expires_us, r.id);
  im.next_expiry.store(im.by_expiry.begin()->first, std::memory_order_relaxed);
  return r;
}

Result<Outcome> InProcessBackend::commit(const Reservation& reservation, std::int64_t actual) {
  if (auto v = check_units(actual, 0, "actual usage"); !v) return v.error();
  Impl& im = *impl_;
  const std::int64_t now_us = im.now_us();
  im.expire(now_us);
  auto held = im.take_held(reservation);
  if (!held) return held.error();
  Entry* entry = held->entry;
  if (entry == nullptr) return Error{Errc::internal, "quota counter missing"};
  im.adjust(*entry, held->epoch, actual - held->amount);
  auto policy = im.current_policy(*entry);
  if (!policy) return policy.error();
  const Compiled* c = *policy;
  if (c == nullptr) return Error{Errc::internal, "quota policy missing"};
  Outcome o;
  im.decide_entry(o, *entry, *c, now_us, 0);
  return o;
}

Result<void> InProcessBackend::release(const Reservation& reservation) {
  Impl& im = *impl_;
  im.expire(im.now_us());
  auto held = im.take_held(reservation);
  if (!held) return held.error();
  if (held->entry == nullptr) return Error{Errc::internal, "quota counter missing"};
  im.adjust(*held->entry, held->epoch, -held->amount);
  return ok();
}

const Clock& coarse_clock() noexcept {
  static const CoarseClock clock;
  return clock;
}

}  // namespace tenantkit::quota
