// SPDX-License-Identifier: Apache-2.0
// /v1/workspaces (list, create, get, update, delete).
#include "handlers/workspaces.hpp"

#include <optional>
#include <string>
#include <utility>

#include <tenantkit/storage/workspace_store.hpp>

#include "app.hpp"
#include "handlers/common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxName = 100;
constexpr std::size_t kMaxDescription = 1000;

json::object workspace_json(const storage::Workspace& w) {
  return {{"id", w.id.str()},
          {"org_id", w.org.str()},
          {"name", w.name},
          {"description", w.description},
          {"created_at", time_json(w.created_at)},
          {"updated_at", time_json(w.updated_at)}};
}

// The workspace named by the path, in the request's org: another org's id is not_found.
Result<storage::Workspace> load(Services& s, const RequestContext& ctx) {
  auto id = path_id<WorkspaceId>(ctx, "id");
  if (!id) return id.error();
  auto ws = s.db.workspaces().get(ctx.tenant.tenant, *id);
  if (!ws && ws.error().code == Errc::not_found) return Error{Errc::not_found, "no such workspace"};
  return ws;
}

}  // namespace

Handler list_workspaces(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto page = page_request(ctx);
    if (!page) return page.error();
    auto list = s.db.workspaces().list(ctx.tenant.tenant, *page);
    if (!list) return list.error();
    json::array items;
    for (const auto& w : list->items) items.push_back(workspace_json(w));
    return json_response(http::status::ok, envelope(std::move(items), list->next_cursor));
  };
}

Handler create_workspace(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    storage::Workspace ws;
    ws.name = in.required_string("name", 1, kMaxName);
    ws.description = in.optional_string("description", 0, kMaxDescription).value_or("");
    if (auto done = in.finish(); !done) return done.error();
    const OrgId& org = ctx.tenant.tenant;
    auto limit = s.entitlements->limit(org, billing::Meter::workspaces);
    if (!limit) return limit.error();
    const std::optional<std::int64_t> max_count =
        limit->is_unlimited() ? std::nullopt : std::optional<std::int64_t>(limit->value());
    ws.id = WorkspaceId::generate(s.app.random(), s.app.clock());
    ws.org = org;
    ws.created_at = ws.updated_at = s.app.clock().now();
    auto created = s.db.workspaces().create(org, ws, max_count);
    if (!created) {
      if (created.error().code == Errc::plan_limit_reached)
        return Error{Errc::plan_limit_reached,
                     "the plan allows " + std::to_string(limit->value()) + " workspaces"};
      return created.error();
    }
    return json_response(http::status::created, workspace_json(*created));
  };
}

Handler get_workspace(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto ws = load(s, ctx);
    if (!ws) return ws.error();
    if (auto p = steps::check_permission(s, ctx, "workspaces:read"); !p) return p.error();
    return json_response(http::status::ok, workspace_json(*ws));
  };
}

Handler update_workspace(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto ws = load(s, ctx);
    if (!ws) return ws.error();
    if (auto p = steps::check_permission(s, ctx, "workspaces:write"); !p) return p.error();
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    auto name = in.optional_string("name", 1, kMaxName);
    auto description = in.optional_string("description", 0, kMaxDescription);
    if (auto done = in.finish(); !done) return done.error();
    if (name) ws->name = std::move(*name);
    if (description) ws->description = std::move(*description);
    ws->updated_at = s.app.clock().now();
    auto updated = s.db.workspaces().update(ctx.tenant.tenant, *ws);
    if (!updated) return updated.error();
    return json_response(http::status::ok, workspace_json(*updated));
  };
}

Handler delete_workspace(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto ws = load(s, ctx);
    if (!ws) return ws.error();
    if (auto p = steps::check_permission(s, ctx, "workspaces:write"); !p) return p.error();
    if (auto removed = s.db.workspaces().remove(ctx.tenant.tenant, ws->id); !removed)
      return removed.error();
    return empty_response(http::status::no_content);
  };
}

std::vector<Route> workspace_routes(Services& s) {
  using boost::beast::http::verb;
  using steps::Callers;
  const auto org = [&s](std::vector<Step> extra = {}) {
    std::vector<Step> v{steps::authenticate(s, Callers::users_and_keys), steps::csrf(),
                        steps::resolve_tenant(s)};
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  return {
      {verb::get, "/v1/workspaces", org({steps::require(s, "workspaces:read")}),
       list_workspaces(s)},
      {verb::post, "/v1/workspaces", org({steps::require(s, "workspaces:write")}),
       idempotent(s, create_workspace(s))},
      {verb::get, "/v1/workspaces/{id}", org(), get_workspace(s)},
      {verb::patch, "/v1/workspaces/{id}", org(), idempotent(s, update_workspace(s))},
      {verb::delete_, "/v1/workspaces/{id}", org(), idempotent(s, delete_workspace(s))},
  };
}

}  // namespace tenantkit::server::handlers
