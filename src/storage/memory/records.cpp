// SPDX-License-Identifier: Apache-2.0
// In-memory usage events, subscriptions, webhook events and the audit log.
#include <algorithm>
#include <charconv>
#include <mutex>

#include <boost/json/parse.hpp>

#include <tenantkit/audit/chain.hpp>

#include "storage/memory/state.hpp"
#include "storage/memory/stores.hpp"

namespace tenantkit::storage::memory {
namespace {

using Lock = std::unique_lock<std::shared_mutex>;
using SharedLock = std::shared_lock<std::shared_mutex>;

// ---------------------------------------------------------------------------------------------
class MemUsageStore final : public UsageStore {
 public:
  explicit MemUsageStore(State& s) : s_(s) {}

  Result<RecordOutcome> record(const OrgId& org, const UsageEvent& event) override {
    UsageEvent rec = event;
    if (!rec.org.empty() && rec.org != org)
      return Error{Errc::bad_request, "event belongs to another org than the call"};
    rec.org = org;
    if (auto r = validate(rec); !r) return r.error();
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return Error{Errc::not_found, "org"};
    return insert(rec);
  }

  Result<std::vector<RecordOutcome>> record_batch(const std::vector<UsageEvent>& events) override {
    for (const auto& e : events)
      if (auto r = validate(e); !r) return r.error();
    Lock lock(s_.mu);
    // All or nothing: check every org before counting anything.
    for (const auto& e : events)
      if (!s_.org_exists(e.org)) return Error{Errc::not_found, "org"};
    for (const auto& e : events)
      if (!s_.usage_by_key.count({e.org, e.idempotency_key}) && s_.usage.count(e.id))
        return Error{Errc::conflict, "usage event id taken"};
    std::vector<RecordOutcome> out;
    out.reserve(events.size());
    for (const auto& e : events) {
      auto r = insert(e);
      if (!r) return r.error();  // unreachable after the checks above
      out.push_back(*r);
    }
    return out;
  }

  Result<std::int64_t> total(const OrgId& org, std::string_view meter, Timestamp from,
                             Timestamp to) override {
    SharedLock lock(s_.mu);
    std::int64_t sum = 0;
    for (const auto& [id, e] : s_.usage)
      if (e.org == org && e.meter == meter && from <= e.occurred_at && e.occurred_at < to)
        sum += e.quantity;
    return sum;
  }

  Result<std::vector<DailyUsage>> daily(const OrgId& org, std::string_view meter,
                                        std::string_view from_date,
                                        std::string_view to_date) override {
    auto from = parse_date(from_date);
    if (!from) return from.error();
    auto to = parse_date(to_date);
    if (!to) return to.error();
    // Day boundaries are UTC midnights: [from, to + 1 day).
    const Timestamp end = *to + std::chrono::days{1};
    std::map<std::pair<std::string, std::string>, std::int64_t> sums;
    {
      SharedLock lock(s_.mu);
      for (const auto& [id, e] : s_.usage)
        if (e.org == org && (meter.empty() || e.meter == meter) && *from <= e.occurred_at &&
            e.occurred_at < end)
          sums[{format_date(e.occurred_at), e.meter}] += e.quantity;
    }
    std::vector<DailyUsage> out;
    for (const auto& [k, q] : sums) out.push_back(DailyUsage{k.first, k.second, q});
    return out;
  }

 private:
  static Result<void> validate(const UsageEvent& e) {
    std::vector<FieldError> fields;
    if (e.quantity < 0) fields.push_back({"quantity", "must not be negative"});
    if (e.meter.empty()) fields.push_back({"meter", "required"});
    if (e.idempotency_key.empty()) fields.push_back({"idempotency_key", "required"});
    if (!fields.empty()) return Error{Errc::validation_failed, "invalid usage event", fields};
    if (e.id.empty() || e.org.empty()) return Error{Errc::bad_request, "missing id"};
    return ok();
  }

  Result<RecordOutcome> insert(const UsageEvent& e) {
    auto key = std::pair(e.org, e.idempotency_key);
    if (auto it = s_.usage_by_key.find(key); it != s_.usage_by_key.end())
      return RecordOutcome{it->second, true};
    if (s_.usage.count(e.id)) return Error{Errc::conflict, "usage event id taken"};
    s_.usage.emplace(e.id, e);
    s_.usage_by_key.emplace(std::move(key), e.id);
    return RecordOutcome{e.id, false};
  }

  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemSubscriptionStore final : public SubscriptionStore {
 public:
  explicit MemSubscriptionStore(State& s) : s_(s) {}

  Result<Subscription> get(const OrgId& org) override {
    SharedLock lock(s_.mu);
    auto o = s_.orgs.find(org);
    if (o == s_.orgs.end()) return Error{Errc::not_found, "org"};
    if (auto it = s_.subscriptions.find(org); it != s_.subscriptions.end()) return it->second;
    Subscription def;
    def.org = org;
    def.updated_at = o->second.created_at;
    return def;
  }

  Result<bool> put_if_newer(const OrgId& org, const Subscription& sub) override {
    if (!sub.org.empty() && sub.org != org)
      return Error{Errc::bad_request, "subscription of another org than the call"};
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return Error{Errc::not_found, "org"};
    auto it = s_.subscriptions.find(org);
    // std::optional orders nullopt first: a stored event time beats an event without one.
    if (it != s_.subscriptions.end() && it->second.last_event_at > sub.last_event_at) return false;
    Subscription rec = sub;
    rec.org = org;
    s_.subscriptions[org] = rec;
    return true;
  }

  Result<std::optional<OrgId>> find_by_customer(std::string_view customer_id) override {
    if (customer_id.empty()) return std::optional<OrgId>();
    SharedLock lock(s_.mu);
    for (const auto& [org, sub] : s_.subscriptions)
      if (sub.customer_id == customer_id) return std::optional<OrgId>(org);
    return std::optional<OrgId>();
  }

 private:
  State& s_;
};

class MemWebhookEventStore final : public WebhookEventStore {
 public:
  explicit MemWebhookEventStore(State& s) : s_(s) {}

  Result<bool> insert_if_new(const WebhookEvent& event) override {
    if (event.event_id.empty()) return Error{Errc::bad_request, "missing event id"};
    Lock lock(s_.mu);
    return s_.webhooks.emplace(event.event_id, event).second;
  }

 private:
  State& s_;
};

// ---------------------------------------------------------------------------------------------
bool matches(const AuditEvent& e, const AuditQuery& q) {
  return (q.action.empty() || e.action == q.action) &&
         (q.actor_id.empty() || e.actor_id == q.actor_id) &&
         (q.target_type.empty() || e.target_type == q.target_type) &&
         (!q.from || *q.from <= e.at) && (!q.to || e.at < *q.to);
}

class MemAuditStore final : public AuditStore {
 public:
  explicit MemAuditStore(State& s) : s_(s) {}

  Result<AuditEvent> append(const OrgId& org, const AuditEvent& event) override {
    if (!event.org.empty() && event.org != org)
      return Error{Errc::bad_request, "event of another org than the call"};
    if (event.id.empty()) return Error{Errc::bad_request, "missing audit event id"};
    if (event.action.empty())
      return Error{Errc::validation_failed, "invalid audit event", {{"action", "required"}}};
    boost::system::error_code ec;
    auto meta = boost::json::parse(event.metadata_json, ec);
    if (ec || !meta.is_object())
      return Error{
          Errc::validation_failed, "invalid audit event", {{"metadata_json", "not a JSON object"}}};
    AuditEvent rec = event;
    rec.org = org;
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return Error{Errc::not_found, "org"};
    AuditChain& chain = s_.audit[org];
    rec.seq = chain.last_seq + 1;
    rec.prev_hash = chain.last_hash;
    rec.hash = audit::chain_hash(rec.prev_hash, rec);
    chain.last_seq = rec.seq;
    chain.last_hash = rec.hash;
    chain.entries.emplace(rec.seq, rec);
    return rec;
  }

  Result<Page<AuditEvent>> list(const OrgId& org, const AuditQuery& query,
                                const PageRequest& page) override {
    auto after = decode_cursor(page.cursor);
    if (!after) return after.error();
    std::int64_t below = INT64_MAX;
    if (!after->empty()) {
      auto [p, ec] = std::from_chars(after->data(), after->data() + after->size(), below);
      if (ec != std::errc() || p != after->data() + after->size() || below < 1)
        return Error{Errc::bad_request, "malformed cursor"};
    }
    const auto limit = static_cast<std::size_t>(page.clamped_limit());
    Page<AuditEvent> out;
    SharedLock lock(s_.mu);
    auto chain = s_.audit.find(org);
    if (chain == s_.audit.end()) return out;
    const auto& entries = chain->second.entries;
    for (auto it = std::make_reverse_iterator(entries.lower_bound(below)); it != entries.rend();
         ++it) {
      if (!matches(it->second, query)) continue;
      if (out.items.size() == limit) {
        out.next_cursor = encode_cursor(std::to_string(out.items.back().seq));
        break;
      }
      out.items.push_back(it->second);
    }
    return out;
  }

  Result<void> scan(const OrgId& org, const AuditQuery& query, int chunk,
                    const std::function<bool(const AuditEvent&)>& sink) override {
    const auto size = static_cast<std::size_t>(std::clamp(chunk, 1, 1000));
    std::int64_t after = 0;
    for (;;) {
      std::vector<AuditEvent> batch;
      bool more = false;
      {
        // The lock is not held while the sink runs: it may be slow (an HTTP export).
        SharedLock lock(s_.mu);
        auto chain = s_.audit.find(org);
        if (chain == s_.audit.end()) return ok();
        const auto& entries = chain->second.entries;
        for (auto it = entries.upper_bound(after); it != entries.end(); ++it) {
          if (!matches(it->second, query)) continue;
          if (batch.size() == size) {
            more = true;
            break;
          }
          batch.push_back(it->second);
        }
      }
      for (const auto& e : batch)
        if (!sink(e)) return ok();
      if (!more || batch.empty()) return ok();
      after = batch.back().seq;
    }
  }

  Result<std::vector<AuditEvent>> read_chain(const OrgId& org, std::int64_t after_seq,
                                             int limit) override {
    std::vector<AuditEvent> out;
    const auto size = static_cast<std::size_t>(std::clamp(limit, 1, 1000));
    SharedLock lock(s_.mu);
    auto chain = s_.audit.find(org);
    if (chain == s_.audit.end()) return out;
    const auto& entries = chain->second.entries;
    for (auto it = entries.upper_bound(after_seq); it != entries.end() && out.size() < size; ++it)
      out.push_back(it->second);
    return out;
  }

  Result<std::int64_t> delete_before(const OrgId& org, Timestamp before) override {
    Lock lock(s_.mu);
    auto chain = s_.audit.find(org);
    if (chain == s_.audit.end()) return std::int64_t{0};
    // last_seq and last_hash stay: new entries keep linking to the true chain head.
    return static_cast<std::int64_t>(
        std::erase_if(chain->second.entries, [&](const auto& e) { return e.second.at < before; }));
  }

 private:
  State& s_;
};

}  // namespace

std::unique_ptr<UsageStore> make_usage_store(State& s) {
  return std::make_unique<MemUsageStore>(s);
}
std::unique_ptr<SubscriptionStore> make_subscription_store(State& s) {
  return std::make_unique<MemSubscriptionStore>(s);
}
std::unique_ptr<WebhookEventStore> make_webhook_event_store(State& s) {
  return std::make_unique<MemWebhookEventStore>(s);
}
std::unique_ptr<AuditStore> make_audit_store(State& s) {
  return std::make_unique<MemAuditStore>(s);
}

}  // namespace tenantkit::storage::memory
