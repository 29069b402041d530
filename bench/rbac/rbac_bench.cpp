// SPDX-License-Identifier: Apache-2.0
// Workload R1 (bench/rbac-workload.md): 1,000 tenants x 5 roles x 10 users over 10 resources x
// 4 actions, each role a seeded random 4-12 of the 40 permissions, built through the public API
// as per-tenant custom roles; 100,000 precomputed string requests (90 % own tenant, 10 % another
// tenant), every answer checked against the generator.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <tenantkit/rbac/engine.hpp>

// Counts heap allocations, so the report shows the check path allocates nothing.
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC 12 pairs the replaced operator new with its own free() calls below and warns wrongly.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using tenantkit::rbac::Engine;
using tenantkit::rbac::RoleDefinition;
using tenantkit::rbac::TenantEdit;

constexpr int kTenants = 1000, kRolesPerTenant = 5, kUsersPerTenant = 10;
constexpr int kResources = 10, kActions = 4, kPermissions = kResources * kActions;
constexpr int kRequests = 100'000;
constexpr std::uint64_t kSeed = 20261202;
// Built-in names are immutable in tenantkit, so the workload's five roles per tenant are custom
// roles named after them.
const char* const kRoleNames[kRolesPerTenant] = {"r1-owner", "r1-admin", "r1-member", "r1-billing",
                                                 "r1-readonly"};
const char* const kActionNames[kActions] = {"read", "write", "delete", "share"};

// splitmix64: fixed output on every platform (std distributions are implementation-defined).
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

std::string permission_name(int p) {
  return "res" + std::to_string(p / kActions) + ":" + kActionNames[p % kActions];
}
std::string tenant_name(int t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "tenant%04d", t);
  return buf;
}
std::string user_name(int u) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "user%05d", u);
  return buf;
}

// The generator's policy: plain numbers, so the expected answers need no RBAC code, plus the id
// strings an application would read from its storage (not part of the timed build).
struct Policy {
  std::vector<std::uint64_t> role_bits;  // [tenant * 5 + role] -> bitmask over 40 permissions
  std::vector<int> user_role;            // [tenant * 10 + j] -> role index
  std::vector<std::string> permissions, tenants, users;
};

Policy generate_policy() {
  Rng rng{kSeed};
  Policy p;
  p.role_bits.resize(kTenants * kRolesPerTenant);
  p.user_role.resize(kTenants * kUsersPerTenant);
  for (int i = 0; i < kPermissions; ++i) p.permissions.push_back(permission_name(i));
  for (int t = 0; t < kTenants; ++t) p.tenants.push_back(tenant_name(t));
  for (int u = 0; u < kTenants * kUsersPerTenant; ++u) p.users.push_back(user_name(u));
  for (int t = 0; t < kTenants; ++t) {
    for (int r = 0; r < kRolesPerTenant; ++r) {
      int perms[kPermissions];
      for (int i = 0; i < kPermissions; ++i) perms[i] = i;
      const int k = 4 + rng.below(9);  // 4..12
      std::uint64_t bits = 0;
      for (int i = 0; i < k; ++i) {  // partial Fisher-Yates
        const int j = i + rng.below(kPermissions - i);
        std::swap(perms[i], perms[j]);
        bits |= std::uint64_t{1} << perms[i];
      }
      p.role_bits[static_cast<std::size_t>(t * kRolesPerTenant + r)] = bits;
    }
    for (int j = 0; j < kUsersPerTenant; ++j)
      p.user_role[static_cast<std::size_t>(t * kUsersPerTenant + j)] = rng.below(kRolesPerTenant);
  }
  return p;
}

RoleDefinition role_definition(const Policy& p, int t, int r, bool extra = false) {
  RoleDefinition def;
  def.name = kRoleNames[r];
  const std::uint64_t bits = p.role_bits[static_cast<std::size_t>(t * kRolesPerTenant + r)];
  for (int i = 0; i < kPermissions; ++i)
    if ((bits >> i) & 1U) def.allow.push_back(p.permissions[static_cast<std::size_t>(i)]);
  if (extra) def.allow.emplace_back("extra:toggle");
  return def;
}

// Builds the policy the way an application would: register its permissions, then one edit per
// tenant (its custom roles and its members).
std::unique_ptr<Engine> build_engine(const Policy& p) {
  auto engine = std::make_unique<Engine>();
  for (const std::string& name : p.permissions) (void)engine->register_permission(name);
  (void)engine->register_permission("extra:toggle");  // changed by R1/contended, never asked
  for (int t = 0; t < kTenants; ++t) {
    TenantEdit edit;
    for (int r = 0; r < kRolesPerTenant; ++r) edit.create_role(role_definition(p, t, r));
    for (int j = 0; j < kUsersPerTenant; ++j) {
      const int u = t * kUsersPerTenant + j;
      edit.set_user_roles(p.users[static_cast<std::size_t>(u)],
                          {kRoleNames[p.user_role[static_cast<std::size_t>(u)]]});
    }
    if (auto r = engine->apply(p.tenants[static_cast<std::size_t>(t)], edit); !r) {
      std::fprintf(stderr, "R1 build failed: %s\n", r.error().detail.c_str());
      std::abort();
    }
  }
  return engine;
}

struct Request {
  std::string tenant, user, permission;
  bool expected;
};

std::vector<Request> generate_requests(const Policy& p) {
  Rng rng{kSeed ^ 0x5eedULL};
  std::vector<Request> out;
  out.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    const int t = rng.below(kTenants);
    const int u = t * kUsersPerTenant + rng.below(kUsersPerTenant);
    const int perm = rng.below(kPermissions);
    int asked = t;
    if (rng.below(10) == 0) asked = (t + 1 + rng.below(kTenants - 1)) % kTenants;
    const int role = p.user_role[static_cast<std::size_t>(u)];
    const bool allowed =
        asked == t &&
        ((p.role_bits[static_cast<std::size_t>(t * kRolesPerTenant + role)] >> perm) & 1U) != 0;
    out.push_back({tenant_name(asked), user_name(u), permission_name(perm), allowed});
  }
  return out;
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

// Shared state, built in main() before anything else so the RSS delta is the policy's.
Policy* g_policy = nullptr;
Engine* g_engine = nullptr;
std::vector<Request>* g_requests = nullptr;

const Request& find_request(bool allowed, int tenant) {
  for (const Request& r : *g_requests)
    if (r.expected == allowed && r.tenant == tenant_name(tenant)) return r;
  for (const Request& r : *g_requests)
    if (r.expected == allowed) return r;
  std::abort();
}

void probe(benchmark::State& state, const Request& r) {
  const long allocations = g_allocations.load();
  for (auto _ : state) {
    const auto d = g_engine->check(r.tenant, r.user, r.permission);
    if (d.allowed() != r.expected) {
      state.SkipWithError("wrong answer");
      break;
    }
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_check"] = static_cast<double>(g_allocations.load() - allocations) /
                                       static_cast<double>(state.iterations());
}

void BM_allowed(benchmark::State& state) {
  probe(state, find_request(true, kTenants / 2));
}
void BM_denied(benchmark::State& state) {
  probe(state, find_request(false, kTenants / 2));
}

void random_mix(benchmark::State& state, std::size_t start) {
  const std::vector<Request>& reqs = *g_requests;
  std::size_t i = start % reqs.size();
  for (auto _ : state) {
    const Request& r = reqs[i];
    const auto d = g_engine->check(r.tenant, r.user, r.permission);
    if (d.allowed() != r.expected) {
      state.SkipWithError("wrong answer");
      break;
    }
    if (++i == reqs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_random(benchmark::State& state) {
  const long allocations = g_allocations.load();
  random_mix(state, 0);
  state.counters["allocs_per_check"] = static_cast<double>(g_allocations.load() - allocations) /
                                       static_cast<double>(state.iterations());
  long allowed = 0;
  for (const Request& r : *g_requests) allowed += r.expected ? 1 : 0;
  state.counters["allowed_share"] = static_cast<double>(allowed) / kRequests;
}

void BM_build(benchmark::State& state) {
  for (auto _ : state) {
    auto engine = build_engine(*g_policy);
    benchmark::DoNotOptimize(engine.get());
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kTenants);  // tenants per second
}

// 2 reader threads run the random mix on the shared engine; thread 0 also runs a writer that
// re-publishes a random tenant's role every millisecond, adding or removing a permission no
// request asks about, so every answer stays checkable.
void BM_contended(benchmark::State& state) {
  std::atomic<bool> stop{false};
  std::atomic<long> writes{0};
  std::thread writer;
  if (state.thread_index() == 0) {
    writer = std::thread([&] {
      Rng rng{kSeed + 7};
      bool extra = false;
      while (!stop.load(std::memory_order_relaxed)) {
        const int t = rng.below(kTenants), r = rng.below(kRolesPerTenant);
        extra = !extra;
        if (!g_engine->update_role(tenant_name(t), role_definition(*g_policy, t, r, extra))) {
          std::abort();
        }
        writes.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  random_mix(state, static_cast<std::size_t>(state.thread_index()) * 50'000);
  if (state.thread_index() == 0) {
    stop = true;
    writer.join();
    state.counters["role_changes"] = static_cast<double>(writes.load());
  }
}

BENCHMARK(BM_allowed)->Name("R1/allowed");
BENCHMARK(BM_denied)->Name("R1/denied");
BENCHMARK(BM_random)->Name("R1/random");
BENCHMARK(BM_build)->Name("R1/build")->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_contended)->Name("R1/contended")->Threads(2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  static Policy policy = generate_policy();
  g_policy = &policy;
  const long before = rss_kb();
  static std::unique_ptr<Engine> engine = build_engine(policy);
  const long after = rss_kb();
  g_engine = engine.get();
  static std::vector<Request> requests = generate_requests(policy);
  g_requests = &requests;

  std::printf("R1/memory: VmRSS +%.2f MB (before %ld kB, after %ld kB)\n",
              static_cast<double>(after - before) / 1024.0, before, after);
  benchmark::AddCustomContext("r1_memory_added_kb", std::to_string(after - before));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
