// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::InvitationStore: tenant isolation, pending-email and member
// conflicts, seat limits, revoke, accept (gone once accepted, revoked or expired; the membership
// appears atomically; concurrent accepts let one win), pagination of pending invitations.
// Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class InvitationStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::InvitationStore& invs() { return this->db().invitations(); }

  storage::Invitation invite(const SampleTenant& t, std::string email = {},
                             std::chrono::seconds ttl = std::chrono::hours(24 * 7)) {
    return must(invs().create(t.org.id, this->s_.invitation(t.org.id, t.owner.id, email, ttl),
                              std::nullopt, this->s_.now()),
                "invitations().create");
  }
};
TYPED_TEST_SUITE_P(InvitationStoreConformance);

TYPED_TEST_P(InvitationStoreConformance, CreateGetAndFindByTokenHashRoundTrip) {
  auto t = this->make_tenant();
  auto inv = this->s_.invitation(t.org.id, t.owner.id);
  inv.created_at = odd_micros(inv.created_at);
  inv.expires_at = odd_micros(inv.expires_at);
  inv.role = "admin";
  EXPECT_THAT(this->invs().create(t.org.id, inv, std::nullopt, this->s_.now()), IsOkAndHolds(inv));
  EXPECT_THAT(this->invs().get(t.org.id, inv.id), IsOkAndHolds(inv));
  EXPECT_THAT(this->invs().find_by_token_hash(inv.token_hash), IsOkAndHolds(std::optional(inv)));
  EXPECT_THAT(this->invs().find_by_token_hash("no-such-hash"),
              IsOkAndHolds(std::optional<storage::Invitation>()));
  EXPECT_THAT(this->invs().get(t.org.id, this->s_.template id<InvitationId>()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(InvitationStoreConformance, AnotherOrgsInvitationIsNotFoundAndUntouched) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto inv = this->invite(a);
  auto joiner = this->make_user();
  const auto now = this->s_.now();
  EXPECT_THAT(this->invs().get(b.org.id, inv.id), HasError(Errc::not_found));
  EXPECT_THAT(this->invs().revoke(b.org.id, inv.id, now), HasError(Errc::not_found));
  EXPECT_THAT(this->invs().accept(b.org.id, inv.id, this->s_.member(b.org.id, joiner.id), now),
              HasError(Errc::not_found));
  EXPECT_THAT(this->invs().get(a.org.id, inv.id), IsOkAndHolds(inv));
  EXPECT_THAT(this->db().memberships().get(b.org.id, joiner.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().memberships().get(a.org.id, joiner.id), HasError(Errc::not_found));
  auto listed = this->invs().list_pending(b.org.id, PageRequest{}, now);
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->items.empty());
}

TYPED_TEST_P(InvitationStoreConformance, PendingInvitationForTheSameEmailConflicts) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto first = this->invite(a, "dup@example.com");
  EXPECT_THAT(
      this->invs().create(a.org.id, this->s_.invitation(a.org.id, a.owner.id, "dup@example.com"),
                          std::nullopt, this->s_.now()),
      HasError(Errc::conflict));
  // Another org may invite the same person.
  EXPECT_THAT(
      this->invs().create(b.org.id, this->s_.invitation(b.org.id, b.owner.id, "dup@example.com"),
                          std::nullopt, this->s_.now()),
      IsOk());
  // Once revoked, the email may be invited again.
  must(this->invs().revoke(a.org.id, first.id, this->s_.now()));
  EXPECT_THAT(
      this->invs().create(a.org.id, this->s_.invitation(a.org.id, a.owner.id, "dup@example.com"),
                          std::nullopt, this->s_.now()),
      IsOk());
}

TYPED_TEST_P(InvitationStoreConformance, ExpiredInvitationDoesNotBlockANewOne) {
  auto a = this->make_tenant();
  this->invite(a, "late@example.com", std::chrono::seconds(60));
  this->s_.clock.advance(std::chrono::minutes(2));
  EXPECT_THAT(
      this->invs().create(a.org.id, this->s_.invitation(a.org.id, a.owner.id, "late@example.com"),
                          std::nullopt, this->s_.now()),
      IsOk());
}

TYPED_TEST_P(InvitationStoreConformance, InvitingAnExistingMemberConflicts) {
  auto a = this->make_tenant();
  EXPECT_THAT(
      this->invs().create(a.org.id, this->s_.invitation(a.org.id, a.owner.id, a.owner.email),
                          std::nullopt, this->s_.now()),
      HasError(Errc::conflict));
  auto listed = this->invs().list_pending(a.org.id, PageRequest{}, this->s_.now());
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->items.empty());
}

TYPED_TEST_P(InvitationStoreConformance, SeatLimitCountsMembersAndPendingInvitations) {
  auto a = this->make_tenant();
  this->add_member(a.org.id);
  this->invite(a);
  // 2 members + 1 pending = 3.
  auto inv = this->s_.invitation(a.org.id, a.owner.id);
  EXPECT_THAT(this->invs().create(a.org.id, inv, 3, this->s_.now()),
              HasError(Errc::seat_limit_reached));
  EXPECT_THAT(this->invs().get(a.org.id, inv.id), HasError(Errc::not_found));
  EXPECT_THAT(this->invs().create(a.org.id, inv, 4, this->s_.now()), IsOk());
  EXPECT_THAT(
      this->invs().create(a.org.id, this->s_.invitation(a.org.id, a.owner.id), 4, this->s_.now()),
      HasError(Errc::seat_limit_reached));
}

TYPED_TEST_P(InvitationStoreConformance, RevokeOnceThenGone) {
  auto a = this->make_tenant();
  auto inv = this->invite(a);
  const auto when = odd_micros(this->s_.now());
  auto revoked = this->invs().revoke(a.org.id, inv.id, when);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->revoked_at, std::optional(when));
  EXPECT_THAT(this->invs().get(a.org.id, inv.id), IsOkAndHolds(*revoked));
  EXPECT_THAT(this->invs().revoke(a.org.id, inv.id, this->s_.now()), HasError(Errc::gone));
  EXPECT_THAT(this->invs().revoke(a.org.id, this->s_.template id<InvitationId>(), this->s_.now()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(InvitationStoreConformance, AcceptCreatesTheMembershipOnce) {
  auto a = this->make_tenant();
  auto inv = this->invite(a);
  auto joiner = this->make_user();
  auto m = this->s_.member(a.org.id, joiner.id, {inv.role});
  const auto when = odd_micros(this->s_.now());
  EXPECT_THAT(this->invs().accept(a.org.id, inv.id, m, when), IsOkAndHolds(m));
  EXPECT_THAT(this->db().memberships().get(a.org.id, joiner.id), IsOkAndHolds(m));
  auto stored = this->invs().get(a.org.id, inv.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->accepted_at, std::optional(when));
  EXPECT_FALSE(stored->is_pending(this->s_.now()));

  auto other = this->make_user();
  EXPECT_THAT(
      this->invs().accept(a.org.id, inv.id, this->s_.member(a.org.id, other.id), this->s_.now()),
      HasError(Errc::gone));
  EXPECT_THAT(this->invs().revoke(a.org.id, inv.id, this->s_.now()), HasError(Errc::gone));
  EXPECT_THAT(this->db().memberships().get(a.org.id, other.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().memberships().count(a.org.id), IsOkAndHolds(2));
}

TYPED_TEST_P(InvitationStoreConformance, AcceptRevokedOrExpiredIsGone) {
  auto a = this->make_tenant();
  auto joiner = this->make_user();
  auto revoked = this->invite(a);
  must(this->invs().revoke(a.org.id, revoked.id, this->s_.now()));
  EXPECT_THAT(this->invs().accept(a.org.id, revoked.id, this->s_.member(a.org.id, joiner.id),
                                  this->s_.now()),
              HasError(Errc::gone));

  auto expiring = this->invite(a, {}, std::chrono::seconds(60));
  // Exactly at expires_at the invitation is no longer pending.
  EXPECT_THAT(this->invs().accept(a.org.id, expiring.id, this->s_.member(a.org.id, joiner.id),
                                  expiring.expires_at),
              HasError(Errc::gone));
  EXPECT_THAT(this->db().memberships().get(a.org.id, joiner.id), HasError(Errc::not_found));
  auto still = this->invs().get(a.org.id, expiring.id);
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->accepted_at, std::nullopt);
  EXPECT_THAT(this->invs().accept(a.org.id, this->s_.template id<InvitationId>(),
                                  this->s_.member(a.org.id, joiner.id), this->s_.now()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(InvitationStoreConformance, AcceptByAnExistingMemberConflictsAndKeepsItPending) {
  auto a = this->make_tenant();
  auto inv = this->invite(a);
  auto member = this->add_member(a.org.id);
  EXPECT_THAT(this->invs().accept(a.org.id, inv.id, this->s_.member(a.org.id, member.id, {"admin"}),
                                  this->s_.now()),
              HasError(Errc::conflict));
  auto stored = this->invs().get(a.org.id, inv.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->is_pending(this->s_.now()));
  auto m = this->db().memberships().get(a.org.id, member.id);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->roles, std::vector<std::string>{"member"});
}

TYPED_TEST_P(InvitationStoreConformance, ListPendingPaginatesAndSkipsClosedOnes) {
  auto a = this->make_tenant();
  std::vector<std::string> expected;
  for (int i = 0; i < 4; ++i) expected.push_back(this->invite(a).id.str());
  auto revoked = this->invite(a);
  must(this->invs().revoke(a.org.id, revoked.id, this->s_.now()));
  auto accepted = this->invite(a);
  must(this->invs().accept(a.org.id, accepted.id, this->s_.member(a.org.id, this->make_user().id),
                           this->s_.now()));
  this->invite(a, {}, std::chrono::seconds(30));
  this->s_.clock.advance(std::chrono::minutes(1));
  auto b = this->make_tenant();
  this->invite(b);
  const auto now = this->s_.now();
  std::sort(expected.begin(), expected.end());
  expect_paginates<storage::Invitation>(
      [&](const PageRequest& r) { return this->invs().list_pending(a.org.id, r, now); }, expected,
      [](const storage::Invitation& i) { return i.id.str(); });
}

TYPED_TEST_P(InvitationStoreConformance, ConcurrentAcceptsLetExactlyOneWin) {
  auto a = this->make_tenant();
  auto inv = this->invite(a);
  constexpr int kThreads = 6;
  std::vector<storage::Membership> ms;
  for (int i = 0; i < kThreads; ++i) ms.push_back(this->s_.member(a.org.id, this->make_user().id));
  const auto now = this->s_.now();
  std::atomic<int> accepted{0}, gone{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->invs().accept(a.org.id, inv.id, ms[static_cast<std::size_t>(i)], now);
    if (r)
      ++accepted;
    else if (r.error().code == Errc::gone)
      ++gone;
  });
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(gone.load(), kThreads - 1);
  EXPECT_THAT(this->db().memberships().count(a.org.id), IsOkAndHolds(2));
}

TYPED_TEST_P(InvitationStoreConformance, ConcurrentInvitesNeverExceedTheSeatLimit) {
  auto a = this->make_tenant();
  constexpr int kThreads = 8;
  std::vector<storage::Invitation> invs;
  for (int i = 0; i < kThreads; ++i) invs.push_back(this->s_.invitation(a.org.id, a.owner.id));
  const auto now = this->s_.now();
  std::atomic<int> created{0}, full{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->invs().create(a.org.id, invs[static_cast<std::size_t>(i)], 5, now);
    if (r)
      ++created;
    else if (r.error().code == Errc::seat_limit_reached)
      ++full;
  });
  EXPECT_EQ(created.load(), 4);
  EXPECT_EQ(full.load(), kThreads - 4);
  auto listed = this->invs().list_pending(a.org.id, PageRequest{}, now);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->items.size(), 4u);
}

REGISTER_TYPED_TEST_SUITE_P(InvitationStoreConformance, CreateGetAndFindByTokenHashRoundTrip,
                            AnotherOrgsInvitationIsNotFoundAndUntouched,
                            PendingInvitationForTheSameEmailConflicts,
                            ExpiredInvitationDoesNotBlockANewOne, InvitingAnExistingMemberConflicts,
                            SeatLimitCountsMembersAndPendingInvitations, RevokeOnceThenGone,
                            AcceptCreatesTheMembershipOnce, AcceptRevokedOrExpiredIsGone,
                            AcceptByAnExistingMemberConflictsAndKeepsItPending,
                            ListPendingPaginatesAndSkipsClosedOnes,
                            ConcurrentAcceptsLetExactlyOneWin,
                            ConcurrentInvitesNeverExceedTheSeatLimit);

}  // namespace tenantkit::testing
