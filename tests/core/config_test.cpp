#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <tenantkit/core/config.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit {
namespace {

using testing::HasError;
using testing::IsOk;

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

TEST(Config, DefaultsAreTheEmbeddedSetup) {
  FakeEnv env;
  auto c = load_config(env.lookup(), {});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->database_url, "sqlite:./var/tenantkit.db");
  EXPECT_TRUE(c->redis_url.empty());
  EXPECT_FALSE(c->stripe_enabled());
  EXPECT_EQ(c->max_body_bytes, 1u << 20);
  EXPECT_EQ(c->effective_public_url(), "http://127.0.0.1:8080");
}

TEST(Config, FlagsWinOverEnvironment) {
  FakeEnv env{{{"TK_LISTEN", "0.0.0.0:9000"}, {"TK_MAX_BODY_BYTES", "2048"}}};
  const std::string_view args[] = {"--listen=127.0.0.1:0", "--login-max-attempts", "3"};
  auto c = load_config(env.lookup(), args);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->listen, "127.0.0.1:0");
  EXPECT_EQ(c->max_body_bytes, 2048u);
  EXPECT_EQ(c->login_max_attempts, 3);
}

TEST(Config, ReportsEveryBadSettingByName) {
  FakeEnv env{{{"TK_MAX_BODY_BYTES", "lots"},
               {"TK_JWT_ALG", "none"},
               {"TK_DATABASE_URL", "mysql://x"},
               {"TK_LISTEN", "nohost"}}};
  const std::string_view args[] = {"--no-such-flag=1"};
  auto c = load_config(env.lookup(), args);
  ASSERT_THAT(c, HasError(Errc::validation_failed));
  std::set<std::string> fields;
  for (const auto& f : c.error().fields) fields.insert(f.field);
  EXPECT_EQ(fields, (std::set<std::string>{"TK_MAX_BODY_BYTES", "TK_JWT_ALG", "TK_DATABASE_URL",
                                           "TK_LISTEN", "--no-such-flag"}));
}

TEST(Config, Hs256NeedsALongSecret) {
  FakeEnv env{{{"TK_JWT_ALG", "HS256"}}};
  EXPECT_THAT(load_config(env.lookup(), {}), HasError(Errc::validation_failed));
  env.vars["TK_JWT_SECRET"] = "short";
  EXPECT_THAT(load_config(env.lookup(), {}), HasError(Errc::validation_failed));
  env.vars["TK_JWT_SECRET"] = std::string(32, 'k');
  EXPECT_THAT(load_config(env.lookup(), {}), IsOk());
}

TEST(Config, WebhookSecretsAreAListForRotation) {
  FakeEnv env{{{"TK_STRIPE_WEBHOOK_SECRET", "whsec_new, whsec_old"}}};
  auto c = load_config(env.lookup(), {});
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->stripe_webhook_secrets.size(), 2u);
  EXPECT_TRUE(c->stripe_webhook_secrets[1].equals("whsec_old"));
}

TEST(Config, EveryDefaultInTheTableParses) {
  for (const auto& s : settings()) {
    if (s.fallback.empty()) continue;
    Config c;
    EXPECT_THAT(s.apply(c, s.fallback), IsOk()) << s.env;
  }
}

TEST(Config, DocsListEverySetting) {
  std::ifstream in(TENANTKIT_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto& s : settings()) {
    EXPECT_NE(doc.str().find("`" + std::string(s.env) + "`"), std::string::npos)
        << s.env << " is not documented in docs/configuration.md";
    EXPECT_NE(doc.str().find("`" + std::string(s.flag) + "`"), std::string::npos) << s.flag;
  }
}

TEST(Config, HelpNamesEverySetting) {
  const std::string help = config_help();
  for (const auto& s : settings()) EXPECT_NE(help.find(s.env), std::string::npos) << s.env;
}

}  // namespace
}  // namespace tenantkit
