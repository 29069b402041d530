#include <set>
#include <type_traits>
#include <unordered_set>

#include <gtest/gtest.h>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit {
namespace {

using testing::HasError;
using testing::IsOk;

static_assert(!std::is_convertible_v<TenantId, UserId>, "ids of different kinds must not mix");
static_assert(!std::is_convertible_v<std::string, TenantId>, "ids are not built from raw text");
static_assert(std::is_same_v<OrgId, TenantId>);

TEST(Id, ParseAcceptsOpaqueIdsAndRejectsEverythingElse) {
  EXPECT_THAT(TenantId::parse("0190d2a4-7b1c-7c3e-9f00-1234567890ab"), IsOk());
  EXPECT_THAT(UserId::parse("user_42"), IsOk());
  for (std::string bad : {std::string(), std::string(65, 'a'), std::string("a b"),
                          std::string("x/../y"), std::string("é"), std::string("a\0b", 3)}) {
    auto r = TenantId::parse(bad);
    EXPECT_THAT(r, HasError(Errc::bad_request)) << bad;
  }
  EXPECT_EQ(TenantId::parse("x y").error().detail, "malformed org id");
}

TEST(Id, GeneratedIdsAreUuidV7AndTimeOrdered) {
  ManualClock clock;
  std::set<std::string> seen;
  TenantId previous;
  for (int i = 0; i < 100; ++i) {
    clock.advance(std::chrono::milliseconds{1});
    const auto id = TenantId::generate(system_random(), clock);
    ASSERT_EQ(id.str().size(), 36u);
    EXPECT_EQ(id.str()[14], '7');                                          // version
    EXPECT_NE(std::string("89ab").find(id.str()[19]), std::string::npos);  // variant
    EXPECT_THAT(TenantId::parse(id.str()), IsOk());
    EXPECT_LT(previous, id);
    EXPECT_TRUE(seen.insert(id.str()).second);
    previous = id;
  }
}

TEST(Id, HashesAndComparesByValue) {
  std::unordered_set<UserId> set;
  set.insert(UserId::from_trusted("a"));
  set.insert(UserId::from_trusted("a"));
  set.insert(UserId::from_trusted("b"));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_FALSE(UserId{});
  EXPECT_TRUE(UserId::from_trusted("a"));
}

}  // namespace
}  // namespace tenantkit
