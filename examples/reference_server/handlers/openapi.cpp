// SPDX-License-Identifier: Apache-2.0
#include "handlers/openapi.hpp"

#include <string>

#include "http/response.hpp"

namespace tenantkit::server {
// Generated at configure time from openapi/openapi.json (openapi/openapi_document.cpp.in).
extern const std::string_view kOpenApiDocument;
}  // namespace tenantkit::server

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;

std::string_view openapi_document() noexcept {
  return kOpenApiDocument;
}

Handler openapi() {
  return [](RequestContext&) -> Result<Response> {
    Response res =
        make_response(http::status::ok, "application/json", std::string(kOpenApiDocument));
    // The document changes only with the binary; let tools and browsers reuse it a while.
    res.set(http::field::cache_control, "public, max-age=3600");
    return res;
  };
}

std::vector<Route> openapi_routes() {
  return {{http::verb::get, "/openapi.json", {}, openapi()}};
}

}  // namespace tenantkit::server::handlers
