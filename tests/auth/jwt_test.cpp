// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <tenantkit/auth/jwt.hpp>
#include <tenantkit/core/encoding.hpp>
#include <tenantkit/testing/matchers.hpp>

#include <sys/stat.h>

namespace tenantkit::auth {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using namespace std::chrono_literals;

// RFC 8037 Appendix A.1/A.3: an Ed25519 key and its RFC 7638 thumbprint.
constexpr std::string_view kRfcSeed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view kRfcX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr std::string_view kRfcThumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

std::string b64(std::string_view s) {
  return base64url_encode(s);
}

std::string ed25519(const JwtKey& key, std::string_view input) {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(),
                           reinterpret_cast<const unsigned char*>(key.seed.reveal().data()));
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size(), sk.data());
  return std::string(reinterpret_cast<const char*>(sig.data()), sig.size());
}

std::string hs256(std::string_view key, std::string_view input) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  std::array<unsigned char, 32> mac{};
  crypto_auth_hmacsha256_final(&st, mac.data());
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

/// A token with arbitrary header and payload JSON, signed by `key` (what an attacker or a
/// foreign issuer could produce).
std::string forge(std::string_view header, std::string_view payload, const JwtKey& key) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + b64(ed25519(key, input));
}

class JwtTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SeededRandom random_{5};
  JwtKeySet keys_ = JwtKeySet::generate(random_, clock_.now());
  std::unique_ptr<JwtCodec> codec_ = JwtCodec::eddsa(keys_, {}, random_, clock_).value();
  const TokenSubject subject_{UserId::from_trusted("user-1"), OrgId::from_trusted("org-1"),
                              SessionId::from_trusted("sess-1")};

  std::string now_payload(std::string extra = "") const {
    const auto t = to_unix_seconds(clock_.now());
    return R"({"iss":"tenantkit","aud":"tenantkit","sub":"user-1","iat":)" + std::to_string(t) +
           R"(,"exp":)" + std::to_string(t + 900) + extra + "}";
  }
  std::string header() const {
    return R"({"alg":"EdDSA","typ":"JWT","kid":")" + keys_.current().kid + R"("})";
  }
  void expect_refused(std::string_view token, TokenError reason) {
    auto r = codec_->verify(token);
    ASSERT_THAT(r, HasError(Errc::unauthorized)) << token;
    EXPECT_EQ(token_error_of(r.error()), reason) << r.error().detail;
  }
};

TEST_F(JwtTest, SignedTokenVerifiesWithAllClaims) {
  auto token = codec_->sign(subject_);
  ASSERT_THAT(token, IsOk());
  auto claims = codec_->verify(*token);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->iss, "tenantkit");
  EXPECT_EQ(claims->aud, "tenantkit");
  EXPECT_EQ(claims->sub.str(), "user-1");
  EXPECT_EQ(claims->org.str(), "org-1");
  EXPECT_EQ(claims->sid.str(), "sess-1");
  EXPECT_EQ(claims->iat, std::chrono::floor<std::chrono::seconds>(clock_.now()));
  EXPECT_EQ(claims->exp - claims->iat, 15min);
  EXPECT_EQ(claims->jti.size(), 22u);  // 16 random bytes, base64url
  auto again = codec_->sign(subject_);
  EXPECT_NE(codec_->verify(*again)->jti, claims->jti);
}

TEST_F(JwtTest, HeaderCarriesAlgTypAndKid) {
  const std::string token = codec_->sign(subject_).value();
  const auto header = base64url_decode(token.substr(0, token.find('.'))).value();
  EXPECT_EQ(header, R"({"alg":"EdDSA","typ":"JWT","kid":")" + keys_.current().kid + R"("})");
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  for (std::string_view alg : {"none", "None", "NONE"}) {
    const std::string token = b64(R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})") + "." +
                              b64(now_payload()) + ".";
    expect_refused(token, TokenError::alg_none);
  }
}

TEST_F(JwtTest, Hs256SignedWithThePublicKeyIsRefused) {
  // The classic key-confusion attack: HMAC keyed with the (public) Ed25519 key.
  const std::string input =
      b64(R"({"alg":"HS256","typ":"JWT","kid":")" + keys_.current().kid + R"("})") + "." +
      b64(now_payload());
  expect_refused(input + "." + b64(hs256(keys_.current().public_key, input)),
                 TokenError::alg_not_allowed);
  // Also with the JWK's "x" text as the secret.
  expect_refused(input + "." + b64(hs256(b64(keys_.current().public_key), input)),
                 TokenError::alg_not_allowed);
}

TEST_F(JwtTest, UnknownAlgorithmsAreRefused) {
  for (std::string_view alg : {"RS256", "ES256", "EdDSA ", "eddsa"}) {
    expect_refused(
        forge(R"({"alg":")" + std::string(alg) + R"(","kid":")" + keys_.current().kid + R"("})",
              now_payload(), keys_.current()),
        TokenError::alg_not_allowed);
  }
}

TEST_F(JwtTest, KidRules) {
  expect_refused(forge(R"({"alg":"EdDSA"})", now_payload(), keys_.current()),
                 TokenError::missing_kid);
  expect_refused(forge(R"({"alg":"EdDSA","kid":"nope"})", now_payload(), keys_.current()),
                 TokenError::unknown_kid);
  // A key we do not know, claiming our kid: the signature gives it away.
  SeededRandom other(77);
  JwtKeySet foreign = JwtKeySet::generate(other, clock_.now());
  expect_refused(forge(header(), now_payload(), foreign.current()), TokenError::bad_signature);
}

TEST_F(JwtTest, SwappedKidIsRefused) {
  JwtKeySet two = keys_;
  const JwtKey& second = two.rotate(random_, clock_.now() + 1s);
  ASSERT_THAT(codec_->set_keys(two), IsOk());
  // Signed by the first key but naming the second one.
  const std::string token =
      forge(R"({"alg":"EdDSA","kid":")" + second.kid + R"("})", now_payload(), keys_.current());
  expect_refused(token, TokenError::bad_signature);
}

TEST_F(JwtTest, TamperedTokensAreRefused) {
  const std::string token = codec_->sign(subject_).value();
  const auto d1 = token.find('.');
  const auto d2 = token.find('.', d1 + 1);
  // Payload swapped for another user's.
  std::string payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1)).value();
  payload.replace(payload.find("user-1"), 6, "user-2");
  expect_refused(token.substr(0, d1 + 1) + b64(payload) + token.substr(d2),
                 TokenError::bad_signature);
  // Header changed (typ removed), signature kept.
  expect_refused(
      b64(R"({"alg":"EdDSA","kid":")" + keys_.current().kid + R"("})") + token.substr(d1),
      TokenError::bad_signature);
  // Signature truncated or flipped.
  const std::string sig = base64url_decode(token.substr(d2 + 1)).value();
  expect_refused(token.substr(0, d2 + 1) + b64(sig.substr(0, 63)), TokenError::bad_signature);
  expect_refused(token.substr(0, d2 + 1), TokenError::bad_signature);
  std::string flipped = token;
  flipped[d2 + 5] = flipped[d2 + 5] == 'A' ? 'B' : 'A';
  expect_refused(flipped, TokenError::bad_signature);
}

TEST_F(JwtTest, ExpiryWithLeeway) {
  const std::string token = codec_->sign(subject_).value();
  clock_.advance(15min + 29s);
  EXPECT_THAT(codec_->verify(token), IsOk());
  clock_.advance(1s);
  expect_refused(token, TokenError::expired);
}

TEST_F(JwtTest, FutureTokensAreRefused) {
  Claims c;
  c.iss = c.aud = "tenantkit";
  c.sub = UserId::from_trusted("user-1");
  c.iat = std::chrono::floor<std::chrono::seconds>(clock_.now()) + 1h;
  c.exp = c.iat + 15min;
  expect_refused(codec_->sign(c).value(), TokenError::not_yet_valid);
  c.iat = std::chrono::floor<std::chrono::seconds>(clock_.now()) + 20s;  // within leeway
  c.exp = c.iat + 15min;
  EXPECT_THAT(codec_->verify(codec_->sign(c).value()), IsOk());
  const auto t = to_unix_seconds(clock_.now());
  expect_refused(
      forge(header(), now_payload(R"(,"nbf":)" + std::to_string(t + 600)), keys_.current()),
      TokenError::not_yet_valid);
  EXPECT_THAT(codec_->verify(forge(header(), now_payload(R"(,"nbf":)" + std::to_string(t - 1)),
                                   keys_.current())),
              IsOk());
}

TEST_F(JwtTest, IssuerAndAudienceMustMatch) {
  const std::string token = codec_->sign(subject_).value();
  auto other_iss = JwtCodec::eddsa(keys_, {.issuer = "someone-else"}, random_, clock_).value();
  auto r = other_iss->verify(token);
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(token_error_of(r.error()), TokenError::wrong_issuer);
  auto other_aud = JwtCodec::eddsa(keys_, {.audience = "billing"}, random_, clock_).value();
  r = other_aud->verify(token);
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(token_error_of(r.error()), TokenError::wrong_audience);
  // An audience array containing ours is fine; one without it is not.
  const auto t = std::to_string(to_unix_seconds(clock_.now()));
  const std::string with_array = R"({"iss":"tenantkit","aud":["x","tenantkit"],"sub":"u","iat":)" +
                                 t + R"(,"exp":)" + t + "0}";
  EXPECT_THAT(codec_->verify(forge(header(), with_array, keys_.current())), IsOk());
  const std::string without =
      R"({"iss":"tenantkit","aud":["x"],"sub":"u","iat":)" + t + R"(,"exp":)" + t + "0}";
  expect_refused(forge(header(), without, keys_.current()), TokenError::wrong_audience);
}

TEST_F(JwtTest, MissingClaims) {
  const auto t = std::to_string(to_unix_seconds(clock_.now()));
  expect_refused(
      forge(header(),
            R"({"iss":"tenantkit","aud":"tenantkit","iat":)" + t + R"(,"exp":)" + t + "0}",
            keys_.current()),
      TokenError::missing_claim);
  expect_refused(
      forge(header(), R"({"iss":"tenantkit","aud":"tenantkit","sub":"u","iat":)" + t + "}",
            keys_.current()),
      TokenError::missing_claim);
}

TEST_F(JwtTest, MalformedTokens) {
  const std::string good = codec_->sign(subject_).value();
  for (const std::string& bad :
       {std::string(), std::string("abc"), std::string("a.b"), good + ".x", std::string(".."),
        "!!!" + good.substr(good.find('.')), b64("not json") + good.substr(good.find('.')),
        b64("[1,2]") + good.substr(good.find('.')), std::string(9000, 'a')}) {
    expect_refused(bad, TokenError::malformed);
  }
  expect_refused(forge(R"({"alg":"EdDSA","kid":")" + keys_.current().kid + R"(","crit":["exp"]})",
                       now_payload(), keys_.current()),
                 TokenError::malformed);
  expect_refused(
      forge(header(), R"({"iss":"tenantkit","aud":"tenantkit","sub":"u","iat":"now","exp":1})",
            keys_.current()),
      TokenError::malformed);
  expect_refused(forge(header(), "[]", keys_.current()), TokenError::malformed);
}

TEST_F(JwtTest, Hs256Option) {
  auto hs = JwtCodec::hs256(Secret(std::string(32, 'k')), {.alg = JwtAlg::hs256}, random_, clock_);
  ASSERT_THAT(hs, IsOk());
  const std::string token = (*hs)->sign(subject_).value();
  EXPECT_THAT((*hs)->verify(token), IsOk());
  EXPECT_EQ((*hs)->jwks_json(), R"({"keys":[]})");
  // An EdDSA token on an HS256 setup, and the other way round.
  auto r = (*hs)->verify(codec_->sign(subject_).value());
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(token_error_of(r.error()), TokenError::alg_not_allowed);
  expect_refused(token, TokenError::alg_not_allowed);
  // Another secret.
  auto other =
      JwtCodec::hs256(Secret(std::string(32, 'j')), {.alg = JwtAlg::hs256}, random_, clock_);
  r = (*other)->verify(token);
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(token_error_of(r.error()), TokenError::bad_signature);
  EXPECT_THAT(JwtCodec::hs256(Secret("short"), {.alg = JwtAlg::hs256}, random_, clock_),
              HasError(Errc::validation_failed));
  EXPECT_THAT(JwtCodec::hs256(Secret(std::string(32, 'k')), {}, random_, clock_),
              HasError(Errc::validation_failed));
}

TEST_F(JwtTest, AlgorithmNames) {
  EXPECT_THAT(parse_jwt_alg("EdDSA"), ::tenantkit::testing::IsOkAndHolds(JwtAlg::eddsa));
  EXPECT_THAT(parse_jwt_alg("HS256"), ::tenantkit::testing::IsOkAndHolds(JwtAlg::hs256));
  EXPECT_THAT(parse_jwt_alg("none"), HasError(Errc::validation_failed));
  EXPECT_FALSE(token_error_of(Error{Errc::unauthorized, "API key revoked"}).has_value());
  EXPECT_FALSE(token_error_of(Error{Errc::not_found, "token_expired"}).has_value());
}

TEST_F(JwtTest, KidIsTheRfc7638Thumbprint) {
  const std::string file = R"({"keys":[{"kty":"OKP","crv":"Ed25519","d":")" +
                           std::string(kRfcSeed) + R"(","x":")" + std::string(kRfcX) +
                           R"(","created_at":"2026-01-01T00:00:00Z"}]})";
  auto set = JwtKeySet::from_private_json(file);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->current().kid, kRfcThumbprint);
  EXPECT_EQ(b64(set->current().public_key), kRfcX);
}

TEST_F(JwtTest, RotationKeepsOldTokensValidUntilDrained) {
  const std::string old_token = codec_->sign(subject_).value();
  const std::string old_kid = keys_.current().kid;
  JwtKeySet rotated = keys_;
  clock_.advance(1h);
  const std::string new_kid = rotated.rotate(random_, clock_.now()).kid;
  ASSERT_THAT(codec_->set_keys(rotated), IsOk());
  const std::string new_token = codec_->sign(subject_).value();
  EXPECT_THAT(new_token.substr(0, new_token.find('.')),
              ::testing::Not(::testing::Eq(old_token.substr(0, old_token.find('.')))));
  EXPECT_EQ(codec_->verify(new_token)->sub.str(), "user-1");
  // Both keys published while the old one drains; newest first.
  const std::string jwks = codec_->jwks_json();
  EXPECT_LT(jwks.find(new_kid), jwks.find(old_kid));
  EXPECT_THAT(jwks, ::testing::HasSubstr(R"("kty":"OKP","crv":"Ed25519")"));
  EXPECT_THAT(jwks, ::testing::HasSubstr(R"("alg":"EdDSA","use":"sig")"));
  EXPECT_THAT(jwks, ::testing::Not(::testing::HasSubstr(R"("d")")));
  // Fresh old-key tokens (e.g. from another instance not yet rotated) verify while both are in.
  Claims c;
  c.iss = c.aud = "tenantkit";
  c.sub = UserId::from_trusted("user-9");
  c.iat = std::chrono::floor<std::chrono::seconds>(clock_.now());
  c.exp = c.iat + 15min;
  auto old_codec = JwtCodec::eddsa(keys_, {}, random_, clock_).value();
  EXPECT_THAT(codec_->verify(old_codec->sign(c).value()), IsOk());
  // After the drain period the old key leaves the set.
  EXPECT_EQ(rotated.prune(clock_.now() + 14min, 15min), 0u);
  EXPECT_EQ(rotated.prune(clock_.now() + 15min, 15min), 1u);
  ASSERT_THAT(codec_->set_keys(rotated), IsOk());
  expect_refused(old_codec->sign(c).value(), TokenError::unknown_kid);
  EXPECT_THAT(codec_->verify(codec_->sign(subject_).value()), IsOk());
}

class JwtKeyFileTest : public JwtTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tk-jwt-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(JwtKeyFileTest, CreatedOnFirstStartWithMode0600AndReloaded) {
  const std::string path = (dir_ / "var" / "jwt-keys.json").string();
  auto first = JwtKeySet::load_or_create(path, random_, clock_.now());
  ASSERT_THAT(first, IsOk());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = JwtKeySet::load_or_create(path, random_, clock_.now());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->current().kid, first->current().kid);
  EXPECT_EQ(second->current().created_at, first->current().created_at);
  // A token signed before a restart verifies after it.
  auto before = JwtCodec::eddsa(*first, {}, random_, clock_).value();
  auto after = JwtCodec::eddsa(*second, {}, random_, clock_).value();
  EXPECT_THAT(after->verify(before->sign(subject_).value()), IsOk());
  // Rotation persists both keys, newest signing.
  JwtKeySet rotated = *second;
  rotated.rotate(random_, clock_.now() + 1s);
  ASSERT_THAT(rotated.save(path), IsOk());
  auto third = JwtKeySet::load_or_create(path, random_, clock_.now());
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->keys().size(), 2u);
  EXPECT_EQ(third->current().kid, rotated.current().kid);
}

TEST_F(JwtKeyFileTest, RefusesAWorldReadableOrBrokenFile) {
  std::filesystem::create_directories(dir_);
  const std::string path = (dir_ / "keys.json").string();
  ASSERT_THAT(JwtKeySet::generate(random_, clock_.now()).save(path), IsOk());
  ::chmod(path.c_str(), 0644);
  EXPECT_THAT(JwtKeySet::load_or_create(path, random_, clock_.now()),
              HasError(Errc::validation_failed));
  std::ofstream(path, std::ios::trunc) << "{\"keys\": 3}";
  ::chmod(path.c_str(), 0600);
  EXPECT_THAT(JwtKeySet::load_or_create(path, random_, clock_.now()),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::auth
