// SPDX-License-Identifier: Apache-2.0
// Private helpers shared by the SCIM sources: case-insensitive JSON member lookup, the User <->
// JSON object mapping, and the filter evaluator over JSON (used for list filters and for PATCH
// value-path filters on any multi-valued attribute).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include <tenantkit/core/result.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/user_resource.hpp>

namespace tenantkit::scim::detail {

bool iequals(std::string_view a, std::string_view b) noexcept;
std::string lower(std::string_view s);

/// The member of `obj` whose key equals `key` case-insensitively (the first), or nullptr.
const boost::json::value* find_ci(const boost::json::object& obj, std::string_view key);
boost::json::value* find_ci(boost::json::object& obj, std::string_view key);
/// Erases every member whose key equals `key` case-insensitively; true when one was erased.
bool erase_ci(boost::json::object& obj, std::string_view key);

/// The attributes of `user` as a JSON object (no id, no meta, no schemas): what PATCH edits and
/// what the service stores per membership.
boost::json::object attributes_object(const UserResource& user);

/// Reads the attributes of a User from `obj` (see user_from_json()). Errors: invalidValue.
Result<UserResource> user_from_object(const boost::json::object& obj);

/// The full response object of `user` (schemas, id, attributes, meta).
boost::json::object resource_object(const UserResource& user, std::string_view base_url);

/// Evaluates node `index` of `filter` against `ctx` (a resource, or an element of a multi-valued
/// attribute inside a value path). Errors: invalidFilter (operator not applicable).
Result<bool> evaluate(const Filter& filter, int index, const boost::json::object& ctx);

/// Parses `text` as a JSON value; nullopt when it is not JSON.
std::optional<boost::json::value> parse_json(std::string_view text);

}  // namespace tenantkit::scim::detail
