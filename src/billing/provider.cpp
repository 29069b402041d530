// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/billing/provider.hpp>

namespace tenantkit::billing {

BillingProvider::~BillingProvider() = default;

}  // namespace tenantkit::billing
