#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <tenantkit/mail/mailer.hpp>
#include <tenantkit/testing/matchers.hpp>

#include <sys/stat.h>

namespace tenantkit::mail {
namespace {

using tenantkit::testing::HasError;
using tenantkit::testing::IsOk;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tk-outbox-" + uuid_v7(system_random(), clock_.now()));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Message invitation() {
    Message m;
    m.id = make_message_id(system_random(), clock_);
    m.to = "ada@example.com";
    m.kind = "invitation";
    m.subject = "Join Acme";
    m.text = "You were invited to Acme.";
    m.token = Secret("inv_secret_token_123");
    m.link = Secret("http://127.0.0.1:8080/accept?token=inv_secret_token_123");
    m.org = OrgId::from_trusted("org-1");
    m.created_at = clock_.now();
    return m;
  }

  ManualClock clock_;
  std::filesystem::path dir_;
};

TEST_F(OutboxTest, WritesOneOwnerOnlyJsonFilePerMessageWithTheApiFields) {
  std::vector<std::string> logged;
  auto mailer = OutboxMailer::open(dir_, [&](std::string_view line) { logged.emplace_back(line); });
  ASSERT_THAT(mailer, IsOk());
  const Message m = invitation();
  ASSERT_THAT((*mailer)->send(m), IsOk());

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string(), "20260101T000000.000000Z-" + m.id + ".json");
  struct stat st {};
  ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::ifstream in(files[0]);
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = boost::json::parse(text.str()).as_object();
  for (const char* field :
       {"id", "to", "kind", "subject", "text", "token", "link", "org_id", "created_at"})
    EXPECT_TRUE(doc.contains(field)) << field;
  EXPECT_EQ(doc.at("token").as_string(), "inv_secret_token_123");
  EXPECT_EQ(doc.at("org_id").as_string(), "org-1");
  EXPECT_EQ(doc.at("created_at").as_string(), "2026-01-01T00:00:00Z");

  // The log line has everything but the secrets.
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].find("inv_secret_token_123"), std::string::npos);
  EXPECT_NE(logged[0].find("ada@example.com"), std::string::npos);
}

TEST_F(OutboxTest, FilesSortByTime) {
  auto mailer = OutboxMailer::open(dir_);
  ASSERT_THAT(mailer, IsOk());
  Message first = invitation();
  clock_.advance(std::chrono::microseconds{1});
  Message second = invitation();
  ASSERT_THAT((*mailer)->send(second), IsOk());
  ASSERT_THAT((*mailer)->send(first), IsOk());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_NE(names[0].find(first.id), std::string::npos);
}

TEST_F(OutboxTest, RejectsInvalidMessagesAndWritesNothing) {
  auto mailer = OutboxMailer::open(dir_);
  ASSERT_THAT(mailer, IsOk());
  Message m = invitation();
  m.to = "not-an-email";
  EXPECT_THAT((*mailer)->send(m), HasError(Errc::validation_failed));
  m = invitation();
  m.id = "../../etc/passwd";
  EXPECT_THAT((*mailer)->send(m), HasError(Errc::validation_failed));
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(OutboxTest, UnwritableFolderIsUnavailable) {
  EXPECT_THAT(OutboxMailer::open("/proc/tenantkit-no-such-dir"), HasError(Errc::unavailable));
}

TEST(MemoryMailer, KeepsMessagesInOrder) {
  MemoryMailer mailer;
  Message a;
  a.id = "1";
  a.to = "a@example.com";
  a.kind = "password_reset";
  Message b = a;
  b.id = "2";
  ASSERT_THAT(mailer.send(a), IsOk());
  ASSERT_THAT(mailer.send(b), IsOk());
  ASSERT_EQ(mailer.sent().size(), 2u);
  EXPECT_EQ(mailer.sent()[1].id, "2");
}

}  // namespace
}  // namespace tenantkit::mail
