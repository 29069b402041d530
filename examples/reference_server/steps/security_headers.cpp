// SPDX-License-Identifier: Apache-2.0
#include "steps/security_headers.hpp"

namespace tenantkit::server {
namespace http = boost::beast::http;

void add_security_headers(Response& res, std::string_view path, bool prod) {
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  if (path.starts_with("/v1/auth/") || path == "/v1/auth")
    res.set(http::field::cache_control, "no-store");
  // Two years, the preload list's minimum; only when the deployment is TLS-fronted (prod).
  if (prod) res.set(http::field::strict_transport_security, "max-age=63072000; includeSubDomains");
}

}  // namespace tenantkit::server
