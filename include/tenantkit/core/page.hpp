// SPDX-License-Identifier: Apache-2.0
// Cursor pagination: PageRequest in, Page<T> out (API.md: `?limit=` default 50, max 200, and an
// opaque `next_cursor`, null on the last page).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace tenantkit {

/// Which page to read. The cursor is opaque to callers: pass back what a Page returned.
struct PageRequest {
  static constexpr int kDefaultLimit = 50;
  static constexpr int kMaxLimit = 200;

  int limit = kDefaultLimit;  ///< Clamped to 1..kMaxLimit by clamped_limit().
  std::string cursor;         ///< Empty: the first page.

  int clamped_limit() const noexcept { return std::clamp(limit, 1, kMaxLimit); }
};

/// One page of a list in a stable order, and where the next one starts.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  ///< nullopt on the last page.
};

}  // namespace tenantkit
