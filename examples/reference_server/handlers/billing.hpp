// SPDX-License-Identifier: Apache-2.0
// /v1/plans and /v1/billing: the plan catalogue, the org's subscription and entitlements,
// checkout and portal sessions from the billing provider, the Stripe-signed webhook, and (only
// with the offline provider) the checkout and portal pages that provider links to. Every
// subscription change, from Stripe or from the offline pages, goes through deliver_webhook().
#pragma once

#include <string_view>
#include <vector>

#include <tenantkit/billing/webhook_handler.hpp>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// A step for "member" routes that API keys may also call: users pass (resolve_tenant already
/// proved membership); an API key needs `permission` among its scopes. Errors: forbidden.
Step member_or_scope(Services& services, std::string_view permission);

/// Feeds one webhook delivery (raw body + Stripe-Signature value) through s.webhooks, then
/// counts it in /metrics and writes its audit effects to the org's log (actor "provider"). An
/// applied change invalidates the org's entitlements, and with them its quota policies.
/// Errors: invalid_signature, bad_request (signed but not an event), unavailable (storage, or
/// webhooks not configured).
Result<billing::WebhookOutcome> deliver_webhook(Services& services, const RequestContext& ctx,
                                                std::string_view signature_header,
                                                std::string_view body);

/// GET /v1/plans -> {items: [{id,name,limits,features,prices,trial_days}], next_cursor: null}.
Handler list_plans(Services& services);
/// GET /v1/billing/subscription -> {plan,status,current_period_end,cancel_at_period_end,
/// trial_end,entitlements:{plan,limits,features}}.
Handler get_subscription(Services& services);
/// POST /v1/billing/checkout {plan} -> {url}. Errors: validation_failed (unknown plan, or a
/// plan without a price), conflict (already subscribed to that plan), unavailable.
Handler create_checkout(Services& services);
/// POST /v1/billing/portal -> {url}. Errors: conflict (no billing customer yet), unavailable.
Handler create_portal(Services& services);
/// POST /v1/billing/webhook -> 200 {received: true, result: <disposition>}.
Handler webhook(Services& services);

/// The routes of this group (the offline pages only when s.local_billing is set).
std::vector<Route> billing_routes(Services& services);

}  // namespace tenantkit::server::handlers
