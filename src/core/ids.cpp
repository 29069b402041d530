// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/core/ids.hpp>

namespace tenantkit::detail {

bool valid_id_syntax(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace tenantkit::detail
