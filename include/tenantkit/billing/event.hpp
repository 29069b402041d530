// SPDX-License-Identifier: Apache-2.0
// Billing provider events: parse_stripe_event() reads a Stripe event body into a ProviderEvent,
// and apply() is the pure function current subscription + event -> next subscription + audit
// effects (idempotent and order-safe; see docs/billing.md). Value types and pure functions;
// thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/subscription.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::billing {

/// The event types tenantkit acts on; everything else is `unknown` (acknowledged, ignored).
enum class ProviderEventType : std::uint8_t {
  unknown,
  checkout_completed,     ///< checkout.session.completed
  subscription_created,   ///< customer.subscription.created
  subscription_updated,   ///< customer.subscription.updated
  subscription_deleted,   ///< customer.subscription.deleted
  invoice_paid,           ///< invoice.paid
  invoice_payment_failed  ///< invoice.payment_failed
};

/// The fields of a provider event that billing uses. Empty strings mean "absent".
struct ProviderEvent {
  std::string id{};    ///< "evt_…": the idempotency key.
  std::string type{};  ///< The provider's type string.
  ProviderEventType kind = ProviderEventType::unknown;
  Timestamp created{};                        ///< When the provider created the event (order key).
  std::string customer_id{};                  ///< "cus_…".
  std::string subscription_id{};              ///< "sub_…".
  std::string org_id{};                       ///< metadata.org_id.
  std::string client_reference_id{};          ///< checkout sessions only.
  std::string plan{};                         ///< metadata.plan.
  std::string price_id{};                     ///< The first subscription item's price id.
  std::optional<SubscriptionState> status{};  ///< subscription.* events.
  std::optional<Timestamp> current_period_end{};
  std::optional<Timestamp> trial_end{};
  bool cancel_at_period_end = false;
};

/// Parses a Stripe event body (`{"id","type","created","data":{"object":{…}}}`). For a handled
/// type, reads customer (id or expanded object), subscription, metadata (on the object, or on
/// an invoice's subscription_details), status, items.data[0].price.id, period end (on the
/// object or its first item), trial_end, cancel_at_period_end.
/// Errors: bad_request (not JSON; id, type or created missing or mistyped; a subscription event
/// without a known status).
Result<ProviderEvent> parse_stripe_event(std::string_view body);

/// The org an event names itself: metadata.org_id, else client_reference_id; nullopt when it
/// names none (the caller then looks up the customer id) or names a malformed id.
std::optional<TenantId> named_tenant(const ProviderEvent& event);

/// An audit entry the caller writes (action billing.plan_changed / billing.status_changed).
struct AuditEffect {
  std::string action{};  ///< "billing.plan_changed" or "billing.status_changed".
  std::string before{};  ///< Plan id or status before.
  std::string after{};   ///< Plan id or status after.
  friend bool operator==(const AuditEffect&, const AuditEffect&) = default;
};

/// What apply() did.
enum class ApplyDisposition : std::uint8_t {
  applied,   ///< `next` holds the new state (possibly equal apart from last_event_at).
  stale,     ///< Older than the last applied event: no change.
  ignored,   ///< Unknown type, or about a subscription the tenant has since replaced.
  rejected,  ///< An impossible transition: no change; the caller logs `reason`.
};

struct ApplyOutcome {
  ApplyDisposition disposition = ApplyDisposition::ignored;
  Subscription next;                   ///< Equal to the input unless applied.
  std::vector<AuditEffect> effects{};  ///< Only when applied and the plan or status changed.
  std::string reason{};                ///< Why not applied.
};

/// How events map to plans: by `catalogue.find_by_price_id(provider, price_id)`, else by
/// metadata.plan when the catalogue knows it, else the plan is left as it was.
struct EventMapping {
  const PlanCatalogue* catalogue = &PlanCatalogue::builtin();  ///< Required; outlives the call.
  std::string provider = "stripe";                             ///< Key of Plan::price_ids.
};

/// Applies `event` to `current` (the tenant's stored subscription, `none` if never subscribed).
/// Order safety: an event whose `created` is older than current.last_event_at is `stale`.
/// A subscription id different from the stored one starts a new subscription when the stored
/// one has ended (or on checkout / a live status report); otherwise the event is `ignored`.
/// customer.subscription.deleted sets plan "free", status canceled. Never fails: impossible
/// transitions are a `rejected` value.
ApplyOutcome apply(const Subscription& current, const ProviderEvent& event,
                   const EventMapping& mapping = {});

}  // namespace tenantkit::billing
