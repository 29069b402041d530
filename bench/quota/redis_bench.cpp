// SPDX-License-Identifier: Apache-2.0
// W3, W4, W5/seq/redis and W5/c64/redis (quota-workload.md) on RedisBackend against the Redis of
// TK_TEST_REDIS_URL (bench/quota/suite.sh starts a private one). FLUSHDB before every pass and
// around the warm-up (the first 20,000 decisions in the workload's own mode). W3 and W5/seq call
// decide() and wait for each answer. W4 and W5/c64 keep exactly 64 decisions issued and not yet
// answered on one connection (decide_many, window 64): the decisions issued together share one
// script call of up to RedisOptions::batch_size (32), so two calls are in flight and each answer
// issues the next 32 decisions. items_per_second = decisions/s.
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <tenantkit/quota/redis/backend.hpp>
#include <tenantkit/quota/redis/leased.hpp>

#include "workload.hpp"

namespace {

using tenantkit::quota::InMemoryLimitSource;
using tenantkit::quota::Policy;
using tenantkit::quota::redis::RedisBackend;
using tenantkit::quota::redis::Request;
using Clock = std::chrono::steady_clock;

const char* redis_url() {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  return (url != nullptr && *url != '\0') ? url : nullptr;
}

bool flushdb() {
  const char* port = std::getenv("TK_TEST_REDIS_PORT");
  redisContext* c = redisConnect("127.0.0.1", port ? std::atoi(port) : 6379);
  if (c == nullptr || c->err != 0) {
    if (c) redisFree(c);
    return false;
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "FLUSHDB"));
  const bool good = r != nullptr && r->type == REDIS_REPLY_STATUS;
  if (r) freeReplyObject(r);
  redisFree(c);
  return good;
}

struct Setup {
  std::unique_ptr<InMemoryLimitSource> limits;
  std::unique_ptr<RedisBackend> backend;
};

Setup open(std::int64_t limit) {
  Setup s;
  s.limits = std::make_unique<InMemoryLimitSource>();
  s.limits->set_default("requests", Policy::fixed_window(limit, std::chrono::seconds{3600}));
  auto r = tenantkit::quota::redis::open_backend(
      {.url = redis_url(), .pool_size = 1, .command_timeout = std::chrono::milliseconds{5000}},
      *s.limits);
  if (r) s.backend = std::move(*r);
  return s;
}

// One pass in the given mode over seq[0, n); returns allowed decisions and fills per-tenant counts.
std::uint64_t pass(RedisBackend& q, const std::vector<std::uint32_t>& seq, std::size_t n,
                   const std::vector<std::string>& keys, bool pipelined,
                   std::vector<std::int64_t>& per_tenant, std::uint64_t& errors) {
  std::uint64_t allowed = 0;
  if (!pipelined) {
    for (std::size_t i = 0; i < n; ++i) {
      auto o = q.decide(keys[seq[i]], "requests", 1);
      if (!o) {
        ++errors;
      } else if (o->allowed()) {
        ++allowed;
        ++per_tenant[seq[i]];
      }
    }
    return allowed;
  }
  std::vector<Request> reqs(n);
  for (std::size_t i = 0; i < n; ++i) reqs[i] = Request{keys[seq[i]], "requests", 1};
  q.decide_many(
      reqs,
      [&](std::size_t i, const tenantkit::Result<tenantkit::quota::Outcome>& o) {
        if (!o) {
          ++errors;
        } else if (o->allowed()) {
          ++allowed;
          ++per_tenant[seq[i]];
        }
      },
      64);
  return allowed;
}

void run(benchmark::State& st, const std::vector<std::uint32_t>& seq, std::size_t tenants,
         std::int64_t limit, bool pipelined) {
  if (redis_url() == nullptr) {
    st.SkipWithError("TK_TEST_REDIS_URL is not set (bench/quota/suite.sh starts a Redis)");
    return;
  }
  static const auto keys = tenantkit::bench::tenant_keys(10'000);
  const auto expected = tenantkit::bench::expected_allowed(seq, tenants, limit);
  std::uint64_t expected_total = 0;
  for (auto e : expected) expected_total += static_cast<std::uint64_t>(e);
  Setup s = open(limit);
  if (!s.backend || !flushdb()) {
    st.SkipWithError("cannot reach Redis");
    return;
  }
  {
    std::vector<std::int64_t> ignore(tenants, 0);
    std::uint64_t errors = 0;
    pass(*s.backend, seq, std::min<std::size_t>(20'000, seq.size()), keys, pipelined, ignore,
         errors);
    flushdb();
  }
  for (auto _ : st) {
    if (!flushdb()) {
      st.SkipWithError("FLUSHDB failed");
      break;
    }
    std::vector<std::int64_t> per_tenant(tenants, 0);
    std::uint64_t errors = 0;
    const auto t0 = Clock::now();
    const std::uint64_t allowed =
        pass(*s.backend, seq, seq.size(), keys, pipelined, per_tenant, errors);
    const auto t1 = Clock::now();
    if (errors != 0 || allowed != expected_total || per_tenant != expected) {
      st.SkipWithError("wrong allowed counts (not exact)");
      break;
    }
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) *
                       static_cast<std::int64_t>(seq.size()));
}

void BM_W3(benchmark::State& st) {
  run(st, tenantkit::bench::zipf42(), 10'000, 1'000'000, false);
}
void BM_W4(benchmark::State& st) {
  run(st, tenantkit::bench::zipf42(), 10'000, 1'000'000, true);
}
void BM_W5_seq(benchmark::State& st) {
  run(st, tenantkit::bench::uniform100(), 100, 1'000, false);
}
void BM_W5_c64(benchmark::State& st) {
  run(st, tenantkit::bench::uniform100(), 100, 1'000, true);
}

// Leased (issue #5: "each process takes leases of N units from Redis and spends them locally").
// W1's sequence (Zipf seed 42, limit 1,000,000 per hour) through LeasedBackend on Redis.
// - Leased/cold: a fresh engine right after FLUSHDB. Every one of the 9,997 distinct tenants
//   costs a synchronous round trip on its first decision (nothing can be spent before Redis
//   granted a lease), so this row measures first contact, bounded by ~10k round trips.
// - Leased: the steady state the goal is about. FLUSHDB, a fresh engine, one untimed pass over
//   the sequence (the process has served its tenants and holds their leases), then the timed
//   pass over the same sequence: decisions spend local units, refills run in the background.
// - Leased/2engines: the same with two engines (two processes' worth: own connection each) on
//   one Redis, one thread each, on W2's sequences (seeds 42 and 43), released by a barrier.
// Every pass checks the allowed count per tenant; after the timed pass the engines return their
// units and Redis's count of tenant 0 must equal what was allowed (nothing lost or stranded).
using tenantkit::quota::redis::LeasedBackend;

// CPU seconds of the calling thread (as in in_process_bench.cpp): on a shared machine the wall
// rate mostly says how much of a core the scheduler gave the pass. Refills run on the engine's
// own thread and are not included; the wall-clock items_per_second includes waiting for them.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::uint64_t leased_pass(LeasedBackend& q, const std::vector<std::uint32_t>& seq,
                          const std::vector<std::string>& keys,
                          std::vector<std::int64_t>& per_tenant) {
  std::uint64_t allowed = 0;
  for (std::uint32_t id : seq) {
    auto o = q.decide(keys[id], "requests", 1);
    if (o && o->allowed()) {
      ++allowed;
      ++per_tenant[id];
    }
  }
  return allowed;
}

bool redis_count_is(RedisBackend& r, const std::string& key, std::int64_t expected) {
  auto o = r.decide(key, "requests", 0);
  return o && o->used == expected;
}

void BM_Leased(benchmark::State& st, bool cold) {
  if (redis_url() == nullptr) {
    st.SkipWithError("TK_TEST_REDIS_URL is not set (bench/quota/suite.sh starts a Redis)");
    return;
  }
  const auto& seq = tenantkit::bench::zipf42();
  static const auto keys = tenantkit::bench::tenant_keys(10'000);
  const auto expected = tenantkit::bench::expected_allowed(seq, 10'000, 1'000'000);
  Setup s = open(1'000'000);
  if (!s.backend || !flushdb()) {
    st.SkipWithError("cannot reach Redis");
    return;
  }
  {  // warm-up as for Redis: the first 20,000 decisions, then FLUSHDB
    LeasedBackend q(*s.backend, *s.limits);
    std::vector<std::int64_t> ignore(10'000, 0);
    const std::vector<std::uint32_t> head(seq.begin(), seq.begin() + 20'000);
    leased_pass(q, head, keys, ignore);
  }
  flushdb();
  double cpu = 0;
  for (auto _ : st) {
    flushdb();
    LeasedBackend q(*s.backend, *s.limits);
    if (!cold) {
      std::vector<std::int64_t> primed(10'000, 0);
      if (leased_pass(q, seq, keys, primed) != seq.size() || primed != expected) {
        st.SkipWithError("Leased: wrong allowed counts in the untimed pass");
        break;
      }
    }
    std::vector<std::int64_t> per_tenant(10'000, 0);
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    const std::uint64_t allowed = leased_pass(q, seq, keys, per_tenant);
    const auto t1 = Clock::now();
    cpu += thread_cpu_seconds() - c0;
    if (allowed != seq.size() || per_tenant != expected) {
      st.SkipWithError("Leased: wrong allowed counts");
      break;
    }
    if (!q.return_leases() || !redis_count_is(*s.backend, keys[0], (cold ? 1 : 2) * expected[0])) {
      st.SkipWithError("Leased: Redis's count differs from the allowed decisions");
      break;
    }
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) *
                       static_cast<std::int64_t>(seq.size()));
  if (cpu > 0)
    st.counters["cpu_items_per_second"] = benchmark::Counter(
        static_cast<double>(seq.size()) * static_cast<double>(st.iterations()) / cpu);
}

void BM_Leased_2engines(benchmark::State& st) {
  if (redis_url() == nullptr) {
    st.SkipWithError("TK_TEST_REDIS_URL is not set (bench/quota/suite.sh starts a Redis)");
    return;
  }
  const std::vector<std::uint32_t>* seqs[2] = {&tenantkit::bench::zipf42(),
                                               &tenantkit::bench::zipf43()};
  static const auto keys = tenantkit::bench::tenant_keys(10'000);
  const auto expected = [&] {
    std::vector<std::uint32_t> both(*seqs[0]);
    both.insert(both.end(), seqs[1]->begin(), seqs[1]->end());
    return tenantkit::bench::expected_allowed(both, 10'000, 1'000'000);
  }();
  Setup s[2] = {open(1'000'000), open(1'000'000)};
  if (!s[0].backend || !s[1].backend || !flushdb()) {
    st.SkipWithError("cannot reach Redis");
    return;
  }
  for (auto _ : st) {
    flushdb();
    std::unique_ptr<LeasedBackend> q[2];
    for (int t = 0; t < 2; ++t) q[t] = std::make_unique<LeasedBackend>(*s[t].backend, *s[t].limits);
    std::vector<std::int64_t> per_tenant[2] = {std::vector<std::int64_t>(10'000, 0),
                                               std::vector<std::int64_t>(10'000, 0)};
    std::uint64_t allowed[2] = {0, 0};
    bool primed_ok[2] = {false, false};
    Clock::time_point begin[2], end[2];
    std::barrier<> start(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        std::vector<std::int64_t> primed(10'000, 0);
        primed_ok[t] = leased_pass(*q[t], *seqs[t], keys, primed) == seqs[t]->size();
        start.arrive_and_wait();
        begin[t] = Clock::now();
        allowed[t] = leased_pass(*q[t], *seqs[t], keys, per_tenant[t]);
        end[t] = Clock::now();
      });
    }
    for (auto& th : threads) th.join();
    for (std::size_t i = 0; i < per_tenant[0].size(); ++i) per_tenant[0][i] += per_tenant[1][i];
    if (!primed_ok[0] || !primed_ok[1] || allowed[0] + allowed[1] != 2'000'000 ||
        per_tenant[0] != expected) {
      st.SkipWithError("Leased/2engines: wrong allowed counts");
      break;
    }
    if (!q[0]->return_leases() || !q[1]->return_leases() ||
        !redis_count_is(*s[0].backend, keys[0], 2 * expected[0])) {
      st.SkipWithError("Leased/2engines: Redis's count differs from the allowed decisions");
      break;
    }
    st.SetIterationTime(
        std::chrono::duration<double>(std::max(end[0], end[1]) - std::min(begin[0], begin[1]))
            .count());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * 2'000'000);
}

#define TK_REDIS_BENCH(fn, name)      \
  BENCHMARK(fn)                       \
      ->Name(name)                    \
      ->UseManualTime()               \
      ->Unit(benchmark::kMillisecond) \
      ->Iterations(1)                 \
      ->Repetitions(3)

TK_REDIS_BENCH(BM_W3, "W3");
TK_REDIS_BENCH(BM_W4, "W4");
TK_REDIS_BENCH(BM_W5_seq, "W5/seq/redis");
TK_REDIS_BENCH(BM_W5_c64, "W5/c64/redis");
TK_REDIS_BENCH(BM_Leased_2engines, "Leased/2engines");
BENCHMARK_CAPTURE(BM_Leased, steady, false)
    ->Name("Leased")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3);
BENCHMARK_CAPTURE(BM_Leased, cold, true)
    ->Name("Leased/cold")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3);

}  // namespace
