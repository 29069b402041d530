// SPDX-License-Identifier: Apache-2.0
#include "steps/request_id.hpp"

namespace tenantkit::server {

bool is_valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void assign_request_id(RequestContext& ctx, Random& random, const Clock& clock) {
  const std::string_view incoming = ctx.header("X-Request-Id");
  ctx.request_id =
      is_valid_request_id(incoming) ? std::string(incoming) : uuid_v7(random, clock.now());
  // RequestId's own syntax (ids.hpp) is narrower than API.md's; the value was checked above.
  ctx.tenant.request_id = RequestId::from_trusted(ctx.request_id);
}

}  // namespace tenantkit::server
