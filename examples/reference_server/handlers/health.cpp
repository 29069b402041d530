// SPDX-License-Identifier: Apache-2.0
#include "handlers/health.hpp"

#include <boost/json/object.hpp>

#include "http/json.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;

Handler health() {
  return [](RequestContext&) -> Result<Response> {
    return json_response(http::status::ok, boost::json::object{{"status", "ok"}});
  };
}

Handler ready(const App& app) {
  return [&app](RequestContext&) -> Result<Response> {
    boost::json::object checks;
    std::string failing;
    for (const auto& r : app.check_readiness()) {
      if (r.result) {
        checks[r.name] = "ok";
        continue;
      }
      if (!failing.empty()) failing += ", ";
      failing += r.name + " (" + r.result.error().detail + ")";
    }
    if (!failing.empty()) return Error{Errc::unavailable, "not ready: " + failing};
    return json_response(http::status::ok,
                         boost::json::object{{"status", "ready"}, {"checks", std::move(checks)}});
  };
}

Handler metrics(App& app) {
  return [&app](RequestContext& ctx) -> Result<Response> {
    if (!app.config().metrics_public) {
      const auto& token = app.config().admin_token;
      if (token.empty()) return Error{Errc::not_found, "no resource at this path"};
      const std::string_view auth = ctx.header("Authorization");
      constexpr std::string_view kBearer = "Bearer ";
      if (!auth.starts_with(kBearer) || !token.equals(auth.substr(kBearer.size())))
        return Error{Errc::unauthorized, "the admin token is required"};
    }
    return make_response(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                         app.metrics().render());
  };
}

}  // namespace tenantkit::server::handlers
