// SPDX-License-Identifier: Apache-2.0
// The guarding steps of API.md's order of checks, listed beside each route in routes/*.cpp:
//
//   authenticate      401  access token (Bearer JWT), API key (Bearer tk_...), or tk_session cookie
//   csrf              403  cookie-authenticated POST/PUT/PATCH/DELETE need X-CSRF-Token == tk_csrf
//   resolve_tenant    400 / 404  the key's org; else X-Org-Id (caller must be a member, else 404);
//                            else the token's active org; none: 400
//   require(perm)     403  the role (or the API key's scopes) holds the permission
//   require_feature   402  the plan has the feature
//   meter(meter)      429  quota check-and-consume; RateLimit headers on every answer
//
// Routes whose path names an object ({id}) must answer 404 for another tenant's object BEFORE
// the permission check: such handlers load the object, then call check_permission().
#pragma once

#include <optional>
#include <string_view>

#include <tenantkit/billing/plan.hpp>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::steps {

/// Who may call a route.
enum class Callers : std::uint8_t {
  users,           ///< Access token or session cookie only (an API key gets 403).
  users_and_keys,  ///< Also API keys (acting with their scopes).
};

/// Sets ctx.tenant.principal (and token_org, via_cookie, email is NOT loaded).
/// Errors: unauthorized (no, bad, expired or revoked credential), forbidden (an API key on a
/// users-only route).
Step authenticate(Services& services, Callers callers = Callers::users);
/// Errors: forbidden (missing or wrong X-CSRF-Token on a cookie-authenticated unsafe request).
Step csrf();
/// The double-submit check itself, whatever the method and credential: X-CSRF-Token equals the
/// tk_csrf cookie (constant-time). csrf() uses it; so does refresh for a tk_refresh cookie.
/// Errors: forbidden.
Result<void> check_csrf_token(const RequestContext& ctx);
/// Sets ctx.tenant.tenant, roles, plan and ctx.permissions. Errors: bad_request (no tenant),
/// not_found (not a member of the org named), unavailable.
Step resolve_tenant(Services& services);
/// Errors: forbidden.
Step require(Services& services, std::string_view permission);
/// Errors: feature_not_in_plan, unavailable.
Step require_feature(Services& services, billing::Feature feature);
/// Consumes `cost` of `meter`. Errors: quota_exceeded / rate_limited (with Retry-After).
Step meter(Services& services, std::string_view meter, std::int64_t cost = 1);

/// The same checks for handlers that must load an object first (404 before 403).
Result<void> check_permission(const Services& services, const RequestContext& ctx,
                              std::string_view permission);
Result<void> check_feature(Services& services, const RequestContext& ctx, billing::Feature feature);
/// Resolves and checks membership of `org` for the authenticated user (as resolve_tenant does
/// for X-Org-Id), filling the tenant fields of ctx. Errors: not_found, unavailable.
Result<void> enter_org(Services& services, RequestContext& ctx, const OrgId& org);

/// The value of cookie `name` in the request's Cookie header(s).
std::optional<std::string_view> cookie(const RequestContext& ctx, std::string_view name);

}  // namespace tenantkit::server::steps
