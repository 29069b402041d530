// SPDX-License-Identifier: Apache-2.0
// Maintenance: the server's periodic jobs. Today one: audit retention, which deletes each org's
// audit entries older than its plan's `audit_retention_days` (billing::Plan; built-in free 30,
// pro 365, enterprise forever). Every instance may run it: deleting what is already gone is a
// no-op, and the hash chain stays verifiable from the oldest kept entry.
//
// Thread safety: run_retention() may be called from any thread; the periodic thread is started by
// the constructor and stopped (and joined) by the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include <tenantkit/core/result.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::server {

class Services;

class Maintenance {
 public:
  /// Runs run_retention() every `interval` (the first pass one interval after start); no thread
  /// when `interval` is zero. `services` must outlive this object.
  Maintenance(Services& services, std::chrono::seconds interval);
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  /// One pass over every org as of `now`: deletes the audit entries older than
  /// now - audit_retention_days of the org's current plan (none when the plan keeps everything
  /// or the policy names a plan the catalogue lacks). Returns how many entries were deleted.
  /// An org whose pass fails is logged and skipped; errors: listing the orgs failed.
  Result<std::int64_t> run_retention(Timestamp now);

 private:
  void loop(std::stop_token stop, std::chrono::seconds interval);

  Services& s_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: stopped and joined before the members above go
};

}  // namespace tenantkit::server
