// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>

#include <tenantkit/core/secret.hpp>

namespace tenantkit {

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Compare over the longer length so the loop's duration depends only on the lengths.
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  // The optimiser cannot turn the accumulated OR into an early exit: it is read once, here.
  volatile unsigned char result = diff;
  return result == 0;
}

void secure_wipe(std::string& s) noexcept {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace tenantkit
