// SPDX-License-Identifier: Apache-2.0
// SCIM PATCH (RFC 7644 §3.5.2): parse_patch() reads a PatchOp body, apply_patch() applies its
// operations in order to a User, all or nothing. Supports add/replace/remove (op names in any
// case), operations with and without `path`, value-path targets such as
// `emails[type eq "work"].value`, URN-prefixed paths (enterprise extension), and Entra ID's
// string booleans ({"op":"Replace","path":"active","value":"False"}).
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/user_resource.hpp>

namespace tenantkit::scim {

/// Most operations one PATCH request may carry.
inline constexpr std::size_t kMaxPatchOperations = 256;

/// A PATCH target: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
struct PatchPath {
  AttrPath attr{};          ///< attr.sub holds the sub-attribute when there is no filter.
  bool has_filter = false;  ///< `[...]` present.
  Filter filter{};          ///< Relative to the elements of attr (only when has_filter).
  std::string sub{};        ///< The sub-attribute after `]` (only when has_filter), or empty.
};

/// Parses a PATCH path. Errors: bad_request (scimType invalidPath).
Result<PatchPath> parse_patch_path(std::string_view text);

enum class PatchOpKind : std::uint8_t { add, replace, remove };

/// One operation as sent.
struct PatchOperation {
  PatchOpKind op = PatchOpKind::add;
  std::string path{};        ///< Empty: no path (the value is an object of attributes).
  std::string value_json{};  ///< The `value` as JSON text; empty when absent.
  friend bool operator==(const PatchOperation&, const PatchOperation&) = default;
};

/// A PatchOp request.
struct PatchRequest {
  std::vector<PatchOperation> operations{};
};

/// Parses a PatchOp body. `schemas` must contain the PatchOp URN when present.
/// Errors: bad_request with scimType invalidSyntax (not JSON, no or empty Operations, more than
/// kMaxPatchOperations), invalidValue (unknown op, a value missing for add/replace, a path that
/// is not a string), invalidPath (a path that does not parse).
Result<PatchRequest> parse_patch(std::string_view json);

/// Applies `patch` to `user` and returns the result; `user` itself is unchanged (all or nothing).
/// id and meta are kept from `user`. Semantics (RFC 7644 §3.5.2): add appends to multi-valued
/// attributes and merges complex ones; replace overwrites (a no-path replace takes an object of
/// attributes, whose keys may themselves be paths such as "name.givenName"); remove needs a
/// path. A value filter that matches nothing makes add/replace create the element when the
/// filter is made of `eq` comparisons (`emails[type eq "work"].value` on a user without a work
/// email adds one, as Entra ID expects) and is noTarget otherwise.
/// Errors: bad_request with scimType invalidPath (bad path), noTarget (remove without path, or
/// a filter matching nothing where nothing can be created), mutability (id, meta, schemas),
/// invalidValue (the result is not a valid User, e.g. userName removed or a wrong type).
Result<UserResource> apply_patch(const UserResource& user, const PatchRequest& patch);

}  // namespace tenantkit::scim
