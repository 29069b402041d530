// SPDX-License-Identifier: Apache-2.0
// /admin/orgs/{id}/summary.
#include "handlers/admin.hpp"

#include <string>

#include <tenantkit/quota/meter.hpp>

#include "app.hpp"
#include "handlers/common.hpp"
#include "handlers/orgs_common.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view kBearer = "Bearer ";

json::value limit_json(billing::Limit limit) {
  return limit.is_unlimited() ? json::value(nullptr) : json::value(limit.value());
}

}  // namespace

Step admin_auth(Services& s) {
  return [&s](RequestContext& ctx) -> Result<void> {
    const auto& token = s.app.config().admin_token;
    // Disabled: indistinguishable from a path that does not exist.
    if (token.empty()) return Error{Errc::not_found, "no resource at this path"};
    const std::string_view auth = ctx.header("Authorization");
    if (!auth.starts_with(kBearer) || !token.equals(auth.substr(kBearer.size())))
      return Error{Errc::unauthorized, "the admin token is required"};
    ctx.tenant.principal.kind = PrincipalKind::admin;
    return ok();
  };
}

Handler org_summary(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto id = path_id<OrgId>(ctx, "id");
    if (!id) return id.error();
    auto org = s.db.orgs().get(*id);
    if (!org) return org.error();
    auto sub = s.db.subscriptions().get(*id);
    if (!sub) return sub.error();
    auto ent = s.entitlements->entitlements(*id);
    if (!ent) return ent.error();
    auto members = s.db.memberships().count(*id);
    if (!members) return members.error();
    auto pending = pending_invitations(s, *id);
    if (!pending) return pending.error();
    auto workspaces = s.db.workspaces().count(*id);
    if (!workspaces) return workspaces.error();

    json::object usage;
    for (const billing::Meter m : billing::kAllMeters) {
      std::int64_t used = 0;
      switch (m) {
        case billing::Meter::seats:
          used = *members + *pending;
          break;
        case billing::Meter::workspaces:
          used = *workspaces;
          break;
        default: {
          // Cost 0 reads the period's counter without spending anything.
          auto state = s.quota->decide(id->str(), billing::to_string(m), 0);
          if (!state) return state.error();
          used = state->used;
          break;
        }
      }
      usage[billing::to_string(m)] =
          json::object{{"used", used}, {"limit", limit_json(ent->limit(m))}};
    }

    auto last = s.db.audit().list(*id, {}, PageRequest{.limit = 1, .cursor = {}});
    if (!last) return last.error();
    json::value last_activity = nullptr;
    if (!last->items.empty()) last_activity = time_json(last->items.front().at);

    return json_response(
        http::status::ok,
        json::object{{"org", json::object{{"id", org->id.str()},
                                          {"name", org->name},
                                          {"slug", org->slug},
                                          {"created_at", time_json(org->created_at)}}},
                     {"plan", ent->plan_id},
                     {"status", sub->status},
                     {"member_count", *members},
                     {"usage", std::move(usage)},
                     {"last_activity", std::move(last_activity)}});
  };
}

std::vector<Route> admin_routes(Services& s) {
  using boost::beast::http::verb;
  return {
      {verb::get, "/admin/orgs/{id}/summary", {admin_auth(s)}, org_summary(s)},
  };
}

}  // namespace tenantkit::server::handlers
