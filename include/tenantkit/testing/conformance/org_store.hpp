// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::OrgStore: create with the first owner, slug uniqueness, update,
// and org deletion cascading to every tenant-owned record while other orgs stay untouched.
// Instantiate with INSTANTIATE_TYPED_TEST_SUITE_P(Name, OrgStoreConformance, Backend) inside
// namespace tenantkit::testing (or use conformance/all.hpp).
#pragma once

#include <algorithm>

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class OrgStoreConformance : public StorageConformanceTest<Backend> {};
TYPED_TEST_SUITE_P(OrgStoreConformance);

TYPED_TEST_P(OrgStoreConformance, CreateStoresOrgAndOwnerAtMicrosecondPrecision) {
  auto owner = this->make_user();
  auto org = this->s_.org();
  org.created_at = odd_micros(org.created_at);
  org.updated_at = odd_micros(org.updated_at) + std::chrono::microseconds(1);
  auto m = this->s_.member(org.id, owner.id, {"owner"});
  m.joined_at = odd_micros(m.joined_at);
  EXPECT_THAT(this->db().orgs().create(org, m), IsOkAndHolds(org));
  EXPECT_THAT(this->db().orgs().get(org.id), IsOkAndHolds(org));
  EXPECT_THAT(this->db().memberships().get(org.id, owner.id), IsOkAndHolds(m));
  EXPECT_THAT(this->db().orgs().find_by_slug(org.slug), IsOkAndHolds(std::optional(org)));
  EXPECT_THAT(this->db().orgs().count(), IsOkAndHolds(1));
}

TYPED_TEST_P(OrgStoreConformance, CreateConflictsOnTakenIdOrSlug) {
  auto a = this->make_tenant();
  auto other = this->make_user();

  auto same_id = this->s_.org();
  same_id.id = a.org.id;
  EXPECT_THAT(this->db().orgs().create(same_id, this->s_.member(a.org.id, other.id, {"owner"})),
              HasError(Errc::conflict));

  auto same_slug = this->s_.org();
  same_slug.slug = a.org.slug;
  EXPECT_THAT(
      this->db().orgs().create(same_slug, this->s_.member(same_slug.id, other.id, {"owner"})),
      HasError(Errc::conflict));

  // Nothing of the failed creates was kept.
  EXPECT_THAT(this->db().orgs().get(same_slug.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().memberships().get(same_slug.id, other.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().memberships().get(a.org.id, other.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().orgs().get(a.org.id), IsOkAndHolds(a.org));
  EXPECT_THAT(this->db().orgs().count(), IsOkAndHolds(1));
}

TYPED_TEST_P(OrgStoreConformance, AbsentOrgIsNotFoundAndUnknownSlugIsNullopt) {
  auto id = this->s_.template id<OrgId>();
  EXPECT_THAT(this->db().orgs().get(id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().orgs().find_by_slug("no-such-org"),
              IsOkAndHolds(std::optional<storage::Org>()));
  EXPECT_THAT(this->db().orgs().update(id, "x", "x", this->s_.now()), HasError(Errc::not_found));
  EXPECT_THAT(this->db().orgs().remove(id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().orgs().count(), IsOkAndHolds(0));
}

TYPED_TEST_P(OrgStoreConformance, UpdateReplacesNameAndSlug) {
  auto a = this->make_tenant();
  const auto when = odd_micros(this->s_.now());
  auto updated = this->db().orgs().update(a.org.id, "Renamed", "renamed-org", when);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->slug, "renamed-org");
  EXPECT_EQ(updated->updated_at, when);
  EXPECT_EQ(updated->created_at, a.org.created_at);
  EXPECT_THAT(this->db().orgs().get(a.org.id), IsOkAndHolds(*updated));
  EXPECT_THAT(this->db().orgs().find_by_slug(a.org.slug),
              IsOkAndHolds(std::optional<storage::Org>()));
  EXPECT_THAT(this->db().orgs().find_by_slug("renamed-org"), IsOkAndHolds(std::optional(*updated)));
  // Keeping one's own slug is no conflict.
  EXPECT_THAT(this->db().orgs().update(a.org.id, "Again", "renamed-org", when), IsOk());
}

TYPED_TEST_P(OrgStoreConformance, UpdateToAnotherOrgsSlugConflictsAndChangesNothing) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  EXPECT_THAT(this->db().orgs().update(a.org.id, "New name", b.org.slug, this->s_.now()),
              HasError(Errc::conflict));
  EXPECT_THAT(this->db().orgs().get(a.org.id), IsOkAndHolds(a.org));
  EXPECT_THAT(this->db().orgs().get(b.org.id), IsOkAndHolds(b.org));
}

TYPED_TEST_P(OrgStoreConformance, RemoveCascadesToEveryRecordOfTheOrgOnly) {
  auto& db = this->db();
  auto& s = this->s_;
  struct Seeded {
    SampleTenant t;
    storage::User member;
    storage::Invitation inv;
    storage::ApiKey key;
    storage::Role role;
    storage::Workspace ws;
    storage::ScimToken scim;
    std::string customer;
  };
  auto seed = [&](std::string customer) {
    Seeded x;
    x.t = this->make_tenant();
    const OrgId& org = x.t.org.id;
    x.role = must(db.roles().create(org, s.role(org)));
    x.member = this->add_member(org, {"member", x.role.name});
    x.inv =
        must(db.invitations().create(org, s.invitation(org, x.t.owner.id), std::nullopt, s.now()));
    x.key = must(db.api_keys().create(org, s.api_key(org, x.t.owner.id), std::nullopt));
    must(db.usage().record(org, s.usage(org, "api_calls", 5)));
    storage::Subscription sub;
    sub.org = org;
    sub.plan = "pro";
    sub.status = "active";
    sub.customer_id = customer;
    sub.last_event_at = s.now();
    sub.updated_at = s.now();
    EXPECT_THAT(db.subscriptions().put_if_newer(org, sub), IsOkAndHolds(true));
    x.customer = customer;
    must(db.audit().append(org, s.audit_event(org)));
    x.ws = must(db.workspaces().create(org, s.workspace(org), std::nullopt));
    x.scim = must(db.scim_tokens().replace(org, s.scim_token(org)));
    return x;
  };
  Seeded a = seed("cus_a");
  Seeded b = seed("cus_b");
  const Timestamp from = Timestamp{} + std::chrono::hours(1);
  const Timestamp to = s.now() + std::chrono::hours(1);

  ASSERT_THAT(db.orgs().remove(a.t.org.id), IsOk());

  const OrgId& ga = a.t.org.id;
  EXPECT_THAT(db.orgs().get(ga), HasError(Errc::not_found));
  EXPECT_THAT(db.orgs().find_by_slug(a.t.org.slug), IsOkAndHolds(std::optional<storage::Org>()));
  EXPECT_THAT(db.memberships().get(ga, a.t.owner.id), HasError(Errc::not_found));
  EXPECT_THAT(db.memberships().count(ga), IsOkAndHolds(0));
  EXPECT_THAT(db.memberships().list_for_user(a.member.id), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(db.invitations().get(ga, a.inv.id), HasError(Errc::not_found));
  EXPECT_THAT(db.invitations().find_by_token_hash(a.inv.token_hash),
              IsOkAndHolds(std::optional<storage::Invitation>()));
  EXPECT_THAT(db.api_keys().get(ga, a.key.id), HasError(Errc::not_found));
  EXPECT_THAT(db.api_keys().find_by_prefix(a.key.prefix),
              IsOkAndHolds(std::optional<storage::ApiKey>()));
  EXPECT_THAT(db.roles().list(ga), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(db.usage().total(ga, "api_calls", from, to), IsOkAndHolds(0));
  EXPECT_THAT(db.subscriptions().get(ga), HasError(Errc::not_found));
  EXPECT_THAT(db.subscriptions().find_by_customer("cus_a"), IsOkAndHolds(std::optional<OrgId>()));
  EXPECT_THAT(db.audit().read_chain(ga, 0, 100), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(db.workspaces().count(ga), IsOkAndHolds(0));
  EXPECT_THAT(db.workspaces().get(ga, a.ws.id), HasError(Errc::not_found));
  EXPECT_THAT(db.scim_tokens().find_by_hash(a.scim.token_hash),
              IsOkAndHolds(std::optional<storage::ScimToken>()));
  // Users are global: they outlive the org.
  EXPECT_THAT(db.users().get(a.t.owner.id), IsOkAndHolds(a.t.owner));
  EXPECT_THAT(db.users().get(a.member.id), IsOkAndHolds(a.member));

  const OrgId& gb = b.t.org.id;
  EXPECT_THAT(db.orgs().get(gb), IsOkAndHolds(b.t.org));
  EXPECT_THAT(db.memberships().count(gb), IsOkAndHolds(2));
  EXPECT_THAT(db.invitations().get(gb, b.inv.id), IsOkAndHolds(b.inv));
  EXPECT_THAT(db.api_keys().get(gb, b.key.id), IsOkAndHolds(b.key));
  EXPECT_THAT(db.roles().get(gb, b.role.name), IsOkAndHolds(b.role));
  EXPECT_THAT(db.usage().total(gb, "api_calls", from, to), IsOkAndHolds(5));
  auto sub_b = db.subscriptions().get(gb);
  ASSERT_THAT(sub_b, IsOk());
  EXPECT_EQ(sub_b->plan, "pro");
  EXPECT_THAT(db.subscriptions().find_by_customer("cus_b"), IsOkAndHolds(std::optional(gb)));
  EXPECT_THAT(db.audit().read_chain(gb, 0, 100), IsOkAndHolds(::testing::SizeIs(1)));
  EXPECT_THAT(db.workspaces().get(gb, b.ws.id), IsOkAndHolds(b.ws));
  EXPECT_THAT(db.scim_tokens().find_by_hash(b.scim.token_hash),
              IsOkAndHolds(std::optional(b.scim)));
  EXPECT_THAT(db.orgs().count(), IsOkAndHolds(1));

  // The slug is free again, and a second remove finds nothing.
  auto again = s.org();
  again.slug = a.t.org.slug;
  EXPECT_THAT(db.orgs().create(again, s.member(again.id, a.t.owner.id, {"owner"})), IsOk());
  EXPECT_THAT(db.orgs().remove(ga), HasError(Errc::not_found));
}

// A write for an org that was removed (or never existed) answers not_found and stores nothing:
// no rows that belong to no org, and a batch naming such an org stores nothing at all.
TYPED_TEST_P(OrgStoreConformance, WritesForARemovedOrUnknownOrgAreNotFound) {
  auto& db = this->db();
  auto& s = this->s_;
  auto kept = this->make_tenant();
  auto gone = this->make_tenant();
  auto invitee = this->make_user();
  auto inv = must(db.invitations().create(gone.org.id, s.invitation(gone.org.id, gone.owner.id),
                                          std::nullopt, s.now()));
  ASSERT_THAT(db.orgs().remove(gone.org.id), IsOk());
  const Timestamp from = Timestamp{} + std::chrono::hours(1);
  for (const OrgId& org : {gone.org.id, s.template id<OrgId>()}) {
    auto user = this->make_user();
    EXPECT_THAT(db.api_keys().create(org, s.api_key(org, user.id), std::nullopt),
                HasError(Errc::not_found));
    EXPECT_THAT(db.api_keys().create(org, s.api_key(org, user.id), 10), HasError(Errc::not_found));
    EXPECT_THAT(db.workspaces().create(org, s.workspace(org), std::nullopt),
                HasError(Errc::not_found));
    EXPECT_THAT(db.workspaces().create(org, s.workspace(org), 10), HasError(Errc::not_found));
    EXPECT_THAT(db.roles().create(org, s.role(org)), HasError(Errc::not_found));
    EXPECT_THAT(db.memberships().add(org, s.member(org, user.id), std::nullopt),
                HasError(Errc::not_found));
    EXPECT_THAT(db.invitations().create(org, s.invitation(org, user.id), std::nullopt, s.now()),
                HasError(Errc::not_found));
    EXPECT_THAT(db.invitations().create(org, s.invitation(org, user.id), 10, s.now()),
                HasError(Errc::not_found));
    EXPECT_THAT(db.usage().record(org, s.usage(org, "api_calls", 1)), HasError(Errc::not_found));
    EXPECT_THAT(db.audit().append(org, s.audit_event(org)), HasError(Errc::not_found));
    EXPECT_THAT(db.scim_tokens().replace(org, s.scim_token(org)), HasError(Errc::not_found));
    EXPECT_THAT(db.scim_groups().create(org, s.scim_group(org)), HasError(Errc::not_found));
    storage::Subscription sub;
    sub.org = org;
    sub.updated_at = s.now();
    EXPECT_THAT(db.subscriptions().put_if_newer(org, sub), HasError(Errc::not_found));
    // All or nothing: the event of the existing org is not counted either.
    EXPECT_THAT(db.usage().record_batch(
                    {s.usage(kept.org.id, "api_calls", 3), s.usage(org, "api_calls", 1)}),
                HasError(Errc::not_found));
    // Nothing was stored for the org.
    EXPECT_THAT(
        db.api_keys().list(org, {}),
        IsOkAndHolds(::testing::Field(&Page<storage::ApiKey>::items, ::testing::IsEmpty())));
    EXPECT_THAT(db.workspaces().count(org), IsOkAndHolds(0));
    EXPECT_THAT(db.roles().list(org), IsOkAndHolds(::testing::IsEmpty()));
    EXPECT_THAT(db.memberships().count(org), IsOkAndHolds(0));
    EXPECT_THAT(db.usage().total(org, "api_calls", from, s.now() + std::chrono::hours(1)),
                IsOkAndHolds(0));
    EXPECT_THAT(db.audit().read_chain(org, 0, 100), IsOkAndHolds(::testing::IsEmpty()));
    EXPECT_THAT(db.scim_groups().list(org), IsOkAndHolds(::testing::IsEmpty()));
  }
  EXPECT_THAT(
      db.invitations().accept(gone.org.id, inv.id, s.member(gone.org.id, invitee.id), s.now()),
      HasError(Errc::not_found));
  EXPECT_THAT(db.memberships().list_for_user(invitee.id), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(db.usage().total(kept.org.id, "api_calls", from, s.now() + std::chrono::hours(1)),
              IsOkAndHolds(0));
  EXPECT_THAT(db.orgs().count(), IsOkAndHolds(1));
}

TYPED_TEST_P(OrgStoreConformance, ConcurrentCreatesWithOneSlugLetExactlyOneWin) {
  constexpr int kThreads = 6;
  std::vector<storage::Org> orgs;
  std::vector<storage::Membership> owners;
  for (int i = 0; i < kThreads; ++i) {
    auto u = this->make_user();
    auto o = this->s_.org();
    o.slug = "contended";
    owners.push_back(this->s_.member(o.id, u.id, {"owner"}));
    orgs.push_back(o);
  }
  std::atomic<int> created{0}, conflicts{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->db().orgs().create(orgs[static_cast<std::size_t>(i)],
                                      owners[static_cast<std::size_t>(i)]);
    if (r)
      ++created;
    else if (r.error().code == Errc::conflict)
      ++conflicts;
  });
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_THAT(this->db().orgs().count(), IsOkAndHolds(1));
}

// Other orgs may exist in the database (a backend shared between test processes): the pages must
// be strictly ascending and contain every org made here, in order.
TYPED_TEST_P(OrgStoreConformance, ListIdsPagesThroughEveryOrgInOrder) {
  std::vector<OrgId> made;
  for (int i = 0; i < 5; ++i) made.push_back(this->make_tenant().org.id);
  std::sort(made.begin(), made.end());
  const auto only_made = [&](const std::vector<OrgId>& ids) {
    std::vector<OrgId> out;
    for (const OrgId& id : ids)
      if (std::binary_search(made.begin(), made.end(), id)) out.push_back(id);
    return out;
  };
  std::vector<OrgId> seen;
  std::optional<OrgId> after;
  for (;;) {
    auto page = this->db().orgs().list_ids(after, 2);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->size(), 2u);
    if (page->empty()) break;
    seen.insert(seen.end(), page->begin(), page->end());
    after = page->back();
  }
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(only_made(seen), made);
  auto rest = this->db().orgs().list_ids(made[2], 1000);
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(only_made(*rest), (std::vector<OrgId>{made[3], made[4]}));
  for (const OrgId& id : *rest) EXPECT_GT(id, made[2]);
  EXPECT_THAT(this->db().orgs().list_ids(std::nullopt, 0), HasError(Errc::validation_failed));
  EXPECT_THAT(this->db().orgs().list_ids(std::nullopt, 1001), HasError(Errc::validation_failed));
}

REGISTER_TYPED_TEST_SUITE_P(OrgStoreConformance, CreateStoresOrgAndOwnerAtMicrosecondPrecision,
                            CreateConflictsOnTakenIdOrSlug,
                            AbsentOrgIsNotFoundAndUnknownSlugIsNullopt, UpdateReplacesNameAndSlug,
                            UpdateToAnotherOrgsSlugConflictsAndChangesNothing,
                            RemoveCascadesToEveryRecordOfTheOrgOnly,
                            WritesForARemovedOrUnknownOrgAreNotFound,
                            ConcurrentCreatesWithOneSlugLetExactlyOneWin,
                            ListIdsPagesThroughEveryOrgInOrder);

}  // namespace tenantkit::testing
