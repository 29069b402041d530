// SPDX-License-Identifier: Apache-2.0
// Time points used across tenantkit, and their RFC 3339 text form.
// Timestamps have microsecond resolution: what PostgreSQL's timestamptz and SQLite text keep,
// so a value read back from any store compares equal to the value written.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <tenantkit/core/result.hpp>

namespace tenantkit {

/// A UTC instant with microsecond resolution.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// "2026-12-02T03:25:09Z", or "2026-12-02T03:25:09.123456Z" when there are microseconds.
std::string format_rfc3339(Timestamp t);

/// Parses RFC 3339 ("Z" or a numeric offset, optional fraction up to microseconds).
/// Errors: bad_request (detail says what is wrong).
Result<Timestamp> parse_rfc3339(std::string_view text);

/// "YYYY-MM-DD" of `t` in UTC.
std::string format_date(Timestamp t);

/// Parses "YYYY-MM-DD" as midnight UTC. Errors: bad_request.
Result<Timestamp> parse_date(std::string_view text);

/// Seconds since the Unix epoch (floor).
inline std::int64_t to_unix_seconds(Timestamp t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}
inline Timestamp from_unix_seconds(std::int64_t s) {
  return Timestamp{std::chrono::seconds{s}};
}

}  // namespace tenantkit
