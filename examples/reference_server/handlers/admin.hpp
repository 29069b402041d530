// SPDX-License-Identifier: Apache-2.0
// /admin: operator routes guarded by TK_ADMIN_TOKEN (Authorization: Bearer <token>, compared in
// constant time). Without TK_ADMIN_TOKEN every /admin route answers 404, as if absent.
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// The admin guard. Sets the principal to PrincipalKind::admin. Errors: not_found (no admin
/// token configured), unauthorized (missing or wrong token).
Step admin_auth(Services& services);

/// GET /admin/orgs/{id}/summary -> {org:{id,name,slug,created_at}, plan, status, member_count,
/// usage:{<meter>:{used, limit | null}}, last_activity | null}. Errors: not_found (no such org),
/// unavailable.
Handler org_summary(Services& services);

/// The routes above with their steps.
std::vector<Route> admin_routes(Services& services);

}  // namespace tenantkit::server::handlers
