// SPDX-License-Identifier: Apache-2.0
// Route: one endpoint = method + pattern + the steps guarding it + the handler (STYLE.md 6.8).
// Steps and handlers are typed functions listed beside each route in routes.cpp, never looked up
// by name. Both are synchronous and may block: run_route() is called on the worker pool, except on
// try-inline routes (http/inline_attempt.hpp), whose blocking points ask blocking_allowed().
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include <tenantkit/core/result.hpp>

#include "http/context.hpp"
#include "http/inline_attempt.hpp"
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

/// Runs the steps in order from ctx.next_step (0 for a fresh request), then the handler; the first
/// Error becomes a problem document. Blocking: call it through offload().
Response run_route(const Route& route, RequestContext& ctx);

/// run_route() inside an InlineAttempt: nullopt as soon as a step or the handler reached a blocking
/// point, with ctx.next_step at that step, so that run_route() on the pool resumes there.
std::optional<Response> run_route_inline(const Route& route, RequestContext& ctx,
                                         const InlineAttempt& attempt);

}  // namespace tenantkit::server
