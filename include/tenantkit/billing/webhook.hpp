// SPDX-License-Identifier: Apache-2.0
// Webhook signatures in Stripe's scheme: `Stripe-Signature: t=<unix ts>,v1=<hex>[,v1=<hex>...]`
// where v1 = hex(HMAC-SHA256(secret, "<t>.<raw body>")). WebhookVerifier checks a header
// against one or more secrets (rotation) with a timestamp tolerance in both directions;
// sign_webhook() makes such a header (offline provider, tests). The verifier is immutable and
// safe for concurrent use.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::billing {

/// The HTTP header that carries the signature.
inline constexpr std::string_view kSignatureHeader = "Stripe-Signature";

/// Options of WebhookVerifier.
struct WebhookVerifierOptions {
  /// Accepted signing secrets ("whsec_…"); several during rotation. Required: at least one,
  /// none empty.
  std::vector<Secret> secrets{};
  /// Largest accepted distance between the signed timestamp and now, both ways. Default 300 s
  /// (Stripe's); valid 1 s .. 1 day.
  std::chrono::seconds tolerance{300};
};

/// Checks Stripe-Signature headers.
class WebhookVerifier {
 public:
  /// Errors: validation_failed (no secret, an empty secret, tolerance out of range).
  static Result<WebhookVerifier> create(WebhookVerifierOptions options, const Clock& clock);

  /// Verifies `header` (the Stripe-Signature value; empty when absent) for the raw request
  /// `body` and returns the signed timestamp. The signature is checked first, in constant time
  /// against every v1 entry and every secret; then the timestamp.
  /// Errors: invalid_signature, detail one of "missing Stripe-Signature header", "malformed
  /// Stripe-Signature header", "no v1 signature in Stripe-Signature header", "no signature
  /// matches the payload", "timestamp outside the tolerance (too old)", "timestamp outside the
  /// tolerance (in the future)".
  Result<Timestamp> verify(std::string_view header, std::string_view body) const;

 private:
  WebhookVerifier(WebhookVerifierOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(&clock) {}
  WebhookVerifierOptions options_;
  const Clock* clock_;
};

/// hex(HMAC-SHA256(secret, "<unix seconds of at>.<body>")): the v1 value.
std::string webhook_signature(const Secret& secret, Timestamp at, std::string_view body);

/// A full header value "t=<unix seconds>,v1=<hex>", one v1 per secret, in order.
std::string sign_webhook(const std::vector<Secret>& secrets, Timestamp at, std::string_view body);

}  // namespace tenantkit::billing
