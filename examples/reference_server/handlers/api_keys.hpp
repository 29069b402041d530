// SPDX-License-Identifier: Apache-2.0
// /v1/api-keys and /v1/data.
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// POST /v1/api-keys {name, scopes?, expires_at?} -> 201 {id, prefix, secret, ...}; the secret is
/// shown only here. Chosen scopes must be covered by the creator's permissions (403), then need
/// the plan feature `api_key_scopes` (402).
Handler create_api_key(Services& services);
/// GET /v1/api-keys -> keys without secrets.
Handler list_api_keys(Services& services);
/// DELETE /v1/api-keys/{id} -> 204. Other instances refuse the key within 1 s. The key is loaded
/// in the caller's org (404) before api_keys:write is checked (403).
Handler revoke_api_key(Services& services);
/// POST /v1/api-keys/{id}/rotate -> 201 the new key; the old one works for the grace period.
/// 404 before 403, as revoke.
Handler rotate_api_key(Services& services);
/// GET /v1/data -> the metered demo resource (1 api_calls per call).
Handler data(Services& services);

/// The routes above with their steps.
std::vector<Route> api_key_routes(Services& services);

}  // namespace tenantkit::server::handlers
