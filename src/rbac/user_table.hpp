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
struct alignas(64) GrantBits {
  PermissionSet allow;  // union of the roles' allows, minus `deny`
  PermissionSet deny;
};
static_assert(sizeof(GrantBits) == 64);

class UserTable {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;

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
    const std::size_t header_at = cap * sizeof(Slot);
    const std::size_t grants_at = header_at + round64(sizeof(Header) + tenant.size());
    const std::size_t order_at = grants_at + grants.size() * sizeof(GrantBits);
    const std::size_t arena_at = order_at + n * sizeof(std::uint32_t);
    bytes_ = round64(arena_at + long_bytes);
    block_ = static_cast<char*>(::operator new (bytes_, std::align_val_t{64}));
    std::memset(block_, 0, bytes_);
    log2_ = log2;

    Header* h = new (block_ + header_at) Header{};
    h->owner = owner;
    h->name_length = static_cast<std::uint32_t>(tenant.size());
    h->count = static_cast<std::uint32_t>(n);
    h->grants_at = static_cast<std::uint32_t>(grants_at);
    h->order_at = static_cast<std::uint32_t>(order_at);
    if (!tenant.empty())
      std::memcpy(block_ + header_at + sizeof(Header), tenant.data(), tenant.size());
    for (std::size_t g = 0; g < grants.size(); ++g)
      new (block_ + grants_at + g * sizeof(GrantBits)) GrantBits(grants[g]);

    for (std::size_t i = 0; i < cap; ++i) new (block_ + i * sizeof(Slot)) Slot{};
    Slot* slots = std::launder(reinterpret_cast<Slot*>(block_));
    std::size_t arena = arena_at;
    const std::uint32_t mask = static_cast<std::uint32_t>(cap - 1);
    for (std::size_t u = 0; u < n; ++u) {
      const std::string& key = users[u];
      const std::uint64_t hash = hash_bytes(key);
      std::uint32_t at = static_cast<std::uint32_t>(hash) & mask;
      while (slots[at].tag != 0) at = (at + 1) & mask;
      Slot& s = slots[at];
      s.tag = tag(hash);
      s.grant_at = static_cast<std::uint32_t>(grants_at + grant_of[u] * sizeof(GrantBits));
      s.length = static_cast<std::uint32_t>(key.size());
      if (key.size() <= kInline) {
        if (!key.empty()) std::memcpy(s.key, key.data(), key.size());
      } else {
        const auto offset = static_cast<std::uint32_t>(arena);
        std::memcpy(s.key, &offset, sizeof offset);
        std::memcpy(block_ + arena, key.data(), key.size());
        arena += key.size();
      }
      std::memcpy(block_ + order_at + u * sizeof(std::uint32_t), &at, sizeof at);
    }
  }

  UserTable(UserTable&& o) noexcept
      : block_(std::exchange(o.block_, nullptr)), bytes_(o.bytes_), log2_(o.log2_) {}
  UserTable& operator=(UserTable&& o) noexcept {
    if (this != &o) {
      release();
      block_ = std::exchange(o.block_, nullptr);
      bytes_ = o.bytes_;
      log2_ = o.log2_;
    }
    return *this;
  }
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;
  ~UserTable() { release(); }

  /// The block address with log2(slot count) in the low bits; 0 for an empty table.
  std::uintptr_t word() const noexcept { return reinterpret_cast<std::uintptr_t>(block_) | log2_; }

  // --- From a word (the check path) -------------------------------------------------------

  /// True when the table was built for `tenant`.
  static bool is_for(std::uintptr_t word, std::string_view tenant) noexcept {
    const char* h = header_address(word);
    std::uint32_t length;
    std::memcpy(&length, h + offsetof(Header, name_length), sizeof length);
    return length == tenant.size() && equal_bytes(h + sizeof(Header), tenant.data(), tenant.size());
  }

  /// The grant of `user` (`hash` == hash_bytes(user)), or null.
  static const GrantBits* find(std::uintptr_t word, std::string_view user,
                               std::uint64_t hash) noexcept {
    const char* base = base_of(word);
    const std::uint32_t mask = (std::uint32_t{1} << (word & 63U)) - 1U;
    const std::uint32_t t = tag(hash);
    for (std::uint32_t i = static_cast<std::uint32_t>(hash) & mask;; i = (i + 1) & mask) {
      const Slot& s = *std::launder(reinterpret_cast<const Slot*>(base + i * sizeof(Slot)));
      if (s.tag == 0) return nullptr;
      if (s.tag == t && s.length == user.size()) {
        const char* key = s.key;
        if (s.length > kInline) {
          std::uint32_t offset;
          std::memcpy(&offset, s.key, sizeof offset);
          key = base + offset;
        }
        if (equal_bytes(key, user.data(), user.size()))
          return std::launder(reinterpret_cast<const GrantBits*>(base + s.grant_at));
      }
    }
  }

  /// The `owner` given at construction.
  static const void* owner(std::uintptr_t word) noexcept { return header(word).owner; }

  // --- Queries ----------------------------------------------------------------------------

  /// The grant index of `user`, or npos.
  std::uint32_t find_index(std::string_view user) const noexcept {
    const GrantBits* g = find(word(), user, hash_bytes(user));
    if (g == nullptr) return npos;
    return static_cast<std::uint32_t>(
        (reinterpret_cast<const char*>(g) - block_ - header(word()).grants_at) / sizeof(GrantBits));
  }
  const GrantBits& grant(std::uint32_t i) const noexcept {
    return *std::launder(reinterpret_cast<const GrantBits*>(block_ + header(word()).grants_at +
                                                            i * sizeof(GrantBits)));
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
      const Slot& s = *std::launder(reinterpret_cast<const Slot*>(block_ + at * sizeof(Slot)));
      const char* key = s.key;
      if (s.length > kInline) {
        std::uint32_t offset;
        std::memcpy(&offset, s.key, sizeof offset);
        key = block_ + offset;
      }
      out.emplace_back(std::string_view(key, s.length),
                       static_cast<std::uint32_t>((s.grant_at - h.grants_at) / sizeof(GrantBits)));
    }
    return out;
  }

 private:
  static constexpr std::size_t kInline = 20;
  struct Slot {
    std::uint32_t tag;  // 0: empty
    std::uint32_t grant_at;
    std::uint32_t length;
    char key[kInline];  // the id, or the offset of its bytes when longer than kInline
  };
  static_assert(sizeof(Slot) == 32);
  struct Header {
    const void* owner;
    std::uint32_t name_length;
    std::uint32_t count;
    std::uint32_t grants_at;
    std::uint32_t order_at;
    std::uint64_t reserved;
  };  // followed by the tenant name's bytes
  static_assert(sizeof(Header) == 32);

  static std::size_t round64(std::size_t n) noexcept { return (n + 63) / 64 * 64; }
  static std::uint32_t tag(std::uint64_t h) noexcept {
    return static_cast<std::uint32_t>(h >> 32) | 1U;
  }
  static const char* base_of(std::uintptr_t word) noexcept {
    return reinterpret_cast<const char*>(word & ~std::uintptr_t{63});
  }
  static const char* header_address(std::uintptr_t word) noexcept {
    return base_of(word) + (std::size_t{1} << (word & 63U)) * sizeof(Slot);
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
};

}  // namespace tenantkit::rbac::detail
