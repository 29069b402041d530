// SPDX-License-Identifier: Apache-2.0
#include <mutex>

#include <tenantkit/quota/limits.hpp>

namespace tenantkit::quota {

namespace {
// '\x1f' (unit separator) cannot appear in a valid tenant id or meter name.
std::string override_key(std::string_view tenant, std::string_view meter) {
  std::string key;
  key.reserve(tenant.size() + meter.size() + 1);
  key.append(tenant).push_back('\x1f');
  key.append(meter);
  return key;
}
}  // namespace

LimitSource::~LimitSource() = default;

void InMemoryLimitSource::set_default(std::string_view meter, const Policy& policy) {
  {
    std::unique_lock lk(mu_);
    defaults_.insert_or_assign(std::string(meter), policy);
  }
  bump_version();
}

void InMemoryLimitSource::set_override(std::string_view tenant, std::string_view meter,
                                       const Policy& policy) {
  {
    std::unique_lock lk(mu_);
    overrides_.insert_or_assign(override_key(tenant, meter), policy);
  }
  bump_version();
}

void InMemoryLimitSource::clear_override(std::string_view tenant, std::string_view meter) {
  {
    std::unique_lock lk(mu_);
    overrides_.erase(override_key(tenant, meter));
  }
  bump_version();
}

Result<Policy> InMemoryLimitSource::policy(std::string_view tenant, std::string_view meter) const {
  std::shared_lock lk(mu_);
  if (auto it = overrides_.find(override_key(tenant, meter)); it != overrides_.end())
    return it->second;
  if (auto it = defaults_.find(meter); it != defaults_.end()) return it->second;
  return Error{Errc::not_found, "no quota policy for meter " + std::string(meter)};
}

}  // namespace tenantkit::quota
