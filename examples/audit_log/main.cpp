// SPDX-License-Identifier: Apache-2.0
// docs/audit.md: audit events in the per-org hash chain; a query, a JSON-lines export through
// scan(), verification, tamper detection and retention. Exits non-zero on an unexpected answer.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tenantkit/audit/chain.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/storage/storage.hpp>

using namespace tenantkit;
using namespace std::chrono_literals;

int main() {
  auto store = storage::open_memory();
  ManualClock clock;
  Random& random = system_random();
  const OrgId org = OrgId::generate(random, clock);
  {
    const Timestamp now = clock.now();
    storage::User user{.id = UserId::generate(random, clock),
                       .email = "owner@example.com",
                       .name = "Owner",
                       .password_hash = {},
                       .active = true,
                       .created_at = now,
                       .updated_at = now};
    storage::Org o{.id = org, .name = "Acme", .slug = "acme", .created_at = now, .updated_at = now};
    storage::Membership m;
    m.org = org;
    m.user = user.id;
    m.roles = {"owner"};
    m.joined_at = now;
    if (!store->users().create(user) || !store->orgs().create(o, m)) return 1;
  }
  int failures = 0;

  // [snippet append]
  auto record = [&](std::string action, std::string target_id) {
    storage::AuditEvent e;
    e.id = AuditEventId::generate(random, clock);
    e.org = org;
    e.actor_type = "user";
    e.actor_id = "user-1";
    e.action = std::move(action);
    e.target_type = "member";
    e.target_id = std::move(target_id);
    e.request_id = "req-1";
    e.metadata_json = R"({"before":"member","after":"admin"})";
    e.at = clock.now();
    // The store assigns seq, prev_hash and hash = SHA-256(prev_hash || canonical(e)).
    return store->audit().append(org, e);
  };
  // [end append]
  for (int i = 0; i < 5; ++i) {
    auto appended =
        record(i % 2 == 0 ? "member.role_changed" : "api_key.created", std::to_string(i));
    if (!appended) {
      std::fprintf(stderr, "append failed: %s\n", appended.error().detail.c_str());
      return 1;
    }
    clock.advance(24h);
  }

  // [snippet query]
  // Filters (action, actor, target type, time range) and cursor pages, newest first.
  storage::AuditQuery role_changes;
  role_changes.action = "member.role_changed";
  auto page = store->audit().list(org, role_changes, PageRequest{});
  if (!page) return 1;
  std::printf("%zu role changes, newest seq %lld\n", page->items.size(),
              static_cast<long long>(page->items.front().seq));

  // An export streams every matching entry oldest first, in chunks, without holding them all.
  std::string json_lines;
  auto scanned =
      store->audit().scan(org, storage::AuditQuery{}, 100, [&](const storage::AuditEvent& e) {
        json_lines += R"({"seq":)" + std::to_string(e.seq) + R"(,"action":")" + e.action + "\"}\n";
        return true;  // false stops early
      });
  // [end query]
  if (!scanned || page->items.size() != 3) ++failures;
  std::printf("%s", json_lines.c_str());

  // [snippet verify]
  auto chain = store->audit().read_chain(org, /*after_seq=*/0, /*limit=*/1000);
  if (!chain) return 1;
  audit::ChainReport report = audit::verify_chain(*chain);
  std::printf("chain ok: %s, %lld entries checked\n", report.ok ? "yes" : "no",
              static_cast<long long>(report.checked));

  // Any edit to a stored entry (here: a changed target) breaks its hash.
  std::vector<storage::AuditEvent> tampered = *chain;
  tampered[2].target_id = "someone-else";
  audit::ChainReport broken = audit::verify_chain(tampered);
  std::printf("after tampering: ok=%s, first broken entry is seq 3: %s\n", broken.ok ? "yes" : "no",
              broken.first_broken_id == tampered[2].id.str() ? "yes" : "no");
  // [end verify]
  if (!report.ok || report.checked != 5 || broken.ok ||
      broken.first_broken_id != tampered[2].id.str())
    ++failures;

  // [snippet retention]
  // Keep 3 days: older entries go, and the kept range still verifies from its first entry.
  auto deleted = store->audit().delete_before(org, clock.now() - 72h);
  auto kept = store->audit().read_chain(org, 0, 1000);
  if (!deleted || !kept) return 1;
  std::printf("retention deleted %lld, kept range verifies: %s\n", static_cast<long long>(*deleted),
              audit::verify_chain(*kept).ok ? "yes" : "no");
  // [end retention]
  if (*deleted != 2 || kept->size() != 3 || !audit::verify_chain(*kept).ok) ++failures;
  return failures == 0 ? 0 : 1;
}
