// SPDX-License-Identifier: Apache-2.0
// RedisBackend against a private redis-server this test starts on a free port, kills in the
// middle of a run and restarts: fail-closed answers unavailable, fail-open allows and adds its
// local count once Redis is back, neither hangs (nor fakes a gauge). Also decide_many's pipelined
// exactness, its recovery under frequent calls, a sink that throws, and the script lost while
// calls are in flight.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tenantkit/quota/redis/backend.hpp>
#include <tenantkit/testing/matchers.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tenantkit::quota::redis {
namespace {

using testing::HasError;
using testing::IsOk;
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

// A throwaway redis-server; stopped (SIGKILL) by kill() and by the destructor.
class PrivateRedis {
 public:
  PrivateRedis() : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("tk-quota-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
  }
  ~PrivateRedis() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static bool available() { return std::filesystem::exists("/usr/bin/redis-server"); }

  bool start() {
    const std::string cmd = "redis-server --port " + std::to_string(port_) +
                            " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir " +
                            dir_.string() + " --pidfile " + pidfile() + " --logfile " +
                            (dir_ / "redis.log").string();
    if (std::system(cmd.c_str()) != 0) return false;
    for (int i = 0; i < 100; ++i) {
      std::ifstream pid(pidfile());
      if (pid >> pid_) {
        const std::string ping = "redis-cli -p " + std::to_string(port_) + " ping >/dev/null 2>&1";
        if (std::system(ping.c_str()) == 0) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(10ms);
      pid_ = 0;
      std::filesystem::remove(pidfile());
    }
  }

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::string pidfile() const { return (dir_ / "redis.pid").string(); }
  int port_;
  pid_t pid_ = 0;
  std::filesystem::path dir_;
};

class RedisOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PrivateRedis::available()) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_TRUE(redis_.start());
    limits_.set_default("api_calls", Policy::counter(1000));
  }

  // Short timeouts, so an outage is noticed quickly; tests that measure something else while
  // Redis is up pass a longer one (a loaded CI machine can stall a call past 200 ms).
  std::unique_ptr<RedisBackend> open(FailurePolicy policy,
                                     std::chrono::milliseconds command_timeout = 200ms) {
    auto r = open_backend({.url = redis_.url(),
                           .pool_size = 2,
                           .connect_timeout = 200ms,
                           .command_timeout = command_timeout,
                           .retry_backoff = 50ms,
                           .on_unavailable = policy},
                          limits_);
    EXPECT_THAT(r, IsOk());
    return r ? std::move(*r) : nullptr;
  }

  PrivateRedis redis_;
  InMemoryLimitSource limits_;
};

TEST_F(RedisOutage, FailClosedAnswersUnavailableQuicklyAndRecovers) {
  auto q = open(FailurePolicy::fail_closed);
  ASSERT_NE(q, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(q->decide("t1", "api_calls", 1)->allowed());
  redis_.kill();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i)
    EXPECT_THAT(q->decide("t1", "api_calls", 1), HasError(Errc::unavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  ASSERT_TRUE(redis_.start());
  std::this_thread::sleep_for(100ms);  // past retry_backoff
  auto o = q->decide("t1", "api_calls", 1);
  ASSERT_THAT(o, IsOk());
  EXPECT_TRUE(o->allowed());
  EXPECT_EQ(o->used, 1);  // the restarted server has no state (no persistence)
}

TEST_F(RedisOutage, FailOpenAllowsCountsLocallyAndReconciles) {
  auto q = open(FailurePolicy::fail_open);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->decide("t1", "api_calls", 5)->allowed());
  redis_.kill();
  for (int i = 0; i < 7; ++i) {
    auto o = q->decide("t1", "api_calls", 1);
    ASSERT_THAT(o, IsOk());
    EXPECT_TRUE(o->allowed());
  }
  ASSERT_TRUE(redis_.start());
  std::this_thread::sleep_for(100ms);
  auto o = q->decide("t1", "api_calls", 1);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->used, 8);  // 7 counted while away + this one
}

TEST_F(RedisOutage, PipelinedDecisionsAreExactAndSurviveAnOutage) {
  auto q = open(FailurePolicy::fail_closed);
  ASSERT_NE(q, nullptr);
  limits_.set_default("requests", Policy::fixed_window(100, 3600s));
  std::vector<std::string> keys;
  for (int i = 0; i < 10; ++i) keys.push_back("t" + std::to_string(i));
  std::vector<Request> reqs;
  for (int i = 0; i < 3000; ++i) reqs.push_back({keys[(i * 7) % 10], "requests", 1});
  std::vector<int> allowed(10, 0);
  q->decide_many(
      reqs,
      [&](std::size_t i, const Result<Outcome>& r) {
        ASSERT_THAT(r, IsOk());
        if (r->allowed()) ++allowed[(i * 7) % 10];
      },
      64);
  for (int a : allowed) EXPECT_EQ(a, 100);

  redis_.kill();
  std::vector<Result<Outcome>> out(200, Error{Errc::internal});
  const auto t0 = std::chrono::steady_clock::now();
  q->decide_many(std::span(reqs).first(200), out, 64);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  for (const auto& r : out) EXPECT_THAT(r, HasError(Errc::unavailable));
}

// Redis's own count of EVALSHA calls (this private server serves only this test).
long evalsha_calls(const std::string& url) {
  const std::string cmd = "redis-cli -u " + url + " INFO commandstats";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) text += buf;
  ::pclose(p);
  const auto at = text.find("cmdstat_evalsha:calls=");
  if (at == std::string::npos) return 0;
  return std::atol(text.c_str() + at + 22);
}

TEST_F(RedisOutage, DecisionsIssuedTogetherShareOneScriptCall) {
  limits_.set_default("requests", Policy::fixed_window(1000, 3600s));
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("t" + std::to_string(i));
  std::vector<Request> reqs;
  for (int i = 0; i < 6400; ++i) reqs.push_back({keys[(i * 37) % 100], "requests", 1});
  auto q = open(FailurePolicy::fail_closed, 5000ms);
  ASSERT_NE(q, nullptr);
  const long before = evalsha_calls(redis_.url());
  std::size_t allowed = 0;
  q->decide_many(
      reqs, [&](std::size_t, const Result<Outcome>& r) { allowed += r && r->allowed() ? 1 : 0; },
      64);
  EXPECT_EQ(allowed, reqs.size());
  // 64 in flight, 32 per call: 6400 / 32 calls (the window never holds more than 64).
  EXPECT_EQ(evalsha_calls(redis_.url()) - before, 200);
}

TEST_F(RedisOutage, ScriptIsReloadedAfterScriptFlush) {
  auto q = open(FailurePolicy::fail_closed);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->decide("t1", "api_calls", 1)->allowed());
  const std::string flush = "redis-cli -u " + redis_.url() + " SCRIPT FLUSH >/dev/null";
  ASSERT_EQ(std::system(flush.c_str()), 0);
  auto o = q->decide("t1", "api_calls", 1);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->used, 2);
}

// A caller that keeps calling decide_many() more often than retry_backoff, through an outage,
// gets answers again soon after Redis is back: a call that finds the backend backing off fails
// fast without pushing the back-off further out.
TEST_F(RedisOutage, FrequentPipelinedCallsRecoverAfterAnOutage) {
  auto q = open(FailurePolicy::fail_closed);
  ASSERT_NE(q, nullptr);
  const std::vector<Request> reqs(4, Request{"t1", "api_calls", 1});
  std::vector<Result<Outcome>> out(reqs.size(), Error{Errc::internal});
  q->decide_many(reqs, out, 64);
  for (const auto& o : out) ASSERT_THAT(o, IsOk());
  redis_.kill();
  // A caller that decides every 20 ms (retry_backoff is 50 ms) through the outage and after it.
  std::atomic<bool> restarted{false};
  std::atomic<bool> answered{false};
  std::thread caller([&] {
    std::vector<Result<Outcome>> mine(reqs.size(), Error{Errc::internal});
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!answered && std::chrono::steady_clock::now() < give_up) {
      q->decide_many(reqs, mine, 64);
      if (restarted && mine.back().has_value()) answered = true;
      std::this_thread::sleep_for(20ms);
    }
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(redis_.start());
  restarted = true;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!answered && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(answered);
  answered = true;  // stops the caller either way
  caller.join();
  EXPECT_THAT(q->decide("t1", "api_calls", 1), IsOk());
}

// A sink that throws leaves decide_many() with replies still on their way; the connection they
// would arrive on must not serve the next caller, who would read another tenant's answer.
TEST_F(RedisOutage, ASinkThatThrowsDoesNotLeaveRepliesForTheNextCaller) {
  auto r = open_backend({.url = redis_.url(), .pool_size = 1, .command_timeout = 2000ms}, limits_);
  ASSERT_THAT(r, IsOk());
  RedisBackend& q = **r;
  const std::vector<Request> reqs(200, Request{"tb", "api_calls", 1});
  struct Stop {};
  EXPECT_THROW(q.decide_many(
                   reqs, [](std::size_t, const Result<Outcome>&) { throw Stop{}; }, 64),
               Stop);
  auto o = q.decide("other", "api_calls", 1);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->used, 1);
  auto tb = q.decide("tb", "api_calls", 0);
  ASSERT_THAT(tb, IsOk());
  EXPECT_GE(tb->used, 1);
  EXPECT_LE(tb->used, 200);
}

// Fail-open never fakes a gauge: a level such as seats in use, allowed blind, could pass its
// limit for good.
TEST_F(RedisOutage, FailOpenDoesNotFakeGauges) {
  limits_.set_default("seats", Policy::gauge(1));
  auto q = open(FailurePolicy::fail_open);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->decide("t1", "seats", 1)->allowed());
  redis_.kill();
  EXPECT_THAT(q->decide("t1", "seats", 1), HasError(Errc::unavailable));
  const std::vector<Request> reqs = {{"t1", "seats", 1}, {"t1", "api_calls", 1}};
  std::vector<Result<Outcome>> out(reqs.size(), Error{Errc::internal});
  q->decide_many(reqs, out, 64);
  EXPECT_THAT(out[0], HasError(Errc::unavailable));
  ASSERT_THAT(out[1], IsOk());
  EXPECT_TRUE(out[1]->allowed());
}

// SCRIPT FLUSH with decide_many() about to run: the calls in flight meet NOSCRIPT; no further
// call goes out until they have answered, the script is loaded again, and their decisions go
// out again first. Results equal one decide() at a time on a fresh twin, and only the calls
// that were in flight failed (window 64, 32 per call: 2).
TEST_F(RedisOutage, ScriptLostInsideThePipelineIsReloadedOnce) {
  auto q = open(FailurePolicy::fail_closed, 2000ms);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->decide("warm", "api_calls", 1)->allowed());  // the connection has the script
  limits_.set_default("docs", Policy::counter(150));
  std::vector<Request> reqs;
  for (int i = 0; i < 400; ++i)
    reqs.push_back(Request{i % 3 == 0 ? "t1" : (i % 3 == 1 ? "t2" : "t3"), "docs", 1 + i % 3});
  const std::string cli = "redis-cli -u " + redis_.url();
  ASSERT_EQ(std::system((cli + " SCRIPT FLUSH >/dev/null").c_str()), 0);
  ASSERT_EQ(std::system((cli + " CONFIG RESETSTAT >/dev/null").c_str()), 0);
  std::vector<Result<Outcome>> got(reqs.size(), Error{Errc::internal});
  q->decide_many(reqs, got, 64);
  const std::string stats = redis_.file("stats.txt");
  ASSERT_EQ(std::system((cli + " INFO commandstats > " + stats).c_str()), 0);
  std::ifstream in(stats);
  std::string line;
  std::string evalsha;
  while (std::getline(in, line))
    if (line.rfind("cmdstat_evalsha:", 0) == 0) evalsha = line;
  const std::size_t at = evalsha.find("failed_calls=");
  ASSERT_NE(at, std::string::npos) << evalsha;
  EXPECT_EQ(std::atoi(evalsha.c_str() + at + 13), 2) << evalsha;
  // The twin: same Redis, fresh counters (another tenant spelling), one decision at a time.
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const std::string twin_tenant = std::string(reqs[i].tenant) + "x";
    auto want = q->decide(twin_tenant, "docs", reqs[i].cost);
    ASSERT_THAT(got[i], IsOk()) << i;
    ASSERT_THAT(want, IsOk()) << i;
    EXPECT_EQ(got[i]->allowed(), want->allowed()) << i;
    EXPECT_EQ(got[i]->used, want->used) << i;
  }
}

// The fail-open tally of many tenants is added back a bounded batch per call: the first call
// that finds Redis back adds 64 tenants' counts (not one round trip per tenant seen during the
// outage), and the following calls add the rest.
TEST_F(RedisOutage, FailOpenReconcilesABoundedBatchPerCall) {
  auto q = open(FailurePolicy::fail_open, 2000ms);
  auto peek = open(FailurePolicy::fail_closed, 2000ms);
  ASSERT_NE(q, nullptr);
  ASSERT_NE(peek, nullptr);
  ASSERT_TRUE(q->decide("probe", "api_calls", 1)->allowed());
  redis_.kill();
  for (int t = 0; t < 200; ++t)
    ASSERT_TRUE(q->decide("t" + std::to_string(t), "api_calls", 1)->allowed());
  ASSERT_TRUE(redis_.start());
  std::this_thread::sleep_for(100ms);  // past retry_backoff
  auto counted = [&] {
    int n = 0;
    for (int t = 0; t < 200; ++t) {
      auto o = peek->decide("t" + std::to_string(t), "api_calls", 0);
      EXPECT_THAT(o, IsOk());
      n += o && o->used == 1 ? 1 : 0;
    }
    return n;
  };
  // peek's pooled connections died with the server: let it reconnect first.
  for (int i = 0; i < 100 && !peek->decide("warm", "api_calls", 0); ++i)
    std::this_thread::sleep_for(20ms);
  ASSERT_THAT(q->decide("probe", "api_calls", 0), IsOk());
  EXPECT_EQ(counted(), 64);
  for (int i = 0; i < 3; ++i) ASSERT_THAT(q->decide("probe", "api_calls", 0), IsOk());
  EXPECT_EQ(counted(), 200);
}

}  // namespace
}  // namespace tenantkit::quota::redis
