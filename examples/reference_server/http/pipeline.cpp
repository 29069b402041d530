// SPDX-License-Identifier: Apache-2.0
#include "http/pipeline.hpp"

#include <exception>
#include <optional>

#include "http/inline_attempt.hpp"
#include "http/problem.hpp"
#include "steps/request_id.hpp"
#include "steps/security_headers.hpp"

namespace tenantkit::server {
namespace http = boost::beast::http;

namespace {

// Runs the matched route from ctx.next_step; nullopt when an inline attempt needs the pool.
std::optional<Response> run_guarded(RequestContext& ctx, const InlineAttempt* attempt) {
  try {
    if (attempt != nullptr) return run_route_inline(*ctx.matched, ctx, *attempt);
    return run_route(*ctx.matched, ctx);
  } catch (const std::exception& e) {
    // Handlers report failures as Result; an exception here is a bug (or bad_alloc).
    return problem(ctx, Error{Errc::internal, std::string("exception: ") + e.what()});
  } catch (...) {
    return problem(ctx, Error{Errc::internal, "unknown exception"});
  }
}

// `m` is app.router().match(method, ctx.path), done once by the caller.
std::optional<Response> route_and_run(App& app, RequestContext& ctx, Router::Match m,
                                      const InlineAttempt* attempt) {
  if (auto pre = app.cors().preflight(ctx, app.router())) {
    const auto pm = app.router().match(http::verb::options, ctx.path);
    ctx.route = pm.pattern;
    ctx.route_index = pm.pattern_index;
    return std::move(*pre);
  }
  switch (m.outcome) {
    case Router::Outcome::not_found:
      return problem(ctx, Error{Errc::not_found, "no resource at this path"});
    case Router::Outcome::method_not_allowed: {
      ctx.route = m.pattern;
      ctx.route_index = m.pattern_index;
      Response res =
          problem(Error{Errc::bad_request, "method not allowed here; allowed: " + m.allow},
                  http::status::method_not_allowed);
      res.set(http::field::allow, m.allow);
      return res;
    }
    case Router::Outcome::found:
    default:
      break;
  }
  ctx.route = m.pattern;
  ctx.route_index = m.pattern_index;
  ctx.path_params = std::move(m.params);
  ctx.matched = m.route;
  ctx.next_step = 0;
  return run_guarded(ctx, attempt);
}

}  // namespace

Router::Match route(const App& app, const RequestContext& ctx) {
  return app.router().match(ctx.request.method(), ctx.path);
}

Response handle(App& app, RequestContext& ctx) {
  return handle(app, ctx, route(app, ctx));
}

Response handle(App& app, RequestContext& ctx, Router::Match match) {
  ctx.logger = &app.logger();
  assign_request_id(ctx, app.random(), app.clock());
  Response res = *route_and_run(app, ctx, std::move(match), nullptr);
  finish_response(app, ctx, res);
  return res;
}

std::optional<Response> handle_inline(App& app, RequestContext& ctx, Router::Match match) {
  ctx.logger = &app.logger();
  assign_request_id(ctx, app.random(), app.clock());
  std::optional<Response> res;
  {
    InlineAttempt attempt;
    res = route_and_run(app, ctx, std::move(match), &attempt);
  }
  if (res) finish_response(app, ctx, *res);
  return res;
}

Response resume(App& app, RequestContext& ctx) {
  Response res = *run_guarded(ctx, nullptr);
  finish_response(app, ctx, res);
  return res;
}

void finish_response(const App& app, const RequestContext& ctx, Response& res) {
  res.set("X-Request-Id", ctx.request_id);
  for (const auto& [name, value] : ctx.response_headers) res.insert(name, value);
  add_security_headers(res, ctx.path, app.config().env == "prod");
  app.cors().decorate(ctx, res);
}

Response reject(App& app, RequestContext& ctx, const Error& error, unsigned status) {
  ctx.logger = &app.logger();
  assign_request_id(ctx, app.random(), app.clock());
  Response res = problem(error, static_cast<http::status>(status));
  finish_response(app, ctx, res);
  return res;
}

void observe_request(App& app, const RequestContext& ctx, unsigned status) {
  const std::size_t slot =
      ctx.route_index == RequestContext::kUnmatched ? app.metrics().unmatched() : ctx.route_index;
  app.metrics().observe(slot, ctx.request.method(), status,
                        std::chrono::steady_clock::now() - ctx.start);
}

}  // namespace tenantkit::server
