// SPDX-License-Identifier: Apache-2.0
// /v1/usage: metered usage events (POST /v1/usage/events, idempotent per idempotency_key), the
// current period's usage per meter (GET /v1/usage) and daily rollups (GET /v1/usage/daily).
// Thin over quota::UsageRecorder (Services::usage).
#pragma once

#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// POST /v1/usage/events {meter, quantity, idempotency_key, timestamp?} -> 202 {id, duplicate}.
/// A repeated idempotency_key answers the first event's id with duplicate: true and counts
/// nothing. Errors: validation_failed (fields meter, quantity, idempotency_key, timestamp).
Handler record_usage(Services& services);
/// GET /v1/usage -> {items: [{meter, used, limit, remaining, period_start, period_end, percent,
/// warning, exceeded}], next_cursor: null}; limit and remaining are null when unlimited.
Handler period_usage(Services& services);
/// GET /v1/usage/daily?meter=&from=YYYY-MM-DD&to=YYYY-MM-DD -> {items: [{date, meter,
/// quantity}], next_cursor: null}. from/to default to the last 30 days (UTC), meter to every
/// meter. Errors: validation_failed (meter, from, to: malformed, to before from, over 366 days).
Handler daily_usage(Services& services);

std::vector<Route> usage_routes(Services& services);

}  // namespace tenantkit::server::handlers
