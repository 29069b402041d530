// SPDX-License-Identifier: Apache-2.0
// StringIndex: an immutable open-addressing map from strings to their position in the list it
// was built from. Keys live in one arena; a lookup with a string_view allocates nothing and
// touches the 8-byte slot array plus one key. Built once per snapshot, never modified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rbac/hash.hpp"

namespace tenantkit::rbac::detail {

class StringIndex {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;

  StringIndex() = default;

  /// REQUIRES: keys unique. Range of things convertible to std::string_view.
  template <class Range>
  explicit StringIndex(const Range& keys) {
    std::size_t n = 0, bytes = 0;
    for (const auto& k : keys) {
      ++n;
      bytes += std::string_view(k).size();
    }
    if (n == 0) return;
    std::size_t cap = 4;
    while (cap * 3 < n * 4) cap *= 2;  // load factor <= 0.75
    slots_.assign(cap, Slot{});
    mask_ = static_cast<std::uint32_t>(cap - 1);
    offsets_.reserve(n + 1);
    arena_.reserve(bytes);
    offsets_.push_back(0);
    std::uint32_t ordinal = 0;
    for (const auto& k : keys) {
      const std::string_view key(k);
      arena_.append(key);
      offsets_.push_back(static_cast<std::uint32_t>(arena_.size()));
      const std::uint64_t h = hash_bytes(key);
      std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;
      while (slots_[i].ordinal_plus_one != 0) i = (i + 1) & mask_;
      slots_[i] = Slot{tag(h), ++ordinal};
    }
  }

  /// The position of `key`, or npos.
  std::uint32_t find(std::string_view key) const noexcept {
    if (slots_.empty()) return npos;
    const std::uint64_t h = hash_bytes(key);
    const std::uint32_t t = tag(h);
    for (std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;; i = (i + 1) & mask_) {
      const Slot s = slots_[i];
      if (s.ordinal_plus_one == 0) return npos;
      if (s.tag == t && this->key(s.ordinal_plus_one - 1) == key) return s.ordinal_plus_one - 1;
    }
  }

  std::string_view key(std::uint32_t ordinal) const noexcept {
    return std::string_view(arena_).substr(offsets_[ordinal],
                                           offsets_[ordinal + 1] - offsets_[ordinal]);
  }
  std::size_t size() const noexcept { return offsets_.empty() ? 0 : offsets_.size() - 1; }

  /// Heap bytes held (for memory accounting in tests and docs).
  std::size_t heap_bytes() const noexcept {
    return slots_.capacity() * sizeof(Slot) + offsets_.capacity() * sizeof(std::uint32_t) +
           arena_.capacity();
  }

 private:
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t ordinal_plus_one = 0;  // 0: empty
  };
  static std::uint32_t tag(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }

  std::vector<Slot> slots_;
  std::uint32_t mask_ = 0;
  std::vector<std::uint32_t> offsets_;
  std::string arena_;
};

}  // namespace tenantkit::rbac::detail
