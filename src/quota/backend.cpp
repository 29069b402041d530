// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <tenantkit/quota/backend.hpp>

namespace tenantkit::quota {

QuotaBackend::~QuotaBackend() = default;

Result<void> QuotaBackend::check_units(std::int64_t value, std::int64_t min,
                                       std::string_view what) {
  if (value < min)
    return Error{Errc::validation_failed,
                 std::string(what) + (min > 0 ? " must be at least 1" : " must not be negative")};
  if (value > kUnlimited)
    return Error{Errc::validation_failed, std::string(what) + " must not exceed 2^40 (kUnlimited)"};
  return ok();
}

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
