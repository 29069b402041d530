// SPDX-License-Identifier: Apache-2.0
// UserTable: a tenant's members and their grants in one immutable, 64-byte-aligned heap block,
// laid out for the check path:
//
//   [header: 128 bytes, tenant name inline]
//   [member keys: 2^k x 16 bytes]            <- the "base" address a word points at
//   [permission rows: one bit per (permission, member slot), allow then deny]
//   [grant index per slot][grant sets][insertion order][user ids longer than 16 bytes]
//
// The engine's directory holds a word: the base address, k, whether the tenant has deny rules
// and the slot function (one of 128 multipliers, chosen per tenant so members sit in their home
// slot; "perfect" when every member does). From the word and the hashes alone a check computes
// both the user's key slot and the permission row's word, so the CPU fetches the two at once:
// one dependent step after the directory, on lines 16 bytes per member and 1 bit per member and
// permission, small enough to stay in the L2 cache under a random mix (64-byte member slots with
// the allow set inline did not). The key is compared without a branch on its contents.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tenantkit/rbac/permission.hpp>

#include "rbac/hash.hpp"

namespace tenantkit::rbac::detail {

/// The effective permissions of one combination of roles.
struct GrantBits {
  PermissionSet allow;  // union of the roles' allows, minus `deny`
  PermissionSet deny;
};

class UserTable {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;
  static constexpr std::size_t kInline = 16;

  /// What a check needs: whether the user is a member and the permission's two bits.
  struct Bits {
    unsigned found;
    unsigned allowed;  // 0 unless found
    unsigned denied;   // 0 unless found
  };

  UserTable() = default;

  /// Maps users[i] to grants[grant_of[i]] over a catalogue of `permissions` ids; `owner` is
  /// returned by owner(word()). REQUIRES: users unique valid ids (valid_id_syntax),
  /// users.size() == grant_of.size(), every grant_of[i] < grants.size(), the grants' sets
  /// within [0, permissions).
  UserTable(std::string_view tenant, const void* owner, std::span<const std::string> users,
            std::span<const std::uint32_t> grant_of, std::span<const GrantBits> grants,
            std::size_t permissions) {
    const std::size_t n = users.size();
    std::uint32_t log2 = 0;
    if (n > 0) {
      log2 = 2;
      while ((std::size_t{1} << log2) * 3 < n * 4) ++log2;  // load factor <= 0.75
    }
    const std::size_t cap = std::size_t{1} << log2;  // >= 1 and > n: a probe always ends
    bool has_deny = false;
    for (const GrantBits& g : grants) has_deny = has_deny || !g.deny.empty();
    const unsigned d = has_deny ? 1U : 0U;
    std::size_t long_bytes = 0;
    for (const std::string& u : users)
      if (u.size() > kInline) long_bytes += u.size();

    const std::size_t row_bits = permissions << (log2 + d);
    const std::size_t rows_at = kHeader + cap * kKey;
    const std::size_t grant_of_at = rows_at + (row_bits + 63) / 64 * 8;
    const std::size_t sets_at = grant_of_at + (cap * sizeof(std::uint32_t) + 7) / 8 * 8;
    const std::size_t order_at = sets_at + grants.size() * sizeof(GrantBits);
    const std::size_t arena_at = order_at + n * sizeof(std::uint32_t);
    bytes_ = round64(arena_at + long_bytes);
    block_ = static_cast<char*>(::operator new (bytes_, std::align_val_t{64}));
    std::memset(block_, 0, bytes_);

    Header* h = new (block_) Header{};
    h->owner = owner;
    h->name_length = static_cast<std::uint32_t>(tenant.size());
    h->count = static_cast<std::uint32_t>(n);
    h->grant_of_at = static_cast<std::uint32_t>(grant_of_at);
    h->sets_at = static_cast<std::uint32_t>(sets_at);
    h->order_at = static_cast<std::uint32_t>(order_at);
    std::memcpy(block_ + sizeof(Header), tenant.data(), std::min(tenant.size(), kMaxName));
    for (std::size_t g = 0; g < grants.size(); ++g)
      new (block_ + sets_at + g * sizeof(GrantBits)) GrantBits(grants[g]);

    Scratch<std::uint64_t> hashes(n);
    for (std::size_t u = 0; u < n; ++u) hashes[u] = hash_bytes(users[u]);
    const std::uint32_t mask = static_cast<std::uint32_t>(cap - 1);
    // The table never changes, so pick the slot function that displaces the fewest members
    // from their home slot: a lookup then compares one slot, and a miss ends there too.
    std::uint32_t seed = 0;
    bool perfect = n <= 1;
    if (n > 1 && (reinterpret_cast<std::uintptr_t>(block_) >> kSeedShift) == 0) {
      const auto [best, cost] = best_seed(hashes.span(), mask);
      seed = best;
      perfect = cost == 0;
    }
    char* base = block_ + kHeader;
    char* rows = base + cap * kKey;
    std::size_t arena = arena_at;
    for (std::size_t u = 0; u < n; ++u) {
      const std::string& key = users[u];
      std::uint32_t i = slot_of(hashes[u], seed, mask);
      while (!empty_slot(base + i * kKey)) i = (i + 1) & mask;
      char* slot = base + i * kKey;
      if (key.size() <= kInline) {
        std::memcpy(slot, key.data(), key.size());
      } else {
        // Byte 0 stays 0 (no valid id starts with it), so no short id can compare equal.
        const std::uint64_t lo = (std::uint64_t{static_cast<std::uint32_t>(arena)} << 8) |
                                 (std::uint64_t{key.size()} << 40);
        std::memcpy(slot, &lo, sizeof lo);
        std::memcpy(block_ + arena, key.data(), key.size());
        arena += key.size();
      }
      const GrantBits& g = grants[grant_of[u]];
      g.allow.for_each([&](PermissionId p) { set_bit(rows, allow_bit(p, i, log2, d)); });
      g.deny.for_each([&](PermissionId p) {
        set_bit(rows, allow_bit(p, i, log2, d) + (std::size_t{1} << log2));
      });
      std::memcpy(block_ + grant_of_at + i * sizeof(std::uint32_t), &grant_of[u],
                  sizeof(std::uint32_t));
      const auto at = static_cast<std::uint32_t>(i);
      std::memcpy(block_ + order_at + u * sizeof(std::uint32_t), &at, sizeof at);
    }
    word_ = reinterpret_cast<std::uintptr_t>(base) | log2 | (std::uintptr_t{d} << 5) |
            (std::uintptr_t{seed} << kSeedShift) | (perfect ? std::uintptr_t{1} << kPerfectBit : 0);
  }

  UserTable(UserTable&& o) noexcept
      : block_(std::exchange(o.block_, nullptr)), bytes_(o.bytes_), word_(o.word_) {}
  UserTable& operator=(UserTable&& o) noexcept {
    if (this != &o) {
      release();
      block_ = std::exchange(o.block_, nullptr);
      bytes_ = o.bytes_;
      word_ = o.word_;
    }
    return *this;
  }
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;
  ~UserTable() { release(); }

  /// Base address | log2(slot count) | has-deny bit 5 | slot function in the top byte; 0 when
  /// empty (never published: an empty tenant is removed).
  std::uintptr_t word() const noexcept { return block_ == nullptr ? 0 : word_; }

  // --- From a word (the check path) -------------------------------------------------------

  /// True when the table was built for `tenant`.
  static bool is_for(std::uintptr_t word, std::string_view tenant) noexcept {
    const Header& h = header(word);
    return h.name_length == tenant.size() &&
           equal_bytes(reinterpret_cast<const char*>(&h) + sizeof(Header), tenant.data(),
                       tenant.size());
  }

  /// Is `user` (`hash` == hash_bytes(user)) a member, and does its grant allow / deny
  /// `permission` (< the catalogue size the table was built with)? Without a branch on the
  /// answer in the usual case: whether a requested user is a member, and which member sits in
  /// its home slot, is unpredictable in a request mix.
  [[gnu::always_inline]] static Bits lookup(std::uintptr_t word, std::string_view user,
                                            std::uint64_t hash, unsigned permission) noexcept {
    const char* base = base_of(word);
    const unsigned log2 = word & 31U, d = (word >> 5) & 1U;
    const std::uint32_t mask = (std::uint32_t{1} << log2) - 1U;
    const std::uint32_t home = slot_of(hash, seed_of(word), mask);
    const std::size_t n = user.size();
    unsigned hit = 0;
    const bool fast = n - 8 <= 8;
    if (fast) [[likely]] {  // 8..16 bytes: the key compared as two words, zero-padded
      const char* key = base + home * kKey;
      const std::uint64_t tail = load8(user.data() + n - 8);
      const std::uint64_t lo = load8(user.data());
      const std::uint64_t hi = n > 8 ? tail >> ((16 - n) * 8) : 0;
      // First and last bytes non-zero: the padding cannot stand for the user's own bytes, and
      // an empty slot or a long id's slot (byte 0 is 0) cannot compare equal.
      hit = static_cast<unsigned>(((load8(key) ^ lo) | (load8(key + 8) ^ hi)) == 0) &
            static_cast<unsigned>((lo & 0xFFU) != 0) & static_cast<unsigned>((tail >> 56) != 0);
      asm("" : "+r"(hit));  // keep it a value: what follows must not branch on it
    }
    std::uint32_t slot = home;
    unsigned found = hit;
    // Settled: found in the home slot, or compared there in a table where every member sits
    // in its home slot. Otherwise (a displaced member, an id of another length) probe the run.
    const unsigned perfect = static_cast<unsigned>(word >> kPerfectBit) & 1U;
    if ((hit | (perfect & static_cast<unsigned>(fast))) == 0) [[unlikely]] {
      const std::uint32_t at = probe(word, user, home);
      found = at != npos ? 1U : 0U;
      slot = at != npos ? at : home;
    }
    const char* rows = base + (std::size_t{mask} + 1) * kKey;
    const std::size_t a = allow_bit(static_cast<PermissionId>(permission), slot, log2, d);
    const std::size_t b = a + (std::size_t{d} << log2);  // d == 0: the allow bit again
    return Bits{found, static_cast<unsigned>(get_bit(rows, a)) & found,
                static_cast<unsigned>(get_bit(rows, b)) & found & d};
  }

  /// The `owner` given at construction.
  static const void* owner(std::uintptr_t word) noexcept { return header(word).owner; }

  // --- Queries ----------------------------------------------------------------------------

  /// The slot of `user`, or npos.
  std::uint32_t find(std::string_view user) const noexcept {
    if (block_ == nullptr) return npos;
    const std::uint32_t mask = (std::uint32_t{1} << (word_ & 31U)) - 1U;
    return probe(word_, user, slot_of(hash_bytes(user), seed_of(word_), mask));
  }
  /// The grant index of the member in `slot` (from find()).
  std::uint32_t grant(std::uint32_t slot) const noexcept {
    std::uint32_t g;
    std::memcpy(&g, block_ + header(word_).grant_of_at + slot * sizeof(std::uint32_t), sizeof g);
    return g;
  }
  /// The effective permissions of grant `index` (a grant index from entries()).
  const GrantBits& grant_set(std::uint32_t index) const noexcept {
    return *std::launder(reinterpret_cast<const GrantBits*>(block_ + header(word_).sets_at +
                                                            index * sizeof(GrantBits)));
  }
  /// The effective permissions of the member in `slot`.
  const GrantBits& grant_bits(std::uint32_t slot) const noexcept { return grant_set(grant(slot)); }
  std::size_t size() const noexcept { return block_ == nullptr ? 0 : header(word_).count; }
  /// Heap bytes held.
  std::size_t bytes() const noexcept { return bytes_; }

  /// Every (user, grant index), in the order the users were given.
  std::vector<std::pair<std::string_view, std::uint32_t>> entries() const {
    std::vector<std::pair<std::string_view, std::uint32_t>> out;
    if (block_ == nullptr) return out;
    const Header& h = header(word_);
    out.reserve(h.count);
    for (std::uint32_t u = 0; u < h.count; ++u) {
      std::uint32_t at;
      std::memcpy(&at, block_ + h.order_at + u * sizeof(std::uint32_t), sizeof at);
      out.emplace_back(key_of(base_of(word_), at), grant(at));
    }
    return out;
  }

 private:
  struct Header {
    const void* owner;
    std::uint32_t name_length;
    std::uint32_t count;
    std::uint32_t grant_of_at;  // byte offsets from the block's start
    std::uint32_t sets_at;
    std::uint32_t order_at;
    std::uint32_t reserved;
  };  // followed by the tenant name's bytes
  static_assert(sizeof(Header) == 32);
  static constexpr std::size_t kHeader = 128;
  static constexpr std::size_t kMaxName = kHeader - sizeof(Header);  // ids are <= 64 bytes
  static constexpr std::size_t kKey = 16;
  static constexpr unsigned kSeedShift = 56;
  static constexpr unsigned kPerfectBit = 63;

  // Zeroed scratch space for the constructor, on the stack for the usual small tenant (a build
  // of many tenants is dominated by small allocations otherwise).
  template <class T>
  class Scratch {
   public:
    explicit Scratch(std::size_t n) : size_(n) {
      if (n > kLocal) heap_.resize(n);
    }
    T& operator[](std::size_t i) noexcept { return data()[i]; }
    std::span<const T> span() noexcept { return {data(), size_}; }

   private:
    static constexpr std::size_t kLocal = 64;
    T* data() noexcept { return size_ > kLocal ? heap_.data() : local_.data(); }
    std::array<T, kLocal> local_{};
    std::vector<T> heap_;
    std::size_t size_;
  };

  static std::size_t round64(std::size_t n) noexcept { return (n + 63) / 64 * 64; }
  static std::size_t allow_bit(PermissionId p, std::uint32_t slot, unsigned log2,
                               unsigned d) noexcept {
    return (static_cast<std::size_t>(p) << (log2 + d)) + slot;
  }
  static void set_bit(char* rows, std::size_t bit) noexcept {
    std::uint64_t w = load8(rows + bit / 64 * 8);
    w |= std::uint64_t{1} << (bit % 64);
    std::memcpy(rows + bit / 64 * 8, &w, sizeof w);
  }
  [[gnu::always_inline]] static std::uint64_t get_bit(const char* rows, std::size_t bit) noexcept {
    return (load8(rows + bit / 64 * 8) >> (bit % 64)) & 1U;
  }
  static bool empty_slot(const char* key) noexcept { return (load8(key) | load8(key + 8)) == 0; }
  // The id stored in the key slot `at` (inline, zero-padded, or in the arena).
  static std::string_view key_of(const char* base, std::uint32_t at) noexcept {
    const char* key = base + at * kKey;
    if (key[0] != 0) return {key, strnlen(key, kInline)};
    const std::uint64_t lo = load8(key);
    const char* block = base - kHeader;
    return {block + ((lo >> 8) & 0xFFFFFFFFU), static_cast<std::size_t>((lo >> 40) & 0xFFU)};
  }
  // Linear probe from `home` to the first empty slot: the member's slot, or npos.
  [[gnu::noinline]] static std::uint32_t probe(std::uintptr_t word, std::string_view user,
                                               std::uint32_t home) noexcept {
    const char* base = base_of(word);
    const std::uint32_t mask = (std::uint32_t{1} << (word & 31U)) - 1U;
    for (std::uint32_t d = 0; d <= mask; ++d) {
      const std::uint32_t i = (home + d) & mask;
      if (empty_slot(base + i * kKey)) break;
      const std::string_view key = key_of(base, i);
      if (key.size() == user.size() && equal_bytes(key.data(), user.data(), user.size())) return i;
    }
    return npos;
  }
  static std::uint32_t slot_of(std::uint64_t hash, std::uint32_t seed,
                               std::uint32_t mask) noexcept {
    const std::uint64_t multiplier = (std::uint64_t{seed} * 2 + 1) * 0x9e3779b97f4a7c15ULL;
    return static_cast<std::uint32_t>((hash * multiplier) >> 32) & mask;
  }
  static std::uint32_t seed_of(std::uintptr_t word) noexcept {
    return static_cast<std::uint32_t>(word >> kSeedShift) & 0x7FU;
  }
  // The seed (< 128) whose linear-probing placement displaces the fewest members, and that
  // count: stops at a perfect one, or at the tries' budget (bounded work per member).
  static std::pair<std::uint32_t, std::size_t> best_seed(std::span<const std::uint64_t> hashes,
                                                         std::uint32_t mask) {
    const std::size_t n = hashes.size();
    const std::size_t tries = std::clamp<std::size_t>(1024 / n, 4, 128);
    if (mask < 64) {
      // Most tenants are small and have a perfect seed: find it first, judging each seed
      // without a branch per member (the members' home slots ORed into one word are all
      // distinct exactly when its popcount is n). A collision test per member mispredicts once
      // per rejected seed, and a perfect seed takes a few dozen tries for 10 members in 16 slots.
      for (std::uint32_t seed = 0; seed < tries; ++seed) {
        std::uint64_t occupied = 0;
        for (const std::uint64_t h : hashes) occupied |= std::uint64_t{1} << slot_of(h, seed, mask);
        if (static_cast<std::size_t>(std::popcount(occupied)) == n) return {seed, 0};
      }
    }
    std::vector<std::uint8_t> used(mask < 64 ? 0 : std::size_t{mask} + 1);
    std::uint32_t best = 0;
    std::size_t best_cost = SIZE_MAX;
    for (std::uint32_t seed = 0; seed < tries && best_cost > 0; ++seed) {
      std::size_t cost = 0;
      if (mask < 64) {  // small tables: the occupancy fits a register
        std::uint64_t occupied = 0;
        for (const std::uint64_t h : hashes) {
          std::uint32_t i = slot_of(h, seed, mask);
          while ((occupied >> i) & 1U) {
            i = (i + 1) & mask;
            ++cost;
          }
          occupied |= std::uint64_t{1} << i;
          if (cost >= best_cost) break;
        }
      } else {
        std::fill(used.begin(), used.end(), std::uint8_t{0});
        for (const std::uint64_t h : hashes) {
          std::uint32_t i = slot_of(h, seed, mask);
          while (used[i] != 0) {
            i = (i + 1) & mask;
            ++cost;
          }
          used[i] = 1;
          if (cost >= best_cost) break;
        }
      }
      if (cost < best_cost) {
        best_cost = cost;
        best = seed;
      }
    }
    return {best, best_cost};
  }
  static const char* base_of(std::uintptr_t word) noexcept {
    return reinterpret_cast<const char*>(word & ((std::uintptr_t{1} << kSeedShift) - 64));
  }
  static const Header& header(std::uintptr_t word) noexcept {
    return *std::launder(reinterpret_cast<const Header*>(base_of(word) - kHeader));
  }
  void release() noexcept {
    if (block_ != nullptr) ::operator delete (block_, std::align_val_t{64});
    block_ = nullptr;
  }

  char* block_ = nullptr;
  std::size_t bytes_ = 0;
  std::uintptr_t word_ = 0;
};

}  // namespace tenantkit::rbac::detail
