// SPDX-License-Identifier: Apache-2.0
// SubscriptionStore and WebhookEventStore: an org's subscription as the billing provider reports
// it, and the provider events already applied (so redeliveries have no effect). Safe for
// concurrent use; calls may block.
#pragma once

#include <optional>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class SubscriptionStore {
 public:
  virtual ~SubscriptionStore();
  SubscriptionStore(const SubscriptionStore&) = delete;
  SubscriptionStore& operator=(const SubscriptionStore&) = delete;

  /// The org's subscription; an org that never subscribed gets plan "free", status "none".
  /// Errors: not_found (no such org), unavailable.
  virtual Result<Subscription> get(const OrgId& org) = 0;
  /// Writes `sub` (sub.org == org) unless the stored one has a newer last_event_at than
  /// sub.last_event_at (order safety: an older event never overwrites newer state). Returns
  /// whether it was written. Errors: not_found (no such org), unavailable.
  virtual Result<bool> put_if_newer(const OrgId& org, const Subscription& sub) = 0;
  /// Unscoped by design: maps a provider customer id back to its org. Absence is a value.
  virtual Result<std::optional<OrgId>> find_by_customer(std::string_view customer_id) = 0;

 protected:
  SubscriptionStore() = default;
};

class WebhookEventStore {
 public:
  virtual ~WebhookEventStore();
  WebhookEventStore(const WebhookEventStore&) = delete;
  WebhookEventStore& operator=(const WebhookEventStore&) = delete;

  /// Unscoped by design (provider event ids are global): stores the event if its id is new.
  /// Returns true when stored, false for a duplicate. Errors: unavailable.
  virtual Result<bool> insert_if_new(const WebhookEvent& event) = 0;

 protected:
  WebhookEventStore() = default;
};

}  // namespace tenantkit::storage
