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

namespace {

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

class CoarseClock final : public Clock {
 public:
  Timestamp now() const noexcept override {
    return Timestamp{std::chrono::microseconds{coarse_now_us()}};
  }
};

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
// Front cells per shard (see Impl::front): 64 x 32 cells of 64 bytes = 128 KiB per backend.
constexpr std::size_t kFrontBits = 5;
constexpr int kFrontShift = 45;  // hash bits 45..49: apart from the shard, tag and slot bits

}  // namespace

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

  std::uint32_t index() const noexcept {
    return placement.load(std::memory_order_relaxed) & 0xFFFFFF;
  }
  std::uint32_t home() const noexcept { return placement.load(std::memory_order_relaxed) >> 24; }
  void leave_home() noexcept { placement.fetch_or(kNoHome << 24, std::memory_order_relaxed); }
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

AlignedBytes aligned_bytes(std::size_t n) {
  auto* p = static_cast<std::byte*>(::operator new[](n, std::align_val_t{64}));
  return AlignedBytes(p);
}

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

// Writers' side of a shard (creation, growth, policy refresh). Readers never touch it: they
// load the shard's table word from Impl::tables.
struct alignas(64) Shard {
  std::mutex mu;
  std::size_t count = 0;
  std::vector<AlignedBytes> tables;  // every generation; old ones stay until destruction
  std::vector<std::pair<std::uint64_t, Entry*>> entries;  // (hash, entry)
  EntryArena arena;
};

struct alignas(64) StripeDir {
  std::array<std::atomic<std::atomic<std::uint64_t>*>, kMaxBlocks> blocks{};
};

struct Held {
  Entry* entry = nullptr;
  std::int64_t amount = 0;
  std::uint32_t epoch = 0;
  std::int64_t expires_us = 0;
};

inline std::int64_t to_us(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}

}  // namespace

struct InProcessBackend::Impl {
  Impl(const LimitSource& l, const Clock& c, InProcessOptions o)
      : limits(l), clock(c), coarse(&c == &coarse_clock()) {
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

  std::int64_t now_us() const noexcept { return coarse ? coarse_now_us() : to_us(clock.now()); }

  // ---- lookup --------------------------------------------------------------------------

  Entry& front_cell(std::uint64_t h) const noexcept {
    const std::size_t i = ((h >> (64 - kShardBits)) << kFrontBits) |
                          ((h >> kFrontShift) & ((std::size_t{1} << kFrontBits) - 1));
    return *std::launder(reinterpret_cast<Entry*>(front.get() + i * 64));
  }

  static bool fits_front(std::string_view tenant, std::string_view meter) noexcept {
    return sizeof(Entry) + Entry::key_bytes(tenant, meter) <= 64;
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
    e->placement.store(*index | (static_cast<std::uint32_t>(current_stripe()) << 24),
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
  // hot path.
  static std::int64_t anchor_of(const Entry& e, const Compiled& c) noexcept {
    return c.has_anchor ? c.anchor_us : e.first_use_us;
  }

  // The cached case: true, with the epoch and the window's end, when the window cached in the
  // entry holds `now_us`.
  [[gnu::always_inline]] static bool cached_window(const Entry& e, const Compiled& c,
                                                   std::int64_t now_us, std::uint32_t& epoch,
                                                   std::int64_t& end_us) noexcept {
    const std::int64_t anchor = anchor_of(e, c);
    const std::int64_t rel = std::max<std::int64_t>(0, now_us - anchor);
    const std::uint64_t w = e.window.load(std::memory_order_relaxed);
    const std::int64_t cached_end = units_of(w) * 1'000'000;
    if (rel >= cached_end || rel < cached_end - c.window_us) return false;
    end_us = anchor + cached_end;
    epoch = epoch_of(w);
    return true;
  }

  static std::uint32_t window_epoch(Entry& e, const Compiled& c, std::int64_t now_us,
                                    std::int64_t& end_us) noexcept {
    std::uint32_t cached = 0;
    if (cached_window(e, c, now_us, cached, end_us)) return cached;
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

  // ---- counters and fixed windows ----------------------------------------------------------

  // The direct path (see counter()): `cost` units on the counter word itself, while it has them.
  // Callers take it on the counter's home CPU only, or without leasing.
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

  // A counter or fixed window whose entry exists, whose policy is current, whose cached window
  // holds `now` and which has units at hand: on its home CPU's direct path, or in the units this
  // CPU's stripe leased, or (without leasing) headroom in the counter word. It is inlined into
  // decide() and does what counter() does for those cases, and nothing else: no reservation due
  // (expire() would run), no creation, no policy refresh, no window change, no lease. Any other
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
    const std::uint64_t w = e->window.load(std::memory_order_relaxed);
    const std::int64_t anchor = anchor_of(*e, c);
    const std::int64_t end_us = anchor + units_of(w) * 1'000'000;
    const std::int64_t start_us = end_us - c.window_us;
    const std::int64_t expiry = next_expiry.load(std::memory_order_relaxed);
    // A reading before the anchor counts as the anchor (see cached_window()).
    const auto holds = [&](std::int64_t lo, std::int64_t hi) noexcept {
      return hi < expiry && std::max(hi, anchor) < end_us && std::max(lo, anchor) >= start_us;
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
    const std::uint32_t k = epoch_of(w);
    if (!leasing) return take_direct(o, *e, c, k, end_us, cost);
    const std::size_t here = current_stripe();
    const std::uint32_t placement = e->placement.load(std::memory_order_relaxed);
    if (here == (placement >> 24)) return take_direct(o, *e, c, k, end_us, cost);
    return take_leased(o, *e, c, stripe_word(placement & 0xFFFFFF, here), k, end_us, cost);
  }

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
  [[gnu::noinline]] void decide_general(Result<Outcome>& out, std::string_view tenant,
                                        std::string_view meter, std::int64_t cost) {
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
    : impl_(std::make_unique<Impl>(limits, clock, options)) {}

InProcessBackend::~InProcessBackend() = default;

std::size_t InProcessBackend::stripes() const noexcept {
  return impl_->stripes;
}

[[gnu::flatten]] Result<Outcome> InProcessBackend::decide(std::string_view tenant,
                                                          std::string_view meter,
                                                          std::int64_t cost) {
  // One named result on every path, so it is built in the caller's storage (NRVO).
  Result<Outcome> out{boost::system::in_place_value};
  Impl& im = *impl_;
  if (!im.try_fast(*out, tenant, meter, cost)) [[unlikely]]
    im.decide_general(out, tenant, meter, cost);
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
