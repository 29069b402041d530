// SPDX-License-Identifier: Apache-2.0
// /scim/v2: the SCIM token is checked inside each handler rather than by a step, because a
// refused request must get a SCIM error body, not problem+json.
#include "handlers/scim.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <string>

#include <tenantkit/scim/discovery.hpp>
#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/group_resource.hpp>
#include <tenantkit/scim/service.hpp>
#include <tenantkit/scim/user_resource.hpp>

#include "app.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kScimJson = "application/scim+json";
constexpr std::string_view kBearer = "bearer ";

using ScimHandler = std::function<Result<Response>(RequestContext&, const scim::ScimCaller&)>;

std::string_view bearer_token(const RequestContext& ctx) {
  const std::string_view auth = ctx.header("Authorization");
  if (auth.size() <= kBearer.size()) return {};
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    const char c = auth[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kBearer[i]) return {};
  }
  return auth.substr(kBearer.size());
}

Response scim_error(const Error& e) {
  const auto se = scim::to_scim_error(e);
  Response res =
      make_response(static_cast<http::status>(se.status), kScimJson, scim::error_json(e));
  if (se.status == 401) res.set(http::field::www_authenticate, "Bearer realm=\"scim\"");
  return res;
}

Response scim_ok(http::status status, std::string body) {
  return make_response(status, kScimJson, std::move(body));
}

Response user_response(const scim::ScimService& svc, http::status status,
                       const scim::UserResource& user) {
  Response res = scim_ok(status, svc.user_json(user));
  res.set(http::field::etag, scim::etag(user));
  return res;
}

Response group_response(const scim::ScimService& svc, http::status status,
                        const scim::GroupResource& group) {
  Response res = scim_ok(status, svc.group_json(group));
  res.set(http::field::etag, scim::etag(group));
  return res;
}

// Authenticates, enters the token's org, checks the plan, runs `fn`; every failure becomes an
// RFC 7644 error body.
Handler scim_route(Services& s, ScimHandler fn) {
  return [&s, fn = std::move(fn)](RequestContext& ctx) -> Result<Response> {
    auto run = [&]() -> Result<Response> {
      const std::string_view token = bearer_token(ctx);
      if (token.empty()) return Error{Errc::unauthorized, "a SCIM bearer token is required"};
      auto caller = s.scim->authenticate(token);
      if (!caller) return caller.error();
      caller->ip = ctx.client_ip;
      caller->user_agent = ctx.user_agent.substr(0, 512);
      caller->request_id = ctx.request_id;
      ctx.tenant.principal.kind = PrincipalKind::scim;
      ctx.tenant.tenant = caller->org;
      // A downgraded org keeps its token row but loses provisioning with the feature.
      if (auto f = steps::check_feature(s, ctx, billing::Feature::scim); !f) return f.error();
      return fn(ctx, *caller);
    };
    auto res = run();
    if (!res) return scim_error(res.error());
    return res;
  };
}

Result<std::optional<std::int64_t>> int_param(const RequestContext& ctx, std::string_view name) {
  auto v = ctx.query_param(name);
  if (!v) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  const auto* end = v->data() + v->size();
  const auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc{} || ptr != end)
    return scim::make_error(Errc::bad_request, scim::scim_type::invalid_value,
                            std::string(name) + " must be an integer");
  return std::optional<std::int64_t>(n);
}

// `excludedAttributes=members` (Entra ID sends it on every group lookup): large groups stay
// out of the response (RFC 7644 §3.4.2.5). Other attributes are always returned.
bool exclude_members(const RequestContext& ctx) {
  auto v = ctx.query_param("excludedAttributes");
  if (!v) return false;
  std::string lower(*v);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::size_t pos = 0;
  while (pos <= lower.size()) {
    const std::size_t comma = std::min(lower.find(',', pos), lower.size());
    std::string_view item(lower.data() + pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "members" || item == "urn:ietf:params:scim:schemas:core:2.0:group:members")
      return true;
    pos = comma + 1;
  }
  return false;
}

// filter, startIndex and count of a list request (RFC 7644 §3.4.2).
Result<scim::ListQuery> list_query(const RequestContext& ctx) {
  scim::ListQuery q;
  if (auto f = ctx.query_param("filter")) q.filter = std::string(*f);
  auto start = int_param(ctx, "startIndex");
  if (!start) return start.error();
  if (*start) q.start_index = **start;
  auto count = int_param(ctx, "count");
  if (!count) return count.error();
  q.count = *count;
  return q;
}

}  // namespace

std::vector<Route> scim_routes(Services& s) {
  using boost::beast::http::verb;
  auto& svc = *s.scim;
  const std::string base = s.app.config().effective_public_url() + "/scim/v2";

  auto list = [&svc](RequestContext& ctx, const scim::ScimCaller& caller) -> Result<Response> {
    auto q = list_query(ctx);
    if (!q) return q.error();
    auto users = svc.list_users(caller, *q);
    if (!users) return users.error();
    return scim_ok(http::status::ok, svc.list_json(*users));
  };
  auto create = [&svc, base](RequestContext& ctx,
                             const scim::ScimCaller& caller) -> Result<Response> {
    auto user = svc.create_user(caller, ctx.request.body());
    if (!user) return user.error();
    Response res = user_response(svc, http::status::created, *user);
    res.set(http::field::location, base + "/Users/" + user->id);
    return res;
  };
  auto get = [&svc](RequestContext& ctx, const scim::ScimCaller& caller) -> Result<Response> {
    auto user = svc.get_user(caller, ctx.param("id"));
    if (!user) return user.error();
    return user_response(svc, http::status::ok, *user);
  };
  auto replace = [&svc](RequestContext& ctx, const scim::ScimCaller& caller) -> Result<Response> {
    auto user = svc.replace_user(caller, ctx.param("id"), ctx.request.body());
    if (!user) return user.error();
    return user_response(svc, http::status::ok, *user);
  };
  auto patch = [&svc](RequestContext& ctx, const scim::ScimCaller& caller) -> Result<Response> {
    auto user = svc.patch_user(caller, ctx.param("id"), ctx.request.body());
    if (!user) return user.error();
    return user_response(svc, http::status::ok, *user);
  };
  auto remove = [&svc](RequestContext& ctx, const scim::ScimCaller& caller) -> Result<Response> {
    if (auto done = svc.delete_user(caller, ctx.param("id")); !done) return done.error();
    return empty_response(http::status::no_content);
  };
  auto list_groups = [&svc](RequestContext& ctx,
                            const scim::ScimCaller& caller) -> Result<Response> {
    auto q = list_query(ctx);
    if (!q) return q.error();
    auto groups = svc.list_groups(caller, *q);
    if (!groups) return groups.error();
    if (exclude_members(ctx))
      for (scim::GroupResource& g : groups->resources) g.members.clear();
    return scim_ok(http::status::ok, svc.group_list_json(*groups));
  };
  auto create_group = [&svc, base](RequestContext& ctx,
                                   const scim::ScimCaller& caller) -> Result<Response> {
    auto group = svc.create_group(caller, ctx.request.body());
    if (!group) return group.error();
    Response res = group_response(svc, http::status::created, *group);
    res.set(http::field::location, base + "/Groups/" + group->id);
    return res;
  };
  auto get_group = [&svc](RequestContext& ctx, const scim::ScimCaller& caller) -> Result<Response> {
    auto group = svc.get_group(caller, ctx.param("id"));
    if (!group) return group.error();
    if (exclude_members(ctx)) group->members.clear();
    return group_response(svc, http::status::ok, *group);
  };
  auto replace_group = [&svc](RequestContext& ctx,
                              const scim::ScimCaller& caller) -> Result<Response> {
    auto group = svc.replace_group(caller, ctx.param("id"), ctx.request.body());
    if (!group) return group.error();
    return group_response(svc, http::status::ok, *group);
  };
  auto patch_group = [&svc](RequestContext& ctx,
                            const scim::ScimCaller& caller) -> Result<Response> {
    auto group = svc.patch_group(caller, ctx.param("id"), ctx.request.body());
    if (!group) return group.error();
    return group_response(svc, http::status::ok, *group);
  };
  auto remove_group = [&svc](RequestContext& ctx,
                             const scim::ScimCaller& caller) -> Result<Response> {
    if (auto done = svc.delete_group(caller, ctx.param("id")); !done) return done.error();
    return empty_response(http::status::no_content);
  };
  const auto discovery = [&s](std::function<std::string()> body) {
    return scim_route(
        s, [body = std::move(body)](RequestContext&, const scim::ScimCaller&) -> Result<Response> {
          return scim_ok(http::status::ok, body());
        });
  };

  return {
      {verb::get, "/scim/v2/Users", {}, scim_route(s, list)},
      {verb::post, "/scim/v2/Users", {}, scim_route(s, create)},
      {verb::get, "/scim/v2/Users/{id}", {}, scim_route(s, get)},
      {verb::put, "/scim/v2/Users/{id}", {}, scim_route(s, replace)},
      {verb::patch, "/scim/v2/Users/{id}", {}, scim_route(s, patch)},
      {verb::delete_, "/scim/v2/Users/{id}", {}, scim_route(s, remove)},
      {verb::get, "/scim/v2/Groups", {}, scim_route(s, list_groups)},
      {verb::post, "/scim/v2/Groups", {}, scim_route(s, create_group)},
      {verb::get, "/scim/v2/Groups/{id}", {}, scim_route(s, get_group)},
      {verb::put, "/scim/v2/Groups/{id}", {}, scim_route(s, replace_group)},
      {verb::patch, "/scim/v2/Groups/{id}", {}, scim_route(s, patch_group)},
      {verb::delete_, "/scim/v2/Groups/{id}", {}, scim_route(s, remove_group)},
      {verb::get, "/scim/v2/ServiceProviderConfig", {}, discovery([base] {
         return scim::service_provider_config_json(base);
       })},
      {verb::get, "/scim/v2/Schemas", {}, discovery([base] { return scim::schemas_json(base); })},
      {verb::get, "/scim/v2/ResourceTypes", {}, discovery([base] {
         return scim::resource_types_json(base);
       })},
  };
}

}  // namespace tenantkit::server::handlers
