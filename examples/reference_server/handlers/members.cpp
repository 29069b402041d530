// SPDX-License-Identifier: Apache-2.0
// /v1/members, /v1/invitations and /v1/roles. Routes naming an object ({user_id}, {id}, {name})
// load it in the caller's org first and check the permission after (404 before 403).
#include "handlers/members.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <tenantkit/rbac/grant_rules.hpp>

#include "app.hpp"
#include "handlers/billing.hpp"
#include "handlers/common.hpp"
#include "handlers/orgs_common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr auto kInvitationTtl = std::chrono::hours{24 * 7};
constexpr std::size_t kMaxRolesPerMember = 16;
constexpr std::size_t kMaxStatements = 100;

// The engine reports some validation failures without a field; a 422 must name one.
Error on_field(Error e, std::string_view field) {
  if (e.code == Errc::validation_failed && e.fields.empty())
    e.fields.push_back({std::string(field), e.detail});
  return e;
}

// Role names as the caller wrote them -> canonical names (aliases resolved), duplicates dropped.
// Errors: validation_failed naming `field` (unknown role).
Result<std::vector<std::string>> canonical_roles(const Services& s, const OrgId& org,
                                                 const std::vector<std::string>& names,
                                                 std::string_view field) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    auto info = s.rbac->get_role(org.str(), name);
    if (!info)
      return Error{Errc::validation_failed,
                   "unknown role",
                   {{std::string(field), "no role named '" + name + "' in this organization"}}};
    if (std::find(out.begin(), out.end(), info->name) == out.end()) out.push_back(info->name);
  }
  return out;
}

bool holds_owner(const storage::Membership& m) {
  return std::find(m.roles.begin(), m.roles.end(), rbac::role::owner) != m.roles.end();
}

// The owners the grant rules weigh when `target` is demoted or removed: the ACTIVE owners other
// than `target`, plus `target` itself when it holds owner. The rule of MembershipStore's
// set_roles() and remove() (no change may leave the org without an active owner), so that the
// handler refuses whatever storage would refuse, before anything else changed: a suspended owner
// keeps no org owned, and removing or demoting one is never the last owner's case.
Result<std::size_t> owner_count(Services& s, const OrgId& org, const storage::Membership& target) {
  std::size_t n = holds_owner(target) ? 1 : 0;
  PageRequest page{.limit = PageRequest::kMaxLimit, .cursor = {}};
  for (;;) {
    auto members = s.db.memberships().list(org, page);
    if (!members) return members.error();
    for (const auto& m : members->items)
      if (m.active && m.user != target.user && holds_owner(m)) ++n;
    if (!members->next_cursor) break;
    page.cursor = *members->next_cursor;
  }
  return n;
}

// Revokes the API keys `user` created in `org`, counting them in `revoked`. Carries on past a
// key that fails, and answers the first failure.
Result<void> revoke_keys_of(Services& s, const OrgId& org, const UserId& user,
                            std::int64_t& revoked) {
  Result<void> out = ok();
  PageRequest page{.limit = PageRequest::kMaxLimit, .cursor = {}};
  for (;;) {
    auto keys = s.keys->list(org, page);
    if (!keys) return keys.error();
    for (const auto& k : keys->items) {
      if (k.created_by != user || k.revoked_at) continue;
      if (auto r = s.keys->revoke(org, k.id); r)
        ++revoked;
      else if (r.error().code != Errc::not_found && out)
        out = r.error();
    }
    if (!keys->next_cursor) break;
    page.cursor = *keys->next_cursor;
  }
  return out;
}

// The plan's seats (members + pending invitations); nullopt when unlimited.
Result<std::optional<std::int64_t>> seat_limit(Services& s, const OrgId& org) {
  auto limit = s.entitlements->limit(org, billing::Meter::seats);
  if (!limit) return limit.error();
  if (limit->is_unlimited()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>(limit->value());
}

json::object member_json(const storage::Membership& m, const storage::User* user) {
  return {{"user_id", m.user.str()},
          {"email", user ? user->email : std::string()},
          {"name", user ? user->name : std::string()},
          {"roles", string_array(m.roles)},
          {"role", m.roles.empty() ? json::value(nullptr) : json::value(m.roles.front())},
          {"joined_at", time_json(m.joined_at)},
          {"active", m.active}};
}

json::object invitation_json(const storage::Invitation& inv) {
  return {{"id", inv.id.str()},
          {"email", inv.email},
          {"role", inv.role},
          {"invited_by", inv.invited_by.str()},
          {"created_at", time_json(inv.created_at)},
          {"expires_at", time_json(inv.expires_at)}};
}

std::string_view builtin_description(std::string_view name) {
  if (name == rbac::role::owner)
    return "Everything, including deleting the organization and granting owner";
  if (name == rbac::role::admin)
    return "Everything except deleting the organization and granting or removing owner";
  if (name == rbac::role::member) return "Uses the product: workspaces, data and usage";
  if (name == rbac::role::billing) return "Manages the subscription; reads members and usage";
  if (name == rbac::role::readonly) return "Reads everything except the audit log";
  return "";
}

json::object role_json(const Services& s, const rbac::RoleInfo& info,
                       std::string_view description) {
  return {{"name", info.name},
          {"builtin", info.builtin},
          {"permissions", string_array(s.rbac->names(info.permissions))},
          {"allow", string_array(info.definition.allow)},
          {"deny", string_array(info.definition.deny)},
          {"inherits", string_array(info.definition.inherits)},
          {"description", info.builtin ? builtin_description(info.name) : description}};
}

// The caller's effective permissions must cover `role_permissions` (no escalation by editing or
// deleting a role stronger than oneself). Errors: forbidden.
Result<void> holds_role(const Services& s, const RequestContext& ctx,
                        const rbac::PermissionSet& role_permissions) {
  auto granter = s.rbac->holder(ctx.tenant.tenant.str(), ctx.tenant.roles);
  if (!granter) return granter.error();
  return rbac::check_role_grant(*granter, role_permissions);
}

// Reloads the org's custom roles into the engine after a write, so the answer (and the next
// request) sees them.
Result<void> reload_roles(Services& s, const OrgId& org) {
  s.roles->invalidate(org);
  return s.roles->ensure(org);
}

}  // namespace

// --- Members

Handler list_members(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto page = page_request(ctx);
    if (!page) return page.error();
    auto members = s.db.memberships().list(ctx.tenant.tenant, *page);
    if (!members) return members.error();
    json::array items;
    for (const auto& m : members->items) {
      auto user = s.db.users().get(m.user);
      if (!user && user.error().code != Errc::not_found) return user.error();
      items.push_back(member_json(m, user ? &*user : nullptr));
    }
    return json_response(http::status::ok, envelope(std::move(items), members->next_cursor));
  };
}

Handler update_member(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto user_id = path_id<UserId>(ctx, "user_id");
    if (!user_id) return user_id.error();
    auto target = s.db.memberships().get(org, *user_id);
    if (!target) return target.error();
    if (auto p = steps::check_permission(s, ctx, "members:write"); !p) return p.error();

    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    auto roles = in.optional_string_array("roles", rbac::kMaxRoleName);
    auto role = in.optional_string("role", 1, rbac::kMaxRoleName);
    if (!roles && !role) in.invalid("roles", "send roles (an array) or role (a string)");
    if (roles && (roles->empty() || roles->size() > kMaxRolesPerMember))
      in.invalid("roles", "1 to 16 role names");
    if (auto done = in.finish(); !done) return done.error();
    std::vector<std::string> wanted = roles ? std::move(*roles) : std::vector<std::string>{};
    if (!roles) wanted.push_back(std::move(*role));
    auto after = canonical_roles(s, org, wanted, roles ? "roles" : "role");
    if (!after) return after.error();

    auto owners = owner_count(s, org, *target);
    if (!owners) return owners.error();
    if (auto allowed =
            s.rbac->check_role_change(org.str(), ctx.tenant.roles, target->roles, *after, *owners);
        !allowed)
      return on_field(allowed.error(), "roles");
    auto updated = s.db.memberships().set_roles(org, *user_id, *after);
    if (!updated) return updated.error();
    audit(s, ctx, org,
          {.action = "member.role_changed",
           .target_type = "user",
           .target_id = user_id->str(),
           .metadata = {{"before", string_array(target->roles)},
                        {"after", string_array(updated->roles)}}});
    auto user = s.db.users().get(*user_id);
    if (!user && user.error().code != Errc::not_found) return user.error();
    return json_response(http::status::ok, member_json(*updated, user ? &*user : nullptr));
  };
}

Handler remove_member(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto user_id = path_id<UserId>(ctx, "user_id");
    if (!user_id) return user_id.error();
    auto target = s.db.memberships().get(org, *user_id);
    if (!target) return target.error();
    const bool leaving = *user_id == ctx.tenant.principal.user;
    if (!leaving)
      if (auto p = steps::check_permission(s, ctx, "members:write"); !p) return p.error();
    auto owners = owner_count(s, org, *target);
    if (!owners) return owners.error();
    if (auto allowed =
            s.rbac->check_member_removal(org.str(), ctx.tenant.roles, target->roles, *owners);
        !allowed)
      return allowed.error();
    if (auto removed = s.db.memberships().remove(org, *user_id); !removed) return removed.error();

    // An API key acts with its scopes, whoever made it: a removed member's keys must not keep
    // working in this org. They are revoked once the removal is done, so that a refused removal
    // (storage's last-active-owner rule, under a concurrent change) costs the member nothing.
    std::int64_t revoked_keys = 0;
    auto revoked = revoke_keys_of(s, org, *user_id, revoked_keys);
    audit(s, ctx, org,
          {.action = "member.removed",
           .target_type = "user",
           .target_id = user_id->str(),
           .metadata = {{"roles", string_array(target->roles)},
                        {"left", leaving},
                        {"api_keys_revoked", revoked_keys}}});
    if (!revoked) {
      // The member is gone; some of their keys may still work. Said loudly: an operator (or an
      // admin through DELETE /v1/api-keys/{id}) must finish the job.
      s.app.logger().error("member removed, but not all of their API keys were revoked",
                           {{"org", org.str()},
                            {"user", user_id->str()},
                            {"request_id", ctx.request_id},
                            {"error", revoked.error().detail}});
      return revoked.error();
    }
    return empty_response(http::status::no_content);
  };
}

// --- Invitations

Handler create_invitation(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string email = normalize_email(in.required_string("email", 3, 254));
    const std::string role_name = in.required_string("role", 1, rbac::kMaxRoleName);
    if (!email.empty() && !plausible_email(email)) in.invalid("email", "must be an email address");
    if (auto done = in.finish(); !done) return done.error();
    auto role = canonical_roles(s, org, {role_name}, "role");
    if (!role) return role.error();
    // Inviting is granting: the caller may invite only to a role they could give a member.
    if (auto allowed = s.rbac->check_role_change(org.str(), ctx.tenant.roles, {}, *role, 1);
        !allowed)
      return on_field(allowed.error(), "role");
    auto seats = seat_limit(s, org);
    if (!seats) return seats.error();
    auto org_record = s.db.orgs().get(org);
    if (!org_record) return org_record.error();

    const Timestamp now = s.app.clock().now();
    auto minted = s.one_time->mint();
    storage::Invitation inv{.id = InvitationId::generate(s.app.random(), s.app.clock()),
                            .org = org,
                            .email = email,
                            .role = role->front(),
                            .token_hash = minted.token_hash,
                            .invited_by = ctx.tenant.principal.user,
                            .created_at = now,
                            .expires_at = now + kInvitationTtl,
                            .accepted_at = std::nullopt,
                            .revoked_at = std::nullopt};
    auto created = s.db.invitations().create(org, inv, *seats, now);
    if (!created) return created.error();

    std::string link = s.app.config().effective_public_url();
    while (!link.empty() && link.back() == '/') link.pop_back();
    link += "/accept-invite?token=" + minted.token.reveal();
    mail::Message message{.id = mail::make_message_id(s.app.random(), s.app.clock()),
                          .to = email,
                          .kind = "invitation",
                          .subject = "You are invited to join " + org_record->name,
                          .text = "You have been invited to join " + org_record->name + " as " +
                                  created->role +
                                  ". Open the link in this message to accept; it expires in 7 "
                                  "days.",
                          .token = minted.token,
                          .link = Secret(std::move(link)),
                          .org = org,
                          .created_at = now};
    if (auto sent = s.mailer->send(message); !sent) {
      // Nobody can accept an invitation whose token never left: withdraw it, and let the
      // caller retry.
      (void)s.db.invitations().revoke(org, created->id, now);
      return Error{Errc::unavailable, "the invitation could not be sent"};
    }
    audit(s, ctx, org,
          {.action = "invitation.created",
           .target_type = "invitation",
           .target_id = created->id.str(),
           .metadata = {{"email", created->email}, {"role", created->role}}});
    return json_response(http::status::created, invitation_json(*created));
  };
}

Handler list_invitations(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto page = page_request(ctx);
    if (!page) return page.error();
    auto pending = s.db.invitations().list_pending(ctx.tenant.tenant, *page, s.app.clock().now());
    if (!pending) return pending.error();
    json::array items;
    for (const auto& inv : pending->items) items.push_back(invitation_json(inv));
    return json_response(http::status::ok, envelope(std::move(items), pending->next_cursor));
  };
}

Handler revoke_invitation(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto id = path_id<InvitationId>(ctx, "id");
    if (!id) return id.error();
    auto inv = s.db.invitations().get(org, *id);
    if (!inv) return inv.error();
    if (auto p = steps::check_permission(s, ctx, "invitations:write"); !p) return p.error();
    auto revoked = s.db.invitations().revoke(org, *id, s.app.clock().now());
    if (!revoked) return revoked.error();
    audit(s, ctx, org,
          {.action = "invitation.revoked",
           .target_type = "invitation",
           .target_id = id->str(),
           .metadata = {{"email", revoked->email}, {"role", revoked->role}}});
    return empty_response(http::status::no_content);
  };
}

Handler accept_invitation(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string token = in.required_string("token", 1, 256);
    if (auto done = in.finish(); !done) return done.error();
    auto inv = s.one_time->find_invitation(s.db.invitations(), token);
    if (!inv) return inv.error();
    const UserId& user_id = ctx.tenant.principal.user;
    auto user = s.db.users().get(user_id);
    if (!user) return user.error();
    // The token is a bearer secret that may be forwarded or leak from a mailbox: it admits only
    // the account of the address it was sent to.
    if (normalize_email(user->email) != normalize_email(inv->email))
      return Error{Errc::forbidden, "this invitation was sent to another email address"};
    const OrgId org = inv->org;
    if (auto synced = s.roles->ensure(org); !synced) return synced.error();
    if (!s.rbac->get_role(org.str(), inv->role))
      return Error{Errc::conflict, "the invited role no longer exists; ask for a new invitation"};
    // The invitation already holds its seat; checked again in case the plan shrank since.
    auto seats = seat_limit(s, org);
    if (!seats) return seats.error();
    if (*seats) {
      auto members = s.db.memberships().count(org);
      if (!members) return members.error();
      if (*members + 1 > **seats)
        return Error{Errc::seat_limit_reached, "the organization has no seat left on its plan"};
    }
    const Timestamp now = s.app.clock().now();
    const storage::Membership member{.org = org,
                                     .user = user_id,
                                     .roles = {inv->role},
                                     .active = true,
                                     .external_id = {},
                                     .joined_at = now,
                                     .scim_profile = {}};
    auto joined = s.db.invitations().accept(org, inv->id, member, now);
    if (!joined) return joined.error();
    audit(s, ctx, org,
          {.action = "invitation.accepted",
           .target_type = "invitation",
           .target_id = inv->id.str(),
           .metadata = {{"email", inv->email}, {"role", inv->role}}});
    return json_response(http::status::ok, json::object{{"org_id", org.str()},
                                                        {"roles", string_array(joined->roles)},
                                                        {"role", joined->roles.front()}});
  };
}

// --- Roles

Handler list_roles(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto stored = s.db.roles().list(org);
    if (!stored) return stored.error();
    std::map<std::string, std::string, std::less<>> descriptions;
    for (const auto& r : *stored) descriptions.emplace(r.name, r.description);
    std::vector<rbac::RoleInfo> roles = s.rbac->roles(org.str());
    // Built-ins in policy order, then custom roles by name.
    std::stable_sort(roles.begin(), roles.end(), [](const auto& a, const auto& b) {
      if (a.builtin != b.builtin) return a.builtin;
      return !a.builtin && a.name < b.name;
    });
    json::array items;
    for (const auto& info : roles) {
      const auto d = descriptions.find(info.name);
      items.push_back(role_json(s, info, d == descriptions.end() ? std::string_view{} : d->second));
    }
    return json_response(http::status::ok, envelope(std::move(items), std::nullopt));
  };
}

namespace {

// The statements of a role body; absent fields stay as in `base`. Records field errors in `in`.
void read_statements(FieldReader& in, storage::Role& role, bool create) {
  auto permissions = in.optional_string_array("permissions", 128);
  auto deny = in.optional_string_array("deny", 128);
  auto inherits = in.optional_string_array("inherits", rbac::kMaxRoleName);
  auto description = in.optional_string("description", 0, 500);
  if (create && !permissions) in.invalid("permissions", "required: an array of permissions");
  const auto too_many = [&](const auto& v, std::string_view name) {
    if (v && v->size() > kMaxStatements) in.invalid(name, "at most 100 entries");
  };
  too_many(permissions, "permissions");
  too_many(deny, "deny");
  too_many(inherits, "inherits");
  if (permissions) role.permissions = std::move(*permissions);
  if (deny) role.deny = std::move(*deny);
  if (inherits) role.inherits = std::move(*inherits);
  if (description) role.description = std::move(*description);
}

rbac::RoleDefinition definition_of(const storage::Role& r) {
  return {.name = r.name, .allow = r.permissions, .deny = r.deny, .inherits = r.inherits};
}

// The engine names no field in its validation errors; point at the likeliest one.
Error definition_error(Error e) {
  if (e.code != Errc::validation_failed || !e.fields.empty()) return e;
  const bool about_parent =
      e.detail.find("inherit") != std::string::npos || e.detail.find("parent") != std::string::npos;
  return on_field(std::move(e), about_parent ? "inherits" : "permissions");
}

json::object role_record_json(Services& s, const storage::Role& r) {
  if (auto info = s.rbac->get_role(r.org.str(), r.name); info)
    return role_json(s, *info, r.description);
  // Not loaded (a concurrent edit replaced it): the statements as stored.
  rbac::RoleInfo info{.name = r.name,
                      .builtin = false,
                      .definition = definition_of(r),
                      .permissions = {},
                      .denied = {}};
  return role_json(s, info, r.description);
}

json::object role_audit_json(const storage::Role& r) {
  return {{"permissions", string_array(r.permissions)},
          {"deny", string_array(r.deny)},
          {"inherits", string_array(r.inherits)},
          {"description", r.description}};
}

// A custom role of the caller's org by its path name, after the permission and plan checks in
// API.md's order: not_found (404), forbidden (403), conflict for built-in roles (immutable
// whatever the plan), feature_not_in_plan (402), forbidden when the role allows more than the
// caller holds.
Result<storage::Role> editable_role(Services& s, const RequestContext& ctx) {
  const OrgId& org = ctx.tenant.tenant;
  const std::string_view name = ctx.param("name");
  const bool builtin = s.rbac->is_builtin_role(name);
  std::optional<storage::Role> stored;
  if (!builtin) {
    auto r = s.db.roles().get(org, name);
    if (!r) return r.error();
    stored = std::move(*r);
  }
  if (auto p = steps::check_permission(s, ctx, "roles:write"); !p) return p.error();
  if (builtin) return Error{Errc::conflict, "built-in roles cannot be changed or deleted"};
  if (auto f = steps::check_feature(s, ctx, billing::Feature::custom_roles); !f) return f.error();
  if (auto info = s.rbac->get_role(org.str(), name); info)
    if (auto held = holds_role(s, ctx, info->permissions); !held)
      return Error{Errc::forbidden, "the role holds permissions you lack; you cannot change it"};
  return std::move(*stored);
}

}  // namespace

Handler create_role(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const Timestamp now = s.app.clock().now();
    storage::Role role{.org = org,
                       .name = in.required_string("name", 1, rbac::kMaxRoleName),
                       .description = {},
                       .permissions = {},
                       .deny = {},
                       .inherits = {},
                       .created_at = now,
                       .updated_at = now};
    read_statements(in, role, true);
    if (!role.name.empty())
      if (auto valid = rbac::validate_role_name(role.name); !valid)
        in.invalid("name", valid.error().detail);
    if (auto done = in.finish(); !done) return done.error();
    if (s.rbac->is_builtin_role(role.name))
      return Error{Errc::conflict, "'" + role.name + "' is a built-in role"};
    if (s.rbac->get_role(org.str(), role.name))
      return Error{Errc::conflict, "a role named '" + role.name + "' exists"};
    if (auto allowed =
            s.rbac->check_role_definition(org.str(), ctx.tenant.roles, definition_of(role));
        !allowed)
      return definition_error(allowed.error());
    auto created = s.db.roles().create(org, role);
    if (!created) return created.error();
    if (auto synced = reload_roles(s, org); !synced) return synced.error();
    audit(s, ctx, org,
          {.action = "role.created",
           .target_type = "role",
           .target_id = created->name,
           .metadata = {{"after", role_audit_json(*created)}}});
    return json_response(http::status::created, role_record_json(s, *created));
  };
}

Handler update_role(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto before = editable_role(s, ctx);
    if (!before) return before.error();
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    storage::Role after = *before;
    read_statements(in, after, false);
    if (auto done = in.finish(); !done) return done.error();
    after.updated_at = s.app.clock().now();
    if (auto allowed =
            s.rbac->check_role_definition(org.str(), ctx.tenant.roles, definition_of(after));
        !allowed)
      return definition_error(allowed.error());
    auto updated = s.db.roles().update(org, after);
    if (!updated) return updated.error();
    if (auto synced = reload_roles(s, org); !synced) return synced.error();
    audit(
        s, ctx, org,
        {.action = "role.updated",
         .target_type = "role",
         .target_id = updated->name,
         .metadata = {{"before", role_audit_json(*before)}, {"after", role_audit_json(*updated)}}});
    return json_response(http::status::ok, role_record_json(s, *updated));
  };
}

Handler delete_role(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto role = editable_role(s, ctx);
    if (!role) return role.error();
    auto all = s.db.roles().list(org);
    if (!all) return all.error();
    for (const auto& other : *all)
      if (std::find(other.inherits.begin(), other.inherits.end(), role->name) !=
          other.inherits.end())
        return Error{Errc::conflict, "role '" + other.name + "' inherits this role"};
    auto holders = s.db.memberships().count_with_role(org, role->name);
    if (!holders) return holders.error();
    if (*holders > 0) return Error{Errc::conflict, "members hold this role"};
    PageRequest page{.limit = PageRequest::kMaxLimit, .cursor = {}};
    for (;;) {
      auto pending = s.db.invitations().list_pending(org, page, s.app.clock().now());
      if (!pending) return pending.error();
      for (const auto& inv : pending->items)
        if (inv.role == role->name)
          return Error{Errc::conflict, "a pending invitation offers this role"};
      if (!pending->next_cursor) break;
      page.cursor = *pending->next_cursor;
    }
    if (auto removed = s.db.roles().remove(org, role->name); !removed) return removed.error();
    if (auto synced = reload_roles(s, org); !synced) return synced.error();
    audit(s, ctx, org,
          {.action = "role.deleted",
           .target_type = "role",
           .target_id = role->name,
           .metadata = {{"before", role_audit_json(*role)}}});
    return empty_response(http::status::no_content);
  };
}

std::vector<Route> member_routes(Services& s) {
  using boost::beast::http::verb;
  using steps::Callers;
  // Reads may use an API key with the right scope; every change needs a user, whose roles the
  // grant rules weigh.
  const auto in_org = [&s](Callers callers, std::vector<Step> extra = {}) {
    std::vector<Step> v{steps::authenticate(s, callers), steps::csrf(), steps::resolve_tenant(s)};
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  const Step members_read = steps::require(s, "members:read");
  const Step invitations_write = steps::require(s, "invitations:write");
  const Step roles_write = steps::require(s, "roles:write");
  const Step custom_roles = steps::require_feature(s, billing::Feature::custom_roles);
  return {
      {verb::get, "/v1/members", in_org(Callers::users_and_keys, {members_read}), list_members(s)},
      {verb::patch, "/v1/members/{user_id}", in_org(Callers::users),
       idempotent(s, update_member(s))},
      {verb::delete_, "/v1/members/{user_id}", in_org(Callers::users),
       idempotent(s, remove_member(s))},
      {verb::post, "/v1/invitations", in_org(Callers::users, {invitations_write}),
       idempotent(s, create_invitation(s))},
      {verb::get, "/v1/invitations", in_org(Callers::users, {invitations_write}),
       list_invitations(s)},
      {verb::delete_, "/v1/invitations/{id}", in_org(Callers::users),
       idempotent(s, revoke_invitation(s))},
      {verb::post,
       "/v1/invitations/accept",
       {steps::authenticate(s, Callers::users), steps::csrf()},
       idempotent(s, accept_invitation(s))},
      // Any member (API.md); an API key acts only with its scopes: roles:read.
      {verb::get, "/v1/roles", in_org(Callers::users_and_keys, {member_or_scope(s, "roles:read")}),
       list_roles(s)},
      {verb::post, "/v1/roles", in_org(Callers::users, {roles_write, custom_roles}),
       idempotent(s, create_role(s))},
      {verb::patch, "/v1/roles/{name}", in_org(Callers::users), idempotent(s, update_role(s))},
      {verb::delete_, "/v1/roles/{name}", in_org(Callers::users), idempotent(s, delete_role(s))},
  };
}

}  // namespace tenantkit::server::handlers
