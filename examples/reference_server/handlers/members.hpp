// SPDX-License-Identifier: Apache-2.0
// /v1/members, /v1/invitations and /v1/roles: who belongs to an org, with which roles, how people
// join it, and the org's custom roles. Every change goes through the RBAC grant rules (no
// escalation, only owners grant or remove `owner`, the last owner stays) and writes an audit entry.
// Handlers are synchronous and block on storage: they run on the worker pool (run_route()).
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// GET /v1/members (members:read) -> {items: [{user_id, email, name, roles, role, joined_at,
/// active}], next_cursor}; `role` is the first of `roles` (null when none).
/// Errors: validation_failed (limit), unavailable.
Handler list_members(Services& services);
/// PATCH /v1/members/{user_id} {roles: [...]} or {role} (members:write) -> 200 the member.
/// Errors: not_found (not a member of this org), forbidden (permission; escalation; owner
/// granted or removed by a non-owner), conflict (the last owner would lose `owner`),
/// validation_failed (unknown role; neither field), unavailable.
Handler update_member(Services& services);
/// DELETE /v1/members/{user_id} (members:write, or the caller themself: leave) -> 204. The
/// member's API keys in this org are revoked; their sessions stay (other orgs).
/// Errors: not_found, forbidden, conflict (last owner), unavailable.
Handler remove_member(Services& services);

/// POST /v1/invitations {email, role} (invitations:write) -> 201 {id, email, role, invited_by,
/// created_at, expires_at}; the token goes only into the mail (kind "invitation").
/// Errors: validation_failed, forbidden (a role the caller could not grant), conflict (pending
/// invitation for the email, or already a member), seat_limit_reached (members + pending
/// invitations at the plan's seats), unavailable.
Handler create_invitation(Services& services);
/// GET /v1/invitations (invitations:write) -> the pending invitations, paged.
Handler list_invitations(Services& services);
/// DELETE /v1/invitations/{id} (invitations:write) -> 204.
/// Errors: not_found, forbidden, gone (already accepted or revoked), unavailable.
Handler revoke_invitation(Services& services);
/// POST /v1/invitations/accept {token} (a user; no tenant) -> 200 {org_id, roles}. The
/// invitation's email must be the caller's. Errors: not_found (unknown token), gone (accepted,
/// revoked or expired), forbidden (another email), seat_limit_reached, conflict (already a
/// member; the invited role was deleted), unavailable.
Handler accept_invitation(Services& services);

/// GET /v1/roles (any member) -> {items: [{name, builtin, permissions, allow, deny, inherits,
/// description}], next_cursor: null}: built-in roles, then the org's custom roles by name.
Handler list_roles(Services& services);
/// POST /v1/roles {name, permissions[], deny?, inherits?, description?} (roles:write +
/// custom_roles) -> 201 the role. Errors: validation_failed, conflict (built-in name or alias,
/// name taken), forbidden (a permission the caller lacks), feature_not_in_plan, unavailable.
Handler create_role(Services& services);
/// PATCH /v1/roles/{name} {permissions?, deny?, inherits?, description?} -> 200 the role.
/// Errors: not_found, forbidden, feature_not_in_plan, conflict (built-in), validation_failed.
Handler update_role(Services& services);
/// DELETE /v1/roles/{name} -> 204. Errors: not_found, forbidden, feature_not_in_plan, conflict
/// (built-in; held by a member, inherited by a role or offered by a pending invitation).
Handler delete_role(Services& services);

/// The routes above with their steps.
std::vector<Route> member_routes(Services& services);

}  // namespace tenantkit::server::handlers
