// SPDX-License-Identifier: Apache-2.0
// RoleSync: per-org role loads at most once per kStaleAfter, reloads after forget()/invalidate().
// Services::defer: work after the response (the password-reset mail) runs off the caller's
// thread, in order, is bounded (past kMaxDeferred it runs inline), and is finished before the
// Services it uses are destroyed.
#include "services.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/storage/role_store.hpp>

#include "client.hpp"

namespace tenantkit::server::testing {
namespace {

using namespace std::chrono_literals;

// A RoleStore in memory that counts list() calls: each is one load by RoleSync.
class CountingRoleStore final : public storage::RoleStore {
 public:
  Result<storage::Role> create(const OrgId& org, const storage::Role& role) override {
    roles_[org.str()].push_back(role);
    return role;
  }
  Result<storage::Role> get(const OrgId& org, std::string_view name) override {
    for (const auto& r : roles_[org.str()])
      if (r.name == name) return r;
    return Error{Errc::not_found, "no such role"};
  }
  Result<std::vector<storage::Role>> list(const OrgId& org) override {
    ++lists;
    return roles_[org.str()];
  }
  Result<storage::Role> update(const OrgId&, const storage::Role& role) override { return role; }
  Result<void> remove(const OrgId&, std::string_view) override { return ok(); }

  int lists = 0;

 private:
  std::unordered_map<std::string, std::vector<storage::Role>> roles_;
};

bool knows_role(const rbac::Engine& engine, const OrgId& org, std::string_view name) {
  for (const auto& r : engine.roles(org.str()))
    if (r.name == name) return true;
  return false;
}

TEST(RoleSyncTest, LoadsOncePerSecondPerOrgAndReloadsAfterForget) {
  ManualClock clock;
  Random& random = system_random();
  CountingRoleStore store;
  rbac::Engine engine;
  RoleSync sync(engine, store, clock);
  const OrgId org = OrgId::generate(random, clock);
  ASSERT_TRUE(store.create(org, storage::Role{.org = org,
                                              .name = "reader",
                                              .description = "",
                                              .permissions = {"data:read"},
                                              .deny = {},
                                              .inherits = {},
                                              .created_at = clock.now(),
                                              .updated_at = clock.now()}));

  ASSERT_TRUE(sync.ensure(org));
  EXPECT_EQ(store.lists, 1);
  EXPECT_TRUE(knows_role(engine, org, "reader"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sync.ensure(org));
  EXPECT_EQ(store.lists, 1);  // fresh: answered from memory

  clock.advance(RoleSync::kStaleAfter + 1ms);
  ASSERT_TRUE(sync.ensure(org));
  EXPECT_EQ(store.lists, 2);

  // forget() erases the entry: the next ensure() must not use a remembered one.
  sync.forget(org);
  EXPECT_FALSE(knows_role(engine, org, "reader"));
  ASSERT_TRUE(sync.ensure(org));
  EXPECT_EQ(store.lists, 3);
  EXPECT_TRUE(knows_role(engine, org, "reader"));

  // invalidate() forces a reload as well.
  sync.invalidate(org);
  ASSERT_TRUE(sync.ensure(org));
  EXPECT_EQ(store.lists, 4);
}

TEST(RoleSyncTest, ManyOrgsAndTwoInstancesOnOneThreadKeepTheirOwnEntries) {
  ManualClock clock;
  Random& random = system_random();
  CountingRoleStore store;
  rbac::Engine engine;
  // More orgs than the per-thread memo has slots: colliding orgs fall back to the table.
  std::vector<OrgId> orgs;
  for (int i = 0; i < 3000; ++i) orgs.push_back(OrgId::generate(random, clock));
  {
    RoleSync sync(engine, store, clock);
    for (int pass = 0; pass < 3; ++pass)
      for (const auto& org : orgs) ASSERT_TRUE(sync.ensure(org));
    EXPECT_EQ(store.lists, 3000);
  }
  // A new instance (possibly at the same address) starts empty: every org loads again.
  rbac::Engine other_engine;
  RoleSync other(other_engine, store, clock);
  for (const auto& org : orgs) ASSERT_TRUE(other.ensure(org));
  EXPECT_EQ(store.lists, 6000);
  RoleSync third(other_engine, store, clock);
  ASSERT_TRUE(third.ensure(orgs.front()));
  EXPECT_EQ(store.lists, 6001);
  ASSERT_TRUE(other.ensure(orgs.front()));
  EXPECT_EQ(store.lists, 6001);
}

TEST(ServicesDeferTest, RunsOffTheCallingThreadInOrder) {
  // Declared before the server: tasks may touch them until ~Services has joined.
  std::vector<int> order;
  std::promise<std::thread::id> ran_on;
  auto done = ran_on.get_future();
  TestServer srv;
  for (int i = 0; i < 5; ++i) srv.services().defer([&order, i] { order.push_back(i); });
  srv.services().defer([&ran_on] { ran_on.set_value(std::this_thread::get_id()); });
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_NE(done.get(), std::this_thread::get_id());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));  // one thread: FIFO, no data race
}

TEST(ServicesDeferTest, QueuedTasksFinishBeforeServicesGo) {
  std::atomic<int> ran{0};
  {
    TestServer srv;
    for (int i = 0; i < 20; ++i)
      srv.services().defer([&ran] {
        std::this_thread::sleep_for(2ms);
        ran.fetch_add(1);
      });
  }
  EXPECT_EQ(ran.load(), 20);
}

TEST(ServicesDeferTest, PastTheBoundTasksRunInline) {
  std::latch release(1);
  std::atomic<int> queued_ran{0};
  TestServer srv;
  // The first task holds the background thread; the queue fills up to the bound behind it.
  srv.services().defer([&release] { release.wait(); });
  for (int i = 1; i < Services::kMaxDeferred; ++i)
    srv.services().defer([&queued_ran] { queued_ran.fetch_add(1); });
  std::thread::id inline_on;
  srv.services().defer([&inline_on] { inline_on = std::this_thread::get_id(); });
  EXPECT_EQ(inline_on, std::this_thread::get_id());
  EXPECT_EQ(queued_ran.load(), 0);
  release.count_down();
}

}  // namespace
}  // namespace tenantkit::server::testing
