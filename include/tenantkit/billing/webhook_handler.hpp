// SPDX-License-Identifier: Apache-2.0
// WebhookHandler: the whole POST /v1/billing/webhook path on the library side: verify the
// signature on the raw body, parse, map to the tenant, apply() order-safely to the stored
// subscription, record the event id (a redelivery has no effect), invalidate the entitlement
// cache, and return the audit records for the caller to write. Safe for concurrent use; blocks
// on storage.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/billing/event.hpp>
#include <tenantkit/billing/webhook.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::storage {
class SubscriptionStore;
class WebhookEventStore;
}  // namespace tenantkit::storage

namespace tenantkit::billing {

/// What happened to one delivery. Every disposition is acknowledged (HTTP 200).
enum class WebhookDisposition : std::uint8_t {
  applied,    ///< The subscription was updated (effects may still be empty).
  duplicate,  ///< The event id was seen before: no effect.
  stale,      ///< Older than the last applied event: recorded, no change.
  ignored,    ///< Unhandled type, or about a replaced subscription.
  rejected,   ///< An impossible transition: recorded, no change; log `note`.
  unmapped,   ///< No tenant found (no org_id / client_reference_id / known customer).
};

std::string_view to_string(WebhookDisposition d) noexcept;

struct WebhookOutcome {
  WebhookDisposition disposition = WebhookDisposition::ignored;
  std::string event_id{};
  std::string type{};
  std::optional<TenantId> tenant{};
  std::vector<AuditEffect> effects{};  ///< To write to the tenant's audit log (actor "provider").
  std::optional<Subscription> subscription{};  ///< The stored state after the event, if known.
  std::string note{};                          ///< Why not applied.
};

/// References passed to WebhookHandler must outlive it.
class WebhookHandler {
 public:
  /// `cache` may be null (nothing to invalidate).
  WebhookHandler(WebhookVerifier verifier, storage::SubscriptionStore& subscriptions,
                 storage::WebhookEventStore& events, EventMapping mapping, const Clock& clock,
                 EntitlementCache* cache);

  /// Handles one delivery: `signature_header` is the Stripe-Signature value ("" when absent),
  /// `body` the raw request body. Errors: invalid_signature (see WebhookVerifier::verify),
  /// bad_request (a signed body that is not a valid event), unavailable (storage; the provider
  /// retries, and the retry is applied because the event id is recorded last).
  Result<WebhookOutcome> handle(std::string_view signature_header, std::string_view body);

 private:
  WebhookVerifier verifier_;
  storage::SubscriptionStore& subscriptions_;
  storage::WebhookEventStore& events_;
  EventMapping mapping_;
  const Clock& clock_;
  EntitlementCache* cache_;
};

}  // namespace tenantkit::billing
