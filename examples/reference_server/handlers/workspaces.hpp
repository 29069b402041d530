// SPDX-License-Identifier: Apache-2.0
// /v1/workspaces: the sample tenant-owned resource (name, description), its count limited by
// the plan's `workspaces` limit (402 plan_limit_reached, checked atomically by the store).
// Routes with an id load the workspace scoped to the tenant first: another org's id is 404
// before any permission check (API.md "Order of checks").
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// GET /v1/workspaces -> {items: [workspace], next_cursor}. Needs workspaces:read.
Handler list_workspaces(Services& services);
/// POST /v1/workspaces {name, description?} -> 201 workspace. Needs workspaces:write.
/// Errors: validation_failed, plan_limit_reached (402), unavailable.
Handler create_workspace(Services& services);
/// GET /v1/workspaces/{id}. Errors: not_found (absent or another org's), forbidden.
Handler get_workspace(Services& services);
/// PATCH /v1/workspaces/{id} {name?, description?} -> 200 workspace. Needs workspaces:write.
/// Errors: not_found, forbidden, validation_failed.
Handler update_workspace(Services& services);
/// DELETE /v1/workspaces/{id} -> 204. Needs workspaces:write. Errors: not_found, forbidden.
Handler delete_workspace(Services& services);

std::vector<Route> workspace_routes(Services& services);

}  // namespace tenantkit::server::handlers
