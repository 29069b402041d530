// SPDX-License-Identifier: Apache-2.0
// The transport-free request pipeline (Beast's handle_request, apart from I/O):
//   request id -> CORS preflight -> route (404 / 405) -> the route's steps -> handler,
// then finish_response() (X-Request-Id, security headers, CORS); observe_request() (metrics)
// before the write and log_access() after it. handle() blocks: the connection runs it on the pool.
#pragma once

#include <cstddef>

#include "app.hpp"
#include "http/context.hpp"
#include "http/response.hpp"

namespace tenantkit::server {

/// Answers one request. Never throws: an exception from a step or handler becomes a logged
/// 500 internal problem.
Response handle(App& app, RequestContext& ctx);

/// Adds what every response carries: X-Request-Id, security headers, CORS headers.
void finish_response(const App& app, const RequestContext& ctx, Response& res);

/// Answers a request the transport rejected before routing (400 garbage, 413, 431): assigns a
/// request id and returns the finished problem response.
Response reject(App& app, RequestContext& ctx, const Error& error, unsigned status);

/// Counts the answered request in the metrics (route pattern, method, status, duration so far).
void observe_request(App& app, const RequestContext& ctx, unsigned status);

}  // namespace tenantkit::server
