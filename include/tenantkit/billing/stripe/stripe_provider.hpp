// SPDX-License-Identifier: Apache-2.0
// The Stripe BillingProvider (target tenantkit::stripe): Checkout Sessions, Customer Portal
// sessions and subscription reads over Stripe's REST API (form-encoded requests, Bearer secret
// key, an Idempotency-Key on every write, reused across retries; retries with exponential
// backoff on connection errors, 429 and 5xx; a timeout per attempt). Safe for concurrent use;
// every call blocks on the network, so never call it on an I/O thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/provider.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::billing {

/// Options of open_stripe(); set fields with designated initializers.
struct StripeOptions {
  /// TK_STRIPE_SECRET_KEY ("sk_live_…" / "sk_test_…"). Required.
  Secret secret_key{};
  /// TK_STRIPE_API_BASE. Default Stripe's. https, or http for a local fake in tests.
  std::string api_base = "https://api.stripe.com";
  /// Plans; the Stripe price of a plan is its price_ids["stripe"] (TK_STRIPE_PRICE_PRO, ...).
  /// Default the built-in catalogue. Must outlive the provider.
  const PlanCatalogue* catalogue = &PlanCatalogue::builtin();
  /// Per attempt: connect + TLS + request + response. Default 10 s; 100 ms .. 120 s.
  std::chrono::milliseconds timeout{10000};
  /// Extra attempts after a connection error, 429 or 5xx. Default 2; 0..10.
  int max_retries = 2;
  /// Wait before the first retry, doubled each time. Default 250 ms; 0 .. 10 s.
  std::chrono::milliseconds initial_backoff{250};
  /// Sent as Stripe-Version when not empty. Default empty (the account's version).
  std::string api_version{};
};

/// Validates `options` and returns the provider (no network traffic yet). `random` (for
/// idempotency keys) outlives it. Errors: validation_failed (detail names the option).
Result<std::unique_ptr<BillingProvider>> open_stripe(StripeOptions options, Random& random);

}  // namespace tenantkit::billing
