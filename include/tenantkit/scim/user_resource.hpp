// SPDX-License-Identifier: Apache-2.0
// The SCIM User resource (RFC 7643 §4.1 core schema) as a plain value, and its JSON form.
// Attributes tenantkit does not model (phoneNumbers, addresses, the enterprise extension, ...)
// are kept verbatim in `extensions_json` so that what a directory sends comes back unchanged.
// `password` and `groups` are never kept (write-only / read-only). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::scim {

/// urn:ietf:params:scim:schemas:core:2.0:User
inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
/// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User
inline constexpr std::string_view kEnterpriseUserSchema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// urn:ietf:params:scim:api:messages:2.0:ListResponse
inline constexpr std::string_view kListResponseSchema =
    "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// urn:ietf:params:scim:api:messages:2.0:PatchOp
inline constexpr std::string_view kPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// urn:ietf:params:scim:api:messages:2.0:Error
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The complex `name` attribute; empty strings are unassigned.
struct Name {
  std::string formatted{};
  std::string family_name{};
  std::string given_name{};
  std::string middle_name{};
  std::string honorific_prefix{};
  std::string honorific_suffix{};
  bool empty() const noexcept;
  friend bool operator==(const Name&, const Name&) = default;
};

/// One entry of the multi-valued `emails` attribute.
struct Email {
  std::string value{};
  std::string type{};  ///< "work", "home", "other" or anything the directory sends.
  std::string display{};
  bool primary = false;
  friend bool operator==(const Email&, const Email&) = default;
};

/// `meta` (RFC 7643 §3.1); resourceType is always "User", location is built from a base URL.
struct Meta {
  Timestamp created{};
  Timestamp last_modified{};
  std::int64_t version = 1;  ///< Bumped on every write; the ETag is W/"<version>".
  friend bool operator==(const Meta&, const Meta&) = default;
};

/// A SCIM User. Empty strings are unassigned attributes (omitted from JSON).
struct UserResource {
  std::string id{};  ///< The tenantkit user id; assigned by the service provider.
  std::string external_id{};
  std::string user_name{};  ///< Required; tenantkit uses it as the user's login email.
  Name name{};
  std::string display_name{};
  std::string nick_name{};
  std::string profile_url{};
  std::string title{};
  std::string user_type{};
  std::string preferred_language{};
  std::string locale{};
  std::string timezone{};
  bool active = true;
  std::vector<Email> emails{};
  std::string extensions_json = "{}";  ///< JSON object of every other attribute, verbatim.
  Meta meta{};
  friend bool operator==(const UserResource&, const UserResource&) = default;
};

/// Limits on what a directory may store per user.
inline constexpr std::size_t kMaxUserJson = 64 * 1024;  ///< Bytes of one resource's JSON.
inline constexpr std::size_t kMaxEmails = 32;

/// Parses a User from a request body (POST, PUT). Attribute names are case-insensitive; `id`,
/// `meta`, `schemas`, `groups` and `password` are ignored; booleans may also be the strings
/// "true"/"false" in any case (Entra ID sends "True"). A null value means unassigned.
/// Errors: bad_request with scimType invalidSyntax (not a JSON object), invalidValue (a wrong
/// type, missing userName, too many emails, over kMaxUserJson).
Result<UserResource> user_from_json(std::string_view json);

/// The JSON of `user` as a response body: schemas (core, plus each extension URN present), id,
/// the assigned attributes, and meta {resourceType, created, lastModified, location =
/// `base_url` + "/Users/" + id, version}.
std::string to_json(const UserResource& user, std::string_view base_url);

/// The weak entity tag of `user`: W/"<meta.version>".
std::string etag(const UserResource& user);

}  // namespace tenantkit::scim
