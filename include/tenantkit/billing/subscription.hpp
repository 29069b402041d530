// SPDX-License-Identifier: Apache-2.0
// The subscription state machine: states are Stripe's subscription statuses plus `none` (never
// subscribed), events are what a billing provider reports, and transition() is the explicit
// table of what may follow what. Subscription is the per-tenant record the webhook handler
// updates. Pure functions and value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::billing {

/// A subscription's status. Wire spelling = enumerator name (Stripe's `status`).
enum class SubscriptionState : std::uint8_t {
  none,                ///< Never subscribed: plan free. Not a Stripe status.
  incomplete,          ///< Created, first payment not made yet: no paid access.
  incomplete_expired,  ///< The first payment never came (terminal): free.
  trialing,            ///< In a trial: full plan access.
  active,              ///< Paid: full plan access.
  past_due,            ///< A renewal payment failed: access during the grace period, then free.
  canceled,            ///< Ended (terminal): free.
  unpaid,              ///< Retries exhausted, kept open unpaid: free.
  paused,              ///< Trial ended without a payment method: free.
};
inline constexpr std::size_t kSubscriptionStateCount = 9;
inline constexpr SubscriptionState kAllSubscriptionStates[kSubscriptionStateCount] = {
    SubscriptionState::none,
    SubscriptionState::incomplete,
    SubscriptionState::incomplete_expired,
    SubscriptionState::trialing,
    SubscriptionState::active,
    SubscriptionState::past_due,
    SubscriptionState::canceled,
    SubscriptionState::unpaid,
    SubscriptionState::paused};

std::string_view to_string(SubscriptionState s) noexcept;
/// Prints to_string(s) (GoogleTest, logs).
std::ostream& operator<<(std::ostream& os, SubscriptionState s);
/// Parses a wire spelling; nullopt when unknown.
std::optional<SubscriptionState> parse_subscription_state(std::string_view text) noexcept;

/// True for canceled and incomplete_expired: the subscription object can never change again; a
/// later subscription of the tenant is a new object that starts from `none`.
bool is_terminal(SubscriptionState s) noexcept;

/// What the provider reported.
enum class SubscriptionEventKind : std::uint8_t {
  checkout_completed,  ///< A checkout finished; the customer is known, the status may not be.
  status_reported,  ///< subscription.created/updated carrying a status (SubscriptionEvent::status).
  invoice_paid,     ///< A payment succeeded.
  payment_failed,   ///< A payment failed.
  deleted,          ///< subscription.deleted: the subscription ended.
};

/// One input of the state machine.
struct SubscriptionEvent {
  SubscriptionEventKind kind;
  SubscriptionState status = SubscriptionState::none;  ///< Only for status_reported.
};

/// The outcome of transition(): `allowed` with the next state, or a rejection with its reason.
struct Transition {
  bool allowed = false;
  SubscriptionState to = SubscriptionState::none;  ///< Equal to `from` when rejected.
  std::string_view reason;  ///< Why it was rejected (static text; empty when allowed).
};

/// The transition table. A status report of the current state is always allowed (an update of
/// other fields). From `none` any reported status, a paid invoice (-> active) and a delete
/// (-> canceled) are accepted, because the events that led there may be missing or still on
/// the way. Terminal states accept only their own status and
/// repeated deletes.
Transition transition(SubscriptionState from, SubscriptionEvent event) noexcept;

/// The tenant's billing record, as persisted.
struct Subscription {
  TenantId tenant{};
  std::string plan_id = "free";  ///< Plan paid for (even if not entitled now).
  SubscriptionState state = SubscriptionState::none;
  std::string customer_id{};      ///< Provider customer ("cus_…"); may be empty.
  std::string subscription_id{};  ///< Provider subscription ("sub_…"); may be empty.
  std::optional<Timestamp> current_period_end{};
  bool cancel_at_period_end = false;
  std::optional<Timestamp> trial_end{};
  std::optional<Timestamp> past_due_since{};  ///< When it entered past_due (grace start).
  std::optional<Timestamp> last_event_at{};   ///< `created` of the last applied event.

  friend bool operator==(const Subscription&, const Subscription&) = default;
};

/// Whether `state` gives the paid plan's entitlements at `now`: trialing and active do; past_due
/// does until `past_due_since + grace` (a missing past_due_since counts as "now"); the rest
/// fall back to the free plan.
bool grants_plan(const Subscription& sub, Timestamp now, std::chrono::seconds grace) noexcept;

}  // namespace tenantkit::billing
