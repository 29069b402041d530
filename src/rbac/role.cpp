// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/rbac/role.hpp>

namespace tenantkit::rbac {

Result<void> validate_role_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxRoleName;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == ':' || c == '-');
  }
  if (ok) return tenantkit::ok();
  return Error{Errc::validation_failed,
               "invalid role name",
               {{"name", "1-64 characters of A-Z a-z 0-9 _ . : -"}}};
}

}  // namespace tenantkit::rbac
