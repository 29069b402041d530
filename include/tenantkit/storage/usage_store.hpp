// SPDX-License-Identifier: Apache-2.0
// UsageStore: metered usage events, counted exactly once per (org, idempotency key), with daily
// rollups kept current. Safe for concurrent use; calls may block.
#pragma once

#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

/// What record() did with one event.
struct RecordOutcome {
  UsageEventId id;         ///< The stored event's id: the first one's for a duplicate.
  bool duplicate = false;  ///< The key was seen before; nothing was counted.
};

class UsageStore {
 public:
  virtual ~UsageStore();
  UsageStore(const UsageStore&) = delete;
  UsageStore& operator=(const UsageStore&) = delete;

  /// Records `event` unless its idempotency key was recorded for `org` before.
  /// Errors: validation_failed (quantity < 0, empty meter or key), unavailable.
  virtual Result<RecordOutcome> record(const OrgId& org, const UsageEvent& event) = 0;
  /// Records many events (any orgs) in one batch; outcome i belongs to events[i].
  virtual Result<std::vector<RecordOutcome>> record_batch(
      const std::vector<UsageEvent>& events) = 0;
  /// Sum of `meter` over events with from <= occurred_at < to.
  virtual Result<std::int64_t> total(const OrgId& org, std::string_view meter, Timestamp from,
                                     Timestamp to) = 0;
  /// Daily sums from `from_date` to `to_date` inclusive (YYYY-MM-DD, UTC), oldest first, days
  /// without usage omitted; an empty `meter` means every meter.
  virtual Result<std::vector<DailyUsage>> daily(const OrgId& org, std::string_view meter,
                                                std::string_view from_date,
                                                std::string_view to_date) = 0;

 protected:
  UsageStore() = default;
};

}  // namespace tenantkit::storage
