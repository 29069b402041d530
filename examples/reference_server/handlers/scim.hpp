// SPDX-License-Identifier: Apache-2.0
// /scim/v2 (RFC 7643/7644): Users (list with filter/startIndex/count, create, get, replace,
// patch, delete), Groups mapped to roles (list with filter/startIndex/count, create, get,
// replace, patch, delete; an extension of API.md's table) and discovery, as thin wrappers over
// scim::ScimService. Every route authenticates the org's SCIM token (the token binds the org:
// PrincipalKind::scim), checks the plan still has the feature `scim`, and answers
// application/scim+json, errors as RFC 7644 bodies ({schemas, status as a string, scimType,
// detail}).
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// The /scim/v2 routes.
std::vector<Route> scim_routes(Services& services);

}  // namespace tenantkit::server::handlers
