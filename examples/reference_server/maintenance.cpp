// SPDX-License-Identifier: Apache-2.0
#include "maintenance.hpp"

#include <optional>
#include <string>
#include <vector>

#include "app.hpp"
#include "services.hpp"

namespace tenantkit::server {

Maintenance::Maintenance(Services& services, std::chrono::seconds retention_interval,
                         std::chrono::seconds tick)
    : s_(services) {
  if (tick.count() > 0 || retention_interval.count() > 0)
    thread_ = std::jthread([this, retention_interval, tick](std::stop_token stop) {
      loop(stop, retention_interval, tick);
    });
}

Maintenance::~Maintenance() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void Maintenance::flush_last_used(bool force) {
  if (!s_.last_used) return;
  auto written = force ? s_.last_used->flush() : s_.last_used->flush_if_due();
  if (!written)
    s_.app.logger().warn("api key last-used flush failed (kept for the next one)",
                         {{"error", written.error().detail}});
}

void Maintenance::loop(std::stop_token stop, std::chrono::seconds retention_interval,
                       std::chrono::seconds tick) {
  const auto step = tick.count() > 0 ? tick : retention_interval;
  auto next_retention = std::chrono::steady_clock::now() + retention_interval;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, step, [] { return false; });
    }
    if (stop.stop_requested()) {
      flush_last_used(true);
      return;
    }
    flush_last_used(false);
    if (retention_interval.count() == 0 || std::chrono::steady_clock::now() < next_retention)
      continue;
    next_retention = std::chrono::steady_clock::now() + retention_interval;
    const auto started = std::chrono::steady_clock::now();
    auto deleted = run_retention(s_.app.clock().now());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (!deleted) {
      s_.app.logger().error("audit retention failed", {{"error", deleted.error().detail}});
    } else if (*deleted > 0) {
      s_.app.logger().info("audit retention", {{"deleted", std::to_string(*deleted)},
                                               {"duration_ms", std::to_string(ms)}});
    }
    if (auto purged = purge_idempotency(s_.app.clock().now()); !purged) {
      s_.app.logger().error("idempotency purge failed", {{"error", purged.error().detail}});
    } else if (*purged > 0) {
      s_.app.logger().info("idempotency purge", {{"deleted", std::to_string(*purged)}});
    }
  }
}

Result<std::int64_t> Maintenance::purge_idempotency(Timestamp now) {
  return s_.db.idempotency().purge_expired(now);
}

Result<std::int64_t> Maintenance::run_retention(Timestamp now) {
  std::int64_t deleted = 0;
  std::optional<OrgId> after;
  for (;;) {
    auto ids = s_.db.orgs().list_ids(after, 500);
    if (!ids) return ids.error();
    for (const OrgId& org : *ids) {
      auto ent = s_.entitlements->entitlements(org);
      if (!ent) {
        // Deleted meanwhile, or storage trouble: the next pass retries.
        if (ent.error().code != Errc::not_found)
          s_.app.logger().warn("audit retention skipped an org",
                               {{"org", org.str()}, {"error", ent.error().detail}});
        continue;
      }
      const billing::Plan* plan = s_.catalogue.find(ent->plan_id);
      if (plan == nullptr || !plan->audit_retention_days) continue;
      const Timestamp before = now - std::chrono::days(*plan->audit_retention_days);
      auto n = s_.db.audit().delete_before(org, before);
      if (!n) {
        if (n.error().code != Errc::not_found)
          s_.app.logger().warn("audit retention skipped an org",
                               {{"org", org.str()}, {"error", n.error().detail}});
        continue;
      }
      deleted += *n;
    }
    if (ids->size() < 500) return deleted;
    after = ids->back();
  }
}

}  // namespace tenantkit::server
