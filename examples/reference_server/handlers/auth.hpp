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
/// A rotated token presented again (however soon: no grace) revokes the session family: 401.
/// The cookie needs X-CSRF-Token equal to tk_csrf, else 403 forbidden and nothing rotates.
Handler refresh(Services& services);
/// POST /v1/auth/logout -> 204; revokes the current session and its refresh family.
Handler logout(Services& services);
/// GET /v1/auth/me -> user, memberships, active_org_id, permissions (in the active org).
Handler me(Services& services);
/// POST /v1/auth/switch-org {org_id} -> 200 {access_token, token_type, expires_in, org}: a new
/// access token of the same session with that active org; also sets tk_session.
/// Errors: validation_failed (org_id missing), not_found (not an active member).
Handler switch_org(Services& services);
/// GET /v1/auth/sessions -> {items: [{id, user_agent, ip, created_at, last_seen_at,
/// expires_at, current}], next_cursor: null}: the caller's active sessions, oldest first.
Handler list_sessions(Services& services);
/// DELETE /v1/auth/sessions/{id} -> 204. Errors: not_found (unknown or another user's).
Handler delete_session(Services& services);
/// POST /v1/auth/password/forgot {email} -> 202 whether or not the account exists; for an
/// active account, a one-hour single-use reset token is mailed (kind "password_reset").
/// Errors: validation_failed (email missing or not an address), rate_limited (past
/// TK_LOGIN_MAX_ATTEMPTS requests per IP or per email in the window, whether or not the account
/// exists).
Handler forgot_password(Services& services);
/// POST /v1/auth/password/reset {token, new_password} -> 204; revokes every session of the user.
/// Errors: validation_failed (password policy), not_found (unknown token), gone (used or
/// expired).
Handler reset_password(Services& services);
/// POST /v1/auth/password/change {current_password, new_password} -> 204; revokes the user's
/// other sessions. Errors: validation_failed (field current_password when it is wrong; field
/// new_password for the policy), rate_limited (wrong current passwords count as failed logins).
Handler change_password(Services& services);
/// GET /.well-known/jwks.json -> the public keys of access tokens ({"keys": []} with HS256).
Handler jwks(Services& services);

/// The /v1/auth routes with their steps.
std::vector<Route> auth_routes(Services& services);

}  // namespace tenantkit::server::handlers
