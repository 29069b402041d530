// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <tenantkit/rbac/permission.hpp>

#include "rbac/hash.hpp"

namespace tenantkit::rbac {
namespace {

bool valid_part(std::string_view part) noexcept {
  if (part.empty() || part.size() > kMaxNamePart) return false;
  if (part[0] < 'a' || part[0] > 'z') return false;
  for (char c : part) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Error bad_pattern(std::string_view text, std::string_view why) {
  return Error{Errc::validation_failed,
               "permission '" + std::string(text) + "': " + std::string(why)};
}

}  // namespace

Result<PermissionPattern> PermissionPattern::parse(std::string_view text) {
  if (text == "*") return PermissionPattern{"*", "*"};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return bad_pattern(text, "expected resource:action");
  PermissionPattern p{text.substr(0, colon), text.substr(colon + 1)};
  if (p.resource != "*" && !valid_part(p.resource))
    return bad_pattern(text, "resource must be 1-32 of [a-z0-9_], starting with a letter");
  if (p.action != "*" && !valid_part(p.action))
    return bad_pattern(text, "action must be 1-32 of [a-z0-9_], starting with a letter");
  return p;
}

bool PermissionPattern::matches(std::string_view permission_resource,
                                std::string_view permission_action) const noexcept {
  return (resource == "*" || resource == permission_resource) &&
         (action == "*" || action == permission_action);
}

std::size_t Catalogue::Hash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(detail::hash_bytes(s));
}

Catalogue::Catalogue() {
  names_.reserve(perm::kBuiltinNames.size());
  for (std::string_view name : perm::kBuiltinNames) {
    const auto id = static_cast<PermissionId>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(std::string(name), id);
    all_.insert(id);
  }
}

Result<PermissionId> Catalogue::add(std::string_view name) {
  auto pattern = PermissionPattern::parse(name);
  if (!pattern) return pattern.error();
  if (!pattern->is_exact()) return bad_pattern(name, "a permission name cannot be a wildcard");
  if (auto existing = find(name)) return *existing;
  if (names_.size() >= kMaxPermissions) {
    return Error{Errc::validation_failed, "permission catalogue is full: at most " +
                                              std::to_string(kMaxPermissions) +
                                              " permissions, built-ins included"};
  }
  const auto id = static_cast<PermissionId>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  all_.insert(id);
  return id;
}

std::optional<PermissionId> Catalogue::find(std::string_view name) const noexcept {
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::string_view Catalogue::name(PermissionId id) const noexcept {
  return names_[static_cast<std::size_t>(id)];
}

Result<PermissionSet> Catalogue::match(std::string_view pattern) const {
  auto p = PermissionPattern::parse(pattern);
  if (!p) return p.error();
  PermissionSet out;
  if (p->is_exact()) {
    if (auto id = find(pattern)) {
      out.insert(*id);
      return out;
    }
    return bad_pattern(pattern, "unknown permission");
  }
  for (std::size_t i = 0; i < names_.size(); ++i) {
    std::string_view n = names_[i];
    const auto colon = n.find(':');
    if (p->matches(n.substr(0, colon), n.substr(colon + 1)))
      out.insert(static_cast<PermissionId>(i));
  }
  if (out.empty()) return bad_pattern(pattern, "matches no registered permission");
  return out;
}

Result<PermissionSet> Catalogue::match_all(std::span<const std::string> patterns) const {
  PermissionSet out;
  for (const std::string& pattern : patterns) {
    auto set = match(pattern);
    if (!set) return set.error();
    out |= *set;
  }
  return out;
}

std::vector<std::string> Catalogue::names(const PermissionSet& set) const {
  std::vector<std::string> out;
  out.reserve(set.size());
  set.for_each([&](PermissionId id) {
    if (static_cast<std::size_t>(id) < names_.size()) out.emplace_back(name(id));
  });
  return out;
}

}  // namespace tenantkit::rbac
