// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::WorkspaceStore: tenant isolation on every call, id uniqueness,
// count limits (also under concurrent creates), pagination with limit clamping, concurrent updates
// of one workspace. Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class WorkspaceStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::WorkspaceStore& ws() { return this->db().workspaces(); }

  storage::Workspace make_ws(const OrgId& org) {
    return must(ws().create(org, this->s_.workspace(org), std::nullopt), "workspaces().create");
  }
};
TYPED_TEST_SUITE_P(WorkspaceStoreConformance);

TYPED_TEST_P(WorkspaceStoreConformance, CreateGetUpdateRemove) {
  auto a = this->make_tenant();
  auto w = this->s_.workspace(a.org.id);
  w.created_at = odd_micros(w.created_at);
  w.updated_at = w.created_at;
  EXPECT_THAT(this->ws().create(a.org.id, w, std::nullopt), IsOkAndHolds(w));
  EXPECT_THAT(this->ws().get(a.org.id, w.id), IsOkAndHolds(w));
  EXPECT_THAT(this->ws().count(a.org.id), IsOkAndHolds(1));

  auto changed = w;
  changed.name = "renamed";
  changed.description = "";
  changed.updated_at = odd_micros(this->s_.now() + std::chrono::minutes(1));
  EXPECT_THAT(this->ws().update(a.org.id, changed), IsOkAndHolds(changed));
  EXPECT_THAT(this->ws().get(a.org.id, w.id), IsOkAndHolds(changed));

  EXPECT_THAT(this->ws().remove(a.org.id, w.id), IsOk());
  EXPECT_THAT(this->ws().get(a.org.id, w.id), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().remove(a.org.id, w.id), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().update(a.org.id, changed), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().count(a.org.id), IsOkAndHolds(0));
}

TYPED_TEST_P(WorkspaceStoreConformance, CreateConflictsOnTakenId) {
  auto a = this->make_tenant();
  auto w = this->make_ws(a.org.id);
  auto same_id = this->s_.workspace(a.org.id);
  same_id.id = w.id;
  EXPECT_THAT(this->ws().create(a.org.id, same_id, std::nullopt), HasError(Errc::conflict));
  EXPECT_THAT(this->ws().get(a.org.id, w.id), IsOkAndHolds(w));
  EXPECT_THAT(this->ws().count(a.org.id), IsOkAndHolds(1));
}

TYPED_TEST_P(WorkspaceStoreConformance, AnotherOrgsWorkspaceIsNotFoundAndUntouched) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto w = this->make_ws(a.org.id);
  auto hijack = w;
  hijack.org = b.org.id;
  hijack.name = "hijacked";
  EXPECT_THAT(this->ws().get(b.org.id, w.id), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().update(b.org.id, hijack), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().remove(b.org.id, w.id), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().get(a.org.id, w.id), IsOkAndHolds(w));
  EXPECT_THAT(this->ws().count(b.org.id), IsOkAndHolds(0));
  auto listed = this->ws().list(b.org.id, PageRequest{});
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->items.empty());
  EXPECT_EQ(listed->next_cursor, std::nullopt);
}

TYPED_TEST_P(WorkspaceStoreConformance, MaxCountIsAPlanLimit) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  this->make_ws(a.org.id);
  this->make_ws(a.org.id);
  this->make_ws(b.org.id);
  auto third = this->s_.workspace(a.org.id);
  EXPECT_THAT(this->ws().create(a.org.id, third, 2), HasError(Errc::plan_limit_reached));
  EXPECT_THAT(this->ws().get(a.org.id, third.id), HasError(Errc::not_found));
  EXPECT_THAT(this->ws().create(a.org.id, third, 3), IsOk());
  EXPECT_THAT(this->ws().create(b.org.id, this->s_.workspace(b.org.id), 2), IsOk());
  EXPECT_THAT(this->ws().count(a.org.id), IsOkAndHolds(3));
}

TYPED_TEST_P(WorkspaceStoreConformance, ListPaginatesInIdOrder) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  std::vector<std::string> expected;
  for (int i = 0; i < 6; ++i) {
    expected.push_back(this->make_ws(a.org.id).id.str());
    this->make_ws(b.org.id);
  }
  expect_paginates<storage::Workspace>(
      [&](const PageRequest& r) { return this->ws().list(a.org.id, r); }, expected,
      [](const storage::Workspace& w) { return w.id.str(); });
}

TYPED_TEST_P(WorkspaceStoreConformance, LimitIsClampedToTheMaximum) {
  auto a = this->make_tenant();
  for (int i = 0; i < PageRequest::kMaxLimit + 1; ++i) this->make_ws(a.org.id);
  PageRequest big;
  big.limit = 100000;
  auto page = this->ws().list(a.org.id, big);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->items.size(), static_cast<std::size_t>(PageRequest::kMaxLimit));
  ASSERT_TRUE(page->next_cursor.has_value());
  big.cursor = *page->next_cursor;
  auto rest = this->ws().list(a.org.id, big);
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->next_cursor, std::nullopt);
  PageRequest def;
  auto first = this->ws().list(a.org.id, def);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->items.size(), static_cast<std::size_t>(PageRequest::kDefaultLimit));
}

TYPED_TEST_P(WorkspaceStoreConformance, ConcurrentCreatesNeverExceedMaxCount) {
  auto a = this->make_tenant();
  constexpr int kThreads = 8;
  std::vector<storage::Workspace> ws;
  for (int i = 0; i < kThreads; ++i) ws.push_back(this->s_.workspace(a.org.id));
  std::atomic<int> created{0}, limited{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->ws().create(a.org.id, ws[static_cast<std::size_t>(i)], 5);
    if (r)
      ++created;
    else if (r.error().code == Errc::plan_limit_reached)
      ++limited;
  });
  EXPECT_EQ(created.load(), 5);
  EXPECT_EQ(limited.load(), kThreads - 5);
  EXPECT_THAT(this->ws().count(a.org.id), IsOkAndHolds(5));
}

TYPED_TEST_P(WorkspaceStoreConformance, ConcurrentUpdatesLeaveOneWholeVersion) {
  auto a = this->make_tenant();
  auto w = this->make_ws(a.org.id);
  constexpr int kThreads = 4;
  constexpr int kEach = 20;
  run_concurrently(kThreads, [&](int i) {
    for (int j = 0; j < kEach; ++j) {
      auto v = w;
      v.name = "name-" + std::to_string(i) + "-" + std::to_string(j);
      v.description = "desc-" + std::to_string(i) + "-" + std::to_string(j);
      EXPECT_THAT(this->ws().update(a.org.id, v), IsOk());
    }
  });
  auto final_ws = this->ws().get(a.org.id, w.id);
  ASSERT_THAT(final_ws, IsOk());
  // Name and description come from the same update (no torn write), the last of some thread.
  ASSERT_TRUE(final_ws->name.starts_with("name-"));
  EXPECT_EQ(final_ws->description, "desc-" + final_ws->name.substr(5));
  EXPECT_TRUE(final_ws->name.ends_with("-" + std::to_string(kEach - 1)));
  EXPECT_THAT(this->ws().count(a.org.id), IsOkAndHolds(1));
}

REGISTER_TYPED_TEST_SUITE_P(WorkspaceStoreConformance, CreateGetUpdateRemove,
                            CreateConflictsOnTakenId, AnotherOrgsWorkspaceIsNotFoundAndUntouched,
                            MaxCountIsAPlanLimit, ListPaginatesInIdOrder,
                            LimitIsClampedToTheMaximum, ConcurrentCreatesNeverExceedMaxCount,
                            ConcurrentUpdatesLeaveOneWholeVersion);

}  // namespace tenantkit::testing
