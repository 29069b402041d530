// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/webhook.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::IsOkAndHolds;

const Timestamp kNow = from_unix_seconds(1767225600);
const std::string kBody = R"({"id":"evt_1"})";

class WebhookTest : public ::testing::Test {
 protected:
  ManualClock clock_{kNow};
  Secret secret_{"whsec_test"};

  WebhookVerifier verifier(std::vector<Secret> secrets = {Secret("whsec_test")},
                           std::chrono::seconds tolerance = std::chrono::seconds(300)) {
    auto v = WebhookVerifier::create({std::move(secrets), tolerance}, clock_);
    EXPECT_THAT(v, IsOk());
    return std::move(*v);
  }

  void expect_invalid(const WebhookVerifier& v, std::string_view header, std::string_view body,
                      std::string_view detail) {
    auto r = v.verify(header, body);
    ASSERT_THAT(r, HasError(Errc::invalid_signature)) << header;
    EXPECT_EQ(r.error().detail, detail) << header;
  }
};

TEST_F(WebhookTest, SignatureMatchesAnIndependentHmac) {
  // printf '%s' '1767225600.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
  EXPECT_EQ(webhook_signature(secret_, kNow, kBody),
            "45b40331de0325606dc5400202ade162460fbe48daf9401adfdcd0d7b4f35470");
  EXPECT_EQ(sign_webhook({secret_}, kNow, kBody),
            "t=1767225600,v1=45b40331de0325606dc5400202ade162460fbe48daf9401adfdcd0d7b4f35470");
}

TEST_F(WebhookTest, AcceptsASignedBody) {
  auto v = verifier();
  EXPECT_THAT(v.verify(sign_webhook({secret_}, kNow, kBody), kBody), IsOkAndHolds(kNow));
  // Upper-case hex, spaces after commas and unknown schemes are tolerated.
  std::string upper =
      "t=1767225600, v0=abc, v1=45B40331DE0325606DC5400202ADE162460FBE48DAF9401ADFDCD0D7B4F35470";
  EXPECT_THAT(v.verify(upper, kBody), IsOk());
}

TEST_F(WebhookTest, AnyOfSeveralV1EntriesAndAnyOfSeveralSecrets) {
  auto v = verifier({Secret("whsec_old"), Secret("whsec_new")});
  // Signed with the new secret only, with a wrong entry first.
  const std::string good = webhook_signature(Secret("whsec_new"), kNow, kBody);
  EXPECT_THAT(v.verify("t=1767225600,v1=" + std::string(64, '0') + ",v1=" + good, kBody), IsOk());
  EXPECT_THAT(v.verify(sign_webhook({Secret("whsec_old")}, kNow, kBody), kBody), IsOk());
  expect_invalid(v, sign_webhook({Secret("whsec_other")}, kNow, kBody), kBody,
                 "no signature matches the payload");
}

TEST_F(WebhookTest, DistinctDetailsForEachFailure) {
  auto v = verifier();
  expect_invalid(v, "", kBody, "missing Stripe-Signature header");
  expect_invalid(v, "   ", kBody, "missing Stripe-Signature header");
  for (const char* bad : {"garbage", "t=", "t=abc,v1=00", "t=12x,v1=00", "=5", "v1=00",
                          "t=1,t=2,v1=00", "t=-5,v1=00", ",,"})
    expect_invalid(v, bad, kBody, "malformed Stripe-Signature header");
  expect_invalid(v, "t=1767225600", kBody, "no v1 signature in Stripe-Signature header");
  expect_invalid(v, "t=1767225600,v0=" + webhook_signature(secret_, kNow, kBody), kBody,
                 "no v1 signature in Stripe-Signature header");
  expect_invalid(v, "t=1767225600,v1=zz", kBody, "no signature matches the payload");
}

TEST_F(WebhookTest, BodyChangedByOneByteFails) {
  auto v = verifier();
  const std::string header = sign_webhook({secret_}, kNow, kBody);
  std::string changed = kBody;
  changed[changed.size() - 2] ^= 1;
  expect_invalid(v, header, changed, "no signature matches the payload");
  expect_invalid(v, header, kBody + " ", "no signature matches the payload");
  // Moving the timestamp invalidates the signature too (it is signed).
  std::string moved = header;
  moved.replace(2, 10, "1767225601");
  expect_invalid(v, moved, kBody, "no signature matches the payload");
}

TEST_F(WebhookTest, ToleranceBothWays) {
  auto v = verifier({Secret("whsec_test")}, std::chrono::seconds(300));
  using std::chrono::seconds;
  EXPECT_THAT(v.verify(sign_webhook({secret_}, kNow - seconds(300), kBody), kBody), IsOk());
  EXPECT_THAT(v.verify(sign_webhook({secret_}, kNow + seconds(300), kBody), kBody), IsOk());
  expect_invalid(v, sign_webhook({secret_}, kNow - seconds(301), kBody), kBody,
                 "timestamp outside the tolerance (too old)");
  expect_invalid(v, sign_webhook({secret_}, kNow + seconds(301), kBody), kBody,
                 "timestamp outside the tolerance (in the future)");
  auto strict = verifier({Secret("whsec_test")}, seconds(10));
  expect_invalid(strict, sign_webhook({secret_}, kNow - seconds(11), kBody), kBody,
                 "timestamp outside the tolerance (too old)");
}

TEST_F(WebhookTest, BoundsTheNumberOfSignatures) {
  auto v = verifier();
  std::string header = "t=1767225600";
  for (int i = 0; i < 9; ++i) header += ",v1=" + std::string(64, 'a');
  expect_invalid(v, header, kBody, "malformed Stripe-Signature header");
}

TEST_F(WebhookTest, OptionsAreValidated) {
  EXPECT_THAT(WebhookVerifier::create({{}, std::chrono::seconds(300)}, clock_),
              HasError(Errc::validation_failed));
  EXPECT_THAT(WebhookVerifier::create({{Secret("")}, std::chrono::seconds(300)}, clock_),
              HasError(Errc::validation_failed));
  EXPECT_THAT(WebhookVerifier::create({{Secret("x")}, std::chrono::seconds(0)}, clock_),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::billing
