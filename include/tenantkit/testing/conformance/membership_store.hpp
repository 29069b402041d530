// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::MembershipStore: tenant isolation, pagination by user id, the
// last-owner rule (also under concurrent removals), seat limits counting members plus pending
// invitations (also under concurrent adds), external ids. Instantiate in namespace
// tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class MembershipStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::MembershipStore& members() { return this->db().memberships(); }
};
TYPED_TEST_SUITE_P(MembershipStoreConformance);

TYPED_TEST_P(MembershipStoreConformance, AddGetRoundTripAndCounts) {
  auto t = this->make_tenant();
  auto u = this->make_user();
  auto m = this->s_.member(t.org.id, u.id, {"admin", "billing"});
  m.joined_at = odd_micros(m.joined_at);
  m.external_id = "ext-1";
  m.active = false;
  EXPECT_THAT(this->members().add(t.org.id, m, std::nullopt), IsOkAndHolds(m));
  EXPECT_THAT(this->members().get(t.org.id, u.id), IsOkAndHolds(m));
  EXPECT_THAT(this->members().count(t.org.id), IsOkAndHolds(2));
  EXPECT_THAT(this->members().count_with_role(t.org.id, "owner"), IsOkAndHolds(1));
  EXPECT_THAT(this->members().count_with_role(t.org.id, "billing"), IsOkAndHolds(1));
  EXPECT_THAT(this->members().count_with_role(t.org.id, "readonly"), IsOkAndHolds(0));
}

TYPED_TEST_P(MembershipStoreConformance, AddTwiceConflictsAndAbsentOrgIsNotFound) {
  auto t = this->make_tenant();
  auto u = this->add_member(t.org.id);
  EXPECT_THAT(
      this->members().add(t.org.id, this->s_.member(t.org.id, u.id, {"admin"}), std::nullopt),
      HasError(Errc::conflict));
  auto stored = this->members().get(t.org.id, u.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->roles, std::vector<std::string>{"member"});

  auto ghost_org = this->s_.template id<OrgId>();
  EXPECT_THAT(this->members().add(ghost_org, this->s_.member(ghost_org, u.id), std::nullopt),
              HasError(Errc::not_found));
  EXPECT_THAT(this->members().get(t.org.id, this->s_.template id<UserId>()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(MembershipStoreConformance, AnotherOrgsMemberIsNotFoundAndUntouched) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto u = this->add_member(a.org.id);
  auto before = must(this->members().get(a.org.id, u.id));
  const OrgId& other = b.org.id;
  EXPECT_THAT(this->members().get(other, u.id), HasError(Errc::not_found));
  EXPECT_THAT(this->members().set_roles(other, u.id, {"owner"}), HasError(Errc::not_found));
  EXPECT_THAT(this->members().set_active(other, u.id, false), HasError(Errc::not_found));
  EXPECT_THAT(this->members().set_external_id(other, u.id, "x"), HasError(Errc::not_found));
  EXPECT_THAT(this->members().set_scim_profile(other, u.id, "x", "{}"), HasError(Errc::not_found));
  EXPECT_THAT(this->members().remove(other, u.id), HasError(Errc::not_found));
  EXPECT_THAT(this->members().get(a.org.id, u.id), IsOkAndHolds(before));
  EXPECT_THAT(this->members().count(other), IsOkAndHolds(1));
  auto listed = this->members().list(other, PageRequest{});
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].user, b.owner.id);
}

TYPED_TEST_P(MembershipStoreConformance, ListPaginatesInUserIdOrder) {
  auto t = this->make_tenant();
  std::vector<std::string> expected{t.owner.id.str()};
  for (int i = 0; i < 5; ++i) expected.push_back(this->add_member(t.org.id).id.str());
  std::sort(expected.begin(), expected.end());
  auto other = this->make_tenant();
  this->add_member(other.org.id);
  expect_paginates<storage::Membership>(
      [&](const PageRequest& r) { return this->members().list(t.org.id, r); }, expected,
      [](const storage::Membership& m) { return m.user.str(); });
}

TYPED_TEST_P(MembershipStoreConformance, ListForUserSpansOrgsInOrgIdOrder) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto c = this->make_tenant();
  auto u = this->make_user();
  must(this->members().add(c.org.id, this->s_.member(c.org.id, u.id), std::nullopt));
  must(this->members().add(a.org.id, this->s_.member(a.org.id, u.id, {"admin"}), std::nullopt));
  auto mine = this->members().list_for_user(u.id);
  ASSERT_THAT(mine, IsOk());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].org, a.org.id);
  EXPECT_EQ((*mine)[0].roles, std::vector<std::string>{"admin"});
  EXPECT_EQ((*mine)[1].org, c.org.id);
  EXPECT_THAT(this->members().list_for_user(this->s_.template id<UserId>()),
              IsOkAndHolds(::testing::IsEmpty()));
}

TYPED_TEST_P(MembershipStoreConformance, LastActiveOwnerCannotBeDemotedSuspendedOrRemoved) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  EXPECT_THAT(this->members().set_roles(org, t.owner.id, {"admin"}), HasError(Errc::conflict));
  EXPECT_THAT(this->members().set_roles(org, t.owner.id, {}), HasError(Errc::conflict));
  EXPECT_THAT(this->members().set_active(org, t.owner.id, false), HasError(Errc::conflict));
  EXPECT_THAT(this->members().remove(org, t.owner.id), HasError(Errc::conflict));
  auto owner = this->members().get(org, t.owner.id);
  ASSERT_THAT(owner, IsOk());
  EXPECT_EQ(owner->roles, std::vector<std::string>{"owner"});
  EXPECT_TRUE(owner->active);
  // Keeping "owner" among other roles is fine.
  EXPECT_THAT(this->members().set_roles(org, t.owner.id, {"admin", "owner"}), IsOk());
}

TYPED_TEST_P(MembershipStoreConformance, ASecondActiveOwnerUnlocksTheFirst) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  auto second = this->add_member(org, {"owner"});
  // A suspended owner does not count as an owner.
  ASSERT_THAT(this->members().set_active(org, second.id, false), IsOk());
  EXPECT_THAT(this->members().remove(org, t.owner.id), HasError(Errc::conflict));
  EXPECT_THAT(this->members().set_roles(org, t.owner.id, {"member"}), HasError(Errc::conflict));
  ASSERT_THAT(this->members().set_active(org, second.id, true), IsOk());

  auto demoted = this->members().set_roles(org, t.owner.id, {"member"});
  ASSERT_THAT(demoted, IsOk());
  EXPECT_EQ(demoted->roles, std::vector<std::string>{"member"});
  // Now the second owner is the last one.
  EXPECT_THAT(this->members().remove(org, second.id), HasError(Errc::conflict));
  EXPECT_THAT(this->members().remove(org, t.owner.id), IsOk());
  EXPECT_THAT(this->members().get(org, t.owner.id), HasError(Errc::not_found));
  EXPECT_THAT(this->members().count_with_role(org, "owner"), IsOkAndHolds(1));
}

TYPED_TEST_P(MembershipStoreConformance, NonOwnersChangeFreely) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  auto u = this->add_member(org);
  auto r = this->members().set_roles(org, u.id, {"admin", "billing"});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->roles, (std::vector<std::string>{"admin", "billing"}));
  auto off = this->members().set_active(org, u.id, false);
  ASSERT_THAT(off, IsOk());
  EXPECT_FALSE(off->active);
  auto stored = this->members().get(org, u.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_FALSE(stored->active);
  EXPECT_EQ(stored->roles, (std::vector<std::string>{"admin", "billing"}));
  EXPECT_THAT(this->members().remove(org, u.id), IsOk());
  EXPECT_THAT(this->members().get(org, u.id), HasError(Errc::not_found));
  EXPECT_THAT(this->members().remove(org, u.id), HasError(Errc::not_found));
  EXPECT_THAT(this->members().count(org), IsOkAndHolds(1));
}

TYPED_TEST_P(MembershipStoreConformance, ExternalIdIsUniqueWithinAnOrgOnly) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto u1 = this->add_member(a.org.id);
  auto u2 = this->add_member(a.org.id);
  auto set = this->members().set_external_id(a.org.id, u1.id, "dir-42");
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->external_id, "dir-42");
  EXPECT_THAT(this->members().set_external_id(a.org.id, u2.id, "dir-42"), HasError(Errc::conflict));
  auto u2_now = this->members().get(a.org.id, u2.id);
  ASSERT_THAT(u2_now, IsOk());
  EXPECT_EQ(u2_now->external_id, "");
  // Setting one's own id again is no conflict; another org may reuse it.
  EXPECT_THAT(this->members().set_external_id(a.org.id, u1.id, "dir-42"), IsOk());
  EXPECT_THAT(this->members().set_external_id(b.org.id, b.owner.id, "dir-42"), IsOk());
}

TYPED_TEST_P(MembershipStoreConformance, ScimProfileRoundTripsWithItsExternalId) {
  auto a = this->make_tenant();
  auto u1 = this->add_member(a.org.id);
  auto u2 = this->add_member(a.org.id);
  const std::string profile = R"({"name":{"givenName":"Zoë"},"version":3})";
  auto set = this->members().set_scim_profile(a.org.id, u1.id, "dir-7", profile);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->scim_profile, profile);
  EXPECT_EQ(set->external_id, "dir-7");
  EXPECT_THAT(this->members().get(a.org.id, u1.id), IsOkAndHolds(*set));
  auto listed = this->members().list_for_user(u1.id);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].scim_profile, profile);
  // The external id stays unique in the org; a refused write changes neither field.
  EXPECT_THAT(this->members().set_scim_profile(a.org.id, u2.id, "dir-7", "{}"),
              HasError(Errc::conflict));
  auto u2_now = this->members().get(a.org.id, u2.id);
  ASSERT_THAT(u2_now, IsOk());
  EXPECT_EQ(u2_now->scim_profile, "");
  EXPECT_EQ(u2_now->external_id, "");
  // add() stores a profile given up front.
  auto u3 = this->make_user();
  auto m = this->s_.member(a.org.id, u3.id);
  m.scim_profile = "{}";
  EXPECT_THAT(this->members().add(a.org.id, m, std::nullopt), IsOkAndHolds(m));
}

TYPED_TEST_P(MembershipStoreConformance, SeatLimitCountsMembersAndPendingInvitations) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  // 1 owner + 1 pending invitation = 2 seats used.
  must(this->db().invitations().create(org, this->s_.invitation(org, t.owner.id), std::nullopt,
                                       this->s_.now()));
  // A revoked and an expired invitation hold no seat.
  auto revoked = must(this->db().invitations().create(org, this->s_.invitation(org, t.owner.id),
                                                      std::nullopt, this->s_.now()));
  must(this->db().invitations().revoke(org, revoked.id, this->s_.now()));
  must(this->db().invitations().create(
      org, this->s_.invitation(org, t.owner.id, {}, std::chrono::seconds(60)), std::nullopt,
      this->s_.now()));
  this->s_.clock.advance(std::chrono::minutes(5));

  auto u = this->make_user();
  EXPECT_THAT(this->members().add(org, this->s_.member(org, u.id), 2),
              HasError(Errc::seat_limit_reached));
  EXPECT_THAT(this->members().get(org, u.id), HasError(Errc::not_found));
  EXPECT_THAT(this->members().add(org, this->s_.member(org, u.id), 3), IsOk());
  auto v = this->make_user();
  EXPECT_THAT(this->members().add(org, this->s_.member(org, v.id), 3),
              HasError(Errc::seat_limit_reached));
  EXPECT_THAT(this->members().count(org), IsOkAndHolds(2));
}

TYPED_TEST_P(MembershipStoreConformance, ConcurrentAddsNeverExceedTheSeatLimit) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  constexpr int kThreads = 8;
  constexpr std::int64_t kSeats = 4;
  std::vector<storage::Membership> ms;
  for (int i = 0; i < kThreads; ++i) ms.push_back(this->s_.member(org, this->make_user().id));
  std::atomic<int> added{0}, full{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->members().add(org, ms[static_cast<std::size_t>(i)], kSeats);
    if (r)
      ++added;
    else if (r.error().code == Errc::seat_limit_reached)
      ++full;
  });
  EXPECT_EQ(added.load(), kSeats - 1);
  EXPECT_EQ(full.load(), kThreads - (kSeats - 1));
  EXPECT_THAT(this->members().count(org), IsOkAndHolds(kSeats));
}

TYPED_TEST_P(MembershipStoreConformance, ConcurrentOwnerRemovalsKeepOneOwner) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  std::vector<UserId> owners{t.owner.id};
  for (int i = 0; i < 3; ++i) owners.push_back(this->add_member(org, {"owner"}).id);
  std::atomic<int> removed{0}, refused{0};
  run_concurrently(static_cast<int>(owners.size()), [&](int i) {
    auto r = this->members().remove(org, owners[static_cast<std::size_t>(i)]);
    if (r)
      ++removed;
    else if (r.error().code == Errc::conflict)
      ++refused;
  });
  EXPECT_EQ(removed.load(), 3);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_THAT(this->members().count_with_role(org, "owner"), IsOkAndHolds(1));
  EXPECT_THAT(this->members().count(org), IsOkAndHolds(1));
}

TYPED_TEST_P(MembershipStoreConformance, ConcurrentDemotionsKeepOneActiveOwner) {
  auto t = this->make_tenant();
  const OrgId& org = t.org.id;
  std::vector<UserId> owners{t.owner.id};
  for (int i = 0; i < 3; ++i) owners.push_back(this->add_member(org, {"owner"}).id);
  std::atomic<int> changed{0};
  run_concurrently(static_cast<int>(owners.size()) * 2, [&](int i) {
    const auto& who = owners[static_cast<std::size_t>(i) % owners.size()];
    auto r = i % 2 == 0 ? this->members().set_roles(org, who, {"admin"})
                        : this->members().set_active(org, who, false);
    if (r) ++changed;
  });
  int active_owners = 0;
  for (const auto& m : collect_all<storage::Membership>(
           [&](const PageRequest& r) { return this->members().list(org, r); }, 50)) {
    if (m.active && std::find(m.roles.begin(), m.roles.end(), "owner") != m.roles.end())
      ++active_owners;
  }
  EXPECT_EQ(active_owners, 1);
  EXPECT_EQ(changed.load(), 6);  // both changes of every owner but the last
}

REGISTER_TYPED_TEST_SUITE_P(
    MembershipStoreConformance, AddGetRoundTripAndCounts, AddTwiceConflictsAndAbsentOrgIsNotFound,
    AnotherOrgsMemberIsNotFoundAndUntouched, ListPaginatesInUserIdOrder,
    ListForUserSpansOrgsInOrgIdOrder, LastActiveOwnerCannotBeDemotedSuspendedOrRemoved,
    ASecondActiveOwnerUnlocksTheFirst, NonOwnersChangeFreely, ExternalIdIsUniqueWithinAnOrgOnly,
    ScimProfileRoundTripsWithItsExternalId, SeatLimitCountsMembersAndPendingInvitations,
    ConcurrentAddsNeverExceedTheSeatLimit, ConcurrentOwnerRemovalsKeepOneOwner,
    ConcurrentDemotionsKeepOneActiveOwner);

}  // namespace tenantkit::testing
