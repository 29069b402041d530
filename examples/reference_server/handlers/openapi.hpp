// SPDX-License-Identifier: Apache-2.0
// GET /openapi.json: the OpenAPI 3.1 document of every API.md route. The document is
// openapi/openapi.json (written by openapi/generate.py), embedded at build time; it is the
// source of truth the route-coverage test compares the router against.
#pragma once

#include <string_view>
#include <vector>

#include "http/route.hpp"

namespace tenantkit::server::handlers {

/// The embedded document (UTF-8 JSON), valid for the life of the program.
std::string_view openapi_document() noexcept;

/// GET /openapi.json -> 200 application/json, the embedded document (cacheable for an hour).
Handler openapi();

/// The route above.
std::vector<Route> openapi_routes();

}  // namespace tenantkit::server::handlers
