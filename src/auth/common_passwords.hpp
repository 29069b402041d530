// SPDX-License-Identifier: Apache-2.0
// Private: the bundled common-password list (src/auth/common_passwords.cpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace tenantkit::auth::detail {

/// True when `lowered` (already lower-case ASCII) is on the list.
bool is_common_lowercase(std::string_view lowered) noexcept;
std::size_t common_password_count() noexcept;

}  // namespace tenantkit::auth::detail
