// SPDX-License-Identifier: Apache-2.0
// The whole route table. Steps are listed beside each route, in API.md's order of checks:
//
//   (request_id, CORS preflight: for every request, before routing; see http/pipeline.cpp)
//   authenticate      401 unauthorized   access token, API key or session cookie -> Principal
//   csrf              403 forbidden      cookie-authenticated unsafe methods need X-CSRF-Token
//   resolve_tenant    400 / 404          credential org, else X-Org-Id (member), else token org
//   require(perm)     403 forbidden      the role (or the API key's scopes) holds the permission
//   require_feature   402                the plan has the feature / room
//   meter(meter)      429                quota check-and-consume, RateLimit headers
//
// Those steps arrive with the auth, tenant, rbac, billing and quota work; the operational
// routes below need none of them.
#include "routes.hpp"

#include "handlers/health.hpp"

namespace tenantkit::server {
using boost::beast::http::verb;

std::vector<Route> routes(App& app) {
  return {
      {verb::get, "/health", {}, handlers::health()},
      {verb::get, "/ready", {}, handlers::ready(app)},
      {verb::get, "/metrics", {}, handlers::metrics(app)},
  };
}

}  // namespace tenantkit::server
