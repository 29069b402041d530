// SPDX-License-Identifier: Apache-2.0
#include <mutex>

#include <tenantkit/quota/limits.hpp>

namespace tenantkit::quota {

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
    auto it = overrides_.find(tenant);
    if (it == overrides_.end()) it = overrides_.emplace(std::string(tenant), Meters{}).first;
    it->second.insert_or_assign(std::string(meter), policy);
  }
  bump_version();
}

void InMemoryLimitSource::clear_override(std::string_view tenant, std::string_view meter) {
  {
    std::unique_lock lk(mu_);
    if (auto it = overrides_.find(tenant); it != overrides_.end()) {
      if (auto m = it->second.find(meter); m != it->second.end()) it->second.erase(m);
      if (it->second.empty()) overrides_.erase(it);
    }
  }
  bump_version();
}

Result<Policy> InMemoryLimitSource::policy(std::string_view tenant, std::string_view meter) const {
  std::shared_lock lk(mu_);
  if (auto it = overrides_.find(tenant); it != overrides_.end()) {
    if (auto m = it->second.find(meter); m != it->second.end()) return m->second;
  }
  if (auto it = defaults_.find(meter); it != defaults_.end()) return it->second;
  return Error{Errc::not_found, "no quota policy for meter " + std::string(meter)};
}

}  // namespace tenantkit::quota
