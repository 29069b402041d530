// SPDX-License-Identifier: Apache-2.0
// /v1/api-keys (create, list, revoke, rotate) and /v1/data, the metered demo resource.
#include "handlers/api_keys.hpp"

#include <string>

#include <tenantkit/apikey/scopes.hpp>

#include "app.hpp"
#include "handlers/billing.hpp"  // member_or_scope
#include "handlers/common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

json::object key_json(const storage::ApiKey& k) {
  return {{"id", k.id.str()},
          {"name", k.name},
          {"prefix", k.prefix},
          {"scopes", string_array(k.scopes)},
          {"created_at", time_json(k.created_at)},
          {"last_used_at", time_json(k.last_used_at)},
          {"expires_at", time_json(k.expires_at)},
          {"revoked_at", time_json(k.revoked_at)}};
}

json::object issued_json(const apikey::IssuedKey& issued) {
  json::object out = key_json(issued.record);
  out["secret"] = issued.secret.reveal();
  return out;
}

// The key named in the path, loaded in the caller's org, then api_keys:write: another org's
// key is 404 before the permission's 403 (API.md's order of checks). Errors: not_found,
// forbidden, unavailable.
Result<ApiKeyId> key_in_org(Services& s, const RequestContext& ctx) {
  auto id = path_id<ApiKeyId>(ctx, "id");
  if (!id) return id.error();
  if (auto found = s.db.api_keys().get(ctx.tenant.tenant, *id); !found) return found.error();
  if (auto p = steps::check_permission(s, ctx, "api_keys:write"); !p) return p.error();
  return *id;
}

}  // namespace

Handler create_api_key(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    apikey::NewKey key;
    key.name = in.required_string("name", 1, 100);
    auto scopes = in.optional_string_array("scopes", 64);
    if (scopes)
      for (const auto& scope : *scopes)
        if (!apikey::valid_scope(scope))
          in.invalid("scopes", "not a resource:action permission: " + scope);
    if (auto expires = in.optional_string("expires_at", 1, 64)) {
      auto t = parse_rfc3339(*expires);
      if (!t)
        in.invalid("expires_at", "must be an RFC 3339 timestamp");
      else
        key.expires_at = *t;
    }
    if (auto done = in.finish(); !done) return done.error();
    const auto creator = s.rbac->names(ctx.permissions);
    if (scopes && !scopes->empty()) {
      // API.md's order: a scope the creator lacks (403) before the plan (402). Choosing scopes
      // is a plan feature; the default scopes are always available. (create() checks the
      // scopes again, for library callers.)
      for (const auto& scope : *scopes)
        if (!apikey::permissions_cover_scope(creator, scope))
          return Error{Errc::forbidden, "scope exceeds your permissions: " + scope};
      if (auto f = steps::check_feature(s, ctx, billing::Feature::api_key_scopes); !f)
        return f.error();
      key.scopes = std::move(*scopes);
    }
    key.created_by = ctx.tenant.principal.user;
    auto issued = s.keys->create(ctx.tenant.tenant, key, creator);
    if (!issued) return issued.error();
    audit(s, ctx, ctx.tenant.tenant,
          {.action = "api_key.created",
           .target_type = "api_key",
           .target_id = issued->record.id.str(),
           .metadata = {{"name", issued->record.name},
                        {"prefix", issued->record.prefix},
                        {"scopes", string_array(issued->record.scopes)}}});
    return json_response(http::status::created, issued_json(*issued));
  };
}

Handler list_api_keys(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto page = page_request(ctx);
    if (!page) return page.error();
    auto keys = s.keys->list(ctx.tenant.tenant, *page);
    if (!keys) return keys.error();
    json::array items;
    for (const auto& k : keys->items) items.push_back(key_json(k));
    return json_response(http::status::ok, envelope(std::move(items), keys->next_cursor));
  };
}

Handler revoke_api_key(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto id = key_in_org(s, ctx);
    if (!id) return id.error();
    auto revoked = s.keys->revoke(ctx.tenant.tenant, *id);
    if (!revoked) return revoked.error();
    audit(s, ctx, ctx.tenant.tenant,
          {.action = "api_key.revoked", .target_type = "api_key", .target_id = id->str()});
    return empty_response(http::status::no_content);
  };
}

Handler rotate_api_key(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto id = key_in_org(s, ctx);
    if (!id) return id.error();
    auto issued = s.keys->rotate(ctx.tenant.tenant, *id);
    if (!issued) return issued.error();
    audit(s, ctx, ctx.tenant.tenant,
          {.action = "api_key.rotated",
           .target_type = "api_key",
           .target_id = id->str(),
           .metadata = {{"successor", issued->record.id.str()}}});
    return json_response(http::status::created, issued_json(*issued));
  };
}

Handler data(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    // The benchmark's hot path: one fixed template instead of a JSON DOM. Both values need no
    // escaping (a UUID and an RFC 3339 timestamp); the bytes are those json::serialize wrote.
    constexpr std::string_view kHead = R"({"org_id":")";
    constexpr std::string_view kMiddle = R"(","message":"hello from tenantkit","at":")";
    constexpr std::string_view kTail = R"("})";
    const std::string& org = ctx.tenant.tenant.str();
    constexpr std::size_t kAtMax = 27;  // YYYY-MM-DDTHH:MM:SS.uuuuuuZ
    std::string body;
    body.reserve(kHead.size() + org.size() + kMiddle.size() + kAtMax + kTail.size());
    body.append(kHead).append(org).append(kMiddle);
    body.append(format_rfc3339(s.app.clock().now()));
    body.append(kTail);
    return make_response(http::status::ok, "application/json", std::move(body));
  };
}

std::vector<Route> api_key_routes(Services& s) {
  using boost::beast::http::verb;
  using steps::Callers;
  // Routes naming a key ({id}) check api_keys:write in the handler, after loading the key.
  const auto keys = [&s](std::vector<Step> extra = {}) {
    std::vector<Step> v{steps::authenticate(s, Callers::users_and_keys), steps::csrf(),
                        steps::resolve_tenant(s)};
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  const Step write = steps::require(s, "api_keys:write");
  // Create and rotate answer a secret: a repeated Idempotency-Key is 409, not a stored copy.
  return {
      {verb::post, "/v1/api-keys", keys({write}), idempotent(s, create_api_key(s), Replay::refuse)},
      {verb::get, "/v1/api-keys", keys({write}), list_api_keys(s)},
      {verb::delete_, "/v1/api-keys/{id}", keys(), idempotent(s, revoke_api_key(s))},
      {verb::post, "/v1/api-keys/{id}/rotate", keys(),
       idempotent(s, rotate_api_key(s), Replay::refuse)},
      {verb::get,
       "/v1/data",
       {steps::authenticate(s, Callers::users_and_keys), steps::resolve_tenant(s),
        member_or_scope(s, "data:read"), steps::meter(s, "api_calls")},
       data(s)},
  };
}

}  // namespace tenantkit::server::handlers
