// SPDX-License-Identifier: Apache-2.0
// SCIM discovery documents (RFC 7644 §4, RFC 7643 §5-7) as JSON text: what tenantkit's SCIM
// endpoint supports (PATCH yes, bulk no, filter up to maxResults, ETags, sorting no, OAuth bearer
// tokens), the User and Group schemas and resource types. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tenantkit::scim {

/// GET /ServiceProviderConfig. `base_url` (e.g. "https://api.example.com/scim/v2") gives
/// meta.location; `max_results` is filter.maxResults (ScimOptions::max_results).
std::string service_provider_config_json(std::string_view base_url, std::int64_t max_results = 200);

/// GET /Schemas: a ListResponse holding the core User schema (the attributes tenantkit models)
/// and the core Group schema.
std::string schemas_json(std::string_view base_url);

/// GET /ResourceTypes: a ListResponse holding the User resource type (endpoint /Users, with the
/// enterprise extension as an optional schema extension) and the Group one (endpoint /Groups).
std::string resource_types_json(std::string_view base_url);

}  // namespace tenantkit::scim
