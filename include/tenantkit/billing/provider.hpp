// SPDX-License-Identifier: Apache-2.0
// BillingProvider: the payment provider behind checkout, the customer portal and subscription
// lookups. Implementations: billing/local/local_provider.hpp (offline, in this library) and
// tenantkit::stripe. Implementations are safe for concurrent use; calls may block on the network.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <tenantkit/billing/subscription.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::billing {

/// Input of create_checkout_session().
struct CheckoutRequest {
  TenantId tenant{};             ///< Sent as client_reference_id and subscription metadata.org_id.
  std::string plan_id{};         ///< A catalogue plan with a price; sent as metadata.plan.
  std::string customer_id{};     ///< The tenant's provider customer, if it has one already.
  std::string customer_email{};  ///< Prefilled when there is no customer yet; may be empty.
  std::string success_url{};     ///< Where the provider sends the browser after paying.
  std::string cancel_url{};      ///< Where it sends it on cancel.
};

/// A hosted checkout page.
struct CheckoutSession {
  std::string id{};   ///< "cs_…".
  std::string url{};  ///< Send the browser here.
};

/// Input of create_portal_session().
struct PortalRequest {
  TenantId tenant{};
  std::string customer_id{};  ///< Required: the tenant's provider customer.
  std::string return_url{};   ///< Where the portal's "back" link goes.
};

struct PortalSession {
  std::string url{};
};

/// A subscription as the provider reports it.
struct ProviderSubscription {
  std::string id{};  ///< "sub_…".
  std::string customer_id{};
  SubscriptionState status = SubscriptionState::none;
  std::string price_id{};
  std::optional<Timestamp> current_period_end{};
  std::optional<Timestamp> trial_end{};
  bool cancel_at_period_end = false;
  std::map<std::string, std::string> metadata{};  ///< org_id, plan.
};

/// A payment provider. See the file comment for implementations.
class BillingProvider {
 public:
  virtual ~BillingProvider();
  BillingProvider(const BillingProvider&) = delete;
  BillingProvider& operator=(const BillingProvider&) = delete;

  /// Creates a hosted checkout for a subscription to `request.plan_id`.
  /// Errors: not_found (unknown plan), validation_failed (the plan has no price for this
  /// provider, or a URL is missing), unavailable (provider unreachable or failing).
  virtual Result<CheckoutSession> create_checkout_session(const CheckoutRequest& request) = 0;
  /// Creates a customer-portal session. Errors: validation_failed (no customer id),
  /// not_found (unknown customer), unavailable.
  virtual Result<PortalSession> create_portal_session(const PortalRequest& request) = 0;
  /// Reads a subscription. Errors: not_found, unavailable.
  virtual Result<ProviderSubscription> fetch_subscription(std::string_view subscription_id) = 0;

 protected:
  BillingProvider() = default;
};

}  // namespace tenantkit::billing
