// SPDX-License-Identifier: Apache-2.0
// W3, W4, W5/seq/redis and W5/c64/redis (quota-workload.md) on RedisBackend against the Redis of
// TK_TEST_REDIS_URL (bench/quota/suite.sh starts a private one). FLUSHDB before every pass and
// around the warm-up (the first 20,000 decisions in the workload's own mode). W3 and W5/seq call
// decide() and wait for each answer. W4 and W5/c64 keep exactly 64 decisions issued and not yet
// answered on one connection (decide_many, window 64): the decisions issued together share one
// script call of up to RedisOptions::batch_size (32), so two calls are in flight and each answer
// issues the next 32 decisions. items_per_second = decisions/s.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
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

// Leased: W1's sequence through a LeasedBackend (one process) on Redis. A fresh engine and
// FLUSHDB per pass; the untimed warm-up is the first 20,000 decisions, as for Redis.
void BM_Leased(benchmark::State& st) {
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
  auto leased_pass = [&](std::size_t n, std::vector<std::int64_t>& per_tenant) -> std::uint64_t {
    tenantkit::quota::redis::LeasedBackend q(*s.backend, *s.limits);
    std::uint64_t allowed = 0;
    for (std::size_t i = 0; i < n; ++i) {
      auto o = q.decide(keys[seq[i]], "requests", 1);
      if (o && o->allowed()) {
        ++allowed;
        ++per_tenant[seq[i]];
      }
    }
    return allowed;
  };
  {
    std::vector<std::int64_t> ignore(10'000, 0);
    leased_pass(20'000, ignore);
    flushdb();
  }
  for (auto _ : st) {
    flushdb();
    std::vector<std::int64_t> per_tenant(10'000, 0);
    tenantkit::quota::redis::LeasedBackend q(*s.backend, *s.limits);
    std::uint64_t allowed = 0;
    const auto t0 = Clock::now();
    for (std::uint32_t id : seq) {
      auto o = q.decide(keys[id], "requests", 1);
      if (o && o->allowed()) {
        ++allowed;
        ++per_tenant[id];
      }
    }
    const auto t1 = Clock::now();
    if (allowed != seq.size() || per_tenant != expected) {
      st.SkipWithError("Leased: wrong allowed counts");
      break;
    }
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) *
                       static_cast<std::int64_t>(seq.size()));
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
TK_REDIS_BENCH(BM_Leased, "Leased");

}  // namespace
