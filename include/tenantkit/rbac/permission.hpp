// SPDX-License-Identifier: Apache-2.0
// Permissions: `resource:action` names, their compact ids, fixed-width permission sets, and the
// Catalogue that maps names to ids. The built-in permissions of API.md have fixed ids (perm::);
// applications register their own at run time, up to kMaxPermissions in total.
// PermissionSet is a plain value (safe to copy between threads). A Catalogue is a value too: not
// synchronized, so share it read-only or copy it (rbac::Engine keeps its own, safely published).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tenantkit/core/result.hpp>

namespace tenantkit::rbac {

/// Most permissions a Catalogue holds, built-ins included (the width of PermissionSet).
inline constexpr std::size_t kMaxPermissions = 256;

/// Longest resource or action name, in characters.
inline constexpr std::size_t kMaxNamePart = 32;

/// The index of a permission in a Catalogue. Built-in ids are fixed (see perm::); ids of
/// registered permissions are given in registration order and never change or get reused.
enum class PermissionId : std::uint16_t {};

/// A set of permissions: kMaxPermissions bits, no allocation, constexpr.
class PermissionSet {
 public:
  constexpr PermissionSet() = default;
  constexpr PermissionSet(std::initializer_list<PermissionId> ids) {
    for (PermissionId id : ids) insert(id);
  }

  /// True when `id` is in the set; ids at or past kMaxPermissions are never in it.
  constexpr bool contains(PermissionId id) const noexcept {
    const auto i = static_cast<std::size_t>(id);
    return i < kMaxPermissions && ((words_[i / 64] >> (i % 64)) & 1U) != 0;
  }
  /// REQUIRES: id < kMaxPermissions (Catalogue never hands out others).
  constexpr void insert(PermissionId id) noexcept {
    const auto i = static_cast<std::size_t>(id);
    words_[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  constexpr void erase(PermissionId id) noexcept {
    const auto i = static_cast<std::size_t>(id);
    words_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  constexpr bool empty() const noexcept {
    for (auto w : words_)
      if (w != 0) return false;
    return true;
  }
  constexpr std::size_t size() const noexcept {
    std::size_t n = 0;
    for (auto w : words_) n += static_cast<std::size_t>(std::popcount(w));
    return n;
  }
  /// True when every permission of this set is also in `other`.
  constexpr bool is_subset_of(const PermissionSet& other) const noexcept {
    for (std::size_t i = 0; i < kWords; ++i)
      if ((words_[i] & ~other.words_[i]) != 0) return false;
    return true;
  }
  /// Calls f(PermissionId) for every member, in id order.
  template <class F>
  constexpr void for_each(F&& f) const {
    for (std::size_t w = 0; w < kWords; ++w) {
      for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        f(static_cast<PermissionId>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
      }
    }
  }

  constexpr PermissionSet& operator|=(const PermissionSet& o) noexcept {
    for (std::size_t i = 0; i < kWords; ++i) words_[i] |= o.words_[i];
    return *this;
  }
  constexpr PermissionSet& operator&=(const PermissionSet& o) noexcept {
    for (std::size_t i = 0; i < kWords; ++i) words_[i] &= o.words_[i];
    return *this;
  }
  /// Removes every member of `o`.
  constexpr PermissionSet& operator-=(const PermissionSet& o) noexcept {
    for (std::size_t i = 0; i < kWords; ++i) words_[i] &= ~o.words_[i];
    return *this;
  }
  friend constexpr PermissionSet operator|(PermissionSet a, const PermissionSet& b) noexcept {
    return a |= b;
  }
  friend constexpr PermissionSet operator&(PermissionSet a, const PermissionSet& b) noexcept {
    return a &= b;
  }
  friend constexpr PermissionSet operator-(PermissionSet a, const PermissionSet& b) noexcept {
    return a -= b;
  }
  friend constexpr bool operator==(const PermissionSet&, const PermissionSet&) = default;

 private:
  static constexpr std::size_t kWords = kMaxPermissions / 64;
  std::array<std::uint64_t, kWords> words_{};
};

/// The built-in permissions (API.md), with fixed ids. Use these where a route needs one.
namespace perm {
// clang-format off
inline constexpr PermissionId org_read{0},         org_write{1},          org_delete{2},
                              members_read{3},     members_write{4},
                              invitations_read{5}, invitations_write{6},
                              roles_read{7},       roles_write{8},
                              api_keys_read{9},    api_keys_write{10},
                              data_read{11},
                              usage_read{12},      usage_write{13},
                              workspaces_read{14}, workspaces_write{15},
                              billing_read{16},    billing_manage{17},
                              audit_read{18},
                              scim_manage{19};
// clang-format on

/// Names of the built-in permissions, indexed by id.
inline constexpr std::array<std::string_view, 20> kBuiltinNames = {
    "org:read",         "org:write",         "org:delete",     "members:read", "members:write",
    "invitations:read", "invitations:write", "roles:read",     "roles:write",  "api_keys:read",
    "api_keys:write",   "data:read",         "usage:read",     "usage:write",  "workspaces:read",
    "workspaces:write", "billing:read",      "billing:manage", "audit:read",   "scim:manage"};
}  // namespace perm

/// The parts of a permission name or pattern: `resource:action`, either part may be `*`
/// in a pattern, and `*` alone means every permission.
struct PermissionPattern {
  std::string_view resource;  ///< "*" matches every resource.
  std::string_view action;    ///< "*" matches every action.

  /// Parses "res:act", "res:*", "*:act" or "*". Parts are 1..kMaxNamePart characters of
  /// [a-z0-9_], starting with a letter. Errors: validation_failed (detail says why).
  static Result<PermissionPattern> parse(std::string_view text);
  bool is_exact() const noexcept { return resource != "*" && action != "*"; }
  bool matches(std::string_view permission_resource,
               std::string_view permission_action) const noexcept;
};

/// Maps permission names to ids and back. Starts with the built-ins; add() registers more.
/// Not synchronized: one writer, or readers only.
class Catalogue {
 public:
  /// A catalogue holding exactly the built-in permissions (perm::kBuiltinNames).
  Catalogue();

  /// Registers `name` ("resource:action", no wildcard) and returns its id; a name already
  /// present returns its existing id. Errors: validation_failed (bad syntax, or the catalogue
  /// already holds kMaxPermissions permissions).
  Result<PermissionId> add(std::string_view name);

  /// The id of an exact permission name; nullopt when unknown (wildcards are not names).
  std::optional<PermissionId> find(std::string_view name) const noexcept;
  /// The name of `id`. REQUIRES: id < size().
  std::string_view name(PermissionId id) const noexcept;
  std::size_t size() const noexcept { return names_.size(); }
  /// Every registered permission.
  PermissionSet all() const noexcept { return all_; }

  /// The permissions a pattern matches now ("members:*", "*:read", "*", or an exact name).
  /// Errors: validation_failed (bad syntax, or it matches no registered permission: a typo
  /// must not silently grant nothing).
  Result<PermissionSet> match(std::string_view pattern) const;
  /// The union of match() over `patterns`. Errors: as match(), naming the first bad one.
  Result<PermissionSet> match_all(std::span<const std::string> patterns) const;

  /// The names of the members of `set`, in id order (for /v1/auth/me and role listings).
  std::vector<std::string> names(const PermissionSet& set) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, PermissionId, Hash, std::equal_to<>> ids_;
  PermissionSet all_;
};

}  // namespace tenantkit::rbac
