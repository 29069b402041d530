// SPDX-License-Identifier: Apache-2.0
// UserTable: a tenant's members and their grants in one immutable, 64-byte-aligned heap block,
// laid out for the check path:
//
//   [user slots: 2^k x 32 bytes][header: 32 bytes + tenant name, to 64][grants: 64 bytes each]
//   [insertion order: 4 bytes per user][user ids longer than 20 bytes]
//
// The engine's directory holds the block address with k in its low 6 bits (a "word"), so a
// check computes the user's slot and the tenant name's address from the directory slot alone
// and loads both at once. A slot holds a hash tag, the byte offset of the user's grant and the
// user id itself when it fits (20 bytes), so a lookup reads one slot line and then one grant
// line (allow and deny sets together): two dependent misses after the directory, where the
// earlier layout had four (snapshot, index, key arena, grant).
#pragma once

#include <algorithm>
#include <array>
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

  /// One member, one cache line: the allow set sits beside the id, so a check that found the
  /// member needs no further load (deny sets, rare, are elsewhere in the block).
  struct alignas(64) Member {
    std::uint32_t tag = 0;      // 0: empty slot
    std::uint32_t grant = 0;    // index of the member's role combination
    std::uint32_t deny_at = 0;  // byte offset of the deny set in the block; 0: denies nothing
    std::uint16_t length = 0;   // ids are at most 64 bytes (valid_id_syntax)
    // Slots a lookup whose home is this one examines from here; kProbeAll: up to an empty slot.
    std::uint16_t probe = 0;
    char key[kInline] = {};  // the id, or the offset of its bytes when longer than kInline
    PermissionSet allow;     // minus the deny set
  };
  static_assert(sizeof(Member) == 64);
  /// A member of no role: what a lookup that found nobody returns.
  static const Member& empty() noexcept {
    static constexpr Member kEmpty{};
    return kEmpty;
  }

  UserTable() = default;

  /// Maps users[i] to grants[grant_of[i]]; `owner` is returned by owner(word()).
  /// REQUIRES: users unique, users.size() == grant_of.size(), every grant_of[i] < grants.size().
  UserTable(std::string_view tenant, const void* owner, std::span<const std::string> users,
            std::span<const std::uint32_t> grant_of, std::span<const GrantBits> grants) {
    const std::size_t n = users.size();
    std::uint32_t log2 = 0;
    if (n > 0) {
      log2 = 2;
      while ((std::size_t{1} << log2) * 3 < n * 4) ++log2;  // load factor <= 0.75
    }
    const std::size_t cap = std::size_t{1} << log2;  // >= 1 and > n: a probe always ends
    std::size_t long_bytes = 0;
    for (const std::string& u : users)
      if (u.size() > kInline) long_bytes += u.size();
    Scratch<std::uint32_t> deny_at(grants.size());
    const std::size_t header_at = cap * sizeof(Member);
    std::size_t at = header_at + round64(sizeof(Header) + tenant.size());
    const std::size_t denies_at = at;
    for (std::size_t g = 0; g < grants.size(); ++g) {
      if (grants[g].deny.empty()) continue;
      deny_at[g] = static_cast<std::uint32_t>(at);
      at += sizeof(PermissionSet);
    }
    const std::size_t order_at = at;
    const std::size_t arena_at = order_at + n * sizeof(std::uint32_t);
    bytes_ = round64(arena_at + long_bytes);
    block_ = static_cast<char*>(::operator new (bytes_, std::align_val_t{64}));
    std::memset(block_, 0, bytes_);
    log2_ = log2;

    Header* h = new (block_ + header_at) Header{};
    h->owner = owner;
    h->name_length = static_cast<std::uint32_t>(tenant.size());
    h->count = static_cast<std::uint32_t>(n);
    h->order_at = static_cast<std::uint32_t>(order_at);
    if (!tenant.empty())
      std::memcpy(block_ + header_at + sizeof(Header), tenant.data(), tenant.size());
    for (std::size_t g = 0; g < grants.size(); ++g)
      if (deny_at[g] != 0) new (block_ + deny_at[g]) PermissionSet(grants[g].deny);
    (void)denies_at;

    for (std::size_t i = 0; i < cap; ++i) new (block_ + i * sizeof(Member)) Member{};
    Member* slots = std::launder(reinterpret_cast<Member*>(block_));
    const std::uint32_t mask = static_cast<std::uint32_t>(cap - 1);
    Scratch<std::uint64_t> hashes(n);
    for (std::size_t u = 0; u < n; ++u) hashes[u] = hash_bytes(users[u]);
    // The table never changes, so pick the slot function (one of 256 multipliers, its number
    // kept in the word's top byte) that displaces the fewest members from their home slot: a
    // lookup then reads one slot, the home, in most cases, and a miss ends there too.
    std::uint32_t seed = 0;
    if (n > 1 && (reinterpret_cast<std::uintptr_t>(block_) >> kSeedShift) == 0)
      seed = best_seed(hashes.span(), mask);
    seed_ = seed;
    std::size_t arena = arena_at;
    for (std::size_t u = 0; u < n; ++u) {
      const std::string& key = users[u];
      const std::uint64_t hash = hashes[u];
      const std::uint32_t home = slot_of(hash, seed, mask);
      std::uint32_t i = home;
      while (slots[i].tag != 0) i = (i + 1) & mask;
      slots[home].probe = static_cast<std::uint16_t>(std::min<std::uint32_t>(
          kProbeAll, std::max<std::uint32_t>(slots[home].probe, ((i - home) & mask) + 1)));
      Member& m = slots[i];
      m.tag = tag(hash);
      m.grant = grant_of[u];
      m.length = static_cast<std::uint16_t>(key.size());
      m.deny_at = deny_at[grant_of[u]];
      m.allow = grants[grant_of[u]].allow;
      if (key.size() <= kInline) {
        if (!key.empty()) std::memcpy(m.key, key.data(), key.size());
      } else {
        const auto offset = static_cast<std::uint32_t>(arena);
        std::memcpy(m.key, &offset, sizeof offset);
        std::memcpy(block_ + arena, key.data(), key.size());
        arena += key.size();
      }
      std::memcpy(block_ + order_at + u * sizeof(std::uint32_t), &i, sizeof i);
    }
  }

  UserTable(UserTable&& o) noexcept
      : block_(std::exchange(o.block_, nullptr)),
        bytes_(o.bytes_),
        log2_(o.log2_),
        seed_(o.seed_) {}
  UserTable& operator=(UserTable&& o) noexcept {
    if (this != &o) {
      release();
      block_ = std::exchange(o.block_, nullptr);
      bytes_ = o.bytes_;
      log2_ = o.log2_;
      seed_ = o.seed_;
    }
    return *this;
  }
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;
  ~UserTable() { release(); }

  /// The block address with log2(slot count) in the low bits and the slot function's number in
  /// the top byte; 0 for an empty table.
  std::uintptr_t word() const noexcept {
    return reinterpret_cast<std::uintptr_t>(block_) | log2_ | (std::uintptr_t{seed_} << kSeedShift);
  }

  // --- From a word (the check path) -------------------------------------------------------

  /// True when the table was built for `tenant`.
  static bool is_for(std::uintptr_t word, std::string_view tenant) noexcept {
    const char* h = header_address(word);
    std::uint32_t length;
    std::memcpy(&length, h + offsetof(Header, name_length), sizeof length);
    return length == tenant.size() && equal_bytes(h + sizeof(Header), tenant.data(), tenant.size());
  }

  /// The member `user` (`hash` == hash_bytes(user)), or null.
  static const Member* find(std::uintptr_t word, std::string_view user,
                            std::uint64_t hash) noexcept {
    unsigned found = 0;
    const Member& m = lookup(word, user, hash, found);
    return found != 0 ? &m : nullptr;
  }

  /// The member `user` (`hash` == hash_bytes(user)) and found = 1, or an empty Member (no
  /// permissions) and found = 0. Without a branch on whether the user was found in the usual
  /// case: whether a requested user is a member, and which member sits in its home slot, is
  /// unpredictable in a request mix.
  [[gnu::always_inline]] static const Member& lookup(std::uintptr_t word, std::string_view user,
                                                     std::uint64_t hash, unsigned& found) noexcept {
    const char* base = base_of(word);
    const std::uint32_t mask = (std::uint32_t{1} << (word & 63U)) - 1U;
    const std::uint32_t t = tag(hash);
    const std::uint32_t home = slot_of(hash, static_cast<std::uint32_t>(word >> kSeedShift), mask);
    const Member& m = *std::launder(reinterpret_cast<const Member*>(base + home * sizeof(Member)));
    if (user.size() <= kInline) [[likely]] {
      unsigned hit = static_cast<unsigned>(m.tag == t) &
                     static_cast<unsigned>(m.length == user.size()) &
                     static_cast<unsigned>(short_equal(m.key, user.data(), user.size()));
      asm("" : "+r"(hit));  // keep it a value: the selects below must not become branches
      // Members sit in their home slot whenever the slot function allows it, so the other
      // slots are seldom needed (a member displaced by a collision, or a non-member whose home
      // slot starts a run).
      if (((hit ^ 1U) & static_cast<unsigned>(m.probe > 1)) == 0) [[likely]] {
        found = hit;
        const auto a = reinterpret_cast<std::uintptr_t>(&m);
        const auto b = reinterpret_cast<std::uintptr_t>(&empty());
        return *reinterpret_cast<const Member*>(b ^ ((a ^ b) & (std::uintptr_t{0} - hit)));
      }
    }
    const Member* slow = find_slow(base, mask, home, user, t);
    found = slow != nullptr ? 1U : 0U;
    return slow != nullptr ? *slow : empty();
  }

  /// The deny set of `m`, a member of the table `word` (or a zero Member).
  static const PermissionSet& deny(std::uintptr_t word, const Member& m) noexcept {
    static constexpr PermissionSet kNone{};
    // A select, not a branch: most members deny nothing.
    const char* at =
        m.deny_at == 0 ? reinterpret_cast<const char*>(&kNone) : base_of(word) + m.deny_at;
    return *std::launder(reinterpret_cast<const PermissionSet*>(at));
  }

  /// The `owner` given at construction.
  static const void* owner(std::uintptr_t word) noexcept { return header(word).owner; }

  // --- Queries ----------------------------------------------------------------------------

  /// The member `user`, or null.
  const Member* find(std::string_view user) const noexcept {
    return find(word(), user, hash_bytes(user));
  }
  std::size_t size() const noexcept { return block_ == nullptr ? 0 : header(word()).count; }
  /// Heap bytes held.
  std::size_t bytes() const noexcept { return bytes_; }

  /// Every (user, grant index), in the order the users were given.
  std::vector<std::pair<std::string_view, std::uint32_t>> entries() const {
    std::vector<std::pair<std::string_view, std::uint32_t>> out;
    if (block_ == nullptr) return out;
    const Header& h = header(word());
    out.reserve(h.count);
    for (std::uint32_t u = 0; u < h.count; ++u) {
      std::uint32_t at;
      std::memcpy(&at, block_ + h.order_at + u * sizeof(std::uint32_t), sizeof at);
      const Member& m =
          *std::launder(reinterpret_cast<const Member*>(block_ + at * sizeof(Member)));
      const char* key = m.key;
      if (m.length > kInline) {
        std::uint32_t offset;
        std::memcpy(&offset, m.key, sizeof offset);
        key = block_ + offset;
      }
      out.emplace_back(std::string_view(key, m.length), m.grant);
    }
    return out;
  }

 private:
  struct Header {
    const void* owner;
    std::uint32_t name_length;
    std::uint32_t count;
    std::uint32_t order_at;
    std::uint32_t reserved[3];
  };  // followed by the tenant name's bytes
  static_assert(sizeof(Header) == 32);

  static constexpr unsigned kSeedShift = 56;

  [[gnu::noinline]] static const Member* find_slow(const char* base, std::uint32_t mask,
                                                   std::uint32_t home, std::string_view user,
                                                   std::uint32_t t) noexcept {
    std::uint32_t probes =
        std::launder(reinterpret_cast<const Member*>(base + home * sizeof(Member)))->probe;
    if (probes == kProbeAll) [[unlikely]]
      probes = mask + 1;  // every run ends at an empty slot before that: cap > size
    for (std::uint32_t d = 0; d < probes; ++d) {
      const std::uint32_t i = (home + d) & mask;
      const Member& m = *std::launder(reinterpret_cast<const Member*>(base + i * sizeof(Member)));
      if (m.tag == 0) break;
      if (m.tag == t && m.length == user.size()) {
        const char* key = m.key;
        if (m.length > kInline) {
          std::uint32_t offset;
          std::memcpy(&offset, m.key, sizeof offset);
          key = base + offset;
        }
        if (equal_bytes(key, user.data(), user.size())) return &m;
      }
    }
    return nullptr;
  }

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
  static constexpr std::uint32_t kProbeAll = UINT16_MAX;

  static std::size_t round64(std::size_t n) noexcept { return (n + 63) / 64 * 64; }
  static std::uint32_t slot_of(std::uint64_t hash, std::uint32_t seed,
                               std::uint32_t mask) noexcept {
    const std::uint64_t multiplier = (std::uint64_t{seed} * 2 + 1) * 0x9e3779b97f4a7c15ULL;
    return static_cast<std::uint32_t>((hash * multiplier) >> 32) & mask;
  }
  // A seed whose linear-probing placement displaces few members (total displacement at most
  // n / 5, else the best of the seeds tried): bounded work per member at build time.
  static std::uint32_t best_seed(std::span<const std::uint64_t> hashes, std::uint32_t mask) {
    const std::size_t n = hashes.size();
    const std::size_t tries = std::clamp<std::size_t>(1024 / n, 4, 32);
    const std::size_t good_enough = n / 5;
    std::vector<std::uint8_t> used(mask < 64 ? 0 : std::size_t{mask} + 1);
    std::uint32_t best = 0;
    std::size_t best_cost = SIZE_MAX;
    for (std::uint32_t seed = 0; seed < tries && best_cost > good_enough; ++seed) {
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
    return best;
  }
  static std::uint32_t tag(std::uint64_t h) noexcept {
    return static_cast<std::uint32_t>(h >> 32) | 1U;
  }
  static const char* base_of(std::uintptr_t word) noexcept {
    return reinterpret_cast<const char*>(word & ((std::uintptr_t{1} << kSeedShift) - 64));
  }
  static const char* header_address(std::uintptr_t word) noexcept {
    return base_of(word) + (std::size_t{1} << (word & 63U)) * sizeof(Member);
  }
  static const Header& header(std::uintptr_t word) noexcept {
    return *std::launder(reinterpret_cast<const Header*>(header_address(word)));
  }
  void release() noexcept {
    if (block_ != nullptr) ::operator delete (block_, std::align_val_t{64});
    block_ = nullptr;
  }

  char* block_ = nullptr;
  std::size_t bytes_ = 0;
  std::uint32_t log2_ = 0;
  std::uint32_t seed_ = 0;
};

}  // namespace tenantkit::rbac::detail
