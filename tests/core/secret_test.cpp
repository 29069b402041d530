#include <sstream>

#include <gtest/gtest.h>

#include <tenantkit/core/secret.hpp>

namespace tenantkit {
namespace {

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("tk_live_abc", "tk_live_abc"));
  EXPECT_FALSE(constant_time_equal("tk_live_abc", "tk_live_abd"));
  EXPECT_FALSE(constant_time_equal("abc", std::string_view("abc\0", 4)));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(Secret, NeverPrintsItsValue) {
  Secret s("hunter2-hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(s.reveal(), "hunter2-hunter2");
  EXPECT_TRUE(s.equals("hunter2-hunter2"));
  EXPECT_FALSE(s.equals("hunter2"));
}

TEST(Secret, MovedFromIsWiped) {
  Secret a("value");
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is the behaviour under test
  EXPECT_EQ(b.reveal(), "value");
  Secret c;
  c = b;
  EXPECT_EQ(c, b);
}

TEST(SecureWipe, ClearsTheString) {
  std::string s = "secret";
  secure_wipe(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace tenantkit
