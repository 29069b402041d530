// SPDX-License-Identifier: Apache-2.0
// Internal to InProcessBackend (include <tenantkit/quota/in_process.hpp>, not this): the data
// layout its decisions read and the common decision itself (FastPath::try_fast), kept in a
// header so that a caller's decide() compiles it inline, without a call, and drops the Outcome
// fields the caller never reads. Everything else (creation, leasing, denials, reservations) is
// out of line in src/quota/in_process.cpp, whose InProcessBackend::Impl extends FastPath.
// Nothing here is API: names and layout change without notice.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/quota/limits.hpp>
#include <tenantkit/quota/meter.hpp>

#include <sched.h>
#include <sys/rseq.h>
#include <time.h>

namespace tenantkit::quota::detail {

inline std::int64_t coarse_now_us() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// The seconds of the coarse clock: time() reads the same seconds field of the vDSO's data that
// CLOCK_REALTIME_COARSE does (one load, no sequence-counter loop, no division).
inline std::int64_t coarse_seconds() noexcept {
  return static_cast<std::int64_t>(::time(nullptr));
}

// Keys are hashed with a wyhash-style multiply-fold: short tenant ids ("t4711", UUIDs) hash in a
// few multiplications, with no allocation.
__extension__ using U128 = unsigned __int128;

inline std::uint64_t fold(std::uint64_t a, std::uint64_t b) noexcept {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}

// The mask of the low n (0..8) bytes of a word (two shifts: n = 8 must not shift by 64).
inline std::uint64_t byte_mask(std::size_t n) noexcept {
  return ((std::uint64_t{1} << (4 * n)) << (4 * n)) - 1;
}

// The first n (0..8) bytes as a little-endian word, zero above: two overlapping reads put each
// byte at bit 8 x its index (the overlap ORs a byte with itself), so nothing past p + n is read.
inline std::uint64_t load_prefix(const char* p, std::size_t n) noexcept {
  if (n >= 4) {
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return a | (static_cast<std::uint64_t>(b) << (8 * (n - 4)));
  }
  if (n == 0) return 0;
  const auto byte = [](char ch) {
    return static_cast<std::uint64_t>(static_cast<unsigned char>(ch));
  };
  return byte(p[0]) | (byte(p[n >> 1]) << (8 * (n >> 1))) | (byte(p[n - 1]) << (8 * (n - 1)));
}

// load_prefix() of a key part on the decision path: one 8-byte read, masked, when those 8 bytes
// lie in p's 4 KiB page (pages are multiples of that). The bytes past p + n are read but never
// used; a read that stays in a mapped page cannot fault, so only their values are unknown, and
// the mask drops them. AddressSanitizer would report the read past a short heap string, so
// sanitized builds read exactly n bytes.
inline std::uint64_t load_key_word(const char* p, std::size_t n) noexcept {
#if !defined(__SANITIZE_ADDRESS__)
  if ((reinterpret_cast<std::uintptr_t>(p) & 4095) <= 4096 - 8) return load8(p) & byte_mask(n);
#endif
  return load_prefix(p, n);
}

inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ULL);
  while (n > 8) {
    h = fold(h ^ load8(p), 0xA0761D6478BD642FULL);
    p += 8;
    n -= 8;
  }
  return fold(h ^ load_prefix(p, n), 0xE7037ED1A0B428DBULL);
}

// Short keys (tenant and meter of at most 8 bytes each: "t4711" or a short id with "requests")
// are read as one word each and mixed in two multiply-folds, wyhash's short-input scheme; the
// lengths go in too, so keys that differ only in where tenant ends and meter starts differ.
// An entry stores a short key as those two words (zero-padded), so a compare is two loads.
inline bool short_key(std::string_view tenant, std::string_view meter) noexcept {
  return std::max(tenant.size(), meter.size()) <= 8;
}

// A key read once: its hash and, for a short key, its two words, which the hash and every
// compare on the lookup share.
struct Probe {
  std::string_view tenant;
  std::string_view meter;
  std::uint64_t hash = 0;
  std::uint64_t tenant_word = 0;  // short keys: load_prefix() of each part
  std::uint64_t meter_word = 0;
  std::uint32_t lens = 0;  // Entry::lens of the key
  bool small = false;
};

inline std::uint32_t pack_lens(std::size_t tenant, std::size_t meter) noexcept {
  return static_cast<std::uint32_t>(tenant | (meter << 16));
}

inline Probe probe_of(std::string_view tenant, std::string_view meter) noexcept {
  Probe p{tenant, meter};
  p.small = short_key(tenant, meter);
  // No entry has a part over 1 KiB: a longer one gets lengths no entry has.
  p.lens =
      (tenant.size() | meter.size()) > 0xFFFF ? UINT32_MAX : pack_lens(tenant.size(), meter.size());
  if (p.small) {
    p.tenant_word = load_key_word(tenant.data(), tenant.size());
    p.meter_word = load_key_word(meter.data(), meter.size());
    const std::uint64_t lens = (tenant.size() << 8) | meter.size();
    const std::uint64_t h =
        fold(p.tenant_word ^ 0xA0761D6478BD642FULL, p.meter_word ^ 0xE7037ED1A0B428DBULL);
    p.hash = fold(h ^ 0x8EBC6AF09C88C6E3ULL, lens ^ 0x589965CC75374CC3ULL);
  } else {
    p.hash = hash_bytes(meter, hash_bytes(tenant, 0x8EBC6AF09C88C6E3ULL));
  }
  return p;
}

inline std::uint64_t key_hash(std::string_view tenant, std::string_view meter) noexcept {
  return probe_of(tenant, meter).hash;
}

// A counter word packs (window epoch: 24 bits | units: 40 bits), so a window rollover resets the
// count and invalidates every stripe's leased units with one compare-and-swap each.
constexpr int kUnitBits = 40;
constexpr std::uint64_t kUnitMask = (std::uint64_t{1} << kUnitBits) - 1;
constexpr std::uint32_t kEpochMask = (1U << 24) - 1;

inline std::uint64_t pack(std::uint32_t epoch, std::int64_t units) noexcept {
  return (static_cast<std::uint64_t>(epoch & kEpochMask) << kUnitBits) |
         (static_cast<std::uint64_t>(units) & kUnitMask);
}
inline std::uint32_t epoch_of(std::uint64_t w) noexcept {
  return static_cast<std::uint32_t>(w >> kUnitBits);
}
inline std::int64_t units_of(std::uint64_t w) noexcept {
  return static_cast<std::int64_t>(w & kUnitMask);
}
// Epochs wrap at 2^24: `a` is newer than `b` when it is less than half the ring ahead.
inline bool newer(std::uint32_t a, std::uint32_t b) noexcept {
  const std::uint32_t d = (a - b) & kEpochMask;
  return d != 0 && d < (1U << 23);
}

inline std::int64_t ceil_seconds(std::int64_t us) noexcept {
  return us <= 0 ? 0 : (us + 999'999) / 1'000'000;
}

inline std::int64_t sat_mul(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX / 4 : r;
}

// An immutable compiled policy; replaced (never mutated) when the LimitSource changes.
struct Compiled {
  MeterKind kind = MeterKind::counter;
  Enforcement enforcement = Enforcement::hard;
  Errc deny_code = Errc::quota_exceeded;
  bool unlimited = false;
  bool has_anchor = false;
  std::int64_t limit = 0;
  std::int64_t window_s = 1;
  std::int64_t window_us = 1'000'000;
  std::int64_t window_ns = 1'000'000'000;
  std::int64_t interval_ns = 1;  // token bucket: time per unit
  std::int64_t anchor_us = 0;    // only with has_anchor; else the counter's first use
  std::int64_t out_limit = 0;    // Outcome::limit: kUnlimited when unlimited
  std::int64_t warn_at = 0;      // the least usage that sets Outcome::warning (>= 80 %)
  Policy source;
};

constexpr std::size_t kShardBits = 6;
constexpr std::size_t kShards = std::size_t{1} << kShardBits;
constexpr std::size_t kBlockBits = 12;
constexpr std::size_t kBlockSize = std::size_t{1} << kBlockBits;
constexpr std::size_t kMaxBlocks = 1024;  // 4 Mi counters per backend
// Front cells per shard (see FastPath::front): 64 x 128 cells of 64 bytes = 512 KiB per backend.
constexpr std::size_t kFrontBits = 7;
constexpr int kFrontShift = 45;  // hash bits 45..51: apart from the shard, tag and slot bits

// One counter, sized so that it and a short key ("t4711" + "requests") share one cache line:
// the key bytes follow the struct in the same allocation (64-byte aligned): a short key (see
// short_key()) as two zero-padded words, tenant then meter, 16 bytes; a longer one as the
// tenant's bytes followed by the meter's. `state` is written only when a stripe leases a chunk,
// so the line stays shared between cores.
struct Entry {
  std::atomic<const Compiled*> policy{nullptr};
  std::atomic<std::uint64_t> policy_version{0};
  std::atomic<std::uint64_t> window{0};  // cache: (epoch | window end in s since the anchor)
  std::atomic<std::uint64_t> state{0};   // counter word, gauge level, or bucket TAT (ns)
  std::int64_t first_use_us = 0;
  // The stripe word index (low 24 bits, < 4 Mi) and the home stripe (high 8 bits): the stripe
  // of the CPU that created the counter, until another CPU spends from it (kNoHome; see
  // counter()). Written once at creation (before publication) and at most once after.
  std::atomic<std::uint32_t> placement{0};
  std::uint32_t lens = 0;  // pack_lens(): tenant length | meter length << 16 (each <= 1 KiB)

  static constexpr std::uint32_t kNoHome = 0xFF;  // stripes are < 64

  // The placement word's two fields.
  static std::uint32_t place(std::uint32_t index, std::uint32_t home) noexcept {
    return index | (home << 24);
  }
  static std::uint32_t index_of(std::uint32_t placement) noexcept { return placement & 0xFFFFFF; }
  static std::uint32_t home_of(std::uint32_t placement) noexcept { return placement >> 24; }

  std::uint32_t index() const noexcept {
    return index_of(placement.load(std::memory_order_relaxed));
  }
  std::uint32_t home() const noexcept { return home_of(placement.load(std::memory_order_relaxed)); }
  void leave_home() noexcept { placement.fetch_or(place(0, kNoHome), std::memory_order_relaxed); }
  std::size_t tenant_len() const noexcept { return lens & 0xFFFF; }
  std::size_t meter_len() const noexcept { return lens >> 16; }
  bool small() const noexcept { return std::max(tenant_len(), meter_len()) <= 8; }
  const char* key() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  std::string_view tenant() const noexcept { return {key(), tenant_len()}; }
  std::string_view meter() const noexcept {
    return {key() + (small() ? 8 : tenant_len()), meter_len()};
  }

  // The bytes the key takes after the entry.
  static std::size_t key_bytes(std::string_view tenant, std::string_view meter) noexcept {
    return short_key(tenant, meter) ? 16 : tenant.size() + meter.size();
  }
  // Writes the key after the entry (key_bytes() of room) and its lengths.
  void set_key(std::string_view tenant, std::string_view meter) noexcept {
    char* k = reinterpret_cast<char*>(this + 1);
    const bool padded = short_key(tenant, meter);
    if (padded) std::memset(k, 0, 16);
    std::memcpy(k, tenant.data(), tenant.size());
    std::memcpy(k + (padded ? 8 : tenant.size()), meter.data(), meter.size());
    lens = pack_lens(tenant.size(), meter.size());
  }
};
static_assert(sizeof(Entry) == 48);
static_assert(sizeof(Entry) + 16 <= 64, "a short key's two words must lie in the entry's line");
static_assert(std::is_trivially_destructible_v<Entry>);

inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  while (n >= 8) {
    if (load8(a) != load8(b)) return false;
    a += 8;
    b += 8;
    n -= 8;
  }
  return load_prefix(a, n) == load_prefix(b, n);
}

// Equal lengths, then a short key's two padded words (one compare), or the bytes of a longer one.
[[gnu::always_inline]] inline bool matches(const Entry& e, const Probe& p) noexcept {
  if (e.lens != p.lens) return false;
  if (p.small) return ((load8(e.key()) ^ p.tenant_word) | (load8(e.key() + 8) ^ p.meter_word)) == 0;
  return same_bytes(e.key(), p.tenant.data(), p.tenant.size()) &&
         same_bytes(e.key() + p.tenant.size(), p.meter.data(), p.meter.size());
}

// 64-byte aligned memory freed with the matching aligned delete.
struct AlignedDelete {
  void operator()(std::byte* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
};
using AlignedBytes = std::unique_ptr<std::byte[], AlignedDelete>;

inline AlignedBytes aligned_bytes(std::size_t n) {
  auto* p = static_cast<std::byte*>(::operator new[](n, std::align_val_t{64}));
  return AlignedBytes(p);
}

// A slot is one word: the entry's address (64-byte aligned, so its low 6 bits are dropped:
// 51 bits cover any 57-bit user address) below 13 bits of the key's hash. A probe past another
// key then rarely touches its entry, and a table takes 8 bytes per slot: half the cache
// footprint of a (hash, pointer) pair. 0 is an empty slot.
static_assert(sizeof(std::uintptr_t) == 8);
constexpr int kTagShift = 51;
constexpr std::uintptr_t kAddrMask = (std::uintptr_t{1} << kTagShift) - 1;

inline std::uintptr_t tag_of(std::uint64_t h) noexcept {
  return static_cast<std::uintptr_t>((h >> 32) & 0x1FFF);
}

struct Slot {
  std::atomic<std::uintptr_t> word{0};
};

// A shard's table is one word: the 64-byte aligned slot array with log2(capacity) in its low 6
// bits, so a lookup goes shard word -> slot -> entry with no header load in between.
struct TableRef {
  Slot* slots = nullptr;
  std::size_t mask = 0;
};

inline TableRef table_ref(std::uintptr_t w) noexcept {
  return {reinterpret_cast<Slot*>(w & ~std::uintptr_t{63}), (std::size_t{1} << (w & 63)) - 1};
}

struct alignas(64) StripeDir {
  std::array<std::atomic<std::atomic<std::uint64_t>*>, kMaxBlocks> blocks{};
};

inline std::int64_t to_us(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}

// The part of InProcessBackend::Impl that the common decision reads (settings, front cells, the
// shards' table words, stripe directories) and the decision itself, try_fast(). Impl fills it
// in its constructor and extends it with everything the general path needs.
struct FastPath {
  FastPath(const LimitSource& l, const Clock& c, bool default_clock) noexcept
      : limits(l), clock(c), coarse(default_clock) {}

  // Read by every decision and written (almost) never, so these lines stay shared between cores:
  // the settings, the stripe directories, and the shards' table words (64 words in 8 lines;
  // a word changes only when its shard's table doubles). Mutexes live on other lines.
  const LimitSource& limits;
  const Clock& clock;
  bool coarse;  // the default clock: read it inline, without the virtual call
  std::size_t stripes = 1;
  std::size_t stripe_mask = 0;
  std::int64_t max_chunk = 0;
  bool leasing = false;
  std::unique_ptr<StripeDir[]> dirs;
  std::atomic<std::int64_t> next_expiry{INT64_MAX};  // written by reserve/expiry only
  // Front cells: a direct-mapped array of entries (one 64-byte line each, the key inline) that
  // the first short-keyed counter to hash to a cell occupies for good. A lookup loads its front
  // cell and the shard's slot at once, so a counter in front costs one cache miss instead of
  // two (slot, then entry). In a skewed stream the first counters seen are the busy ones.
  // Front entries are also in the slot table, like every entry; addresses never change.
  AlignedBytes front;
  alignas(64) std::array<std::atomic<std::uintptr_t>, kShards> tables{};

  std::int64_t now_us() const noexcept { return coarse ? coarse_now_us() : to_us(clock.now()); }

  Entry& front_cell(std::uint64_t h) const noexcept {
    const std::size_t i = ((h >> (64 - kShardBits)) << kFrontBits) |
                          ((h >> kFrontShift) & ((std::size_t{1} << kFrontBits) - 1));
    return *std::launder(reinterpret_cast<Entry*>(front.get() + i * 64));
  }

  [[gnu::always_inline]] Entry* find(const Probe& p) const noexcept {
    const std::uint64_t h = p.hash;
    const std::uintptr_t tw = tables[h >> (64 - kShardBits)].load(std::memory_order_acquire);
    if (tw == 0) return nullptr;
    const TableRef t = table_ref(tw);
    std::size_t i = h & t.mask;
    // The first slot is prefetched before the front cell is checked: for a counter not in front
    // the two misses overlap instead of adding up, and a front hit does not wait for the slot
    // (a load would hold back the decision's compare-and-swap until it arrived; a prefetch not).
    __builtin_prefetch(&t.slots[i]);
    Entry& cell = front_cell(h);
    // A front cell is published by its policy pointer (release, after key and fields).
    if (cell.policy.load(std::memory_order_acquire) != nullptr && matches(cell, p)) return &cell;
    std::uintptr_t w = t.slots[i].word.load(std::memory_order_acquire);
    const std::uintptr_t tag = tag_of(h);
    for (;;) {
      if (w == 0) return nullptr;
      if ((w >> kTagShift) == tag) {
        Entry* e = reinterpret_cast<Entry*>((w & kAddrMask) << 6);
        if (matches(*e, p)) return e;
      }
      i = (i + 1) & t.mask;
      w = t.slots[i].word.load(std::memory_order_acquire);
    }
  }

  std::atomic<std::uint64_t>& stripe_word(std::uint32_t index, std::size_t s) const noexcept {
    return dirs[s].blocks[index >> kBlockBits].load(
        std::memory_order_acquire)[index & (kBlockSize - 1)];
  }

  // The CPU from glibc's rseq area (one load, inlined), else sched_getcpu().
  static int cpu_now() noexcept {
    if (__rseq_size != 0) {
      const auto* area = reinterpret_cast<const struct rseq*>(
          static_cast<const char*>(__builtin_thread_pointer()) + __rseq_offset);
      const auto cpu = static_cast<std::int32_t>(__atomic_load_n(&area->cpu_id, __ATOMIC_RELAXED));
      if (cpu >= 0) return cpu;
    }
    return ::sched_getcpu();
  }

  std::size_t current_stripe() const noexcept {
    const int cpu = cpu_now();
    return cpu < 0 ? 0 : static_cast<std::size_t>(cpu) & stripe_mask;
  }

  // Windows start at the policy's anchor, else at the counter's first use.
  static std::int64_t anchor_of(const Entry& e, const Compiled& c) noexcept {
    return c.has_anchor ? c.anchor_us : e.first_use_us;
  }

  // The window cached in the entry (Impl::window_epoch() computes and caches it): its epoch and
  // [start_us, end_us). Never computed, it is empty (end_us = anchor).
  struct CachedWindow {
    std::uint32_t epoch = 0;
    std::int64_t anchor = 0;
    std::int64_t start_us = 0;
    std::int64_t end_us = 0;

    // Whether every reading in [lo, hi] falls inside; a reading before the anchor counts as the
    // anchor (a clock that stepped back stays in the first window).
    bool holds(std::int64_t lo, std::int64_t hi) const noexcept {
      return std::max(hi, anchor) < end_us && std::max(lo, anchor) >= start_us;
    }
  };

  [[gnu::always_inline]] static CachedWindow cached_window(const Entry& e,
                                                           const Compiled& c) noexcept {
    const std::uint64_t w = e.window.load(std::memory_order_relaxed);
    CachedWindow cw;
    cw.epoch = epoch_of(w);
    cw.anchor = anchor_of(e, c);
    cw.end_us = cw.anchor + units_of(w) * 1'000'000;
    cw.start_us = cw.end_us - c.window_us;
    return cw;
  }

  // make() for an allowed counter or fixed-window decision, from the policy's precomputed fields.
  [[gnu::always_inline]] static void make_allowed(Outcome& o, const Compiled& c, std::int64_t used,
                                                  std::int64_t reset_us) noexcept {
    o.is_allowed = true;
    o.kind = c.kind;
    o.deny_code = c.deny_code;
    o.limit = c.out_limit;
    o.used = used;
    o.remaining = std::max<std::int64_t>(0, c.out_limit - used);
    o.overage = false;
    o.warning = used >= c.warn_at;
    o.window = std::chrono::seconds{c.window_s};
    o.reset = Timestamp{std::chrono::microseconds{reset_us}};
    o.retry_after = std::chrono::seconds{0};
  }

  // The direct path (see Impl::counter() in src/quota/in_process.cpp): `cost` units on the counter
  // word itself, while it has them. Callers take it on the counter's home CPU only, or without
  // leasing.
  [[gnu::always_inline]] static bool take_direct(Outcome& o, Entry& e, const Compiled& c,
                                                 std::uint32_t k, std::int64_t end_us,
                                                 std::int64_t cost) noexcept {
    std::uint64_t g = e.state.load(std::memory_order_acquire);
    while (epoch_of(g) == k && c.limit - units_of(g) >= cost) {
      if (e.state.compare_exchange_weak(g, g + static_cast<std::uint64_t>(cost),
                                        std::memory_order_acq_rel, std::memory_order_acquire)) {
        make_allowed(o, c, units_of(g) + cost, end_us);
        return true;
      }
    }
    return false;
  }

  // `cost` units out of those this CPU's stripe word (`mine`) leased earlier in window `k`.
  [[gnu::always_inline]] static bool take_leased(Outcome& o, const Entry& e, const Compiled& c,
                                                 std::atomic<std::uint64_t>& mine, std::uint32_t k,
                                                 std::int64_t end_us, std::int64_t cost) noexcept {
    std::uint64_t b = mine.load(std::memory_order_relaxed);
    while (epoch_of(b) == k && units_of(b) >= cost) {
      if (mine.compare_exchange_weak(b, b - static_cast<std::uint64_t>(cost),
                                     std::memory_order_acq_rel, std::memory_order_relaxed)) {
        const std::uint64_t g = e.state.load(std::memory_order_relaxed);
        const std::int64_t used = (epoch_of(g) == k ? units_of(g) : 0) - (units_of(b) - cost);
        make_allowed(o, c, std::max<std::int64_t>(0, used), end_us);
        return true;
      }
    }
    return false;
  }

  // A counter or fixed window whose entry exists, whose policy is current, whose cached window
  // holds `now` and which has units at hand: on its home CPU's direct path, or in the units this
  // CPU's stripe leased, or (without leasing) headroom in the counter word. It is inlined into
  // decide() and does what Impl::counter() does for those cases, and nothing else: no reservation
  // due (expire() would run), no creation, no policy refresh, no window change, no lease. Any other
  // case answers false with `o` untouched, and decide() takes the general path, which handles
  // every case (and repeats these checks). So the common decision costs one clock read, one
  // hash, the front-cell (or slot) lookup and one compare-and-swap, without the calls, result
  // objects and register spills of the general path (a profile found ~400 instructions per
  // W1 decision there).
  [[gnu::always_inline]] bool try_fast(Outcome& o, std::string_view tenant, std::string_view meter,
                                       std::int64_t cost) noexcept {
    // 1..kUnlimited (one compare): zero, negative and oversized costs take the general path.
    if (static_cast<std::uint64_t>(cost) - 1 >= static_cast<std::uint64_t>(kUnlimited))
      return false;
    Entry* e = find(probe_of(tenant, meter));
    if (e == nullptr) [[unlikely]]
      return false;
    if (e->policy_version.load(std::memory_order_acquire) != limits.version()) return false;
    const Compiled& c = *e->policy.load(std::memory_order_acquire);
    if (c.kind != MeterKind::counter && c.kind != MeterKind::fixed_window) return false;
    // The clock. The default one is first read as whole seconds (time(): one load from the
    // vDSO, the seconds field CLOCK_REALTIME_COARSE also reads), which bounds the coarse
    // reading to [lo, lo + 1 s); when every instant of that second is before the next
    // reservation's expiry and inside the cached window, any reading would decide the same, so
    // the microseconds are not needed. Otherwise (the last second of a window, 1 s windows not
    // on a second boundary, a custom clock) the exact reading decides, as in the general path.
    const CachedWindow window = cached_window(*e, c);
    const std::int64_t expiry = next_expiry.load(std::memory_order_relaxed);
    const auto holds = [&](std::int64_t lo, std::int64_t hi) noexcept {
      return hi < expiry && window.holds(lo, hi);
    };
    bool inside = false;
    if (coarse) {
      const std::int64_t lo = coarse_seconds() * 1'000'000;
      inside = holds(lo, lo + 999'999);
    }
    if (!inside) {
      const std::int64_t now = now_us();
      if (!holds(now, now)) return false;
    }
    const std::uint32_t k = window.epoch;
    const std::int64_t end_us = window.end_us;
    if (!leasing) return take_direct(o, *e, c, k, end_us, cost);
    const std::size_t here = current_stripe();
    const std::uint32_t placement = e->placement.load(std::memory_order_relaxed);  // one load
    if (here == Entry::home_of(placement)) return take_direct(o, *e, c, k, end_us, cost);
    return take_leased(o, *e, c, stripe_word(Entry::index_of(placement), here), k, end_us, cost);
  }
};

}  // namespace tenantkit::quota::detail
