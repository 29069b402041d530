// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/apikey/scopes.hpp>

namespace tenantkit::apikey {
namespace {

bool valid_part(std::string_view part) noexcept {
  if (part == "*") return true;
  return !part.empty() && part.size() <= 64 && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool part_covers(std::string_view have, std::string_view want) noexcept {
  return have == "*" || have == want;
}

}  // namespace

bool valid_scope(std::string_view scope) noexcept {
  if (scope == "*") return true;
  const auto colon = scope.find(':');
  if (colon == std::string_view::npos) return false;
  return valid_part(scope.substr(0, colon)) && valid_part(scope.substr(colon + 1));
}

bool scope_covers(std::string_view pattern, std::string_view permission) noexcept {
  if (pattern == "*") return true;
  const auto pc = pattern.find(':');
  const auto qc = permission.find(':');
  if (pc == std::string_view::npos || qc == std::string_view::npos) return false;
  return part_covers(pattern.substr(0, pc), permission.substr(0, qc)) &&
         part_covers(pattern.substr(pc + 1), permission.substr(qc + 1));
}

bool scopes_allow(std::span<const std::string> scopes, std::string_view permission) noexcept {
  return std::any_of(scopes.begin(), scopes.end(),
                     [&](const std::string& s) { return scope_covers(s, permission); });
}

bool permissions_cover_scope(std::span<const std::string> permissions,
                             std::string_view scope) noexcept {
  // scope_covers treats the scope's own `*` literally on the right-hand side, so "data:read" does
  // not cover "data:*" while "data:*" and "*" do.
  return std::any_of(permissions.begin(), permissions.end(), [&](const std::string& p) {
    if (p == "*") return true;
    if (scope == "*") return false;
    return scope_covers(p, scope);
  });
}

}  // namespace tenantkit::apikey
