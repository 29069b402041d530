// SPDX-License-Identifier: Apache-2.0
// SCIM filters (RFC 7644 §3.4.2.2): parse_filter() turns `userName eq "bjensen" and not (emails
// pr)` into a Filter (a small AST in one vector), and matches() evaluates it against a User
// resource. Attribute names and operators are case-insensitive; value paths
// (`emails[type eq "work"].value eq "x"`), schema URN prefixes, JSON string escapes and explicit
// input limits are supported. Every failure is bad_request with scimType invalidFilter.
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>

namespace tenantkit::scim {

struct UserResource;

/// Parser limits. Inputs beyond them are refused (invalidFilter), never truncated.
struct FilterLimits {
  std::size_t max_length = 4096;  ///< Bytes of filter text.
  int max_depth = 32;             ///< Nesting of parentheses, `not` and `[...]`.
  int max_nodes = 256;            ///< AST nodes (comparisons, and/or/not, value paths).
};

/// `[schema:]attr[.sub]`, spelled as written (SCIM names compare case-insensitively, but an
/// attribute a PATCH adds keeps the directory's spelling); `schema` is the URN prefix or empty.
struct AttrPath {
  std::string schema{};
  std::string attr{};
  std::string sub{};
  friend bool operator==(const AttrPath&, const AttrPath&) = default;
};

/// A comparison operator (RFC 7644 Table 3); `pr` takes no value.
enum class CompareOp : std::uint8_t { eq, ne, co, sw, ew, gt, ge, lt, le, pr };

/// A JSON literal of a comparison.
struct Literal {
  enum class Kind : std::uint8_t { null, boolean, number, string };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string string{};  ///< Unescaped (UTF-8) for Kind::string.
  friend bool operator==(const Literal&, const Literal&) = default;
};

/// One AST node. Children are indexes into Filter::nodes.
struct FilterNode {
  enum class Kind : std::uint8_t {
    compare,     ///< path op value (op may be pr).
    and_,        ///< lhs and rhs.
    or_,         ///< lhs or rhs.
    not_,        ///< not (lhs).
    value_path,  ///< path.attr[lhs] with, when has_tail, `.path.sub op value` after the bracket.
  };
  Kind kind = Kind::compare;
  AttrPath path{};
  CompareOp op = CompareOp::pr;
  Literal value{};
  int lhs = -1;
  int rhs = -1;
  bool has_tail = false;
};

/// A parsed filter; nodes[root] is the top. Inside a value path, the nested nodes' paths are
/// relative to the bracketed attribute (`type` in `emails[type eq "work"]`).
struct Filter {
  std::vector<FilterNode> nodes{};
  int root = -1;
};

/// Parses RFC 7644 filter text. Precedence: `not` > `and` > `or`; parentheses group.
/// Errors: bad_request (scimType invalidFilter) for a syntax error, an unterminated string, a bad
/// escape, an unknown operator, or input beyond `limits`.
Result<Filter> parse_filter(std::string_view text, const FilterLimits& limits = {});

/// Checks that every attribute `filter` names is one the User resource supports for filtering:
/// id, externalId, userName, displayName, nickName, title, userType, active,
/// name(.formatted|.givenName|.familyName|.middleName|.honorificPrefix|.honorificSuffix),
/// emails(.value|.type|.primary|.display), meta(.created|.lastModified|.resourceType), with or
/// without the core User schema URN. Errors: bad_request (invalidFilter) naming the attribute;
/// also for gt/ge/lt/le on a boolean.
Result<void> check_user_filter(const Filter& filter);

/// Whether `user` satisfies `filter` (RFC 7644 §3.4.2.2 semantics: case-insensitive strings
/// except id and externalId, any-of for emails, dates compared as instants). Call
/// check_user_filter() first. Errors: bad_request (invalidFilter) for an unsupported attribute
/// or an operator that does not apply to the attribute's type.
Result<bool> matches(const Filter& filter, const UserResource& user);

}  // namespace tenantkit::scim
