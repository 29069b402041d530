// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::UserStore: round trips, id and email uniqueness (also under
// concurrent creates), updates. Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class UserStoreConformance : public StorageConformanceTest<Backend> {};
TYPED_TEST_SUITE_P(UserStoreConformance);

TYPED_TEST_P(UserStoreConformance, CreateGetAndFindByEmailRoundTrip) {
  auto u = this->s_.user();
  u.created_at = odd_micros(u.created_at);
  u.updated_at = odd_micros(u.updated_at) + std::chrono::microseconds(2);
  u.active = false;
  EXPECT_THAT(this->db().users().create(u), IsOkAndHolds(u));
  EXPECT_THAT(this->db().users().get(u.id), IsOkAndHolds(u));
  EXPECT_THAT(this->db().users().find_by_email(u.email), IsOkAndHolds(std::optional(u)));

  auto no_password = this->s_.user();
  no_password.password_hash.clear();
  EXPECT_THAT(this->db().users().create(no_password), IsOk());
  EXPECT_THAT(this->db().users().get(no_password.id), IsOkAndHolds(no_password));
}

TYPED_TEST_P(UserStoreConformance, AbsentUserIsNotFoundAndUnknownEmailIsNullopt) {
  auto ghost = this->s_.user();
  EXPECT_THAT(this->db().users().get(ghost.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().users().find_by_email(ghost.email),
              IsOkAndHolds(std::optional<storage::User>()));
  EXPECT_THAT(this->db().users().update(ghost), HasError(Errc::not_found));
  EXPECT_THAT(this->db().users().get(ghost.id), HasError(Errc::not_found));
}

TYPED_TEST_P(UserStoreConformance, CreateConflictsOnTakenIdOrEmail) {
  auto u = this->make_user();
  auto same_id = this->s_.user();
  same_id.id = u.id;
  EXPECT_THAT(this->db().users().create(same_id), HasError(Errc::conflict));
  auto same_email = this->s_.user();
  same_email.email = u.email;
  EXPECT_THAT(this->db().users().create(same_email), HasError(Errc::conflict));
  EXPECT_THAT(this->db().users().get(same_email.id), HasError(Errc::not_found));
  EXPECT_THAT(this->db().users().get(u.id), IsOkAndHolds(u));
  EXPECT_THAT(this->db().users().find_by_email(same_id.email),
              IsOkAndHolds(std::optional<storage::User>()));
}

TYPED_TEST_P(UserStoreConformance, UpdateReplacesFieldsAndMovesTheEmail) {
  auto u = this->make_user();
  auto changed = u;
  changed.email = "renamed@example.com";
  changed.name = "Renamed";
  changed.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$bmV3$bmV3";
  changed.active = false;
  changed.updated_at = odd_micros(this->s_.now());
  EXPECT_THAT(this->db().users().update(changed), IsOkAndHolds(changed));
  EXPECT_THAT(this->db().users().get(u.id), IsOkAndHolds(changed));
  EXPECT_THAT(this->db().users().find_by_email(u.email),
              IsOkAndHolds(std::optional<storage::User>()));
  EXPECT_THAT(this->db().users().find_by_email("renamed@example.com"),
              IsOkAndHolds(std::optional(changed)));
  // The old email is free again.
  auto next = this->s_.user();
  next.email = u.email;
  EXPECT_THAT(this->db().users().create(next), IsOk());
}

TYPED_TEST_P(UserStoreConformance, UpdateToATakenEmailConflictsAndChangesNothing) {
  auto a = this->make_user();
  auto b = this->make_user();
  auto changed = a;
  changed.email = b.email;
  changed.name = "Should not stick";
  EXPECT_THAT(this->db().users().update(changed), HasError(Errc::conflict));
  EXPECT_THAT(this->db().users().get(a.id), IsOkAndHolds(a));
  EXPECT_THAT(this->db().users().find_by_email(b.email), IsOkAndHolds(std::optional(b)));
}

TYPED_TEST_P(UserStoreConformance, ConcurrentCreatesWithOneEmailLetExactlyOneWin) {
  constexpr int kThreads = 6;
  std::vector<storage::User> users;
  for (int i = 0; i < kThreads; ++i) {
    auto u = this->s_.user();
    u.email = "race@example.com";
    users.push_back(u);
  }
  std::atomic<int> created{0}, conflicts{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->db().users().create(users[static_cast<std::size_t>(i)]);
    if (r)
      ++created;
    else if (r.error().code == Errc::conflict)
      ++conflicts;
  });
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  auto found = this->db().users().find_by_email("race@example.com");
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->has_value());
}

REGISTER_TYPED_TEST_SUITE_P(UserStoreConformance, CreateGetAndFindByEmailRoundTrip,
                            AbsentUserIsNotFoundAndUnknownEmailIsNullopt,
                            CreateConflictsOnTakenIdOrEmail, UpdateReplacesFieldsAndMovesTheEmail,
                            UpdateToATakenEmailConflictsAndChangesNothing,
                            ConcurrentCreatesWithOneEmailLetExactlyOneWin);

}  // namespace tenantkit::testing
