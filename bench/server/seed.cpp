// SPDX-License-Identifier: Apache-2.0
// tenantkit-bench-seed: fills a server database for the load benchmark (bench/server/suite.sh):
// N orgs, each with an owner, an active enterprise subscription (unlimited: the server never
// denies) and K API keys made through apikey::KeyManager, and writes one secret per org to a file.
//
//   export TK_DATABASE_URL=sqlite:/tmp/x.db TK_API_KEY_PEPPER=<same as the server's>
//   tenantkit-bench-seed --orgs=1000 --keys-per-org=10 --secrets-out=keys.txt
//
// Reads TK_DATABASE_URL (on PostgreSQL the application role, as for the server: open_postgres
// refuses a superuser), TK_DATABASE_MIGRATION_URL (PostgreSQL owner, optional) and
// TK_API_KEY_PEPPER from the environment (not argv: secrets do not belong in `ps`). The hasher is
// pepper version 1 = TK_API_KEY_PEPPER, which is how the server must build its own.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/apikey/verifier.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/storage/postgres.hpp>
#include <tenantkit/storage/sqlite.hpp>

namespace {

using namespace tenantkit;

struct Options {
  int orgs = 1000;
  int keys_per_org = 10;
  std::string secrets_out = "bench-keys.txt";
  std::string database_url;
  std::string migration_url;
  std::string pepper;
};

std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool parse_int(std::string_view text, int& out, int min, int max) {
  try {
    const int v = std::stoi(std::string(text));
    if (v < min || v > max) return false;
    out = v;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : arg.substr(eq + 1);
    if (name == "--orgs" && parse_int(value, o.orgs, 1, 1000000)) continue;
    if (name == "--keys-per-org" && parse_int(value, o.keys_per_org, 1, 1000)) continue;
    if (name == "--secrets-out" && !value.empty()) {
      o.secrets_out = std::string(value);
      continue;
    }
    std::fprintf(stderr, "tenantkit-bench-seed: bad argument %s\n", argv[i]);
    return false;
  }
  o.database_url = env_or("TK_DATABASE_URL");
  o.migration_url = env_or("TK_DATABASE_MIGRATION_URL");
  o.pepper = env_or("TK_API_KEY_PEPPER");
  if (o.database_url.empty() || o.pepper.size() < 32) {
    std::fputs("tenantkit-bench-seed: set TK_DATABASE_URL and TK_API_KEY_PEPPER (>= 32 bytes)\n",
               stderr);
    return false;
  }
  return true;
}

Result<std::unique_ptr<storage::Storage>> open(const Options& o) {
  if (o.database_url.starts_with("sqlite:")) {
    auto options = storage::sqlite_options_from_url(o.database_url, 2);
    if (!options) return options.error();
    return storage::open_sqlite(*options);
  }
  return storage::open_postgres(
      {.url = o.database_url, .pool_size = 2, .migration_url = o.migration_url});
}

// One org: owner user, org + owner membership, enterprise subscription. Returns the owner.
Result<std::pair<OrgId, UserId>> seed_org(storage::Storage& db, int n, Random& random,
                                          const Clock& clock) {
  const Timestamp now = clock.now();
  const std::string tag = std::to_string(n);
  storage::User user{.id = UserId::generate(random, clock),
                     .email = "bench-owner-" + tag + "@bench.example.com",
                     .name = "Bench owner " + tag,
                     .password_hash = "",
                     .active = true,
                     .created_at = now,
                     .updated_at = now};
  if (auto u = db.users().create(user); !u) return u.error();
  storage::Org org{.id = OrgId::generate(random, clock),
                   .name = "Bench org " + tag,
                   .slug = "bench-org-" + tag,
                   .created_at = now,
                   .updated_at = now};
  storage::Membership owner{.org = org.id,
                            .user = user.id,
                            .roles = {"owner"},
                            .active = true,
                            .external_id = "",
                            .joined_at = now,
                            .scim_profile = {}};
  if (auto created = db.orgs().create(org, owner); !created) return created.error();
  storage::Subscription sub;
  sub.org = org.id;
  sub.plan = "enterprise";
  sub.status = "active";
  sub.customer_id = "cus_bench_" + tag;
  sub.subscription_id = "sub_bench_" + tag;
  sub.current_period_end = now + std::chrono::hours(24 * 365);
  sub.last_event_at = now;
  sub.updated_at = now;
  if (auto put = db.subscriptions().put_if_newer(org.id, sub); !put) return put.error();
  return std::pair{org.id, user.id};
}

int run(const Options& o) {
  auto db = open(o);
  if (!db) {
    std::fprintf(stderr, "tenantkit-bench-seed: cannot open the database: %s\n",
                 db.error().detail.c_str());
    return 1;
  }
  auto hasher = apikey::KeyHasher::create({{1, Secret(o.pepper)}});
  if (!hasher) {
    std::fprintf(stderr, "tenantkit-bench-seed: %s\n", hasher.error().detail.c_str());
    return 1;
  }
  apikey::InProcessRevocationFeed feed;
  Random& random = system_random();
  const Clock& clock = system_clock();
  apikey::KeyManager keys((*db)->api_keys(), *hasher, feed, random, clock);
  const std::vector<std::string> creator{"data:read", "usage:write"};

  std::vector<std::pair<OrgId, std::string>> written;
  std::ofstream out(o.secrets_out, std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "tenantkit-bench-seed: cannot write %s\n", o.secrets_out.c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < o.orgs; ++n) {
    auto owner = seed_org(**db, n, random, clock);
    if (!owner) {
      std::fprintf(stderr, "tenantkit-bench-seed: org %d: %s\n", n, owner.error().detail.c_str());
      return 1;
    }
    for (int k = 0; k < o.keys_per_org; ++k) {
      apikey::NewKey spec{.name = "bench key " + std::to_string(k), .created_by = owner->second};
      auto issued = keys.create(owner->first, spec, creator);
      if (!issued) {
        std::fprintf(stderr, "tenantkit-bench-seed: key %d of org %d: %s\n", k, n,
                     issued.error().detail.c_str());
        return 1;
      }
      if (k == 0) {
        out << issued->secret.reveal() << '\n';
        written.emplace_back(owner->first, issued->secret.reveal());
      }
    }
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "tenantkit-bench-seed: writing %s failed\n", o.secrets_out.c_str());
    return 1;
  }
  // The secrets handed to wrk must verify as the server will verify them (same store, same
  // pepper, data:read), or the benchmark would measure 401s.
  apikey::Verifier verifier((*db)->api_keys(), *hasher, feed, clock);
  for (const auto& [org, secret] : written) {
    auto verified = verifier.verify(secret);
    if (!verified || (*verified)->tenant != org || !(*verified)->allows("data:read")) {
      std::fprintf(stderr, "tenantkit-bench-seed: a seeded key does not verify for its org\n");
      return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seeded %d orgs, %d API keys in %.1f s; %d secrets (verified) in %s\n", o.orgs,
              o.orgs * o.keys_per_org, seconds, o.orgs, o.secrets_out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) return 2;
  return run(options);
}
