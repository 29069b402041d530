// SPDX-License-Identifier: Apache-2.0
// Scenarios both SQL backends must pass beyond the conformance suites: tamper detection by a
// direct SQL edit, concurrent audit appends, usage counted exactly once, chunked audit scans.
#pragma once

#include <functional>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/audit/chain.hpp>
#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::testing::sql {

/// Runs one SQL statement directly against the backend's database, bypassing the stores.
using RawExec = std::function<void(const std::string&)>;

inline storage::Org make_org(storage::Storage& st, Samples& s) {
  auto user = must(st.users().create(s.user()));
  auto org = s.org();
  must(st.orgs().create(org, s.member(org.id, user.id, {"owner"})));
  return org;
}

inline storage::AuditEvent audit_event(Samples& s, const OrgId& org, std::string action) {
  storage::AuditEvent e;
  e.id = s.id<AuditEventId>();
  e.org = org;
  e.actor_type = "user";
  e.actor_id = "u-1";
  e.action = std::move(action);
  e.target_type = "workspace";
  e.target_id = "w-1";
  e.metadata_json = R"({"k":"v"})";
  e.at = s.now();
  return e;
}

inline void audit_tamper_is_detected(storage::Storage& st, const RawExec& exec) {
  Samples s;
  auto org = make_org(st, s);
  std::vector<storage::AuditEvent> appended;
  for (int i = 0; i < 5; ++i)
    appended.push_back(
        must(st.audit().append(org.id, audit_event(s, org.id, "a." + std::to_string(i)))));
  auto chain = st.audit().read_chain(org.id, 0, 100);
  ASSERT_THAT(chain, IsOk());
  ASSERT_EQ(chain->size(), 5u);
  EXPECT_TRUE(audit::verify_chain(*chain).ok);
  EXPECT_EQ((*chain)[2], appended[2]);

  exec("UPDATE audit_events SET action = 'member.removed' WHERE seq = 3 AND org_id = '" +
       org.id.str() + "'");
  auto tampered = st.audit().read_chain(org.id, 0, 100);
  ASSERT_THAT(tampered, IsOk());
  auto report = audit::verify_chain(*tampered);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_broken_id, appended[2].id.str());
}

inline void audit_concurrent_appends_form_one_chain(storage::Storage& st) {
  Samples s;
  auto org = make_org(st, s);
  std::vector<storage::AuditEvent> events;
  for (int i = 0; i < 40; ++i) events.push_back(audit_event(s, org.id, "c." + std::to_string(i)));
  std::atomic<int> failures{0};
  run_concurrently(4, [&](int t) {
    for (int i = t; i < 40; i += 4)
      if (!st.audit().append(org.id, events[static_cast<std::size_t>(i)])) ++failures;
  });
  EXPECT_EQ(failures.load(), 0);
  auto chain = st.audit().read_chain(org.id, 0, 1000);
  ASSERT_THAT(chain, IsOk());
  ASSERT_EQ(chain->size(), 40u);
  for (std::size_t i = 0; i < chain->size(); ++i)
    EXPECT_EQ((*chain)[i].seq, static_cast<std::int64_t>(i + 1));
  EXPECT_TRUE(audit::verify_chain(*chain, "", true).ok);
}

inline void audit_scan_streams_in_chunks(storage::Storage& st) {
  Samples s;
  auto org = make_org(st, s);
  for (int i = 0; i < 25; ++i)
    must(st.audit().append(org.id, audit_event(s, org.id, i % 2 ? "odd" : "even")));
  std::vector<std::int64_t> seqs;
  ASSERT_THAT(st.audit().scan(org.id, {}, 7,
                              [&](const storage::AuditEvent& e) {
                                seqs.push_back(e.seq);
                                return true;
                              }),
              IsOk());
  ASSERT_EQ(seqs.size(), 25u);
  for (std::size_t i = 0; i < seqs.size(); ++i)
    EXPECT_EQ(seqs[i], static_cast<std::int64_t>(i + 1));
  int seen = 0;
  storage::AuditQuery odd;
  odd.action = "odd";
  ASSERT_THAT(st.audit().scan(org.id, odd, 3,
                              [&](const storage::AuditEvent& e) {
                                EXPECT_EQ(e.action, "odd");
                                return ++seen < 5;
                              }),
              IsOk());
  EXPECT_EQ(seen, 5) << "returning false stops the scan";
  // Newest first, with a stable cursor.
  auto all = collect_all<storage::AuditEvent>(
      [&](const PageRequest& p) { return st.audit().list(org.id, {}, p); }, 4);
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(all.front().seq, 25);
  EXPECT_EQ(all.back().seq, 1);
  EXPECT_THAT(st.audit().append(org.id,
                                [&] {
                                  auto e = audit_event(s, org.id, "x");
                                  e.metadata_json = "[1]";
                                  return e;
                                }()),
              HasError(Errc::validation_failed));
}

inline storage::UsageEvent usage_event(Samples& s, const OrgId& org, std::string key,
                                       std::int64_t qty, std::string meter = "api_calls") {
  storage::UsageEvent e;
  e.id = s.id<UsageEventId>();
  e.org = org;
  e.meter = std::move(meter);
  e.quantity = qty;
  e.idempotency_key = std::move(key);
  e.occurred_at = e.recorded_at = s.now();
  return e;
}

inline void usage_is_counted_exactly_once(storage::Storage& st) {
  Samples s;
  auto a = make_org(st, s);
  auto b = make_org(st, s);
  auto first = st.usage().record(a.id, usage_event(s, a.id, "k-1", 5));
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->duplicate);
  // A batch over two orgs: a repeat of k-1, an in-batch duplicate (k-2 twice), and b's own k-1.
  std::vector<storage::UsageEvent> batch = {
      usage_event(s, a.id, "k-1", 100), usage_event(s, a.id, "k-2", 7),
      usage_event(s, b.id, "k-1", 3), usage_event(s, a.id, "k-2", 1000),
      usage_event(s, a.id, "k-3", 11, "storage_gb")};
  auto out = st.usage().record_batch(batch);
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->size(), batch.size());
  EXPECT_TRUE((*out)[0].duplicate);
  EXPECT_EQ((*out)[0].id, first->id) << "a duplicate returns the first event's id";
  EXPECT_FALSE((*out)[1].duplicate);
  EXPECT_FALSE((*out)[2].duplicate) << "idempotency keys are per org";
  EXPECT_TRUE((*out)[3].duplicate);
  EXPECT_EQ((*out)[3].id, batch[1].id);
  EXPECT_FALSE((*out)[4].duplicate);

  const Timestamp from = s.now() - std::chrono::hours(1), to = s.now() + std::chrono::hours(1);
  EXPECT_THAT(st.usage().total(a.id, "api_calls", from, to), IsOkAndHolds(12));
  EXPECT_THAT(st.usage().total(b.id, "api_calls", from, to), IsOkAndHolds(3));
  const std::string day = format_date(s.now());
  auto daily = st.usage().daily(a.id, "", day, day);
  ASSERT_THAT(daily, IsOk());
  EXPECT_THAT(*daily, ::testing::ElementsAre(storage::DailyUsage{day, "api_calls", 12},
                                             storage::DailyUsage{day, "storage_gb", 11}));
  auto only = st.usage().daily(a.id, "storage_gb", day, day);
  ASSERT_THAT(only, IsOk());
  EXPECT_EQ(only->size(), 1u);
  EXPECT_THAT(st.usage().record(a.id, usage_event(s, a.id, "", 1)),
              HasError(Errc::validation_failed));
  EXPECT_THAT(st.usage().record(a.id, usage_event(s, a.id, "neg", -1)),
              HasError(Errc::validation_failed));
}

inline void usage_concurrent_duplicates_count_once(storage::Storage& st) {
  Samples s;
  auto org = make_org(st, s);
  std::vector<storage::UsageEvent> events;
  for (int i = 0; i < 50; ++i)
    events.push_back(usage_event(s, org.id, "dup-" + std::to_string(i % 10), 1));
  run_concurrently(4, [&](int) { ASSERT_THAT(st.usage().record_batch(events), IsOk()); });
  const Timestamp from = s.now() - std::chrono::hours(1), to = s.now() + std::chrono::hours(1);
  EXPECT_THAT(st.usage().total(org.id, "api_calls", from, to), IsOkAndHolds(10));
  const std::string day = format_date(s.now());
  auto daily = st.usage().daily(org.id, "api_calls", day, day);
  ASSERT_THAT(daily, IsOk());
  ASSERT_EQ(daily->size(), 1u);
  EXPECT_EQ(daily->front().quantity, 10);
}

}  // namespace tenantkit::testing::sql
