// SPDX-License-Identifier: Apache-2.0
// The login throttle conformance suite against RedisLoginThrottle (TK_TEST_REDIS_URL; skipped
// only when it is unset), plus what only a shared throttle does: two instances see one count.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <tenantkit/auth/redis/login_throttle.hpp>
#include <tenantkit/testing/conformance/login_throttle.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tenantkit::testing {

namespace {

const char* redis_url() {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  return url == nullptr || *url == '\0' ? nullptr : url;
}

std::string unique_prefix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "tkt:login:" + std::to_string(rd()) + ":" + std::to_string(counter.fetch_add(1)) + ":";
}

std::unique_ptr<auth::redis::RedisLoginThrottle> open_throttle(const Clock& clock,
                                                               auth::LoginThrottleOptions options,
                                                               const std::string& prefix) {
  auto t =
      auth::redis::open_login_throttle({.url = redis_url(), .key_prefix = prefix}, clock, options);
  if (!t) {
    ADD_FAILURE() << "TK_TEST_REDIS_URL is set but Redis is unusable: " << t.error();
    return nullptr;
  }
  return std::move(*t);
}

}  // namespace

struct RedisThrottle {
  static std::unique_ptr<auth::LoginThrottle> make(const Clock& clock,
                                                   auth::LoginThrottleOptions options) {
    if (redis_url() == nullptr) return nullptr;
    return open_throttle(clock, options, unique_prefix());
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, LoginThrottleConformance, RedisThrottle);

namespace {

using namespace std::chrono_literals;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A throwaway redis-server on a free port, killed (SIGKILL) by kill() and the destructor.
class PrivateRedis {
 public:
  PrivateRedis() : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("tk-login-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
  }
  ~PrivateRedis() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  bool start() {
    const std::string pidfile = (dir_ / "redis.pid").string();
    const std::string cmd = "redis-server --port " + std::to_string(port_) +
                            " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir " +
                            dir_.string() + " --pidfile " + pidfile + " --logfile " +
                            (dir_ / "redis.log").string();
    if (std::system(cmd.c_str()) != 0) return false;
    for (int i = 0; i < 100; ++i) {
      std::ifstream pid(pidfile);
      if (pid >> pid_) {
        const std::string ping = "redis-cli -p " + std::to_string(port_) + " ping >/dev/null 2>&1";
        if (std::system(ping.c_str()) == 0) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pid_ = 0;
    std::filesystem::remove(dir_ / "redis.pid");
  }

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  int port_;
  pid_t pid_ = 0;
  std::filesystem::path dir_;
};

TEST(RedisLoginThrottle, AnOutageFollowsTheFailurePolicyAndRecovers) {
  if (redis_url() == nullptr) GTEST_SKIP() << "TK_TEST_REDIS_URL is unset";
  PrivateRedis server;
  ASSERT_TRUE(server.start());
  ManualClock clock;
  const auth::LoginThrottleOptions opts{.max_attempts = 2, .window = 60s, .max_keys = 1000};
  auto fail_closed = auth::redis::open_login_throttle(
      {.url = server.url(), .command_timeout = 200ms, .retry_backoff = 0ms}, clock, opts);
  auto fail_open =
      auth::redis::open_login_throttle({.url = server.url(),
                                        .command_timeout = 200ms,
                                        .retry_backoff = 0ms,
                                        .on_unavailable = quota::redis::FailurePolicy::fail_open},
                                       clock, opts);
  ASSERT_THAT(fail_closed, IsOk());
  ASSERT_THAT(fail_open, IsOk());
  (*fail_closed)->record_failure("1.1.1.1", "bob@x");
  EXPECT_THAT((*fail_closed)->admit("1.1.1.1", "bob@x"), IsOk());

  server.kill();
  EXPECT_THAT((*fail_closed)->admit("1.1.1.1", "bob@x"), HasError(Errc::unavailable));
  const auth::ThrottleDecision refused = (*fail_closed)->check("1.1.1.1", "bob@x");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 1s);
  EXPECT_THAT((*fail_closed)->ping(), HasError(Errc::unavailable));
  EXPECT_THAT((*fail_open)->admit("1.1.1.1", "bob@x"), IsOk());
  EXPECT_TRUE((*fail_open)->check("1.1.1.1", "bob@x").allowed);
  (*fail_open)->record_failure("1.1.1.1", "bob@x");  // not counted, and does not hang or throw

  ASSERT_TRUE(server.start());  // same port, empty data set
  EXPECT_THAT((*fail_closed)->admit("1.1.1.1", "bob@x"), IsOk());
  (*fail_closed)->record_failure("1.1.1.1", "bob@x");
  (*fail_open)->record_failure("1.1.1.2", "bob@x");
  EXPECT_THAT((*fail_closed)->admit("1.1.1.3", "bob@x"), HasError(Errc::rate_limited));
}

TEST(RedisLoginThrottle, TwoInstancesShareTheCount) {
  if (redis_url() == nullptr) GTEST_SKIP() << "TK_TEST_REDIS_URL is unset";
  ManualClock clock;
  const std::string prefix = unique_prefix();
  const auth::LoginThrottleOptions opts{.max_attempts = 4, .window = 60s, .max_keys = 1000};
  auto a = open_throttle(clock, opts, prefix);
  auto b = open_throttle(clock, opts, prefix);
  ASSERT_TRUE(a && b);
  a->record_failure("1.1.1.1", "bob@x");
  b->record_failure("1.1.1.2", "bob@x");
  a->record_failure("1.1.1.3", "bob@x");
  EXPECT_TRUE(b->check("1.1.1.4", "bob@x").allowed);
  b->record_failure("1.1.1.4", "bob@x");
  EXPECT_FALSE(a->check("1.1.1.5", "bob@x").allowed);
  EXPECT_THAT(b->admit("1.1.1.5", "bob@x"), HasError(Errc::rate_limited));
  // A success seen by one instance clears the identifier for both.
  a->record_success("1.1.1.1", "bob@x");
  EXPECT_TRUE(b->check("1.1.1.6", "bob@x").allowed);
  EXPECT_THAT(a->flush_all_for_tests(), IsOk());
}

TEST(RedisLoginThrottle, ConcurrentFailuresAreAllCounted) {
  if (redis_url() == nullptr) GTEST_SKIP() << "TK_TEST_REDIS_URL is unset";
  ManualClock clock;
  auto t = open_throttle(clock, {.max_attempts = 1000, .window = 60s, .max_keys = 1000},
                         unique_prefix());
  ASSERT_TRUE(t);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < 250; ++j)
        t->record_failure("9.9.9.9", "u" + std::to_string(i * 1000 + j));
    });
  for (auto& th : threads) th.join();
  EXPECT_FALSE(t->check("9.9.9.9", "someone").allowed);
  EXPECT_THAT(t->flush_all_for_tests(), IsOk());
}

TEST(RedisLoginThrottle, OpenValidatesOptionsAndReportsAnUnreachableRedis) {
  ManualClock clock;
  // Nothing listens on port 1.
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "redis://127.0.0.1:1"}, clock),
              HasError(Errc::unavailable));
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "http://x"}, clock),
              HasError(Errc::validation_failed));
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "redis://x", .key_prefix = "{a}"}, clock),
              HasError(Errc::validation_failed));
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "redis://x"}, clock, {.max_attempts = 0}),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::testing
