// SPDX-License-Identifier: Apache-2.0
// StringIndex: an immutable open-addressing map from strings to 32-bit values, in one heap
// block: [optional payload array][slots][key bytes]. A lookup with a string_view allocates
// nothing and touches one slot and its key; a payload (a tenant's grants) sits in the same
// block, so a check stays within a few adjacent cache lines. Built once per snapshot.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "rbac/hash.hpp"

namespace tenantkit::rbac::detail {

class StringIndex {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;

  StringIndex() = default;

  /// Maps keys[i] to values[i]; `payload` is copied into the block (see payload()).
  /// REQUIRES: keys unique, keys.size() == values.size(), T trivially copyable.
  template <class Keys, class T = std::byte>
  StringIndex(const Keys& keys, std::span<const std::uint32_t> values,
              std::span<const T> payload = {}) {
    static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= 16);
    std::size_t n = 0, bytes = 0;
    for (const auto& k : keys) {
      ++n;
      bytes += std::string_view(k).size();
    }
    std::size_t cap = 0;
    if (n > 0) {
      cap = 4;
      while (cap * 3 < n * 4) cap *= 2;  // load factor <= 0.75
    }
    payload_bytes_ = static_cast<std::uint32_t>((payload.size_bytes() + 15) / 16 * 16);
    const std::size_t total = payload_bytes_ + cap * sizeof(Slot) + bytes;
    if (total == 0) return;
    block_.reset(new std::byte[total]);
    if (!payload.empty()) std::memcpy(block_.get(), payload.data(), payload.size_bytes());
    count_ = static_cast<std::uint32_t>(n);
    mask_ = cap == 0 ? 0 : static_cast<std::uint32_t>(cap - 1);
    if (cap == 0) return;
    Slot* slots = slots_mut();
    std::uninitialized_fill_n(slots, cap, Slot{});
    char* arena = reinterpret_cast<char*>(slots + cap);
    std::uint32_t offset = 0, i = 0;
    for (const auto& k : keys) {
      const std::string_view key(k);
      if (!key.empty()) std::memcpy(arena + offset, key.data(), key.size());
      const std::uint64_t h = hash_bytes(key);
      std::uint32_t at = static_cast<std::uint32_t>(h) & mask_;
      while (slots[at].used != 0) at = (at + 1) & mask_;
      slots[at] = Slot{tag(h), values[i++], offset, static_cast<std::uint32_t>(key.size()), 1};
      offset += static_cast<std::uint32_t>(key.size());
    }
  }

  StringIndex(StringIndex&&) noexcept = default;
  StringIndex& operator=(StringIndex&&) noexcept = default;

  /// The value of `key`, or npos.
  std::uint32_t find(std::string_view key) const noexcept {
    if (count_ == 0) return npos;
    const std::uint64_t h = hash_bytes(key);
    const std::uint32_t t = tag(h);
    const Slot* slots = this->slots();
    const char* arena = reinterpret_cast<const char*>(slots + mask_ + 1);
    for (std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots[i];
      if (s.used == 0) return npos;
      if (s.tag == t && s.length == key.size() &&
          equal_bytes(arena + s.offset, key.data(), key.size()))
        return s.value;
    }
  }

  /// The i-th element of the payload given at construction.
  template <class T>
  const T& payload(std::uint32_t i) const noexcept {
    return std::launder(reinterpret_cast<const T*>(block_.get()))[i];
  }

  std::size_t size() const noexcept { return count_; }

  /// Every (key, value), in the order the keys were given.
  std::vector<std::pair<std::string_view, std::uint32_t>> entries() const {
    std::vector<std::pair<std::uint32_t, std::pair<std::string_view, std::uint32_t>>> tmp;
    if (count_ > 0) {
      const Slot* slots = this->slots();
      const char* arena = reinterpret_cast<const char*>(slots + mask_ + 1);
      for (std::uint32_t i = 0; i <= mask_; ++i) {
        const Slot& s = slots[i];
        if (s.used != 0)
          tmp.push_back({s.offset * 2 + (s.length == 0 ? 0 : 1),
                         {std::string_view(arena + s.offset, s.length), s.value}});
      }
    }
    std::stable_sort(tmp.begin(), tmp.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<std::string_view, std::uint32_t>> out;
    out.reserve(tmp.size());
    for (auto& e : tmp) out.push_back(e.second);
    return out;
  }

 private:
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t value = 0;
    std::uint32_t offset = 0;
    std::uint32_t length : 31 = 0;
    std::uint32_t used : 1 = 0;
  };
  static std::uint32_t tag(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }
  const Slot* slots() const noexcept {
    return std::launder(reinterpret_cast<const Slot*>(block_.get() + payload_bytes_));
  }
  Slot* slots_mut() noexcept { return reinterpret_cast<Slot*>(block_.get() + payload_bytes_); }

  std::unique_ptr<std::byte[]> block_;
  std::uint32_t payload_bytes_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t mask_ = 0;
};

}  // namespace tenantkit::rbac::detail
