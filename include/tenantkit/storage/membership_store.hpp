// SPDX-License-Identifier: Apache-2.0
// MembershipStore: which users belong to an org, with which roles. Enforces the last-owner rule
// atomically (an org always keeps an active member holding "owner"). Safe for concurrent use;
// calls may block.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class MembershipStore {
 public:
  virtual ~MembershipStore();
  MembershipStore(const MembershipStore&) = delete;
  MembershipStore& operator=(const MembershipStore&) = delete;

  /// Adds `m` (m.org must equal `org`). When `seat_limit` is set, fails with seat_limit_reached if
  /// the org already has that many members plus pending invitations (checked atomically).
  /// Errors: conflict (already a member), not_found (no such org), seat_limit_reached, unavailable.
  virtual Result<Membership> add(const OrgId& org, const Membership& m,
                                 std::optional<std::int64_t> seat_limit) = 0;
  /// Errors: not_found (not a member of `org`), unavailable.
  virtual Result<Membership> get(const OrgId& org, const UserId& user) = 0;
  /// Members ordered by user id.
  virtual Result<Page<Membership>> list(const OrgId& org, const PageRequest& page) = 0;
  /// Unscoped by design (the user's own view): every org the user belongs to, ordered by org id.
  virtual Result<std::vector<Membership>> list_for_user(const UserId& user) = 0;
  /// Replaces the roles. Errors: not_found, conflict (would leave the org without an active
  /// owner), unavailable.
  virtual Result<Membership> set_roles(const OrgId& org, const UserId& user,
                                       const std::vector<std::string>& roles) = 0;
  /// Suspends or restores a membership. Errors: not_found, conflict (last active owner),
  /// unavailable.
  virtual Result<Membership> set_active(const OrgId& org, const UserId& user, bool active) = 0;
  /// Sets the directory's external id. Errors: not_found, conflict (another member of the org
  /// has it), unavailable.
  virtual Result<Membership> set_external_id(const OrgId& org, const UserId& user,
                                             std::string_view external_id) = 0;
  /// Sets the directory's external id and the member's SCIM profile (a JSON object, or "")
  /// together, so a SCIM write is one atomic step. Errors: not_found, conflict (another member of
  /// the org has the external id), unavailable.
  virtual Result<Membership> set_scim_profile(const OrgId& org, const UserId& user,
                                              std::string_view external_id,
                                              std::string_view profile) = 0;
  /// Errors: not_found, conflict (last active owner), unavailable.
  virtual Result<void> remove(const OrgId& org, const UserId& user) = 0;
  /// Members (active or not) of `org`.
  virtual Result<std::int64_t> count(const OrgId& org) = 0;
  /// Members of `org` holding `role`.
  virtual Result<std::int64_t> count_with_role(const OrgId& org, std::string_view role) = 0;

 protected:
  MembershipStore() = default;
};

}  // namespace tenantkit::storage
