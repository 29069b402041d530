// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::SessionStore: sessions, refresh-token rotation (single use, also
// when one token is rotated from several threads at once) and one-time tokens (consumed once,
// also concurrently). Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class SessionStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::SessionStore& sessions() { return this->db().sessions(); }

  struct Started {
    storage::Session session;
    storage::RefreshToken token;
  };
  Started start(const UserId& user, std::chrono::seconds ttl = std::chrono::hours(24)) {
    Started x;
    x.session = this->s_.session(user, ttl);
    x.token = this->s_.refresh(x.session);
    must(sessions().create(x.session, x.token), "sessions().create");
    return x;
  }
};
TYPED_TEST_SUITE_P(SessionStoreConformance);

TYPED_TEST_P(SessionStoreConformance, CreateStoresSessionAndFirstRefreshToken) {
  auto u = this->make_user();
  auto session = this->s_.session(u.id);
  session.created_at = odd_micros(session.created_at);
  session.last_seen_at = session.created_at;
  session.expires_at = odd_micros(session.expires_at);
  auto token = this->s_.refresh(session);
  token.expires_at = session.expires_at;
  EXPECT_THAT(this->sessions().create(session, token), IsOkAndHolds(session));
  EXPECT_THAT(this->sessions().get(session.id), IsOkAndHolds(session));
  EXPECT_THAT(this->sessions().get_refresh(token.id), IsOkAndHolds(token));
  EXPECT_THAT(this->sessions().find_refresh(token.token_hash), IsOkAndHolds(std::optional(token)));
}

TYPED_TEST_P(SessionStoreConformance, ActiveOrgIsStoredAndUpdated) {
  auto u = this->make_user();
  auto x = this->start(u.id);
  auto fresh = this->sessions().get(x.session.id);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->active_org, std::nullopt);
  const OrgId a = OrgId::from_trusted("org-a-" + x.session.id.str());
  const OrgId b = OrgId::from_trusted("org-b-" + x.session.id.str());
  ASSERT_THAT(this->sessions().set_active_org(x.session.id, a), IsOk());
  auto got = this->sessions().get(x.session.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->active_org, std::optional(a));
  ASSERT_THAT(this->sessions().set_active_org(x.session.id, b), IsOk());
  auto listed = this->sessions().list_active(u.id, this->s_.now());
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().active_org, std::optional(b));
  // Created with one.
  auto session = this->s_.session(u.id);
  session.active_org = a;
  ASSERT_THAT(this->sessions().create(session, this->s_.refresh(session)), IsOk());
  EXPECT_THAT(this->sessions().get(session.id), IsOkAndHolds(session));
  EXPECT_THAT(this->sessions().set_active_org(SessionId::from_trusted("no-such-session"), a),
              HasError(Errc::not_found));
}

TYPED_TEST_P(SessionStoreConformance, AbsentIsNotFoundOrNullopt) {
  EXPECT_THAT(this->sessions().get(this->s_.template id<SessionId>()), HasError(Errc::not_found));
  EXPECT_THAT(this->sessions().get_refresh(this->s_.template id<RefreshTokenId>()),
              HasError(Errc::not_found));
  EXPECT_THAT(this->sessions().find_refresh("no-such-hash"),
              IsOkAndHolds(std::optional<storage::RefreshToken>()));
  EXPECT_THAT(this->sessions().touch(this->s_.template id<SessionId>(), this->s_.now()),
              HasError(Errc::not_found));
  EXPECT_THAT(this->sessions().revoke(this->s_.template id<SessionId>(), this->s_.now()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(SessionStoreConformance, CreateConflictsOnTakenIdOrTokenHash) {
  auto u = this->make_user();
  auto first = this->start(u.id);
  auto same_id = this->s_.session(u.id);
  same_id.id = first.session.id;
  auto t1 = this->s_.refresh(same_id);
  EXPECT_THAT(this->sessions().create(same_id, t1), HasError(Errc::conflict));
  auto fresh = this->s_.session(u.id);
  auto same_hash = this->s_.refresh(fresh);
  same_hash.token_hash = first.token.token_hash;
  EXPECT_THAT(this->sessions().create(fresh, same_hash), HasError(Errc::conflict));
  EXPECT_THAT(this->sessions().get(fresh.id), HasError(Errc::not_found));
  EXPECT_THAT(this->sessions().get(first.session.id), IsOkAndHolds(first.session));
}

TYPED_TEST_P(SessionStoreConformance, ListActiveIsOldestFirstAndSkipsRevokedExpiredAndOthers) {
  auto u = this->make_user();
  auto other = this->make_user();
  auto s1 = this->start(u.id);
  auto short_lived = this->start(u.id, std::chrono::seconds(30));
  auto s2 = this->start(u.id);
  auto revoked = this->start(u.id);
  auto s3 = this->start(u.id);
  this->start(other.id);
  must(this->sessions().revoke(revoked.session.id, this->s_.now()));
  this->s_.clock.advance(std::chrono::minutes(1));
  auto active = this->sessions().list_active(u.id, this->s_.now());
  ASSERT_THAT(active, IsOk());
  std::vector<SessionId> ids;
  for (const auto& s : *active) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<SessionId>{s1.session.id, s2.session.id, s3.session.id}));
  (void)short_lived;
}

TYPED_TEST_P(SessionStoreConformance, TouchAndRevoke) {
  auto u = this->make_user();
  auto x = this->start(u.id);
  const auto seen = odd_micros(this->s_.now() + std::chrono::minutes(3));
  ASSERT_THAT(this->sessions().touch(x.session.id, seen), IsOk());
  auto touched = this->sessions().get(x.session.id);
  ASSERT_THAT(touched, IsOk());
  EXPECT_EQ(touched->last_seen_at, seen);

  const auto when = odd_micros(this->s_.now() + std::chrono::minutes(5));
  ASSERT_THAT(this->sessions().revoke(x.session.id, when), IsOk());
  auto revoked = this->sessions().get(x.session.id);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->revoked_at, std::optional(when));
  // Revoking again succeeds and keeps the first time.
  EXPECT_THAT(this->sessions().revoke(x.session.id, when + std::chrono::hours(1)), IsOk());
  revoked = this->sessions().get(x.session.id);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->revoked_at, std::optional(when));
}

TYPED_TEST_P(SessionStoreConformance, RevokeAllRevokesOnlyTheUsersActiveSessions) {
  auto u = this->make_user();
  auto other = this->make_user();
  this->start(u.id);
  this->start(u.id);
  auto already = this->start(u.id);
  must(this->sessions().revoke(already.session.id, this->s_.now()));
  auto theirs = this->start(other.id);
  EXPECT_THAT(this->sessions().revoke_all(u.id, this->s_.now()), IsOkAndHolds(2));
  EXPECT_THAT(this->sessions().list_active(u.id, this->s_.now()),
              IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(this->sessions().list_active(other.id, this->s_.now()),
              IsOkAndHolds(::testing::ElementsAre(theirs.session)));
  EXPECT_THAT(this->sessions().revoke_all(u.id, this->s_.now()), IsOkAndHolds(0));
}

TYPED_TEST_P(SessionStoreConformance, RotateIsSingleUse) {
  auto u = this->make_user();
  auto x = this->start(u.id);
  auto next = this->s_.refresh(x.session);
  const auto when = odd_micros(this->s_.now());
  auto rotated = this->sessions().rotate_refresh(x.token.id, next, when);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->kind, storage::RotateOutcome::Kind::rotated);
  EXPECT_EQ(rotated->current.id, x.token.id);
  EXPECT_EQ(rotated->current.used_at, std::optional(when));
  EXPECT_EQ(rotated->current.replaced_by, std::optional(next.id));
  EXPECT_THAT(this->sessions().get_refresh(x.token.id), IsOkAndHolds(rotated->current));
  EXPECT_THAT(this->sessions().get_refresh(next.id), IsOkAndHolds(next));
  EXPECT_THAT(this->sessions().find_refresh(next.token_hash), IsOkAndHolds(std::optional(next)));

  // Presenting the old token again is reuse; nothing new is stored.
  auto thief = this->s_.refresh(x.session);
  auto reused = this->sessions().rotate_refresh(x.token.id, thief, this->s_.now());
  ASSERT_THAT(reused, IsOk());
  EXPECT_EQ(reused->kind, storage::RotateOutcome::Kind::reused);
  EXPECT_EQ(reused->current, rotated->current);
  EXPECT_THAT(this->sessions().get_refresh(thief.id), HasError(Errc::not_found));
  EXPECT_THAT(this->sessions().find_refresh(thief.token_hash),
              IsOkAndHolds(std::optional<storage::RefreshToken>()));

  // The successor rotates normally.
  auto third = this->s_.refresh(x.session);
  auto again = this->sessions().rotate_refresh(next.id, third, this->s_.now());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->kind, storage::RotateOutcome::Kind::rotated);
  EXPECT_THAT(this->sessions().rotate_refresh(this->s_.template id<RefreshTokenId>(),
                                              this->s_.refresh(x.session), this->s_.now()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(SessionStoreConformance, ConcurrentRotationOfOneTokenRotatesExactlyOnce) {
  auto u = this->make_user();
  auto x = this->start(u.id);
  constexpr int kThreads = 8;
  std::vector<storage::RefreshToken> successors;
  for (int i = 0; i < kThreads; ++i) successors.push_back(this->s_.refresh(x.session));
  const auto now = this->s_.now();
  std::atomic<int> rotated{0}, reused{0}, winner{-1};
  run_concurrently(kThreads, [&](int i) {
    auto r =
        this->sessions().rotate_refresh(x.token.id, successors[static_cast<std::size_t>(i)], now);
    if (!r) return;
    if (r->kind == storage::RotateOutcome::Kind::rotated) {
      ++rotated;
      winner = i;
    } else {
      ++reused;
    }
  });
  ASSERT_EQ(rotated.load(), 1);
  EXPECT_EQ(reused.load(), kThreads - 1);
  for (int i = 0; i < kThreads; ++i) {
    auto found = this->sessions().find_refresh(successors[static_cast<std::size_t>(i)].token_hash);
    ASSERT_THAT(found, IsOk());
    EXPECT_EQ(found->has_value(), i == winner.load()) << "successor " << i;
  }
  auto current = this->sessions().get_refresh(x.token.id);
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->replaced_by,
            std::optional(successors[static_cast<std::size_t>(winner.load())].id));
}

TYPED_TEST_P(SessionStoreConformance, OneTimeTokenIsConsumedOnce) {
  auto u = this->make_user();
  auto t = this->s_.one_time(u.id, "password_reset");
  t.payload = R"({"email":"new@example.com"})";
  t.expires_at = odd_micros(t.expires_at);
  ASSERT_THAT(this->sessions().create_one_time(t), IsOk());
  EXPECT_THAT(this->sessions().create_one_time(t), HasError(Errc::conflict));
  // Another purpose does not reveal the token.
  EXPECT_THAT(this->sessions().consume_one_time(t.token_hash, "email_change", this->s_.now()),
              HasError(Errc::not_found));
  EXPECT_THAT(this->sessions().consume_one_time("no-such-hash", "password_reset", this->s_.now()),
              HasError(Errc::not_found));
  const auto when = odd_micros(this->s_.now());
  auto used = this->sessions().consume_one_time(t.token_hash, "password_reset", when);
  ASSERT_THAT(used, IsOk());
  auto expected = t;
  expected.used_at = when;
  EXPECT_EQ(*used, expected);
  EXPECT_THAT(this->sessions().consume_one_time(t.token_hash, "password_reset", this->s_.now()),
              HasError(Errc::gone));
}

TYPED_TEST_P(SessionStoreConformance, ExpiredOneTimeTokenIsGone) {
  auto u = this->make_user();
  auto t = this->s_.one_time(u.id, "password_reset", std::chrono::seconds(60));
  ASSERT_THAT(this->sessions().create_one_time(t), IsOk());
  EXPECT_THAT(this->sessions().consume_one_time(t.token_hash, "password_reset", t.expires_at),
              HasError(Errc::gone));
}

TYPED_TEST_P(SessionStoreConformance, ConcurrentConsumeSucceedsExactlyOnce) {
  auto u = this->make_user();
  auto t = this->s_.one_time(u.id, "password_reset");
  ASSERT_THAT(this->sessions().create_one_time(t), IsOk());
  constexpr int kThreads = 8;
  std::atomic<int> consumed{0}, gone{0};
  const auto now = this->s_.now();
  run_concurrently(kThreads, [&](int) {
    auto r = this->sessions().consume_one_time(t.token_hash, "password_reset", now);
    if (r)
      ++consumed;
    else if (r.error().code == Errc::gone)
      ++gone;
  });
  EXPECT_EQ(consumed.load(), 1);
  EXPECT_EQ(gone.load(), kThreads - 1);
}

REGISTER_TYPED_TEST_SUITE_P(SessionStoreConformance, CreateStoresSessionAndFirstRefreshToken,
                            ActiveOrgIsStoredAndUpdated, AbsentIsNotFoundOrNullopt,
                            CreateConflictsOnTakenIdOrTokenHash,
                            ListActiveIsOldestFirstAndSkipsRevokedExpiredAndOthers, TouchAndRevoke,
                            RevokeAllRevokesOnlyTheUsersActiveSessions, RotateIsSingleUse,
                            ConcurrentRotationOfOneTokenRotatesExactlyOnce,
                            OneTimeTokenIsConsumedOnce, ExpiredOneTimeTokenIsGone,
                            ConcurrentConsumeSucceedsExactlyOnce);

}  // namespace tenantkit::testing
