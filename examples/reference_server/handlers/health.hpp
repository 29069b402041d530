// SPDX-License-Identifier: Apache-2.0
// Operational endpoints: GET /health (liveness), GET /ready (every readiness check answers),
// GET /metrics (Prometheus text format 0.0.4).
#pragma once

#include "app.hpp"
#include "http/route.hpp"

namespace tenantkit::server::handlers {

/// 200 {"status":"ok"} while the process serves.
Handler health();

/// 200 {"status":"ready","checks":{"<name>":"ok",...}}, or 503 unavailable whose detail names
/// every failing check. Each check is bounded by App::Options::readiness_timeout.
Handler ready(const App& app);

/// The metrics registry. With TK_METRICS_PUBLIC=false it needs `Authorization: Bearer
/// <TK_ADMIN_TOKEN>` (401 unauthorized otherwise; 404 when no admin token is configured).
Handler metrics(App& app);

}  // namespace tenantkit::server::handlers
