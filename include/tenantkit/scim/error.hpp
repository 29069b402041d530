// SPDX-License-Identifier: Apache-2.0
// SCIM errors (RFC 7644 §3.12) on top of tenantkit::Error: the scimType travels as a prefix of
// Error::detail ("invalidFilter: ..."), so every SCIM call keeps returning Result<T> and a generic
// problem+json mapping still reads well, while error_json() renders the RFC 7644 body
// {"schemas":[...Error],"status":"400","scimType":"invalidFilter","detail":"..."}.
// Plain functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <tenantkit/core/error.hpp>

namespace tenantkit::scim {

/// RFC 7644 Table 9 scimType values tenantkit produces.
namespace scim_type {
inline constexpr std::string_view invalid_filter = "invalidFilter";  ///< Bad filter syntax/attr.
inline constexpr std::string_view too_many = "tooMany";              ///< Too many results.
inline constexpr std::string_view uniqueness = "uniqueness";         ///< userName/externalId taken.
inline constexpr std::string_view mutability = "mutability";  ///< Read-only or fixed attribute.
inline constexpr std::string_view invalid_syntax = "invalidSyntax";  ///< Malformed request body.
inline constexpr std::string_view invalid_path = "invalidPath";      ///< Bad PATCH path.
inline constexpr std::string_view no_target = "noTarget";            ///< PATCH path matches none.
inline constexpr std::string_view invalid_value = "invalidValue";    ///< Wrong type or value.
}  // namespace scim_type

/// An Error carrying `type` (one of scim_type) for `code`: detail = "<type>: <detail>".
Error make_error(Errc code, std::string_view type, std::string_view detail);

/// An error as RFC 7644 shows it.
struct ScimError {
  int status = 500;         ///< HTTP status (sent as a string in the body).
  std::string scim_type{};  ///< Empty when the RFC defines none for this status.
  std::string detail{};     ///< Human-readable; never a secret.
};

/// Maps `e` to its SCIM form: bad_request/validation_failed 400 (scimType from the detail prefix,
/// else invalidValue), unauthorized 401, forbidden 403, feature_not_in_plan/seat_limit_reached/
/// plan_limit_reached 402 (as API.md), not_found 404,
/// conflict 409 (uniqueness unless the prefix says otherwise), payload_too_large 413,
/// rate_limited/quota_exceeded 429, unavailable 503, anything else 500 with a generic detail.
ScimError to_scim_error(const Error& e);

/// The RFC 7644 error body of `e` (urn:ietf:params:scim:api:messages:2.0:Error).
std::string error_json(const Error& e);

}  // namespace tenantkit::scim
