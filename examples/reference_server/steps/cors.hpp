// SPDX-License-Identifier: Apache-2.0
// CORS with an explicit allowlist (TK_CORS_ORIGINS). A request whose Origin is listed gets
// Access-Control-Allow-Origin (that origin, never "*", since cookies are credentials) and
// Vary: Origin; a preflight (OPTIONS + Origin + Access-Control-Request-Method) from a listed
// origin to a known path is answered 204 with the path's methods. Unlisted origins get no CORS
// headers, and their preflight is routed like any OPTIONS request (405 or 404). Immutable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/context.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace tenantkit::server {

class CorsPolicy {
 public:
  /// Origins exactly as browsers send them ("https://app.example.com").
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  bool allows(std::string_view origin) const noexcept;

  /// The 204 answer to a preflight from an allowed origin for a path `router` knows; nullopt
  /// when the request is not such a preflight.
  std::optional<Response> preflight(const RequestContext& ctx, const Router& router) const;

  /// Adds the response headers for an allowed Origin; nothing otherwise.
  void decorate(const RequestContext& ctx, Response& res) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace tenantkit::server
