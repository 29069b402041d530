// SPDX-License-Identifier: Apache-2.0
// Formats an Outcome as API.md's rate-limit headers (IETF RateLimit draft 09 structured fields):
//   RateLimit-Policy: "api_calls";q=1000;w=2592000
//   RateLimit: "api_calls";r=<remaining>;t=<seconds to reset>
//   Retry-After: <seconds>            (only on a deny)
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <tenantkit/core/time.hpp>
#include <tenantkit/quota/meter.hpp>

namespace tenantkit::quota {

/// The three header values (names are the field names above). An empty string means "do not
/// send this header": Retry-After is empty when allowed; all are empty for unlimited meters
/// and gauges (nothing to rate-limit).
struct RateLimitHeaders {
  std::string policy;       ///< RateLimit-Policy
  std::string rate_limit;   ///< RateLimit
  std::string retry_after;  ///< Retry-After (delta-seconds, at least 1)
};

/// Formats `outcome` of `meter` at time `now`. t= is the whole seconds until the reset, rounded
/// up, never negative. The meter name is written as a structured-field string (`"` and `\`
/// escaped).
RateLimitHeaders rate_limit_headers(std::string_view meter, const Outcome& outcome, Timestamp now);

}  // namespace tenantkit::quota
