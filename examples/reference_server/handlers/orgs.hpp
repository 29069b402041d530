// SPDX-License-Identifier: Apache-2.0
// /v1/orgs handlers: the caller's orgs, creation, read, rename / re-slug, deletion. For the
// /v1/orgs/{id} routes the org in the path is the tenant: a non-member gets 404 before any
// permission check (API.md "Order of checks").
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// GET /v1/orgs -> {items: [{id, name, slug, plan, status, created_at, roles}], next_cursor:
/// null}: every org the user is an active member of.
Handler list_orgs(Services& services);
/// POST /v1/orgs {name, slug?} -> 201 org (with roles ["owner"]); the caller becomes its owner.
/// Errors: validation_failed (name, slug), conflict (slug taken).
Handler create_org_handler(Services& services);
/// GET /v1/orgs/{id} -> the org with the caller's roles. Errors: not_found (not a member).
Handler get_org(Services& services);
/// PATCH /v1/orgs/{id} {name?, slug?} -> 200 org; needs org:write.
/// Errors: not_found, forbidden, validation_failed, conflict (slug taken).
Handler update_org(Services& services);
/// DELETE /v1/orgs/{id} -> 204; needs org:delete. Deletes the org and all its tenant-owned data.
/// Errors: not_found, forbidden.
Handler delete_org(Services& services);

/// The /v1/orgs routes with their steps.
std::vector<Route> org_routes(Services& services);

}  // namespace tenantkit::server::handlers
