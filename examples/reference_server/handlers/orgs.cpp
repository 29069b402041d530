// SPDX-License-Identifier: Apache-2.0
// /v1/orgs. Users only: an API key belongs to one org and manages none (403 from authenticate).
#include "handlers/orgs.hpp"

#include "app.hpp"
#include "handlers/common.hpp"
#include "handlers/orgs_common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

Result<json::object> org_with_roles(Services& s, const storage::Org& org,
                                    const std::vector<std::string>& roles) {
  auto body = org_json(s, org);
  if (!body) return body.error();
  (*body)["roles"] = string_array(roles);
  return body;
}

// The path's org, entered as the tenant: 404 unless the caller is an active member.
Result<storage::Org> enter_path_org(Services& s, RequestContext& ctx) {
  auto id = path_id<OrgId>(ctx, "id");
  if (!id) return Error{Errc::not_found, "no such organization"};
  if (auto entered = steps::enter_org(s, ctx, *id); !entered) return entered.error();
  auto org = s.db.orgs().get(*id);
  if (!org && org.error().code == Errc::not_found)
    return Error{Errc::not_found, "no such organization"};
  return org;
}

std::optional<std::string> slug_field(FieldReader& in) {
  auto slug = in.optional_string("slug", 1, 63);
  if (slug && !valid_slug(*slug)) {
    in.invalid("slug", "1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'");
    return std::nullopt;
  }
  return slug;
}

}  // namespace

Handler list_orgs(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto memberships = s.db.memberships().list_for_user(ctx.tenant.principal.user);
    if (!memberships) return memberships.error();
    json::array items;
    for (const auto& m : *memberships) {
      if (!m.active) continue;
      auto org = s.db.orgs().get(m.org);
      if (!org) {
        if (org.error().code == Errc::not_found) continue;  // deleted meanwhile
        return org.error();
      }
      auto body = org_with_roles(s, *org, m.roles);
      if (!body) return body.error();
      items.push_back(std::move(*body));
    }
    // A user belongs to few orgs: one page.
    return json_response(http::status::ok, envelope(std::move(items), std::nullopt));
  };
}

Handler create_org_handler(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string name = in.required_string("name", 1, 100);
    const auto slug = slug_field(in);
    if (auto done = in.finish(); !done) return done.error();
    auto user = s.db.users().get(ctx.tenant.principal.user);
    if (!user) return user.error();
    auto org = create_org(s, *user, name, slug);
    if (!org) return org.error();
    auto body = org_with_roles(s, *org, {"owner"});
    if (!body) return body.error();
    return json_response(http::status::created, *body);
  };
}

Handler get_org(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto org = enter_path_org(s, ctx);
    if (!org) return org.error();
    auto body = org_with_roles(s, *org, ctx.tenant.roles);
    if (!body) return body.error();
    return json_response(http::status::ok, *body);
  };
}

Handler update_org(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto org = enter_path_org(s, ctx);
    if (!org) return org.error();
    if (auto allowed = steps::check_permission(s, ctx, "org:write"); !allowed)
      return allowed.error();
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const auto name = in.optional_string("name", 1, 100);
    const auto slug = slug_field(in);
    if (auto done = in.finish(); !done) return done.error();
    const storage::Org before = *org;
    auto updated = s.db.orgs().update(org->id, name.value_or(org->name), slug.value_or(org->slug),
                                      s.app.clock().now());
    if (!updated) {
      if (updated.error().code == Errc::conflict) return Error{Errc::conflict, "the slug is taken"};
      return updated.error();
    }
    if (updated->name != before.name || updated->slug != before.slug)
      audit(s, ctx, updated->id,
            {.action = "org.updated",
             .target_type = "org",
             .target_id = updated->id.str(),
             .metadata = {{"before", {{"name", before.name}, {"slug", before.slug}}},
                          {"after", {{"name", updated->name}, {"slug", updated->slug}}}}});
    auto body = org_with_roles(s, *updated, ctx.tenant.roles);
    if (!body) return body.error();
    return json_response(http::status::ok, *body);
  };
}

Handler delete_org(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto org = enter_path_org(s, ctx);
    if (!org) return org.error();
    if (auto allowed = steps::check_permission(s, ctx, "org:delete"); !allowed)
      return allowed.error();
    if (auto removed = s.db.orgs().remove(org->id); !removed) {
      if (removed.error().code == Errc::not_found)
        return Error{Errc::not_found, "no such organization"};
      return removed.error();
    }
    // The org's audit log is deleted with it, so org.deleted is recorded in the server log.
    s.app.logger().warn("audit", {{"action", "org.deleted"},
                                  {"org", org->id.str()},
                                  {"name", org->name},
                                  {"slug", org->slug},
                                  {"actor_type", "user"},
                                  {"actor_id", ctx.tenant.principal.user.str()},
                                  {"ip", ctx.client_ip},
                                  {"request_id", ctx.request_id}});
    s.roles->forget(org->id);
    s.entitlements->invalidate(org->id);
    // The org's keys are gone from storage; a revocation makes cached verifications stale now
    // rather than at their TTL.
    if (auto published = s.revocations->publish(); !published)
      s.app.logger().warn("revocation not published",
                          {{"org", org->id.str()}, {"error", published.error().detail}});
    return empty_response(http::status::no_content);
  };
}

std::vector<Route> org_routes(Services& s) {
  using boost::beast::http::verb;
  const auto user = [&s] {
    return std::vector<Step>{steps::authenticate(s, steps::Callers::users), steps::csrf()};
  };
  return {
      {verb::get, "/v1/orgs", user(), list_orgs(s)},
      {verb::post, "/v1/orgs", user(), idempotent(s, create_org_handler(s))},
      {verb::get, "/v1/orgs/{id}", user(), get_org(s)},
      {verb::patch, "/v1/orgs/{id}", user(), idempotent(s, update_org(s))},
      {verb::delete_, "/v1/orgs/{id}", user(), idempotent(s, delete_org(s))},
  };
}

}  // namespace tenantkit::server::handlers
