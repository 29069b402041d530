// SPDX-License-Identifier: Apache-2.0
// Conversions between billing::Subscription and the persisted storage::Subscription.
#pragma once

#include <tenantkit/billing/subscription.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::billing {

Subscription from_storage(const storage::Subscription& s);
storage::Subscription to_storage(const Subscription& s, Timestamp updated_at);

}  // namespace tenantkit::billing
