// SPDX-License-Identifier: Apache-2.0
// LocalBillingProvider: the offline BillingProvider of the embedded default. Checkout and portal
// URLs point at the service itself (Config::effective_public_url()); visiting the checkout URL
// calls complete_checkout(), which returns the same Stripe-shaped, Stripe-signed events a real
// checkout would produce, for the caller to feed through the normal webhook path. State lives in
// memory; safe for concurrent use.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/provider.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::billing {

/// Options of LocalBillingProvider.
struct LocalProviderOptions {
  /// Base of the URLs handed out, e.g. "http://127.0.0.1:8080". Required.
  std::string public_url{};
  /// Secrets the emitted events are signed with (one v1 entry each). Required: non-empty; the
  /// webhook verifier must accept one of them.
  std::vector<Secret> webhook_secrets{};
  /// Plans and their prices. Default: the built-in catalogue. Must outlive the provider.
  const PlanCatalogue* catalogue = &PlanCatalogue::builtin();
};

/// One event ready for the webhook path.
struct SignedEvent {
  std::string type{};              ///< "checkout.session.completed", ...
  std::string body{};              ///< The raw JSON body.
  std::string signature_header{};  ///< The Stripe-Signature value.
};

/// URL paths the service must route to complete_checkout() / portal actions.
inline constexpr std::string_view kLocalCheckoutPath = "/v1/billing/local/checkout/";
inline constexpr std::string_view kLocalPortalPath = "/v1/billing/local/portal/";

/// What the local portal can do to the subscription.
enum class PortalAction : std::uint8_t {
  cancel,          ///< customer.subscription.deleted.
  change_plan,     ///< customer.subscription.updated with the new plan's price.
  payment_failed,  ///< invoice.payment_failed + customer.subscription.updated past_due.
  payment_paid,    ///< invoice.paid + customer.subscription.updated active.
};

/// What a checkout session is about (the offline checkout page shows it).
struct LocalCheckoutInfo {
  TenantId tenant{};
  std::string plan_id{};
  bool completed = false;  ///< complete_checkout() already ran.
};

/// Whose portal session this is, and the customer's live subscription, if any.
struct LocalPortalInfo {
  TenantId tenant{};
  std::string customer_id{};
  std::optional<ProviderSubscription> live{};  ///< nullopt once canceled.
};

class LocalBillingProvider final : public BillingProvider {
 public:
  /// `clock` and `random` outlive the provider. Errors: validation_failed (no public_url, no
  /// secret).
  static Result<std::unique_ptr<LocalBillingProvider>> create(LocalProviderOptions options,
                                                              const Clock& clock, Random& random);
  ~LocalBillingProvider() override;

  /// URL: <public_url>/v1/billing/local/checkout/<session id>. Errors: see BillingProvider.
  Result<CheckoutSession> create_checkout_session(const CheckoutRequest& request) override;
  /// URL: <public_url>/v1/billing/local/portal/<portal session id>.
  Result<PortalSession> create_portal_session(const PortalRequest& request) override;
  Result<ProviderSubscription> fetch_subscription(std::string_view subscription_id) override;

  /// Completes a pending checkout: checkout.session.completed, customer.subscription.created
  /// (trialing when the plan has trial days, else active) and, without a trial, invoice.paid.
  /// Errors: not_found (unknown session), gone (already completed).
  Result<std::vector<SignedEvent>> complete_checkout(std::string_view session_id);

  /// Applies a portal action to the portal session's current subscription. `plan_id` is used
  /// by change_plan only. Errors: not_found (unknown portal session, no live subscription, or
  /// unknown plan), validation_failed (a plan without a price).
  Result<std::vector<SignedEvent>> portal_action(std::string_view portal_session_id,
                                                 PortalAction action,
                                                 std::string_view plan_id = {});

  /// Reads a checkout session without changing it. Errors: not_found (unknown session).
  Result<LocalCheckoutInfo> checkout_info(std::string_view session_id) const;
  /// Reads a portal session and its customer's live subscription. Errors: not_found (unknown
  /// portal session).
  Result<LocalPortalInfo> portal_info(std::string_view portal_session_id) const;

 private:
  struct State;
  LocalBillingProvider(LocalProviderOptions options, const Clock& clock, Random& random);
  LocalProviderOptions options_;
  const Clock& clock_;
  Random& random_;
  std::unique_ptr<State> state_;
};

}  // namespace tenantkit::billing
