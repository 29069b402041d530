// SPDX-License-Identifier: Apache-2.0
// /v1/auth handlers (API.md "Token responses", "Sessions and logout", "Login throttling").
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// POST /v1/auth/register {email, password, name?, org_name} -> 201 tokens; creates the org
/// and makes the user its owner. Errors: validation_failed, conflict (email taken), rate_limited.
Handler register_user(Services& services);
/// POST /v1/auth/login {email, password} -> 200 tokens. One generic 401 for any bad credential;
/// 429 rate_limited past TK_LOGIN_MAX_ATTEMPTS per IP or per email.
Handler login(Services& services);
/// POST /v1/auth/refresh {refresh_token?, org_id?} or the tk_refresh cookie -> 200 tokens.
/// A rotated token presented again revokes the session family: 401.
Handler refresh(Services& services);
/// POST /v1/auth/logout -> 204; revokes the current session and its refresh family.
Handler logout(Services& services);
/// GET /v1/auth/me -> user, memberships, active_org_id, permissions (in the active org).
Handler me(Services& services);

/// The /v1/auth routes with their steps.
std::vector<Route> auth_routes(Services& services);

}  // namespace tenantkit::server::handlers
