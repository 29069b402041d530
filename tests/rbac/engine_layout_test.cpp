// SPDX-License-Identifier: Apache-2.0
// The check path's data layout at its edges: ids stored inline and spilled (long ids), tenants
// big enough that members share home slots, look-alike ids, and reader threads that come and go
// while writers wait for them.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "rbac/read_domain.hpp"

namespace tenantkit::rbac {
namespace {

using ::tenantkit::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::Optional;
using V = std::vector<std::string>;

const char* const kRoles[] = {"member", "billing", "readonly", "admin"};

TEST(EngineLayout, LongAndShortIdsAreFoundAndKeptApart) {
  Engine engine;
  const std::string uuid_tenant = "018f3a4e-7b1c-7d2e-9f00-0123456789ab";
  const std::string long_tenant(64, 't');
  const std::string uuid_user = "018f3a4e-7b1c-7d2e-9f00-ba9876543210";
  const std::string long_user = std::string(63, 'u') + "1";
  const std::string long_user_twin = std::string(63, 'u') + "2";  // differs in the last byte
  for (const std::string& tenant : {uuid_tenant, long_tenant}) {
    ASSERT_THAT(engine.set_user_roles(tenant, uuid_user, V{"member"}), IsOk());
    ASSERT_THAT(engine.set_user_roles(tenant, long_user, V{"billing"}), IsOk());
    ASSERT_THAT(engine.set_user_roles(tenant, "u", V{"readonly"}), IsOk());
    ASSERT_THAT(engine.set_user_roles(tenant, std::string(16, 'x'), V{"admin"}), IsOk());
    ASSERT_THAT(engine.set_user_roles(tenant, std::string(17, 'x'), V{"member"}), IsOk());

    EXPECT_TRUE(engine.can(tenant, uuid_user, "workspaces:write"));
    EXPECT_FALSE(engine.can(tenant, uuid_user, "billing:manage"));
    EXPECT_TRUE(engine.can(tenant, long_user, "billing:manage"));
    EXPECT_EQ(engine.check(tenant, long_user_twin, "billing:read").reason(),
              DenyReason::not_a_member);
    EXPECT_EQ(engine.check(tenant, std::string(62, 'u'), "billing:read").reason(),
              DenyReason::not_a_member);
    EXPECT_TRUE(engine.can(tenant, "u", "data:read"));
    EXPECT_EQ(engine.check(tenant, "v", "data:read").reason(), DenyReason::not_a_member);
    EXPECT_TRUE(engine.can(tenant, std::string(16, 'x'), "members:write"));
    EXPECT_EQ(engine.check(tenant, std::string(17, 'x'), "members:write").reason(),
              DenyReason::not_granted);
    EXPECT_THAT(engine.user_roles(tenant, long_user), Optional(ElementsAre("billing")));
  }
  // A tenant name one byte off, or a prefix, is another (unknown) tenant.
  EXPECT_EQ(engine.check(std::string(63, 't'), uuid_user, "data:read").reason(),
            DenyReason::not_a_member);
  EXPECT_EQ(engine.check(uuid_tenant.substr(0, 35) + "c", uuid_user, "data:read").reason(),
            DenyReason::not_a_member);
  // Edits keep every member, inline or spilled (the tenant is decoded and rebuilt).
  ASSERT_THAT(engine.remove_user(uuid_tenant, "u"), IsOk());
  EXPECT_TRUE(engine.can(uuid_tenant, long_user, "billing:read"));
  EXPECT_TRUE(engine.can(uuid_tenant, uuid_user, "data:read"));
  EXPECT_EQ(engine.check(uuid_tenant, "u", "data:read").reason(), DenyReason::not_a_member);
}

// Member keys of up to 16 bytes are compared as two zero-padded words: a request id must not
// match through the padding (trailing or leading NUL bytes, a prefix, an extension), whatever
// its length, and every length of stored id is found (tenants of 1 to 40 members, so some slot
// functions are perfect and some are not).
TEST(EngineLayout, IdsOfEveryLengthMatchExactly) {
  Engine engine;
  for (int members = 1; members <= 40; members += 3) {
    const std::string tenant = "t" + std::to_string(members);
    TenantEdit edit;
    std::vector<std::string> ids;
    for (int i = 0; i < members; ++i) {
      const std::size_t length = 1 + static_cast<std::size_t>(i * 7 % 24);  // 1..24 bytes
      std::string id = std::to_string(i) + "-";
      while (id.size() < length) id += static_cast<char>('a' + id.size() % 26);
      id.resize(std::max(length, id.size()));
      ids.push_back(id);
      edit.set_user_roles(id, {i % 2 == 0 ? "member" : "billing"});
    }
    ASSERT_THAT(engine.apply(tenant, edit), IsOk());
    for (int i = 0; i < members; ++i) {
      const std::string& id = ids[static_cast<std::size_t>(i)];
      const bool member_role = i % 2 == 0;
      EXPECT_EQ(engine.can(tenant, id, "workspaces:write"), member_role) << tenant << " " << id;
      EXPECT_EQ(engine.can(tenant, id, "billing:manage"), !member_role) << tenant << " " << id;
      for (const std::string& other :
           {id + std::string(1, '\0'), id + std::string(3, '\0'), std::string(1, '\0') + id,
            id.substr(0, id.size() - 1), id + "x", "x" + id}) {
        EXPECT_EQ(engine.check(tenant, other, "members:read").reason(), DenyReason::not_a_member)
            << tenant << " " << id << " size " << other.size();
      }
    }
    EXPECT_EQ(engine.check(tenant, std::string(16, '\0'), "members:read").reason(),
              DenyReason::not_a_member);
    EXPECT_EQ(engine.check(tenant, std::string(8, '\0'), "members:read").reason(),
              DenyReason::not_a_member);
  }
}

// Registering a permission rebuilds every tenant's permission rows; checks of the new permission
// and of the old ones stay right, with denies (a tenant whose rows hold deny bits too).
TEST(EngineLayout, PermissionRowsFollowTheCatalogue) {
  Engine engine;
  ASSERT_THAT(engine.create_role("t", {"all-but-usage", {"*"}, {"usage:*"}, {}}), IsOk());
  ASSERT_THAT(engine.set_user_roles("t", "user-0001", V{"all-but-usage"}), IsOk());
  ASSERT_THAT(engine.set_user_roles("t", "user-0002", V{"readonly"}), IsOk());
  for (int i = 0; i < 60; ++i) {
    auto id = engine.register_permission("app" + std::to_string(i) + ":run");
    ASSERT_THAT(id, IsOk());
    EXPECT_TRUE(engine.check("t", "user-0001", *id).allowed());
    EXPECT_EQ(engine.check("t", "user-0002", *id).reason(), DenyReason::not_granted);
  }
  EXPECT_EQ(engine.check("t", "user-0001", "usage:read").reason(), DenyReason::explicit_deny);
  EXPECT_TRUE(engine.can("t", "user-0001", "app0:run"));
  EXPECT_TRUE(engine.can("t", "user-0002", "usage:read"));
  EXPECT_EQ(engine.check("t", "user-0003", "app59:run").reason(), DenyReason::not_a_member);
}

TEST(EngineLayout, EveryMemberOfABigTenantIsFoundWithItsOwnRoles) {
  Engine engine;
  ASSERT_THAT(
      engine.create_role("big", {"denier", {"data:read", "usage:read"}, {"usage:read"}, {}}),
      IsOk());
  TenantEdit edit;
  constexpr int kUsers = 1200;
  for (int i = 0; i < kUsers; ++i) {
    V roles{kRoles[i % 4]};
    if (i % 7 == 0) roles.push_back("denier");
    edit.set_user_roles("user-" + std::to_string(i), roles);
  }
  ASSERT_THAT(engine.apply("big", edit), IsOk());
  int wrong = 0;
  for (int i = 0; i < kUsers; ++i) {
    const std::string user = "user-" + std::to_string(i);
    const bool admin = i % 4 == 3, billing = i % 4 == 1, denier = i % 7 == 0;
    wrong += engine.can("big", user, "members:write") != admin;
    wrong += engine.can("big", user, "billing:manage") != (admin || billing);
    const Decision usage = engine.check("big", user, "usage:read");
    wrong += usage.allowed() == denier;
    if (denier) wrong += usage.reason() != DenyReason::explicit_deny;
    wrong += engine.check("big", user + "-x", "data:read").reason() != DenyReason::not_a_member;
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(engine.check("big", "user-1200", "data:read").reason(), DenyReason::not_a_member);
}

// Members holding the same role set share one compiled grant; many distinct sets (here 78 of
// them over 600 members, some sets given in another order or with a repeat) must each keep
// their own permissions, also after an edit recompiles the tenant from its stored model.
TEST(EngineLayout, ManyDistinctRoleSetsKeepTheirOwnGrants) {
  Engine engine;
  constexpr int kRolesN = 12;
  for (int r = 0; r < kRolesN; ++r)
    ASSERT_THAT(engine.register_permission("res" + std::to_string(r) + ":read"), IsOk());
  TenantEdit edit;
  for (int r = 0; r < kRolesN; ++r)
    edit.create_role({"r" + std::to_string(r), {"res" + std::to_string(r) + ":read"}, {}, {}});
  constexpr int kUsers = 600;
  const auto role_pair = [](int i) { return std::pair{i % kRolesN, (i / kRolesN) % kRolesN}; };
  for (int i = 0; i < kUsers; ++i) {
    const auto [a, b] = role_pair(i);
    V roles{"r" + std::to_string(b), "r" + std::to_string(a)};
    if (i % 5 == 0) roles.push_back("r" + std::to_string(a));  // a repeat changes nothing
    edit.set_user_roles("user-" + std::to_string(i), roles);
  }
  ASSERT_THAT(engine.apply("t", edit), IsOk());
  const auto wrong_answers = [&] {
    int wrong = 0;
    for (int i = 0; i < kUsers; ++i) {
      const auto [a, b] = role_pair(i);
      for (int r = 0; r < kRolesN; ++r)
        wrong += engine.can("t", "user-" + std::to_string(i),
                            "res" + std::to_string(r) + ":read") != (r == a || r == b);
    }
    return wrong;
  };
  EXPECT_EQ(wrong_answers(), 0);
  ASSERT_THAT(engine.set_user_roles("t", "late", V{"r3"}), IsOk());  // recompiles from the model
  EXPECT_EQ(wrong_answers(), 0);
  EXPECT_TRUE(engine.can("t", "late", "res3:read"));
  EXPECT_FALSE(engine.can("t", "late", "res4:read"));
  EXPECT_THAT(engine.user_roles("t", "user-13"), Optional(ElementsAre("r1")));
  EXPECT_THAT(engine.user_roles("t", "user-14"), Optional(ElementsAre("r1", "r2")));
}

// A thread_local built before a thread's first check is destroyed after the record's unlinking
// destructor; if it checks then, the record is linked again for that read only. Left linked, it
// would outlive the thread's storage and the next writer would scan freed memory.
Engine* g_exit_engine = nullptr;
struct ChecksAtThreadExit {
  ~ChecksAtThreadExit() {
    if (g_exit_engine != nullptr) (void)g_exit_engine->can("t", "u-late", "data:read");
  }
};

TEST(EngineLayout, ChecksFromThreadExitDestructorsLeaveNoRecordBehind) {
  Engine engine;
  ASSERT_THAT(engine.set_user_roles("t", "u-late", V{"member"}), IsOk());
  g_exit_engine = &engine;
  (void)engine.can("t", "u-late", "data:read");  // this thread's own record, linked for good
  const std::size_t before = detail::registered_readers();
  for (int i = 0; i < 4; ++i) {
    std::thread([&] {
      thread_local ChecksAtThreadExit late;  // built before the first check: destroyed after it
      (void)late;
      EXPECT_TRUE(engine.can("t", "u-late", "data:read"));
    }).join();
    EXPECT_EQ(detail::registered_readers(), before) << "after thread " << i;
    // A writer scans the registry: with a record left behind it would read a dead thread's TLS.
    ASSERT_THAT(engine.set_user_roles("t", "u" + std::to_string(i), V{"member"}), IsOk());
  }
  g_exit_engine = nullptr;
}

// Reader threads start and end (each registers its reader record on its first check and unregisters
// at exit) while a writer keeps publishing and reclaiming: every read sees one whole published
// state, never freed memory.
TEST(EngineLayout, ShortLivedReaderThreadsWhileWritersPublish) {
  Engine engine;
  ASSERT_THAT(engine.set_user_roles("t", "m", V{"member"}), IsOk());
  ASSERT_THAT(engine.set_user_roles("t", "flip", V{"billing"}), IsOk());
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0};
  std::thread writer([&] {
    int round = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const char* role = round++ % 2 ? "readonly" : "billing";
      if (!engine.set_user_roles("t", "flip", V{role})) bad.fetch_add(1);
    }
  });
  for (int wave = 0; wave < 40; ++wave) {
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
      readers.emplace_back([&] {
        for (int i = 0; i < 200; ++i) {
          if (!engine.can("t", "m", "workspaces:write")) bad.fetch_add(1);
          // Either of the two published states, never a mix or freed memory (ASan).
          const PermissionSet seen = engine.user_permissions("t", "flip");
          if (seen.contains(perm::billing_manage) == seen.contains(perm::org_read))
            bad.fetch_add(1);
        }
      });
    }
    for (auto& t : readers) t.join();
  }
  stop = true;
  writer.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace tenantkit::rbac
