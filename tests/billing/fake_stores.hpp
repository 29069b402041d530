// SPDX-License-Identifier: Apache-2.0
// Minimal in-test SubscriptionStore / WebhookEventStore (map + mutex) with failure injection,
// following the contracts of storage/billing_store.hpp.
#pragma once

#include <map>
#include <mutex>
#include <set>

#include <tenantkit/storage/billing_store.hpp>

namespace tenantkit::billing::test {

class FakeSubscriptionStore final : public storage::SubscriptionStore {
 public:
  std::set<TenantId> orgs;  // existing orgs
  bool fail = false;
  int gets = 0;

  Result<storage::Subscription> get(const OrgId& org) override {
    std::lock_guard lock(mu_);
    ++gets;
    if (fail) return Error{Errc::unavailable, "injected"};
    if (!orgs.count(org)) return Error{Errc::not_found, "no such org"};
    auto it = subs_.find(org);
    if (it != subs_.end()) return it->second;
    storage::Subscription s;
    s.org = org;
    return s;
  }
  Result<bool> put_if_newer(const OrgId& org, const storage::Subscription& sub) override {
    std::lock_guard lock(mu_);
    if (fail) return Error{Errc::unavailable, "injected"};
    if (!orgs.count(org)) return Error{Errc::not_found, "no such org"};
    auto it = subs_.find(org);
    if (it != subs_.end() && it->second.last_event_at && sub.last_event_at &&
        *it->second.last_event_at > *sub.last_event_at)
      return false;
    subs_[org] = sub;
    return true;
  }
  Result<std::optional<OrgId>> find_by_customer(std::string_view customer_id) override {
    std::lock_guard lock(mu_);
    if (fail) return Error{Errc::unavailable, "injected"};
    for (const auto& [org, s] : subs_)
      if (s.customer_id == customer_id) return std::optional<OrgId>(org);
    return std::optional<OrgId>();
  }

 private:
  std::mutex mu_;
  std::map<OrgId, storage::Subscription> subs_;
};

class FakeWebhookEventStore final : public storage::WebhookEventStore {
 public:
  bool fail = false;
  Result<bool> insert_if_new(const storage::WebhookEvent& event) override {
    std::lock_guard lock(mu_);
    if (fail) return Error{Errc::unavailable, "injected"};
    return ids_.insert(event.event_id).second;
  }

 private:
  std::mutex mu_;
  std::set<std::string> ids_;
};

}  // namespace tenantkit::billing::test
