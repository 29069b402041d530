// SPDX-License-Identifier: Apache-2.0
// InvitationStore: pending invitations to an org; acceptance turns one into a Membership
// atomically. Safe for concurrent use; calls may block.
#pragma once

#include <optional>
#include <string_view>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class InvitationStore {
 public:
  virtual ~InvitationStore();
  InvitationStore(const InvitationStore&) = delete;
  InvitationStore& operator=(const InvitationStore&) = delete;

  /// Stores `inv`. When `seat_limit` is set, fails with seat_limit_reached if members plus pending
  /// invitations already reach it (checked atomically). Errors: conflict (a pending invitation for
  /// the same email, or the email is already a member), seat_limit_reached, unavailable.
  virtual Result<Invitation> create(const OrgId& org, const Invitation& inv,
                                    std::optional<std::int64_t> seat_limit, Timestamp now) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<Invitation> get(const OrgId& org, const InvitationId& id) = 0;
  /// Unscoped by design: an invitee presents only the token. Absence is a value.
  virtual Result<std::optional<Invitation>> find_by_token_hash(std::string_view token_hash) = 0;
  /// Pending invitations at `now`, ordered by id.
  virtual Result<Page<Invitation>> list_pending(const OrgId& org, const PageRequest& page,
                                                Timestamp now) = 0;
  /// Errors: not_found, gone (already accepted or revoked), unavailable.
  virtual Result<Invitation> revoke(const OrgId& org, const InvitationId& id, Timestamp now) = 0;
  /// Marks the invitation accepted and adds `member` to its org in one step.
  /// Errors: not_found, gone (accepted, revoked or expired at `now`), conflict (already a member),
  /// unavailable.
  virtual Result<Membership> accept(const OrgId& org, const InvitationId& id,
                                    const Membership& member, Timestamp now) = 0;

 protected:
  InvitationStore() = default;
};

}  // namespace tenantkit::storage
