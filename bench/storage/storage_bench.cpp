// SPDX-License-Identifier: Apache-2.0
// Storage benchmarks on the SQL backends:
//   Ingest/<db>          usage events through record_batch (1000 per batch, 5% duplicates of
//                        earlier keys); items_per_second = events/s. main() then checks that every
//                        distinct event was counted exactly once (events and daily rollups).
//   ApiKeyByPrefix/<db>  find_by_prefix over 1,000 keys; p50_us / p99_us per lookup.
//   MembershipGet/<db>   memberships().get(org, user); p50_us / p99_us.
// PostgreSQL needs TK_TEST_DATABASE_URL (a superuser URL; bench/storage/suite.sh starts one).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <tenantkit/storage/postgres.hpp>
#include <tenantkit/storage/sqlite.hpp>

namespace {

using namespace tenantkit;
using storage::Storage;

constexpr int kOrgsPerThread = 8;
constexpr int kBatch = 1000;
constexpr int kKeys = 1000;
constexpr int kMembers = 1000;
const Timestamp kDay = from_unix_seconds(1'767'225'600);  // 2026-01-01T00:00:00Z

std::string pg_url(const std::string& db, const std::string& user) {
  std::string url = std::getenv("TK_TEST_DATABASE_URL");
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme + 3);
  std::string head = url.substr(0, slash);
  if (!user.empty())
    head = head.substr(0, scheme + 3) + user + "@" + head.substr(head.find('@') + 1);
  return head + "/" + db + "?application_name=tenantkit_bench";
}

Storage* open_backend(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Storage>> opened;
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (auto it = opened.find(name); it != opened.end()) return it->second.get();
  std::unique_ptr<Storage> st;
  if (name == "postgres") {
    if (!std::getenv("TK_TEST_DATABASE_URL")) return nullptr;
    soci::session admin(soci::postgresql, pg_url("postgres", ""));
    admin << "DROP DATABASE IF EXISTS tenantkit_bench WITH (FORCE)";
    admin << "CREATE DATABASE tenantkit_bench";
    int n = 0;
    admin << "SELECT COUNT(*) FROM pg_roles WHERE rolname = 'tenantkit_bench_app'", soci::into(n);
    if (n == 0) admin << "CREATE ROLE tenantkit_bench_app LOGIN";
    auto r = storage::open_postgres({.url = pg_url("tenantkit_bench", "tenantkit_bench_app"),
                                     .pool_size = 8,
                                     .migration_url = pg_url("tenantkit_bench", "")});
    if (!r) {
      std::fprintf(stderr, "open_postgres: %s\n", r.error().detail.c_str());
      return nullptr;
    }
    st = std::move(*r);
  } else {
    const auto path = std::filesystem::temp_directory_path() / "tenantkit-bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    auto r = storage::open_sqlite({.path = path.string(), .pool_size = 4});
    if (!r) return nullptr;
    st = std::move(*r);
  }
  return (opened[name] = std::move(st)).get();
}

OrgId org_id(int i) {
  return OrgId::from_trusted("bench-org-" + std::to_string(i));
}

void ensure_org(Storage& st, int i) {
  const OrgId id = org_id(i);
  if (st.orgs().get(id)) return;
  storage::User u;
  u.id = UserId::from_trusted("bench-owner-" + std::to_string(i));
  u.email = "owner" + std::to_string(i) + "@bench.example";
  u.name = "Owner";
  u.created_at = u.updated_at = kDay;
  (void)st.users().create(u);
  storage::Org o{id, "Bench " + std::to_string(i), "bench-" + std::to_string(i), kDay, kDay};
  storage::Membership m{id, u.id, {"owner"}, true, "", kDay, ""};
  (void)st.orgs().create(o, m);
}

// Distinct events generated per backend (what the totals must add up to).
std::map<std::string, std::atomic<long long>> g_distinct;
std::map<std::string, int> g_orgs_used;

void Ingest(benchmark::State& state, const std::string& backend) {
  Storage* st = open_backend(backend);
  if (!st) {
    state.SkipWithError("backend not configured (TK_TEST_DATABASE_URL unset?)");
    return;
  }
  const int t = state.thread_index();
  static std::mutex setup_mu;
  {
    std::lock_guard lock(setup_mu);
    for (int i = 0; i < kOrgsPerThread; ++i) ensure_org(*st, t * kOrgsPerThread + i);
    g_orgs_used[backend] = std::max(g_orgs_used[backend], (t + 1) * kOrgsPerThread);
  }
  std::mt19937_64 rng(static_cast<unsigned>(t) * 7919u + 17u);
  std::vector<std::string> seen;  // this thread's keys, for duplicates
  long long next = 0, distinct = 0;
  std::vector<storage::UsageEvent> batch(kBatch);
  const std::string tag =
      backend + "-" + std::to_string(t) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < kBatch; ++i) {
      storage::UsageEvent& e = batch[static_cast<std::size_t>(i)];
      const int org = t * kOrgsPerThread + static_cast<int>(rng() % kOrgsPerThread);
      if (!seen.empty() && rng() % 100 < 5) {
        // A redelivery: same org and key as an earlier event, which must not count again.
        const std::string& key = seen[rng() % seen.size()];
        e.org = org_id(std::stoi(key.substr(0, key.find('/'))));
        e.idempotency_key = key;
      } else {
        e.org = org_id(org);
        e.idempotency_key = std::to_string(org) + "/" + tag + "-" + std::to_string(next++);
        seen.push_back(e.idempotency_key);
        ++distinct;
      }
      e.id =
          UsageEventId::from_trusted(tag + "-e" + std::to_string(next) + "-" + std::to_string(i));
      e.meter = "api_calls";
      e.quantity = 1;
      e.occurred_at = e.recorded_at = kDay + std::chrono::seconds(rng() % 86400);
    }
    state.ResumeTiming();
    auto r = st->usage().record_batch(batch);
    if (!r) {
      state.SkipWithError(("record_batch failed: " + r.error().detail).c_str());
      break;
    }
  }
  g_distinct[backend] += distinct;
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Latency of single calls, reported as p50/p99 counters (microseconds).
template <class F>
void latency(benchmark::State& state, F&& call) {
  std::vector<double> us;
  us.reserve(100000);
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!call()) {
      state.SkipWithError("lookup failed");
      return;
    }
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us.empty() ? 0.0 : us[static_cast<std::size_t>(p * (us.size() - 1))];
  };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.SetItemsProcessed(state.iterations());
}

void ApiKeyByPrefix(benchmark::State& state, const std::string& backend) {
  Storage* st = open_backend(backend);
  if (!st) {
    state.SkipWithError("backend not configured (TK_TEST_DATABASE_URL unset?)");
    return;
  }
  for (int i = 0; i < 10; ++i) ensure_org(*st, 1000 + i);
  for (int i = 0; i < kKeys; ++i) {
    storage::ApiKey k;
    k.id = ApiKeyId::from_trusted("bench-key-" + std::to_string(i));
    k.org = org_id(1000 + i % 10);
    k.name = "k";
    k.prefix = "tk_bench_" + std::to_string(i);
    k.hash = std::string(64, 'a');
    k.scopes = {"data:read"};
    k.created_by = UserId::from_trusted("bench-owner-1000");
    k.created_at = kDay;
    (void)st->api_keys().create(k.org, k, std::nullopt);
  }
  std::mt19937 rng(42);
  std::vector<std::string> prefixes;
  for (int i = 0; i < kKeys; ++i) prefixes.push_back("tk_bench_" + std::to_string(i));
  latency(state, [&] {
    auto r = st->api_keys().find_by_prefix(prefixes[rng() % prefixes.size()]);
    return r && r->has_value();
  });
}

void MembershipGet(benchmark::State& state, const std::string& backend) {
  Storage* st = open_backend(backend);
  if (!st) {
    state.SkipWithError("backend not configured (TK_TEST_DATABASE_URL unset?)");
    return;
  }
  ensure_org(*st, 2000);
  const OrgId org = org_id(2000);
  for (int i = 0; i < kMembers; ++i) {
    storage::User u;
    u.id = UserId::from_trusted("bench-member-" + std::to_string(i));
    u.email = "member" + std::to_string(i) + "@bench.example";
    u.name = "M";
    u.created_at = u.updated_at = kDay;
    (void)st->users().create(u);
    (void)st->memberships().add(org, storage::Membership{org, u.id, {"member"}, true, "", kDay, ""},
                                std::nullopt);
  }
  std::mt19937 rng(7);
  latency(state, [&] {
    return st->memberships()
        .get(org, UserId::from_trusted("bench-member-" + std::to_string(rng() % kMembers)))
        .has_value();
  });
}

// Every distinct event counted once: the raw total and the daily rollups both equal the number
// of distinct events generated.
bool verify(const std::string& backend) {
  Storage* st = open_backend(backend);
  if (!st || !g_orgs_used.count(backend)) return true;
  long long total = 0, rolled = 0;
  for (int i = 0; i < g_orgs_used[backend]; ++i) {
    auto t = st->usage().total(org_id(i), "api_calls", kDay, kDay + std::chrono::hours(24));
    auto d = st->usage().daily(org_id(i), "api_calls", "2026-01-01", "2026-01-01");
    if (!t || !d) return false;
    total += *t;
    for (const auto& x : *d) rolled += x.quantity;
  }
  const long long expected = g_distinct[backend].load();
  std::fprintf(stderr, "verify %s: distinct events %lld, counted %lld, daily rollups %lld -> %s\n",
               backend.c_str(), expected, total, rolled,
               total == expected && rolled == expected ? "ok" : "MISMATCH");
  return total == expected && rolled == expected;
}

}  // namespace

int main(int argc, char** argv) {
  for (const std::string db : {"postgres", "sqlite"}) {
    g_distinct[db] = 0;
    benchmark::RegisterBenchmark(("Ingest/" + db).c_str(), Ingest, db)
        ->Threads(db == "postgres" ? 4 : 1)
        ->UseRealTime()
        ->MinTime(3.0);
    benchmark::RegisterBenchmark(("ApiKeyByPrefix/" + db).c_str(), ApiKeyByPrefix, db)
        ->Iterations(3000);
    benchmark::RegisterBenchmark(("MembershipGet/" + db).c_str(), MembershipGet, db)
        ->Iterations(3000);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const bool ok = verify("postgres") && verify("sqlite");
  return ok ? 0 : 1;
}
