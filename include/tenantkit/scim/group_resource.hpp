// SPDX-License-Identifier: Apache-2.0
// The SCIM Group resource (RFC 7643 §4.2) as a plain value, its JSON form, the Group list filter
// check, and Group PATCH (RFC 7644 §3.5.2) in the forms Okta and Microsoft Entra ID send:
// `{"op":"add","path":"members","value":[{"value":"<id>"}]}`,
// `{"op":"remove","path":"members[value eq \"<id>\"]"}`,
// `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`,
// `{"op":"replace","value":{"displayName":"..."}}`. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/patch.hpp>
#include <tenantkit/scim/user_resource.hpp>

namespace tenantkit::scim {

/// urn:ietf:params:scim:schemas:core:2.0:Group
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Most members one group may hold.
inline constexpr std::size_t kMaxGroupMembers = 10000;
/// Longest displayName.
inline constexpr std::size_t kMaxGroupName = 256;

/// One entry of `members`: `value` is the member User's id; `display` is informational.
struct GroupMember {
  std::string value{};
  std::string display{};
  friend bool operator==(const GroupMember&, const GroupMember&) = default;
};

/// A SCIM Group. meta.version backs the ETag as for users.
struct GroupResource {
  std::string id{};
  std::string external_id{};
  std::string display_name{};  ///< Required.
  std::vector<GroupMember> members{};
  Meta meta{};
  friend bool operator==(const GroupResource&, const GroupResource&) = default;
};

/// Parses a Group from a POST/PUT body. Attribute names are case-insensitive; id, meta and
/// schemas are ignored; duplicate members are merged. Errors: bad_request with scimType
/// invalidSyntax (not a JSON object), invalidValue (missing or over-long displayName, a member
/// without a string `value`, more than kMaxGroupMembers members, a wrong type).
Result<GroupResource> group_from_json(std::string_view json);

/// The response body of `group`: schemas, id, externalId, displayName, members (value, $ref,
/// display; omitted when empty) and meta {resourceType "Group", created, lastModified, location,
/// version}.
std::string to_json(const GroupResource& group, std::string_view base_url);

/// The weak entity tag of `group`: W/"<meta.version>".
std::string etag(const GroupResource& group);

/// Checks that `filter` names only Group attributes: id, externalId, displayName,
/// members(.value|.display), meta(.created|.lastModified|.resourceType), with or without the
/// Group URN. Errors: bad_request (invalidFilter) naming the attribute.
Result<void> check_group_filter(const Filter& filter);

/// Whether `group` satisfies `filter` (call check_group_filter() first). Errors: bad_request
/// (invalidFilter) for an operator that does not apply.
Result<bool> matches(const Filter& filter, const GroupResource& group);

/// Applies a PatchOp to a Group, all or nothing (`group` is unchanged). Paths: displayName,
/// externalId, members, members[<filter>]; add appends members (skipping ones present), replace
/// overwrites, remove takes the members listed in `value`, or those the filter matches, or all
/// of them. Errors: bad_request with scimType invalidPath (unknown attribute), noTarget (a member
/// filter matching nothing), invalidValue (wrong value type, displayName removed or emptied,
/// too many members), mutability (id, meta).
Result<GroupResource> apply_group_patch(const GroupResource& group, const PatchRequest& patch);

}  // namespace tenantkit::scim
