// SPDX-License-Identifier: Apache-2.0
// TenantContext is a value owned by each request's coroutine frame (tenant/context.hpp). This
// test runs 500 interleaved "requests" as coroutines, on one io_context driven by 1 thread and by
// 4 threads, and hopping to a thread pool and back between steps (the server's offload()). After
// every resume each checks that it still sees only its own tenant, and that a shared,
// tenant-scoped in-memory store returns only its own rows. A control run keeps the tenant in a
// thread_local instead, and must see violations: proof that the requests really interleave and
// that the check can fail.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <tenantkit/core/random.hpp>
#include <tenantkit/tenant/context.hpp>

namespace tenantkit {
namespace {

namespace net = boost::asio;

constexpr int kRequests = 500;
constexpr int kSteps = 5;

// A shared store keyed by tenant, as a storage implementation would be: every call names its
// tenant explicitly, and the mutex makes concurrent use safe.
class TenantRows {
 public:
  void add(const TenantContext& ctx, std::string row) {
    std::lock_guard lock(mu_);
    rows_[ctx.tenant].push_back(std::move(row));
  }
  std::vector<std::string> list(const TenantContext& ctx) const {
    std::lock_guard lock(mu_);
    const auto it = rows_.find(ctx.tenant);
    return it == rows_.end() ? std::vector<std::string>{} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<TenantId, std::vector<std::string>> rows_;
};

enum class Mode { io_only, offload };

struct Shared {
  TenantRows rows;
  std::atomic<int> violations{0};
  std::atomic<int> running{0};      // started and not finished
  std::atomic<int> max_running{0};  // > 1 means requests were suspended while others ran
  std::atomic<int> switches{0};     // resumes where another request ran since our last step
  std::atomic<int> last{-1};
  std::atomic<int> finished{0};
  std::mutex threads_mu;
  std::set<std::thread::id> io_threads, pool_threads;
  void note_thread(std::set<std::thread::id>& set) {
    std::lock_guard lock(threads_mu);
    set.insert(std::this_thread::get_id());
  }
};

template <class F>
net::awaitable<std::invoke_result_t<F&>> offload(net::thread_pool& pool, F f) {
  using T = std::invoke_result_t<F&>;
  co_return co_await net::co_spawn(
      pool, [f = std::move(f)]() mutable -> net::awaitable<T> { co_return f(); },
      net::use_awaitable);
}

std::string tenant_name(int i) {
  return "org-" + std::to_string(i);
}

// Everything a request sees must be its own: its context, and the store's answer for it.
void check(Shared& s, const TenantContext& ctx, int i, int rows_expected,
           const std::vector<std::string>& rows) {
  const std::string mine = tenant_name(i);
  if (ctx.tenant.str() != mine || ctx.request_id.str() != "req-" + std::to_string(i) ||
      ctx.principal.user.str() != "user-" + std::to_string(i))
    ++s.violations;
  if (static_cast<int>(rows.size()) != rows_expected) ++s.violations;
  for (const auto& r : rows)
    if (r.rfind(mine + "/", 0) != 0) ++s.violations;
}

void note_resume(Shared& s, int i) {
  const int before = s.last.exchange(i);
  if (before != i) ++s.switches;
}

net::awaitable<void> request(Shared& s, int i, Mode mode, net::thread_pool* pool) {
  // The context lives in this coroutine frame, whatever thread resumes it.
  TenantContext ctx;
  ctx.tenant = TenantId::from_trusted(tenant_name(i));
  ctx.request_id = RequestId::from_trusted("req-" + std::to_string(i));
  ctx.principal.kind = PrincipalKind::user;
  ctx.principal.user = UserId::from_trusted("user-" + std::to_string(i));
  SeededRandom random(static_cast<std::uint64_t>(i) * 7919 + 1);

  const int now_running = ++s.running;
  int seen = s.max_running.load();
  while (now_running > seen && !s.max_running.compare_exchange_weak(seen, now_running)) {
  }

  auto ex = co_await net::this_coro::executor;
  for (int step = 0; step < kSteps; ++step) {
    s.rows.add(ctx, ctx.tenant.str() + "/" + std::to_string(step));
    net::steady_timer timer(ex, std::chrono::microseconds(random.uniform(3000)));
    co_await timer.async_wait(net::use_awaitable);
    note_resume(s, i);
    s.note_thread(s.io_threads);
    check(s, ctx, i, step + 1, s.rows.list(ctx));
    if (mode == Mode::offload) {
      auto rows = co_await offload(*pool, [&s, &ctx, i, step] {
        s.note_thread(s.pool_threads);
        auto r = s.rows.list(ctx);
        check(s, ctx, i, step + 1, r);  // also on the pool thread
        return r;
      });
      note_resume(s, i);
      s.note_thread(s.io_threads);
      check(s, ctx, i, step + 1, rows);
    }
  }
  --s.running;
  ++s.finished;
}

void run(Shared& s, int io_threads, Mode mode) {
  net::io_context ioc(io_threads);
  net::thread_pool pool(4);
  for (int i = 0; i < kRequests; ++i) net::co_spawn(ioc, request(s, i, mode, &pool), net::detached);
  std::vector<std::thread> threads;
  for (int t = 1; t < io_threads; ++t) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  pool.join();
}

void expect_isolated_and_interleaved(Shared& s) {
  EXPECT_EQ(s.finished.load(), kRequests);
  EXPECT_EQ(s.violations.load(), 0);
  EXPECT_GT(s.max_running.load(), 1);           // requests were suspended while others ran
  EXPECT_GT(s.switches.load(), kRequests * 2);  // and resumed interleaved, not one by one
}

TEST(TenantContextCoroutineTest, OneThreadManyInterleavedRequests) {
  Shared s;
  run(s, 1, Mode::io_only);
  expect_isolated_and_interleaved(s);
  EXPECT_EQ(s.io_threads.size(), 1u);
}

TEST(TenantContextCoroutineTest, FourThreadsOneIoContext) {
  Shared s;
  run(s, 4, Mode::io_only);
  expect_isolated_and_interleaved(s);
  EXPECT_GT(s.io_threads.size(), 1u);  // resumed on several threads
}

TEST(TenantContextCoroutineTest, HopsToThreadPoolAndBack) {
  Shared s;
  run(s, 2, Mode::offload);
  expect_isolated_and_interleaved(s);
  EXPECT_FALSE(s.pool_threads.empty());
  for (const auto& id : s.pool_threads) EXPECT_EQ(s.io_threads.count(id), 0u);
}

// Control: the anti-pattern context.hpp rules out. A thread_local "current tenant" set at the
// start of each request is overwritten by whichever request ran last on that thread.
thread_local const TenantContext* g_current = nullptr;

net::awaitable<void> ambient_request(std::atomic<int>& violations, int i) {
  TenantContext ctx;
  ctx.tenant = TenantId::from_trusted(tenant_name(i));
  g_current = &ctx;
  SeededRandom random(static_cast<std::uint64_t>(i) + 17);
  auto ex = co_await net::this_coro::executor;
  for (int step = 0; step < kSteps; ++step) {
    net::steady_timer timer(ex, std::chrono::microseconds(random.uniform(3000)));
    co_await timer.async_wait(net::use_awaitable);
    if (g_current != &ctx) ++violations;
  }
  if (g_current == &ctx) g_current = nullptr;
}

TEST(TenantContextCoroutineTest, ControlThreadLocalTenantLeaks) {
  std::atomic<int> violations{0};
  net::io_context ioc(1);
  for (int i = 0; i < kRequests; ++i)
    net::co_spawn(ioc, ambient_request(violations, i), net::detached);
  ioc.run();
  g_current = nullptr;
  EXPECT_GT(violations.load(), 0);
}

}  // namespace
}  // namespace tenantkit
