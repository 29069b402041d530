// SPDX-License-Identifier: Apache-2.0
// Decision: the answer of an RBAC check, allowed or denied with a reason. A deny is a value,
// never an error (an rbac::Engine check cannot fail: what it cannot decide it denies).
// A trivially copyable value; safe to pass between threads.
#pragma once

#include <cstdint>
#include <string_view>

namespace tenantkit::rbac {

/// Why a check was denied. The set grows: every switch needs a `default:`.
enum class DenyReason : std::uint8_t {
  none = 0,            ///< Not denied.
  unknown_permission,  ///< The permission name is not in the catalogue (fail closed).
  not_a_member,        ///< The tenant is unknown or the principal holds no membership in it.
  not_granted,         ///< No role of the principal grants the permission.
  explicit_deny,       ///< A role grants it, but a deny statement of one of its roles wins.
  outside_scope,       ///< The roles grant it, but the API key's scopes do not include it.
  condition,           ///< The RolePolicy's conditions (RolePolicy::refine) refused it.
};

/// The wire-friendly spelling of a reason ("not_granted").
constexpr std::string_view to_string(DenyReason reason) noexcept {
  switch (reason) {
    case DenyReason::none:
      return "none";
    case DenyReason::unknown_permission:
      return "unknown_permission";
    case DenyReason::not_a_member:
      return "not_a_member";
    case DenyReason::not_granted:
      return "not_granted";
    case DenyReason::explicit_deny:
      return "explicit_deny";
    case DenyReason::outside_scope:
      return "outside_scope";
    case DenyReason::condition:
      return "condition";
    default:
      return "unknown";
  }
}

/// Allowed, or denied with a reason and an optional note (for logs; never shown to clients
/// as is). The note must outlive the Decision: use a string literal.
class Decision {
 public:
  static constexpr Decision allow() noexcept { return Decision(DenyReason::none, {}); }
  /// REQUIRES: reason != DenyReason::none.
  static constexpr Decision deny(DenyReason reason, std::string_view note = {}) noexcept {
    return Decision(reason, note);
  }

  constexpr bool allowed() const noexcept { return reason_ == DenyReason::none; }
  constexpr explicit operator bool() const noexcept { return allowed(); }
  constexpr DenyReason reason() const noexcept { return reason_; }
  constexpr std::string_view note() const noexcept { return note_; }

  friend constexpr bool operator==(const Decision& a, const Decision& b) noexcept {
    return a.reason_ == b.reason_;
  }

 private:
  constexpr Decision(DenyReason r, std::string_view n) noexcept : reason_(r), note_(n) {}
  DenyReason reason_;
  std::string_view note_;
};

}  // namespace tenantkit::rbac
