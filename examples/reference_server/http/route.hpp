// SPDX-License-Identifier: Apache-2.0
// Route: one endpoint = method + pattern + the steps guarding it + the handler (STYLE.md 6.8).
// Steps and handlers are typed functions listed beside each route in routes.cpp, never looked up
// by name. Both are synchronous and may block: run_route() is called on the worker pool.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include <tenantkit/core/result.hpp>

#include "http/context.hpp"
#include "http/response.hpp"

namespace tenantkit::server {

/// Enriches the context (principal, tenant, ...) or stops the request with an Error.
using Step = std::function<Result<void>(RequestContext&)>;
/// Produces the response: JSON in, one library call, JSON out.
using Handler = std::function<Result<Response>(RequestContext&)>;

struct Route {
  boost::beast::http::verb method;
  /// "/v1/orgs/{id}": literal segments and `{name}` segments (one whole segment each).
  std::string pattern;
  std::vector<Step> steps;
  Handler handler;
};

/// Runs the steps in order, then the handler; the first Error becomes a problem document.
/// Blocking: call it through offload().
Response run_route(const Route& route, RequestContext& ctx);

}  // namespace tenantkit::server
