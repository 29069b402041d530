// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::ScimGroupStore: round trip (members in order, microsecond
// times), displayName unique per org case-insensitively, update/remove, update as a
// compare-and-set on the version, tenant isolation,
// org deletion. Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <algorithm>
#include <cctype>

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class ScimGroupStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::ScimGroupStore& groups() { return this->db().scim_groups(); }
};
TYPED_TEST_SUITE_P(ScimGroupStoreConformance);

TYPED_TEST_P(ScimGroupStoreConformance, CreateGetListRoundTrip) {
  auto a = this->make_tenant();
  auto m1 = this->add_member(a.org.id);
  auto g = this->s_.scim_group(a.org.id, {m1.id, a.owner.id});
  g.created_at = odd_micros(g.created_at);
  g.updated_at = g.created_at;
  EXPECT_THAT(this->groups().create(a.org.id, g), IsOkAndHolds(g));
  EXPECT_THAT(this->groups().get(a.org.id, g.id), IsOkAndHolds(g));
  auto h = this->s_.scim_group(a.org.id);
  must(this->groups().create(a.org.id, h));
  auto all = must(this->groups().list(a.org.id));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], g.id < h.id ? g : h);
  EXPECT_EQ(all[1], g.id < h.id ? h : g);
  EXPECT_THAT(this->groups().get(a.org.id, this->s_.template id<ScimGroupId>()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(ScimGroupStoreConformance, DisplayNameIsUniquePerOrgIgnoringCase) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto g = must(this->groups().create(a.org.id, this->s_.scim_group(a.org.id)));
  auto clash = this->s_.scim_group(a.org.id);
  clash.display_name = g.display_name;
  std::transform(clash.display_name.begin(), clash.display_name.end(), clash.display_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  EXPECT_THAT(this->groups().create(a.org.id, clash), HasError(Errc::conflict));
  // Another org may use the name.
  auto theirs = this->s_.scim_group(b.org.id);
  theirs.display_name = g.display_name;
  EXPECT_THAT(this->groups().create(b.org.id, theirs), IsOk());
  // Renaming onto a taken name conflicts too; the group is unchanged.
  auto other = must(this->groups().create(a.org.id, this->s_.scim_group(a.org.id)));
  auto renamed = other;
  renamed.display_name = clash.display_name;
  EXPECT_THAT(this->groups().update(a.org.id, renamed, other.version), HasError(Errc::conflict));
  EXPECT_THAT(this->groups().get(a.org.id, other.id), IsOkAndHolds(other));
  // Keeping one's own name (another case) is fine.
  renamed = g;
  renamed.display_name = clash.display_name;
  EXPECT_THAT(this->groups().update(a.org.id, renamed, g.version), IsOk());
}

TYPED_TEST_P(ScimGroupStoreConformance, UpdateAndRemove) {
  auto a = this->make_tenant();
  auto m1 = this->add_member(a.org.id);
  auto g = must(this->groups().create(a.org.id, this->s_.scim_group(a.org.id, {m1.id})));
  auto next = g;
  next.display_name = this->s_.unique("Renamed");
  next.external_id = "";
  next.members = {a.owner.id, m1.id};
  next.version = 2;
  next.updated_at = odd_micros(g.updated_at + std::chrono::seconds(5));
  EXPECT_THAT(this->groups().update(a.org.id, next, g.version), IsOkAndHolds(next));
  EXPECT_THAT(this->groups().get(a.org.id, g.id), IsOkAndHolds(next));
  EXPECT_THAT(this->groups().remove(a.org.id, g.id), IsOk());
  EXPECT_THAT(this->groups().get(a.org.id, g.id), HasError(Errc::not_found));
  EXPECT_THAT(this->groups().remove(a.org.id, g.id), HasError(Errc::not_found));
  EXPECT_THAT(this->groups().update(a.org.id, next, next.version), HasError(Errc::not_found));
}

// update() is a compare-and-set on the version: of two read-modify-writes from one read, the
// second gets conflict and changes nothing (it must read again), so no update is lost.
TYPED_TEST_P(ScimGroupStoreConformance, UpdateFromAStaleVersionConflicts) {
  auto a = this->make_tenant();
  auto m1 = this->add_member(a.org.id);
  auto m2 = this->add_member(a.org.id);
  auto base = must(this->groups().create(a.org.id, this->s_.scim_group(a.org.id)));
  auto first = base;
  first.members = {m1.id};
  first.version = base.version + 1;
  auto second = base;
  second.members = {m2.id};
  second.version = base.version + 1;
  EXPECT_THAT(this->groups().update(a.org.id, first, base.version), IsOkAndHolds(first));
  EXPECT_THAT(this->groups().update(a.org.id, second, base.version), HasError(Errc::conflict));
  EXPECT_THAT(this->groups().get(a.org.id, base.id), IsOkAndHolds(first));
  // Read again, change, store: both members are kept.
  auto again = must(this->groups().get(a.org.id, base.id));
  auto merged = again;
  merged.members.push_back(m2.id);
  merged.version = again.version + 1;
  EXPECT_THAT(this->groups().update(a.org.id, merged, again.version), IsOkAndHolds(merged));
  // A version ahead of the stored one is no better than one behind.
  auto ahead = merged;
  ahead.version = merged.version + 5;
  EXPECT_THAT(this->groups().update(a.org.id, ahead, merged.version + 1), HasError(Errc::conflict));
  EXPECT_THAT(this->groups().get(a.org.id, base.id), IsOkAndHolds(merged));

  // Concurrent read-modify-writes, each retrying on conflict: every member added is kept.
  constexpr int kThreads = 4;
  std::vector<storage::User> users;
  for (int i = 0; i < kThreads; ++i) users.push_back(this->add_member(a.org.id));
  run_concurrently(kThreads, [&](int i) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto cur = this->groups().get(a.org.id, base.id);
      ASSERT_THAT(cur, IsOk());
      auto next = *cur;
      next.members.push_back(users[static_cast<std::size_t>(i)].id);
      next.version = cur->version + 1;
      auto r = this->groups().update(a.org.id, next, cur->version);
      if (r) return;
      ASSERT_EQ(r.error().code, Errc::conflict);
    }
    ADD_FAILURE() << "no update succeeded in 100 attempts";
  });
  auto final_group = must(this->groups().get(a.org.id, base.id));
  EXPECT_EQ(final_group.members.size(), 2u + kThreads);
  EXPECT_EQ(final_group.version, merged.version + kThreads);
}

TYPED_TEST_P(ScimGroupStoreConformance, AnotherOrgsGroupIsNotFoundAndUntouched) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto g = must(this->groups().create(a.org.id, this->s_.scim_group(a.org.id, {a.owner.id})));
  EXPECT_THAT(this->groups().get(b.org.id, g.id), HasError(Errc::not_found));
  auto hijack = g;
  hijack.members = {};
  EXPECT_THAT(this->groups().update(b.org.id, hijack, g.version), HasError(Errc::not_found));
  EXPECT_THAT(this->groups().remove(b.org.id, g.id), HasError(Errc::not_found));
  EXPECT_TRUE(must(this->groups().list(b.org.id)).empty());
  EXPECT_THAT(this->groups().get(a.org.id, g.id), IsOkAndHolds(g));
  auto ghost = this->s_.template id<OrgId>();
  EXPECT_THAT(this->groups().create(ghost, this->s_.scim_group(ghost)), HasError(Errc::not_found));
}

TYPED_TEST_P(ScimGroupStoreConformance, DeletingTheOrgDeletesItsGroups) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto g = must(this->groups().create(a.org.id, this->s_.scim_group(a.org.id)));
  auto h = must(this->groups().create(b.org.id, this->s_.scim_group(b.org.id)));
  ASSERT_THAT(this->db().orgs().remove(a.org.id), IsOk());
  EXPECT_THAT(this->groups().get(a.org.id, g.id), HasError(Errc::not_found));
  EXPECT_THAT(this->groups().get(b.org.id, h.id), IsOkAndHolds(h));
}

REGISTER_TYPED_TEST_SUITE_P(ScimGroupStoreConformance, CreateGetListRoundTrip,
                            DisplayNameIsUniquePerOrgIgnoringCase, UpdateAndRemove,
                            UpdateFromAStaleVersionConflicts,
                            AnotherOrgsGroupIsNotFoundAndUntouched, DeletingTheOrgDeletesItsGroups);

}  // namespace tenantkit::testing
