// SPDX-License-Identifier: Apache-2.0
// The transport-free request pipeline (Beast's handle_request, apart from I/O):
//   request id -> CORS preflight -> route (404 / 405) -> the route's steps -> handler,
// then finish_response() (X-Request-Id, security headers, CORS); observe_request() (metrics)
// before the write and log_access() after it. handle() blocks: the connection runs it on the pool.
// On try-inline routes the connection calls handle_inline() on the I/O thread instead, and
// resume() on the pool when the attempt reached a blocking point (http/inline_attempt.hpp).
#pragma once

#include <cstddef>
#include <optional>

#include "app.hpp"
#include "http/context.hpp"
#include "http/response.hpp"

namespace tenantkit::server {

/// The route of ctx's method and path (ctx from init_context()).
Router::Match route(const App& app, const RequestContext& ctx);

/// Answers one request. Never throws: an exception from a step or handler becomes a logged
/// 500 internal problem.
Response handle(App& app, RequestContext& ctx);
/// handle() with the request already routed: `match` is route(app, ctx).
Response handle(App& app, RequestContext& ctx, Router::Match match);

/// handle() inside an InlineAttempt, on the I/O thread: the finished response, or nullopt when a
/// step needs the worker pool (then call resume() there with the same ctx). Never throws.
/// `match` is route(app, ctx).
std::optional<Response> handle_inline(App& app, RequestContext& ctx, Router::Match match);

/// Finishes a request handle_inline() gave up on, from the step that needed the pool. Blocking.
/// REQUIRES: handle_inline(app, ctx) returned nullopt.
Response resume(App& app, RequestContext& ctx);

/// Adds what every response carries: X-Request-Id, security headers, CORS headers.
void finish_response(const App& app, const RequestContext& ctx, Response& res);

/// Answers a request the transport rejected before routing (400 garbage, 413, 431): assigns a
/// request id and returns the finished problem response.
Response reject(App& app, RequestContext& ctx, const Error& error, unsigned status);

/// Counts the answered request in the metrics (route pattern, method, status, duration so far).
void observe_request(App& app, const RequestContext& ctx, unsigned status);

}  // namespace tenantkit::server
