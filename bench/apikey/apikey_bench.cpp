// SPDX-License-Identifier: Apache-2.0
// API key verification: cached (the hot path, goal <= 500 ns, no allocation), uncached against
// the in-memory store (goal <= 5 us), and the offline checksum rejection. 1,000 keys are issued
// in one org; each iteration verifies the next one round-robin. `allocs_per_op` counts heap
// allocations made by the benchmark thread per verification.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/verifier.hpp>

#include "apikey/memory_api_key_store.hpp"
#include "tools/alloc_counter.hpp"

namespace tenantkit::apikey {
namespace {

constexpr int kKeys = 1000;

struct Fixture {
  ManualClock clock;
  testing::MemoryApiKeyStore store;
  KeyHasher hasher = KeyHasher::create({{1, Secret(std::string(32, 'p'))}}).value();
  InProcessRevocationFeed feed;
  LastUsedRecorder recorder{store, clock};
  std::vector<std::string> secrets;

  Fixture() {
    KeyManager manager(store, hasher, feed, system_random(), clock);
    const std::vector<std::string> perms{"*"};
    NewKey key;
    key.created_by = UserId::from_trusted("bench-user");
    for (int i = 0; i < kKeys; ++i) {
      key.name = std::to_string(i);
      secrets.push_back(
          manager.create(OrgId::from_trusted("org"), key, perms).value().secret.reveal());
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void run(benchmark::State& state, Verifier& verifier, const std::vector<std::string>& inputs,
         bool expect_ok) {
  std::size_t i = 0;
  const std::uint64_t before = tenantkit::bench::thread_allocations();
  for (auto _ : state) {
    auto r = verifier.verify(inputs[i]);
    if (r.has_value() != expect_ok) state.SkipWithError("unexpected verification result");
    benchmark::DoNotOptimize(r);
    if (++i == inputs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(tenantkit::bench::thread_allocations() - before),
                         benchmark::Counter::kAvgIterations);
}

void verify_cached(benchmark::State& state) {
  Fixture& f = fixture();
  Verifier verifier(f.store, f.hasher, f.feed, f.clock, &f.recorder,
                    {.capacity = 10'000, .ttl = std::chrono::seconds{60}});
  for (const auto& s : f.secrets) (void)verifier.verify(s);  // warm
  run(state, verifier, f.secrets, true);
}

void verify_uncached(benchmark::State& state) {
  Fixture& f = fixture();
  Verifier verifier(f.store, f.hasher, f.feed, f.clock, &f.recorder,
                    {.capacity = 0, .ttl = std::chrono::seconds{60}});
  run(state, verifier, f.secrets, true);
}

void reject_checksum(benchmark::State& state) {
  Fixture& f = fixture();
  Verifier verifier(f.store, f.hasher, f.feed, f.clock);
  std::vector<std::string> typos;
  for (std::string s : f.secrets) {
    s[10] = s[10] == 'a' ? 'b' : 'a';
    typos.push_back(std::move(s));
  }
  run(state, verifier, typos, false);
}

BENCHMARK(verify_cached)->Name("ApiKey/verify_cached");
BENCHMARK(verify_uncached)->Name("ApiKey/verify_uncached");
BENCHMARK(reject_checksum)->Name("ApiKey/reject_checksum");

}  // namespace
}  // namespace tenantkit::apikey

BENCHMARK_MAIN();
