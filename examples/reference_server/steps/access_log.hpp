// SPDX-License-Identifier: Apache-2.0
// The access log: one JSON line per answered request, at level info, with ts, level, msg
// "request", request_id, method, path (WITHOUT the query string, which may carry tokens),
// route, status, duration_ms, bytes (response body) and ip. Never headers, never bodies.
#pragma once

#include <cstddef>

#include "http/context.hpp"
#include "log.hpp"

namespace tenantkit::server {

void log_access(const Logger& log, const RequestContext& ctx, unsigned status, std::size_t bytes);

}  // namespace tenantkit::server
