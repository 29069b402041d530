// SPDX-License-Identifier: Apache-2.0
// Readers and writers at once: every read must see one whole published state, never a mix,
// and never freed memory (run under ASan by the asan preset).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::rbac {
namespace {

using ::tenantkit::testing::IsOk;
using V = std::vector<std::string>;

TEST(EngineConcurrency, ReadersSeeWholeSnapshotsWhileRolesChange) {
  Engine engine;
  // Two disjoint grant sets the writer flips between; a reader seeing any other set saw a torn
  // or half-published state.
  const V kFirst{"data:read", "usage:read", "members:read"};
  const V kSecond{"billing:read", "workspaces:write", "audit:read"};
  const PermissionSet first = engine.parse_permissions(kFirst).value();
  const PermissionSet second = engine.parse_permissions(kSecond).value();
  ASSERT_THAT(engine.create_role("stable", {"flip", kFirst, {}, {}}), IsOk());
  ASSERT_THAT(engine.set_user_roles("stable", "u", V{"flip"}), IsOk());
  ASSERT_THAT(engine.set_user_roles("stable", "m", V{"member"}), IsOk());

  std::atomic<bool> stop{false};
  std::atomic<long> torn{0}, lost{0}, leaked{0}, reads{0};
  auto reader = [&] {
    long n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const PermissionSet seen = engine.user_permissions("stable", "u");
      if (seen != first && seen != second) torn.fetch_add(1);
      if (!engine.can("stable", "m", "workspaces:write")) lost.fetch_add(1);
      if (engine.can("other-0", "m", "data:read")) leaked.fetch_add(1);
      ++n;
    }
    reads.fetch_add(n);
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) readers.emplace_back(reader);

  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
  int round = 0;
  while (std::chrono::steady_clock::now() < until) {
    const V& grants = round % 2 ? kFirst : kSecond;
    ASSERT_THAT(engine.update_role("stable", {"flip", grants, {}, {}}), IsOk());
    // Directory churn: tenants appear and disappear (table growth and rebuilds) under readers.
    const std::string other = "other-" + std::to_string(round % 97);
    if (round % 3 == 2) {
      engine.remove_tenant(other);
    } else {
      ASSERT_THAT(engine.set_user_roles(other, "x", V{"readonly"}), IsOk());
    }
    ++round;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(lost.load(), 0);
  EXPECT_EQ(leaked.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(round, 2);
  RecordProperty("writer_rounds", round);
}

TEST(EngineConcurrency, RegisteringPermissionsUnderReadersKeepsAnswers) {
  Engine engine;
  ASSERT_THAT(engine.set_user_roles("t", "o", V{"owner"}), IsOk());
  ASSERT_THAT(engine.set_user_roles("t", "m", V{"member"}), IsOk());
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (!engine.can("t", "o", "org:delete")) bad.fetch_add(1);
      if (engine.can("t", "m", "org:delete")) bad.fetch_add(1);
    }
  });
  for (int i = 0; i < 100; ++i)
    ASSERT_THAT(engine.register_permission("app:p" + std::to_string(i)), IsOk());
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(engine.can("t", "o", "app:p99"));
  EXPECT_FALSE(engine.can("t", "m", "app:p99"));
}

}  // namespace
}  // namespace tenantkit::rbac
