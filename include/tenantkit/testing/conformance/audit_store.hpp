// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::AuditStore: append assigns seq 1..n and a valid hash chain per
// org (also under concurrent appends), validation, list newest-first with filters and cursor, scan
// oldest-first in chunks with early stop, read_chain, delete_before keeping the rest verifiable,
// tenant isolation. Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/audit/chain.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class AuditStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::AuditStore& audit() { return this->db().audit(); }

  storage::AuditEvent append(const OrgId& org, std::string action = "member.role_changed") {
    return must(audit().append(org, this->s_.audit_event(org, std::move(action))),
                "audit().append");
  }

  // read_chain returns at most 1000 entries a call: longer chains are read in chunks.
  std::vector<storage::AuditEvent> whole_chain(const OrgId& org) {
    std::vector<storage::AuditEvent> out;
    for (;;) {
      auto chunk = must(audit().read_chain(org, out.empty() ? 0 : out.back().seq, 1000),
                        "audit().read_chain");
      if (chunk.empty()) return out;
      out.insert(out.end(), chunk.begin(), chunk.end());
    }
  }

  static std::vector<std::int64_t> seqs(const std::vector<storage::AuditEvent>& events) {
    std::vector<std::int64_t> out;
    for (const auto& e : events) out.push_back(e.seq);
    return out;
  }
};
TYPED_TEST_SUITE_P(AuditStoreConformance);

TYPED_TEST_P(AuditStoreConformance, AppendAssignsSeqAndAValidChain) {
  auto a = this->make_tenant();
  std::vector<storage::AuditEvent> appended;
  for (int i = 0; i < 5; ++i) {
    auto e = this->s_.audit_event(a.org.id);
    e.at = odd_micros(e.at);
    auto stored = this->audit().append(a.org.id, e);
    ASSERT_THAT(stored, IsOk());
    EXPECT_EQ(stored->seq, i + 1);
    EXPECT_EQ(stored->prev_hash, i == 0 ? std::string() : appended.back().hash);
    EXPECT_EQ(stored->hash, audit::chain_hash(stored->prev_hash, *stored));
    // Everything but the store-assigned fields is kept as given.
    auto expected = e;
    expected.seq = stored->seq;
    expected.prev_hash = stored->prev_hash;
    expected.hash = stored->hash;
    EXPECT_EQ(*stored, expected);
    appended.push_back(*stored);
  }
  auto chain = this->whole_chain(a.org.id);
  EXPECT_EQ(chain, appended);
  auto report = audit::verify_chain(chain, "", true);
  EXPECT_TRUE(report.ok) << report.first_broken_id;
  EXPECT_EQ(report.checked, 5);
}

TYPED_TEST_P(AuditStoreConformance, InvalidEventsAreRejectedWithoutUsingASeq) {
  auto a = this->make_tenant();
  auto no_action = this->s_.audit_event(a.org.id, "");
  EXPECT_THAT(this->audit().append(a.org.id, no_action), HasError(Errc::validation_failed));
  for (const char* bad : {"[1,2]", "not json", "\"text\"", "", "{\"unterminated\":"}) {
    auto e = this->s_.audit_event(a.org.id);
    e.metadata_json = bad;
    EXPECT_THAT(this->audit().append(a.org.id, e), HasError(Errc::validation_failed))
        << "metadata " << bad;
  }
  auto e = this->s_.audit_event(a.org.id);
  e.metadata_json = "{}";
  auto ok = this->audit().append(a.org.id, e);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->seq, 1);
}

TYPED_TEST_P(AuditStoreConformance, ChainsArePerOrgAndIsolated) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  this->append(a.org.id);
  this->append(a.org.id);
  auto first_b = this->append(b.org.id);
  EXPECT_EQ(first_b.seq, 1);
  EXPECT_EQ(first_b.prev_hash, "");
  auto listed = this->audit().list(b.org.id, storage::AuditQuery{}, PageRequest{});
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0], first_b);
  EXPECT_EQ(this->whole_chain(b.org.id).size(), 1u);
  EXPECT_EQ(this->whole_chain(a.org.id).size(), 2u);
  auto c = this->make_tenant();
  EXPECT_THAT(this->audit().read_chain(c.org.id, 0, 10), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(this->audit().delete_before(c.org.id, this->s_.now() + std::chrono::hours(1)),
              IsOkAndHolds(0));
  EXPECT_EQ(this->whole_chain(a.org.id).size(), 2u);
}

TYPED_TEST_P(AuditStoreConformance, ListIsNewestFirstAndFollowsTheCursor) {
  auto a = this->make_tenant();
  for (int i = 0; i < 8; ++i) this->append(a.org.id);
  std::vector<std::string> expected;
  for (int seq = 8; seq >= 1; --seq) expected.push_back(std::to_string(seq));
  expect_paginates<storage::AuditEvent>(
      [&](const PageRequest& r) { return this->audit().list(a.org.id, storage::AuditQuery{}, r); },
      expected, [](const storage::AuditEvent& e) { return std::to_string(e.seq); });
}

TYPED_TEST_P(AuditStoreConformance, ListFiltersByActionActorTargetAndTime) {
  auto a = this->make_tenant();
  auto mk = [&](const char* action, const char* actor, const char* target) {
    auto e = this->s_.audit_event(a.org.id, action);
    e.actor_id = actor;
    e.target_type = target;
    return must(this->audit().append(a.org.id, e));
  };
  auto e1 = mk("member.removed", "u1", "member");
  auto e2 = mk("api_key.created", "u1", "api_key");
  auto e3 = mk("member.removed", "u2", "member");
  auto e4 = mk("api_key.revoked", "u2", "api_key");
  auto e5 = mk("member.removed", "u1", "member");
  auto query = [&](storage::AuditQuery q) {
    auto all = collect_all<storage::AuditEvent>(
        [&](const PageRequest& r) { return this->audit().list(a.org.id, q, r); }, 2);
    return this->seqs(all);
  };
  storage::AuditQuery q;
  q.action = "member.removed";
  EXPECT_EQ(query(q), (std::vector<std::int64_t>{e5.seq, e3.seq, e1.seq}));
  q = {};
  q.actor_id = "u1";
  EXPECT_EQ(query(q), (std::vector<std::int64_t>{e5.seq, e2.seq, e1.seq}));
  q.target_type = "member";
  EXPECT_EQ(query(q), (std::vector<std::int64_t>{e5.seq, e1.seq}));
  q = {};
  q.from = e2.at;  // inclusive
  q.to = e4.at;    // exclusive
  EXPECT_EQ(query(q), (std::vector<std::int64_t>{e3.seq, e2.seq}));
  q = {};
  q.action = "nothing.matches";
  EXPECT_EQ(query(q), std::vector<std::int64_t>{});
}

TYPED_TEST_P(AuditStoreConformance, ScanIsOldestFirstInChunksAndStopsOnFalse) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  for (int i = 0; i < 10; ++i) this->append(a.org.id, i % 2 ? "odd.action" : "even.action");
  this->append(b.org.id);
  for (int chunk : {1, 3, 10, 50}) {
    std::vector<std::int64_t> seen;
    ASSERT_THAT(this->audit().scan(a.org.id, storage::AuditQuery{}, chunk,
                                   [&](const storage::AuditEvent& e) {
                                     seen.push_back(e.seq);
                                     return true;
                                   }),
                IsOk());
    EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))
        << "chunk " << chunk;
  }
  int calls = 0;
  ASSERT_THAT(this->audit().scan(a.org.id, storage::AuditQuery{}, 3,
                                 [&](const storage::AuditEvent&) { return ++calls < 4; }),
              IsOk());
  EXPECT_EQ(calls, 4);
  std::vector<std::int64_t> odd;
  storage::AuditQuery q;
  q.action = "odd.action";
  ASSERT_THAT(this->audit().scan(a.org.id, q, 2,
                                 [&](const storage::AuditEvent& e) {
                                   odd.push_back(e.seq);
                                   return true;
                                 }),
              IsOk());
  EXPECT_EQ(odd, (std::vector<std::int64_t>{2, 4, 6, 8, 10}));
}

TYPED_TEST_P(AuditStoreConformance, ReadChainReadsAfterASeqUpToALimit) {
  auto a = this->make_tenant();
  for (int i = 0; i < 6; ++i) this->append(a.org.id);
  auto part = this->audit().read_chain(a.org.id, 2, 3);
  ASSERT_THAT(part, IsOk());
  EXPECT_EQ(this->seqs(*part), (std::vector<std::int64_t>{3, 4, 5}));
  auto rest = this->audit().read_chain(a.org.id, 5, 100);
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(this->seqs(*rest), (std::vector<std::int64_t>{6}));
  // A chunk continues the previous one's links.
  EXPECT_TRUE(audit::verify_chain(*rest, part->back().hash, true).ok);
  EXPECT_THAT(this->audit().read_chain(a.org.id, 6, 100), IsOkAndHolds(::testing::IsEmpty()));
}

// scan()'s chunk and read_chain()'s limit are clamped to 1..1000: a caller asking for more still
// gets bounded reads, and 0 or a negative number still makes progress.
TYPED_TEST_P(AuditStoreConformance, ScanChunkAndReadChainLimitAreClampedTo1To1000) {
  auto a = this->make_tenant();
  for (int i = 0; i < 1001; ++i) this->append(a.org.id);
  auto first = this->audit().read_chain(a.org.id, 0, 1'000'000);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->size(), 1000u);
  EXPECT_EQ(first->front().seq, 1);
  EXPECT_EQ(first->back().seq, 1000);
  auto rest = this->audit().read_chain(a.org.id, 1000, 1'000'000);
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(this->seqs(*rest), (std::vector<std::int64_t>{1001}));
  for (int limit : {0, -7}) {
    auto one = this->audit().read_chain(a.org.id, 5, limit);
    ASSERT_THAT(one, IsOk());
    EXPECT_EQ(this->seqs(*one), (std::vector<std::int64_t>{6})) << "limit " << limit;
  }
  for (int chunk : {0, -1}) {
    std::int64_t seen = 0;
    ASSERT_THAT(this->audit().scan(a.org.id, storage::AuditQuery{}, chunk,
                                   [&](const storage::AuditEvent& e) {
                                     EXPECT_EQ(e.seq, seen + 1);
                                     seen = e.seq;
                                     return seen < 3;
                                   }),
                IsOk());
    EXPECT_EQ(seen, 3) << "chunk " << chunk;
  }
  // A huge chunk is read 1000 entries at a time: an entry appended while the first chunk is
  // handed out is in a later chunk (a single read of everything would end before it).
  std::vector<std::int64_t> seen;
  ASSERT_THAT(this->audit().scan(a.org.id, storage::AuditQuery{}, 1 << 30,
                                 [&](const storage::AuditEvent& e) {
                                   if (seen.empty()) this->append(a.org.id);
                                   seen.push_back(e.seq);
                                   return true;
                                 }),
              IsOk());
  ASSERT_EQ(seen.size(), 1002u);
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(this->whole_chain(a.org.id).size(), 1002u);
}

TYPED_TEST_P(AuditStoreConformance, DeleteBeforeKeepsTheRestVerifiable) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  for (int i = 0; i < 4; ++i) this->append(a.org.id);
  this->s_.clock.advance(std::chrono::hours(24));
  const auto cutoff = this->s_.now();
  this->append(b.org.id);
  for (int i = 0; i < 3; ++i) this->append(a.org.id);

  auto b_before = this->whole_chain(b.org.id);
  EXPECT_THAT(this->audit().delete_before(a.org.id, cutoff), IsOkAndHolds(4));
  auto kept = this->whole_chain(a.org.id);
  EXPECT_EQ(this->seqs(kept), (std::vector<std::int64_t>{5, 6, 7}));
  EXPECT_TRUE(audit::verify_chain(kept).ok);
  // Appends continue the numbering and the links.
  auto next = this->append(a.org.id);
  EXPECT_EQ(next.seq, 8);
  EXPECT_EQ(next.prev_hash, kept.back().hash);
  EXPECT_TRUE(audit::verify_chain(this->whole_chain(a.org.id)).ok);
  EXPECT_EQ(this->whole_chain(b.org.id), b_before);
  EXPECT_THAT(this->audit().delete_before(a.org.id, cutoff), IsOkAndHolds(0));
}

TYPED_TEST_P(AuditStoreConformance, ConcurrentAppendsFormOneValidChain) {
  auto a = this->make_tenant();
  constexpr int kThreads = 4;
  constexpr int kEach = 15;
  std::vector<std::vector<storage::AuditEvent>> events(kThreads);
  for (auto& list : events)
    for (int j = 0; j < kEach; ++j) list.push_back(this->s_.audit_event(a.org.id));
  run_concurrently(kThreads, [&](int i) {
    for (const auto& e : events[static_cast<std::size_t>(i)])
      EXPECT_THAT(this->audit().append(a.org.id, e), IsOk());
  });
  auto chain = this->whole_chain(a.org.id);
  ASSERT_EQ(chain.size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < chain.size(); ++i)
    EXPECT_EQ(chain[i].seq, static_cast<std::int64_t>(i + 1));
  auto report = audit::verify_chain(chain, "", true);
  EXPECT_TRUE(report.ok) << report.first_broken_id;
}

REGISTER_TYPED_TEST_SUITE_P(AuditStoreConformance, AppendAssignsSeqAndAValidChain,
                            InvalidEventsAreRejectedWithoutUsingASeq, ChainsArePerOrgAndIsolated,
                            ListIsNewestFirstAndFollowsTheCursor,
                            ListFiltersByActionActorTargetAndTime,
                            ScanIsOldestFirstInChunksAndStopsOnFalse,
                            ReadChainReadsAfterASeqUpToALimit,
                            ScanChunkAndReadChainLimitAreClampedTo1To1000,
                            DeleteBeforeKeepsTheRestVerifiable, ConcurrentAppendsFormOneValidChain);

}  // namespace tenantkit::testing
