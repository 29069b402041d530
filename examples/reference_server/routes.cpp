// SPDX-License-Identifier: Apache-2.0
// The whole route table, by group. Steps are listed beside each route (handlers/<group>.cpp), in
// API.md's order of checks (steps/auth.hpp):
//
//   (request_id, CORS preflight: for every request, before routing; see http/pipeline.cpp)
//   authenticate      401 unauthorized   access token, API key or session cookie -> Principal
//   csrf              403 forbidden      cookie-authenticated unsafe methods need X-CSRF-Token
//   resolve_tenant    400 / 404          credential org, else X-Org-Id (member), else token org
//   require(perm)     403 forbidden      the role (or the API key's scopes) holds the permission
//   require_feature   402                the plan has the feature / room
//   meter(meter)      429                quota check-and-consume, RateLimit headers
#include "routes.hpp"

#include <iterator>

#include "handlers/admin.hpp"
#include "handlers/api_keys.hpp"
#include "handlers/audit.hpp"
#include "handlers/auth.hpp"
#include "handlers/billing.hpp"
#include "handlers/health.hpp"
#include "handlers/members.hpp"
#include "handlers/openapi.hpp"
#include "handlers/orgs.hpp"
#include "handlers/scim.hpp"
#include "handlers/usage.hpp"
#include "handlers/workspaces.hpp"

namespace tenantkit::server {
using boost::beast::http::verb;

namespace {

void append(std::vector<Route>& all, std::vector<Route> group) {
  all.insert(all.end(), std::make_move_iterator(group.begin()),
             std::make_move_iterator(group.end()));
}

}  // namespace

std::vector<Route> routes(App& app, Services& services) {
  std::vector<Route> all{
      {verb::get, "/health", {}, handlers::health()},
      {verb::get, "/ready", {}, handlers::ready(app)},
      {verb::get, "/metrics", {}, handlers::metrics(app)},
  };
  append(all, handlers::auth_routes(services));
  append(all, handlers::api_key_routes(services));
  append(all, handlers::member_routes(services));
  append(all, handlers::org_routes(services));
  append(all, handlers::billing_routes(services));
  append(all, handlers::workspace_routes(services));
  append(all, handlers::usage_routes(services));
  append(all, handlers::audit_routes(services));
  append(all, handlers::admin_routes(services));
  append(all, handlers::openapi_routes());
  append(all, handlers::scim_routes(services));
  return all;
}

void mark_inline_routes(App& app) {
  app.run_inline({"/health", "/metrics", "/openapi.json", "/.well-known/jwks.json", "/v1/plans"});
  // API-key requests whose key, roles and entitlements are cached need no storage: the
  // verifier's store, RoleSync, the entitlement loader, sessions, memberships and Redis quotas
  // all ask blocking_allowed() (http/inline_attempt.hpp).
  app.try_inline({"/v1/data"});
}

}  // namespace tenantkit::server
