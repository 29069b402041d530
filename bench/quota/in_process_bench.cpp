// SPDX-License-Identifier: Apache-2.0
// W1, W2, W5/seq and W5/2threads (quota-workload.md) on one InProcessBackend per pass, with the
// engine's default clock (coarse_clock()). Manual time: engine construction, warm-up and checks
// stay outside the timed region. items_per_second = decisions/s.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <tenantkit/quota/in_process.hpp>

#include "tools/alloc_counter.hpp"
#include "workload.hpp"
#include <time.h>

namespace {

using tenantkit::quota::InMemoryLimitSource;
using tenantkit::quota::InProcessBackend;
using tenantkit::quota::Policy;
using Clock = std::chrono::steady_clock;

std::unique_ptr<InMemoryLimitSource> limits_for(std::int64_t limit) {
  auto l = std::make_unique<InMemoryLimitSource>();
  l->set_default("requests", Policy::fixed_window(limit, std::chrono::seconds{3600}));
  return l;
}

std::uint64_t run_seq(InProcessBackend& q, const std::vector<std::uint32_t>& seq,
                      const std::vector<std::string>& keys, std::size_t first = 0,
                      std::size_t step = 1) {
  std::uint64_t allowed = 0;
  for (std::size_t i = first; i < seq.size(); i += step) {
    auto o = q.decide(keys[seq[i]], "requests", 1);
    allowed += (o && o->allowed()) ? 1 : 0;
  }
  return allowed;
}

// Exactness per tenant, read back from the engine after the pass (untimed).
bool exact_per_tenant(InProcessBackend& q, const std::vector<std::string>& keys,
                      const std::vector<std::int64_t>& expected) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (expected[i] == 0) continue;
    auto o = q.decide(keys[i], "requests", 0);
    if (!o || o->used != expected[i]) return false;
  }
  return true;
}

// CPU seconds of the calling thread: on a shared, oversubscribed machine the wall-clock rate
// mostly measures how much of a core the scheduler gave us; this says what the engine costs.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// cpu_secs: per pass, the longest thread's CPU time inside the timed region, so
// cpu_items_per_second is the rate the pass would reach with a whole core per thread.
void report(benchmark::State& st, std::int64_t decisions, std::uint64_t allocs, double cpu_secs) {
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * decisions);
  st.counters["allocs_per_pass"] =
      benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(st.iterations()));
  if (cpu_secs > 0)
    st.counters["cpu_items_per_second"] = benchmark::Counter(
        static_cast<double>(decisions) * static_cast<double>(st.iterations()) / cpu_secs);
}

// W1's timed passes. `warm_engine` (the diagnostic row): each pass runs on an engine that already
// saw the sequence once, so every tenant exists; the gap to W1 is what creating 9,997 counters
// costs inside a fresh pass. Per-tenant exactness is checked only on fresh engines (a warm one
// has counted the sequence twice).
void run_w1(benchmark::State& st, bool warm_engine) {
  const auto& seq = tenantkit::bench::zipf42();
  static const auto keys = tenantkit::bench::tenant_keys(10'000);
  static const auto expected = tenantkit::bench::expected_allowed(seq, 10'000, 1'000'000);
  auto limits = limits_for(1'000'000);
  if (!warm_engine) {
    InProcessBackend warm(*limits);
    run_seq(warm, seq, keys);
  }
  std::uint64_t allocs = 0;
  double cpu = 0;
  for (auto _ : st) {
    auto q = std::make_unique<InProcessBackend>(*limits);
    if (warm_engine) run_seq(*q, seq, keys);
    const std::uint64_t a0 = tenantkit::bench::allocations();
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    const std::uint64_t allowed = run_seq(*q, seq, keys);
    const auto t1 = Clock::now();
    cpu += thread_cpu_seconds() - c0;
    allocs += tenantkit::bench::allocations() - a0;
    benchmark::DoNotOptimize(allowed);
    if (allowed != 1'000'000 || (!warm_engine && !exact_per_tenant(*q, keys, expected))) {
      st.SkipWithError("W1: wrong allowed count");
      break;
    }
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  report(st, 1'000'000, allocs, cpu);
}

void BM_W1(benchmark::State& st) {
  run_w1(st, false);
}
BENCHMARK(BM_W1)->Name("W1")->UseManualTime()->Unit(benchmark::kMillisecond)->Repetitions(5);

// Diagnostic (not a workload row).
void BM_W1_warm(benchmark::State& st) {
  run_w1(st, true);
}
BENCHMARK(BM_W1_warm)
    ->Name("Diag/W1_warm_engine")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5);

// Diagnostic (not an engine, not a workload row): W1's access pattern on the barest table that
// can answer it: open addressing over the key bytes with one plain counter per key, no clock,
// no window, no policy, no Outcome, no thread safety. It is the ceiling this machine puts on a
// W1 pass (one hash, one probe, one increment per decision), measured in the same run as W1 so
// that the engine's figure can be read against it.
struct BareCell {
  char key[16];
  std::uint64_t count;
  std::uint8_t len;
};

std::uint64_t bare_hash(const std::string& k) {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::memcpy(&a, k.data(), std::min<std::size_t>(k.size(), 8));
  if (k.size() > 8) std::memcpy(&b, k.data() + 8, std::min<std::size_t>(k.size() - 8, 8));
  const std::uint64_t x = (a ^ (b * 0x9E3779B97F4A7C15ULL) ^ k.size()) * 0xBF58476D1CE4E5B9ULL;
  return x ^ (x >> 29);
}

void BM_W1_bare(benchmark::State& st) {
  const auto& seq = tenantkit::bench::zipf42();
  static const auto keys = tenantkit::bench::tenant_keys(10'000);
  constexpr std::size_t kCells = std::size_t{1} << 15;
  double cpu = 0;
  for (auto _ : st) {
    std::vector<BareCell> cells(kCells);
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    std::uint64_t allowed = 0;
    for (const std::uint32_t id : seq) {
      const std::string& k = keys[id];
      for (std::size_t i = bare_hash(k) & (kCells - 1);; i = (i + 1) & (kCells - 1)) {
        BareCell& c = cells[i];
        if (c.len == k.size() && std::memcmp(c.key, k.data(), k.size()) == 0) {
          allowed += ++c.count <= 1'000'000 ? 1 : 0;
          break;
        }
        if (c.len == 0) {
          std::memcpy(c.key, k.data(), k.size());
          c.len = static_cast<std::uint8_t>(k.size());
          c.count = 1;
          ++allowed;
          break;
        }
      }
    }
    const auto t1 = Clock::now();
    cpu += thread_cpu_seconds() - c0;
    benchmark::DoNotOptimize(allowed);
    if (allowed != 1'000'000) {
      st.SkipWithError("bare table: wrong allowed count");
      break;
    }
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  report(st, 1'000'000, 0, cpu);
}
BENCHMARK(BM_W1_bare)
    ->Name("Diag/W1_bare_table")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5);

// Two threads, one shared engine; time from the barrier's release to the later thread's end.
template <class Work>
double run_two(Work work, double* cpu = nullptr) {
  std::barrier<> start(2);
  Clock::time_point begin[2], end[2];
  double cpu_used[2] = {0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      const double c0 = thread_cpu_seconds();
      begin[t] = Clock::now();
      work(t);
      end[t] = Clock::now();
      cpu_used[t] = thread_cpu_seconds() - c0;
    });
  }
  for (auto& th : threads) th.join();
  if (cpu != nullptr) *cpu += std::max(cpu_used[0], cpu_used[1]);
  return std::chrono::duration<double>(std::max(end[0], end[1]) - std::min(begin[0], begin[1]))
      .count();
}

void BM_W2(benchmark::State& st) {
  const auto& s0 = tenantkit::bench::zipf42();
  const auto& s1 = tenantkit::bench::zipf43();
  static const auto keys = tenantkit::bench::tenant_keys(10'000);
  static const auto expected = [&] {
    std::vector<std::uint32_t> both(s0);
    both.insert(both.end(), s1.begin(), s1.end());
    return tenantkit::bench::expected_allowed(both, 10'000, 1'000'000);
  }();
  const std::vector<std::uint32_t>* seqs[2] = {&s0, &s1};
  auto limits = limits_for(1'000'000);
  {
    InProcessBackend warm(*limits);
    run_two([&](int t) { run_seq(warm, *seqs[t], keys); });
  }
  std::uint64_t allocs = 0;
  double cpu = 0;
  for (auto _ : st) {
    auto q = std::make_unique<InProcessBackend>(*limits);
    std::atomic<std::uint64_t> allowed{0};
    const std::uint64_t a0 = tenantkit::bench::allocations();
    const double secs = run_two([&](int t) { allowed += run_seq(*q, *seqs[t], keys); }, &cpu);
    allocs += tenantkit::bench::allocations() - a0;
    if (allowed.load() != 2'000'000 || !exact_per_tenant(*q, keys, expected)) {
      st.SkipWithError("W2: wrong allowed count");
      break;
    }
    st.SetIterationTime(secs);
  }
  report(st, 2'000'000, allocs, cpu);
}
BENCHMARK(BM_W2)->Name("W2")->UseManualTime()->Unit(benchmark::kMillisecond)->Repetitions(5);

void BM_W5(benchmark::State& st, bool two_threads) {
  const auto& seq = tenantkit::bench::uniform100();
  static const auto keys = tenantkit::bench::tenant_keys(100);
  static const auto expected = tenantkit::bench::expected_allowed(seq, 100, 1'000);
  auto limits = limits_for(1'000);
  auto pass = [&](InProcessBackend& q) -> std::uint64_t {
    if (!two_threads) return run_seq(q, seq, keys);
    std::atomic<std::uint64_t> allowed{0};
    run_two([&](int t) { allowed += run_seq(q, seq, keys, static_cast<std::size_t>(t), 2); });
    return allowed.load();
  };
  {
    InProcessBackend warm(*limits);
    pass(warm);
  }
  std::uint64_t allocs = 0;
  double cpu = 0;
  for (auto _ : st) {
    auto q = std::make_unique<InProcessBackend>(*limits);
    const std::uint64_t a0 = tenantkit::bench::allocations();
    double secs = 0;
    std::uint64_t allowed = 0;
    if (two_threads) {
      std::atomic<std::uint64_t> n{0};
      secs = run_two([&](int t) { n += run_seq(*q, seq, keys, static_cast<std::size_t>(t), 2); },
                     &cpu);
      allowed = n.load();
    } else {
      const double c0 = thread_cpu_seconds();
      const auto t0 = Clock::now();
      allowed = run_seq(*q, seq, keys);
      secs = std::chrono::duration<double>(Clock::now() - t0).count();
      cpu += thread_cpu_seconds() - c0;
    }
    allocs += tenantkit::bench::allocations() - a0;
    if (allowed != 100'000 || !exact_per_tenant(*q, keys, expected)) {
      st.SkipWithError("W5: not exact");
      break;
    }
    st.SetIterationTime(secs);
  }
  report(st, 200'000, allocs, cpu);
}
BENCHMARK_CAPTURE(BM_W5, seq, false)
    ->Name("W5/seq")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5);
BENCHMARK_CAPTURE(BM_W5, two_threads, true)
    ->Name("W5/2threads")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5);

}  // namespace
