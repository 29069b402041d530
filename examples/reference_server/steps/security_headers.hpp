// SPDX-License-Identifier: Apache-2.0
// Security headers on every response: X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
// Referrer-Policy: no-referrer; Cache-Control: no-store under /v1/auth/ (tokens in bodies);
// Strict-Transport-Security in prod (TK_ENV=prod, where TLS terminates in front of us).
#pragma once

#include <string_view>

#include "http/response.hpp"

namespace tenantkit::server {

/// Adds the headers above to `res` for a request to `path`. `prod`: also HSTS.
void add_security_headers(Response& res, std::string_view path, bool prod);

}  // namespace tenantkit::server
