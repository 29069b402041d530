// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::RoleStore: custom roles per org, name uniqueness within an org,
// tenant isolation, ordering by name, and the rule that a held role cannot be removed.
// Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class RoleStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::RoleStore& roles() { return this->db().roles(); }
};
TYPED_TEST_SUITE_P(RoleStoreConformance);

TYPED_TEST_P(RoleStoreConformance, CreateGetRoundTrip) {
  auto t = this->make_tenant();
  auto r = this->s_.role(t.org.id, "auditor");
  r.created_at = odd_micros(r.created_at);
  r.updated_at = r.created_at;
  r.permissions = {"audit:read", "members:read", "usage:*"};
  r.deny = {};
  r.inherits = {"readonly", "billing"};
  EXPECT_THAT(this->roles().create(t.org.id, r), IsOkAndHolds(r));
  EXPECT_THAT(this->roles().get(t.org.id, "auditor"), IsOkAndHolds(r));
  EXPECT_THAT(this->roles().get(t.org.id, "nobody"), HasError(Errc::not_found));
}

TYPED_TEST_P(RoleStoreConformance, NameIsUniqueWithinAnOrgOnly) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto r = must(this->roles().create(a.org.id, this->s_.role(a.org.id, "ops")));
  auto again = this->s_.role(a.org.id, "ops");
  again.description = "second";
  EXPECT_THAT(this->roles().create(a.org.id, again), HasError(Errc::conflict));
  EXPECT_THAT(this->roles().get(a.org.id, "ops"), IsOkAndHolds(r));
  EXPECT_THAT(this->roles().create(b.org.id, this->s_.role(b.org.id, "ops")), IsOk());
}

TYPED_TEST_P(RoleStoreConformance, AnotherOrgsRoleIsNotFoundAndUntouched) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto r = must(this->roles().create(a.org.id, this->s_.role(a.org.id, "ops")));
  auto changed = r;
  changed.org = b.org.id;
  changed.description = "hijacked";
  EXPECT_THAT(this->roles().get(b.org.id, "ops"), HasError(Errc::not_found));
  EXPECT_THAT(this->roles().update(b.org.id, changed), HasError(Errc::not_found));
  EXPECT_THAT(this->roles().remove(b.org.id, "ops"), HasError(Errc::not_found));
  EXPECT_THAT(this->roles().get(a.org.id, "ops"), IsOkAndHolds(r));
  EXPECT_THAT(this->roles().list(b.org.id), IsOkAndHolds(::testing::IsEmpty()));
}

TYPED_TEST_P(RoleStoreConformance, ListIsOrderedByName) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  for (const char* name : {"zeta", "alpha", "mid"})
    must(this->roles().create(a.org.id, this->s_.role(a.org.id, name)));
  must(this->roles().create(b.org.id, this->s_.role(b.org.id, "beta")));
  auto listed = this->roles().list(a.org.id);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(keys_of(*listed, [](const storage::Role& r) { return r.name; }),
            (std::vector<std::string>{"alpha", "mid", "zeta"}));
}

TYPED_TEST_P(RoleStoreConformance, UpdateReplacesTheDefinition) {
  auto a = this->make_tenant();
  auto r = must(this->roles().create(a.org.id, this->s_.role(a.org.id, "ops")));
  auto changed = r;
  changed.description = "operators";
  changed.permissions = {"workspaces:read"};
  changed.deny = {"workspaces:delete", "api_keys:*"};
  changed.inherits = {};
  changed.updated_at = odd_micros(this->s_.now() + std::chrono::minutes(1));
  EXPECT_THAT(this->roles().update(a.org.id, changed), IsOkAndHolds(changed));
  EXPECT_THAT(this->roles().get(a.org.id, "ops"), IsOkAndHolds(changed));
  EXPECT_THAT(this->roles().update(a.org.id, this->s_.role(a.org.id, "absent")),
              HasError(Errc::not_found));
}

TYPED_TEST_P(RoleStoreConformance, AHeldRoleCannotBeRemoved) {
  auto a = this->make_tenant();
  must(this->roles().create(a.org.id, this->s_.role(a.org.id, "ops")));
  auto u = this->add_member(a.org.id, {"member", "ops"});
  EXPECT_THAT(this->roles().remove(a.org.id, "ops"), HasError(Errc::conflict));
  EXPECT_THAT(this->roles().get(a.org.id, "ops"), IsOk());
  must(this->db().memberships().set_roles(a.org.id, u.id, {"member"}));
  EXPECT_THAT(this->roles().remove(a.org.id, "ops"), IsOk());
  EXPECT_THAT(this->roles().get(a.org.id, "ops"), HasError(Errc::not_found));
  EXPECT_THAT(this->roles().remove(a.org.id, "ops"), HasError(Errc::not_found));
}

TYPED_TEST_P(RoleStoreConformance, ARoleHeldInAnotherOrgDoesNotBlockRemoval) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  must(this->roles().create(a.org.id, this->s_.role(a.org.id, "ops")));
  must(this->roles().create(b.org.id, this->s_.role(b.org.id, "ops")));
  this->add_member(b.org.id, {"ops"});
  EXPECT_THAT(this->roles().remove(a.org.id, "ops"), IsOk());
  EXPECT_THAT(this->roles().get(b.org.id, "ops"), IsOk());
}

REGISTER_TYPED_TEST_SUITE_P(RoleStoreConformance, CreateGetRoundTrip, NameIsUniqueWithinAnOrgOnly,
                            AnotherOrgsRoleIsNotFoundAndUntouched, ListIsOrderedByName,
                            UpdateReplacesTheDefinition, AHeldRoleCannotBeRemoved,
                            ARoleHeldInAnotherOrgDoesNotBlockRemoval);

}  // namespace tenantkit::testing
