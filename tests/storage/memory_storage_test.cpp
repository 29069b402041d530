// SPDX-License-Identifier: Apache-2.0
// What the conformance suites do not cover for storage::open_memory(): its identity, that two
// instances share nothing (no global state), and that a cursor is opaque.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::testing {
namespace {

TEST(MemoryStorage, NamesItselfAndAnswersPing) {
  auto db = storage::open_memory();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->backend_name(), "memory");
  EXPECT_THAT(db->ping(), IsOk());
}

TEST(MemoryStorage, InstancesShareNothing) {
  Samples s;
  auto one = storage::open_memory();
  auto two = storage::open_memory();
  auto u = s.user();
  ASSERT_THAT(one->users().create(u), IsOk());
  EXPECT_THAT(two->users().get(u.id), HasError(Errc::not_found));
  // The same email is free in the other instance.
  EXPECT_THAT(two->users().create(u), IsOk());
  auto org = s.org();
  ASSERT_THAT(one->orgs().create(org, s.member(org.id, u.id, {"owner"})), IsOk());
  EXPECT_THAT(one->orgs().count(), IsOkAndHolds(1));
  EXPECT_THAT(two->orgs().count(), IsOkAndHolds(0));
}

TEST(MemoryStorage, CursorsAreOpaqueAndDoNotShowTheId) {
  Samples s;
  auto db = storage::open_memory();
  auto u = s.user();
  ASSERT_THAT(db->users().create(u), IsOk());
  auto org = s.org();
  ASSERT_THAT(db->orgs().create(org, s.member(org.id, u.id, {"owner"})), IsOk());
  std::vector<WorkspaceId> ids;
  for (int i = 0; i < 3; ++i) {
    auto w = s.workspace(org.id);
    ASSERT_THAT(db->workspaces().create(org.id, w, std::nullopt), IsOk());
    ids.push_back(w.id);
  }
  PageRequest req;
  req.limit = 1;
  auto page = db->workspaces().list(org.id, req);
  ASSERT_THAT(page, IsOk());
  ASSERT_TRUE(page->next_cursor.has_value());
  EXPECT_EQ(page->next_cursor->find(ids[0].str()), std::string::npos);
  // A raw id (a guess at the encoding) is not a cursor.
  req.cursor = ids[0].str();
  EXPECT_THAT(db->workspaces().list(org.id, req), HasError(Errc::bad_request));
}

TEST(MemoryStorage, MismatchedRecordOrgIsRejected) {
  Samples s;
  auto db = storage::open_memory();
  auto u = s.user();
  ASSERT_THAT(db->users().create(u), IsOk());
  auto a = s.org();
  auto b = s.org();
  ASSERT_THAT(db->orgs().create(a, s.member(a.id, u.id, {"owner"})), IsOk());
  ASSERT_THAT(db->orgs().create(b, s.member(b.id, u.id, {"owner"})), IsOk());
  // A record naming org B passed to a call scoped to org A is a caller bug, never a write to B.
  EXPECT_THAT(db->workspaces().create(a.id, s.workspace(b.id), std::nullopt),
              HasError(Errc::bad_request));
  EXPECT_THAT(db->api_keys().create(a.id, s.api_key(b.id, u.id), std::nullopt),
              HasError(Errc::bad_request));
  EXPECT_THAT(db->workspaces().count(b.id), IsOkAndHolds(0));
}

}  // namespace
}  // namespace tenantkit::testing
