// SPDX-License-Identifier: Apache-2.0
// Error codes and the Error value every fallible tenantkit call reports.
// Errc is spelled exactly as the HTTP API's problem `code` (API.md), so a server maps it 1:1
// (the reference server's http/problem.cpp holds the only Errc -> HTTP status table).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>

namespace tenantkit {

/// Why an operation failed. The set grows: every switch over it needs a `default:`.
enum class Errc : std::uint8_t {
  bad_request = 1,      ///< Malformed input (bad JSON, bad id syntax); retrying cannot succeed.
  validation_failed,    ///< Well-formed but breaks a rule; Error::fields names the fields.
  unauthorized,         ///< Missing or bad credentials. Lacking a permission is `forbidden`.
  forbidden,            ///< Authenticated, but lacks the permission. Never for other tenants' data.
  not_found,            ///< Absent, or owned by another tenant (never `forbidden` for those).
  conflict,             ///< Clashes with current state: uniqueness, last owner, built-in role.
  gone,                 ///< Existed but is used up, expired or revoked (tokens, invitations).
  payload_too_large,    ///< Input over a configured size limit.
  rate_limited,         ///< A per-window rate limit; retry later. A spent quota is quota_exceeded.
  quota_exceeded,       ///< A hard quota for the billing period is spent.
  seat_limit_reached,   ///< The plan has no seat left for another member or invitation.
  feature_not_in_plan,  ///< The tenant's plan lacks the feature.
  plan_limit_reached,   ///< The plan's count limit on a resource (workspaces, keys) is reached.
  invalid_signature,    ///< A signature (webhook, token) does not verify or is outside tolerance.
  unavailable,          ///< A backend failed or timed out; idempotent calls may retry.
  internal,             ///< A broken invariant: log it, never show its detail to a client.
};

/// The wire spelling of `code` ("quota_exceeded"); "internal" for values outside the enum.
std::string_view to_string(Errc code) noexcept;

/// Parses a wire spelling back; false when `text` names no code.
bool parse_errc(std::string_view text, Errc& out) noexcept;

/// One failing input field of a `validation_failed` error.
struct FieldError {
  std::string field;
  std::string message;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

/// A failure a caller may show: `detail` never holds a secret, SQL, or another tenant's data.
struct Error {
  Errc code = Errc::internal;
  std::string detail;
  std::vector<FieldError> fields;  ///< Only for validation_failed; may be empty otherwise.

  Error() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design (`return Errc::x;`).
  Error(Errc c, std::string d = {}) : code(c), detail(std::move(d)) {}
  Error(Errc c, std::string d, std::vector<FieldError> f)
      : code(c), detail(std::move(d)), fields(std::move(f)) {}

  friend bool operator==(const Error&, const Error&) = default;
};

/// "not_found: org 42" (no detail: just the code). GoogleTest prints Results with it.
std::ostream& operator<<(std::ostream& os, const Error& e);
std::ostream& operator<<(std::ostream& os, Errc e);

/// Errc is also an error_code enum with a fixed category id, equal across shared objects.
const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(Errc e) noexcept;

/// Called by Result<T>::value() on an error; throws boost::system::system_error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace tenantkit

template <>
struct boost::system::is_error_code_enum<tenantkit::Errc> : std::true_type {};
