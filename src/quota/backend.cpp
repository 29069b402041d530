// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/quota/backend.hpp>

namespace tenantkit::quota {

QuotaBackend::~QuotaBackend() = default;

Error Outcome::to_error() const {
  switch (deny_code) {
    case Errc::rate_limited:
      return Error{deny_code, "rate limit exceeded; retry after the window"};
    case Errc::seat_limit_reached:
      return Error{deny_code, "the plan has no seat left"};
    case Errc::plan_limit_reached:
      return Error{deny_code, "the plan's limit for this resource is reached"};
    case Errc::quota_exceeded:
    default:
      return Error{deny_code, "quota exceeded for this billing period"};
  }
}

}  // namespace tenantkit::quota
