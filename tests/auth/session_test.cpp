// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/auth/one_time_token.hpp>
#include <tenantkit/auth/refresh.hpp>
#include <tenantkit/auth/session.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "auth/memory_session_store.hpp"

namespace tenantkit::auth {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using Kind = RefreshOutcome::Kind;
using namespace std::chrono_literals;

const UserId kAlice = UserId::from_trusted("alice");
const UserId kBob = UserId::from_trusted("bob");

apikey::KeyHasher make_hasher(std::vector<std::uint32_t> versions = {1}) {
  std::vector<apikey::Pepper> peppers;
  for (auto v : versions)
    peppers.push_back({v, Secret(std::string(32, static_cast<char>('a' + v)))});
  return apikey::KeyHasher::create(std::move(peppers)).value();
}

class SessionTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SeededRandom random_{3};
  testing::MemorySessionStore store_;
  apikey::KeyHasher hasher_ = make_hasher();
  SessionOptions options_{};
  std::unique_ptr<SessionManager> sessions_ =
      SessionManager::create(store_, hasher_, random_, clock_, options_).value();

  NewLogin login(const UserId& user = kAlice) {
    auto r = sessions_->start(user, {.user_agent = "curl/8", .ip = "203.0.113.5"});
    EXPECT_THAT(r, IsOk());
    return std::move(r).value();
  }

  // A manager that opted in to a parallel-refresh grace (the default has none).
  std::unique_ptr<SessionManager> with_grace(std::chrono::seconds grace) {
    SessionOptions o;
    o.reuse_grace = grace;
    return SessionManager::create(store_, hasher_, random_, clock_, o).value();
  }
};

TEST_F(SessionTest, OptionsAreValidated) {
  SessionOptions bad;
  bad.max_per_user = 0;
  EXPECT_THAT(SessionManager::create(store_, hasher_, random_, clock_, bad),
              HasError(Errc::validation_failed));
  bad = {};
  bad.reuse_grace = -1s;
  EXPECT_THAT(SessionManager::create(store_, hasher_, random_, clock_, bad),
              HasError(Errc::validation_failed));
}

TEST_F(SessionTest, LoginCreatesASessionWithDeviceInfoAndAnOpaqueToken) {
  NewLogin l = login();
  EXPECT_EQ(l.session.user, kAlice);
  EXPECT_EQ(l.session.user_agent, "curl/8");
  EXPECT_EQ(l.session.ip, "203.0.113.5");
  EXPECT_EQ(l.session.expires_at - l.session.created_at, 30 * 24h);
  EXPECT_TRUE(is_refresh_token_shape(l.refresh_token.reveal()));
  EXPECT_EQ(l.refresh_token.reveal().size(), 3u + 43u);  // 256 bits
  for (const std::string& h : store_.refresh_hashes()) {
    EXPECT_EQ(h.size(), 64u);
    EXPECT_EQ(h.find(l.refresh_token.reveal().substr(3)), std::string::npos);
  }
  EXPECT_THAT(sessions_->check(l.session.id), IsOk());
}

TEST_F(SessionTest, RefreshRotatesAndTheOldTokenDies) {
  NewLogin l = login();
  auto first = sessions_->refresh(l.refresh_token.reveal());
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->kind, Kind::rotated);
  EXPECT_EQ(first->session.id, l.session.id);
  EXPECT_NE(first->refresh_token.reveal(), l.refresh_token.reveal());
  auto second = sessions_->refresh(first->refresh_token.reveal());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->kind, Kind::rotated);
  EXPECT_NE(second->refresh_token.reveal(), first->refresh_token.reveal());
}

TEST_F(SessionTest, ReplayedTokenRevokesThatFamilyOnly) {
  NewLogin phone = login();
  NewLogin laptop = login();
  auto rotated = sessions_->refresh(phone.refresh_token.reveal());
  ASSERT_THAT(rotated, IsOk());
  clock_.advance(11s);
  // An attacker replays the stolen, already rotated token.
  auto replay = sessions_->refresh(phone.refresh_token.reveal());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::family_revoked);
  EXPECT_TRUE(replay->refresh_token.empty());
  EXPECT_EQ(replay->session.id, phone.session.id);
  EXPECT_TRUE(replay->session.revoked_at.has_value());
  // The whole family is dead, including the legitimate successor...
  EXPECT_THAT(sessions_->refresh(rotated->refresh_token.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(sessions_->check(phone.session.id), HasError(Errc::unauthorized));
  // ...but the other device is untouched.
  EXPECT_THAT(sessions_->check(laptop.session.id), IsOk());
  auto other = sessions_->refresh(laptop.refresh_token.reveal());
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->kind, Kind::rotated);
}

TEST_F(SessionTest, GraceIsOptInSoAnImmediateReplayRevokesTheFamily) {
  EXPECT_EQ(SessionOptions{}.reuse_grace, 0s);
  NewLogin l = login();
  auto rotated = sessions_->refresh(l.refresh_token.reveal());
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->kind, Kind::rotated);
  // Right away, at the same instant: with the default options no replay is a grace replay.
  auto replay = sessions_->refresh(l.refresh_token.reveal());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::family_revoked);
  EXPECT_TRUE(replay->refresh_token.empty());
  EXPECT_TRUE(replay->session.revoked_at.has_value());
  // The successor died with its family.
  EXPECT_THAT(sessions_->refresh(rotated->refresh_token.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(sessions_->check(l.session.id), HasError(Errc::unauthorized));
}

TEST_F(SessionTest, ParallelRefreshWithinGraceGetsTheSameSuccessor) {
  auto mgr = with_grace(10s);
  NewLogin l = mgr->start(kAlice, {}).value();
  auto a = mgr->refresh(l.refresh_token.reveal());
  clock_.advance(3s);
  auto b = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->kind, Kind::rotated);
  EXPECT_EQ(b->kind, Kind::grace_replay);
  EXPECT_EQ(a->refresh_token.reveal(), b->refresh_token.reveal());
  // The client keeps either response; the shared successor works once.
  auto next = mgr->refresh(b->refresh_token.reveal());
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->kind, Kind::rotated);
}

TEST_F(SessionTest, GraceEndsOnceTheSuccessorWasUsed) {
  auto mgr = with_grace(10s);
  NewLogin l = mgr->start(kAlice, {}).value();
  auto a = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(mgr->refresh(a->refresh_token.reveal()), IsOk());
  clock_.advance(1s);  // still within 10 s, but the client has moved on: a replay
  auto replay = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::family_revoked);
}

TEST_F(SessionTest, GraceEndsAfterTheWindow) {
  auto mgr = with_grace(10s);
  NewLogin l = mgr->start(kAlice, {}).value();
  ASSERT_THAT(mgr->refresh(l.refresh_token.reveal()), IsOk());
  clock_.advance(11s);  // past the grace window, the successor still unused
  auto replay = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::family_revoked);
}

TEST_F(SessionTest, ExplicitZeroGraceRevokesAtOnce) {
  auto mgr = with_grace(0s);
  NewLogin l = mgr->start(kAlice, {}).value();
  ASSERT_THAT(mgr->refresh(l.refresh_token.reveal()), IsOk());
  auto replay = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::family_revoked);
}

TEST_F(SessionTest, UnknownMalformedAndExpiredTokens) {
  EXPECT_THAT(sessions_->refresh("nope"), HasError(Errc::unauthorized));
  EXPECT_THAT(sessions_->refresh(generate_refresh_token(random_).reveal()),
              HasError(Errc::unauthorized));
  SessionOptions short_refresh;
  short_refresh.refresh_ttl = 1h;
  auto mgr = SessionManager::create(store_, hasher_, random_, clock_, short_refresh).value();
  NewLogin l = mgr->start(kAlice, {}).value();
  clock_.advance(1h);
  auto r = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(r.error().detail, "refresh token expired");
}

TEST_F(SessionTest, IdleTimeoutAndAbsoluteLifetime) {
  SessionOptions o;
  o.idle_timeout = 1h;
  o.ttl = 3h;
  auto mgr = SessionManager::create(store_, hasher_, random_, clock_, o).value();
  NewLogin l = mgr->start(kAlice, {}).value();
  clock_.advance(59min);
  ASSERT_THAT(mgr->check(l.session.id), IsOk());  // records activity
  clock_.advance(59min);
  auto rotated = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(rotated, IsOk());
  clock_.advance(59min);
  ASSERT_THAT(mgr->check(l.session.id), IsOk());
  clock_.advance(5min);  // 3 h 2 min after login: past the absolute lifetime
  EXPECT_THAT(mgr->check(l.session.id), HasError(Errc::unauthorized));
  NewLogin idle = mgr->start(kAlice, {}).value();
  clock_.advance(1h);
  EXPECT_THAT(mgr->check(idle.session.id), HasError(Errc::unauthorized));
  EXPECT_THAT(mgr->refresh(idle.refresh_token.reveal()), HasError(Errc::unauthorized));
}

TEST_F(SessionTest, CheckWritesActivityAtMostOncePerInterval) {
  NewLogin l = login();
  const int before = store_.touches;
  for (int i = 0; i < 30; ++i) {
    clock_.advance(1s);
    ASSERT_THAT(sessions_->check(l.session.id), IsOk());
  }
  EXPECT_EQ(store_.touches - before, 0);
  clock_.advance(31s);
  ASSERT_THAT(sessions_->check(l.session.id), IsOk());
  EXPECT_EQ(store_.touches - before, 1);
}

TEST_F(SessionTest, MaxSessionsEvictsTheOldest) {
  SessionOptions o;
  o.max_per_user = 2;
  auto mgr = SessionManager::create(store_, hasher_, random_, clock_, o).value();
  NewLogin s1 = mgr->start(kAlice, {.user_agent = "one", .ip = ""}).value();
  clock_.advance(1s);
  NewLogin s2 = mgr->start(kAlice, {.user_agent = "two", .ip = ""}).value();
  clock_.advance(1s);
  NewLogin b1 = mgr->start(kBob, {}).value();
  NewLogin s3 = mgr->start(kAlice, {.user_agent = "three", .ip = ""}).value();
  EXPECT_THAT(s3.evicted, ::testing::ElementsAre(s1.session.id));
  EXPECT_THAT(mgr->check(s1.session.id), HasError(Errc::unauthorized));
  EXPECT_THAT(mgr->refresh(s1.refresh_token.reveal()), HasError(Errc::unauthorized));
  auto list = mgr->list(kAlice);
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].user_agent, "two");
  EXPECT_EQ((*list)[1].user_agent, "three");
  EXPECT_THAT(mgr->check(b1.session.id), IsOk());
}

TEST_F(SessionTest, RevokeOwnSessionsOnly) {
  NewLogin a = login(kAlice);
  NewLogin b = login(kBob);
  EXPECT_THAT(sessions_->revoke(kAlice, b.session.id), HasError(Errc::not_found));
  EXPECT_THAT(sessions_->check(b.session.id), IsOk());
  ASSERT_THAT(sessions_->revoke(kAlice, a.session.id), IsOk());
  EXPECT_THAT(sessions_->check(a.session.id), HasError(Errc::unauthorized));
  EXPECT_THAT(sessions_->refresh(a.refresh_token.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(sessions_->revoke(kAlice, SessionId::from_trusted("ghost")),
              HasError(Errc::not_found));
}

TEST_F(SessionTest, RevokeAllForPasswordReset) {
  login(kAlice);
  login(kAlice);
  NewLogin b = login(kBob);
  EXPECT_THAT(sessions_->revoke_all(kAlice), ::tenantkit::testing::IsOkAndHolds(2));
  EXPECT_THAT(sessions_->list(kAlice), ::tenantkit::testing::IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(sessions_->check(b.session.id), IsOk());
}

TEST_F(SessionTest, RefreshTokensSurviveAPepperRotation) {
  NewLogin l = login();
  apikey::KeyHasher both = make_hasher({1, 2});
  auto mgr = SessionManager::create(store_, both, random_, clock_, {}).value();
  auto r = mgr->refresh(l.refresh_token.reveal());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->kind, Kind::rotated);
  EXPECT_THAT(mgr->refresh(r->refresh_token.reveal()), IsOk());
}

TEST_F(SessionTest, StorageFailureIsUnavailable) {
  NewLogin l = login();
  store_.fail = true;
  EXPECT_THAT(sessions_->refresh(l.refresh_token.reveal()), HasError(Errc::unavailable));
  EXPECT_THAT(sessions_->check(l.session.id), HasError(Errc::unavailable));
  EXPECT_THAT(sessions_->start(kAlice, {}), HasError(Errc::unavailable));
}

class OneTimeTokenTest : public SessionTest {
 protected:
  OneTimeTokens tokens_{store_, hasher_, random_, clock_};
};

TEST_F(OneTimeTokenTest, SingleUseAndExpiring) {
  auto t = tokens_.issue(kPasswordReset, kAlice, "", 1h);
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(t->reveal(), ::testing::StartsWith("ott_"));
  auto used = tokens_.consume(t->reveal(), kPasswordReset);
  ASSERT_THAT(used, IsOk());
  EXPECT_EQ(used->user, kAlice);
  EXPECT_THAT(tokens_.consume(t->reveal(), kPasswordReset), HasError(Errc::gone));
  auto late = tokens_.issue(kPasswordReset, kAlice, "", 1h).value();
  clock_.advance(1h);
  EXPECT_THAT(tokens_.consume(late.reveal(), kPasswordReset), HasError(Errc::gone));
}

TEST_F(OneTimeTokenTest, UnknownOrOtherPurposeIsNotFound) {
  EXPECT_THAT(tokens_.consume("ott_nope", kPasswordReset), HasError(Errc::not_found));
  EXPECT_THAT(tokens_.consume(tokens_.mint().token.reveal(), kPasswordReset),
              HasError(Errc::not_found));
  auto change = tokens_.issue(kEmailChange, kAlice, "new@example.com", 24h).value();
  EXPECT_THAT(tokens_.consume(change.reveal(), kPasswordReset), HasError(Errc::not_found));
  auto used = tokens_.consume(change.reveal(), kEmailChange);
  ASSERT_THAT(used, IsOk());
  EXPECT_EQ(used->payload, "new@example.com");
  EXPECT_THAT(tokens_.issue(kPasswordReset, kAlice, "", 0s), HasError(Errc::validation_failed));
}

class FakeInvitations final : public storage::InvitationStore {
 public:
  std::vector<storage::Invitation> items;
  Result<storage::Invitation> create(const OrgId&, const storage::Invitation&,
                                     std::optional<std::int64_t>, Timestamp) override {
    return Error{Errc::unavailable, "unused"};
  }
  Result<storage::Invitation> get(const OrgId&, const InvitationId&) override {
    return Error{Errc::unavailable, "unused"};
  }
  Result<std::optional<storage::Invitation>> find_by_token_hash(std::string_view h) override {
    for (const auto& i : items)
      if (i.token_hash == h) return std::optional<storage::Invitation>(i);
    return std::optional<storage::Invitation>();
  }
  Result<Page<storage::Invitation>> list_pending(const OrgId&, const PageRequest&,
                                                 Timestamp) override {
    return Error{Errc::unavailable, "unused"};
  }
  Result<storage::Invitation> revoke(const OrgId&, const InvitationId&, Timestamp) override {
    return Error{Errc::unavailable, "unused"};
  }
  Result<storage::Membership> accept(const OrgId&, const InvitationId&, const storage::Membership&,
                                     Timestamp) override {
    return Error{Errc::unavailable, "unused"};
  }
};

TEST_F(OneTimeTokenTest, InvitationTokens) {
  FakeInvitations invitations;
  MintedToken pending = tokens_.mint();
  MintedToken accepted = tokens_.mint();
  MintedToken expired = tokens_.mint();
  const auto inv = [&](const MintedToken& t, std::string id) {
    storage::Invitation i;
    i.id = InvitationId::from_trusted(std::move(id));
    i.org = OrgId::from_trusted("org");
    i.token_hash = t.token_hash;
    i.expires_at = clock_.now() + 1h;
    return i;
  };
  invitations.items.push_back(inv(pending, "i1"));
  invitations.items.push_back(inv(accepted, "i2"));
  invitations.items.back().accepted_at = clock_.now();
  invitations.items.push_back(inv(expired, "i3"));
  invitations.items.back().expires_at = clock_.now();
  auto found = tokens_.find_invitation(invitations, pending.token.reveal());
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->id.str(), "i1");
  EXPECT_EQ(pending.token_hash.size(), 64u);
  EXPECT_THAT(tokens_.find_invitation(invitations, accepted.token.reveal()), HasError(Errc::gone));
  EXPECT_THAT(tokens_.find_invitation(invitations, expired.token.reveal()), HasError(Errc::gone));
  EXPECT_THAT(tokens_.find_invitation(invitations, tokens_.mint().token.reveal()),
              HasError(Errc::not_found));
}

}  // namespace
}  // namespace tenantkit::auth
