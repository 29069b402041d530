// SPDX-License-Identifier: Apache-2.0
#include "steps/cors.hpp"

#include <algorithm>

namespace tenantkit::server {
namespace http = boost::beast::http;

bool CorsPolicy::allows(std::string_view origin) const noexcept {
  return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::optional<Response> CorsPolicy::preflight(const RequestContext& ctx,
                                              const Router& router) const {
  if (ctx.request.method() != http::verb::options) return std::nullopt;
  const std::string_view origin = ctx.header("Origin");
  if (!allows(origin) || ctx.header("Access-Control-Request-Method").empty()) return std::nullopt;
  const auto m = router.match(http::verb::options, ctx.path);
  if (m.outcome == Router::Outcome::not_found) return std::nullopt;
  std::string methods = m.outcome == Router::Outcome::found ? std::string("OPTIONS") : m.allow;
  Response res = empty_response(http::status::no_content);
  res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_methods, methods);
  // The headers API.md clients send; anything else is not needed cross-origin.
  res.set(http::field::access_control_allow_headers,
          "Authorization, Content-Type, X-Request-Id, X-Org-Id, X-CSRF-Token, Idempotency-Key");
  res.set(http::field::access_control_allow_credentials, "true");
  res.set(http::field::access_control_max_age, "600");
  res.set(http::field::vary, "Origin");
  return res;
}

void CorsPolicy::decorate(const RequestContext& ctx, Response& res) const {
  const std::string_view origin = ctx.header("Origin");
  if (!allows(origin)) return;
  res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_credentials, "true");
  res.set(http::field::access_control_expose_headers,
          "X-Request-Id, RateLimit, RateLimit-Policy, Retry-After");
  res.set(http::field::vary, "Origin");
}

}  // namespace tenantkit::server
