// SPDX-License-Identifier: Apache-2.0
// Maintenance: the server's periodic jobs, on one thread.
// - API keys' last_used_at: the verifier records uses in memory (apikey::LastUsedRecorder); this
//   thread writes them in one batch when the recorder's interval is due, and once more when it
//   stops, so storage lags by at most that interval and nothing is lost at shutdown.
// - Audit retention: deletes each org's audit entries older than its plan's
//   `audit_retention_days` (billing::Plan; built-in free 30, pro 365, enterprise forever). Every
//   instance may run it: deleting what is already gone is a no-op, and the hash chain stays
//   verifiable from the oldest kept entry.
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
  /// Starts the thread: last-used flushes when due (checked every `tick`), run_retention() and
  /// purge_idempotency() every
  /// `retention_interval` (the first pass one interval after start; never when zero). With both
  /// zero no thread runs. `services` must outlive this object.
  Maintenance(Services& services, std::chrono::seconds retention_interval,
              std::chrono::seconds tick = std::chrono::seconds(5));
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  /// One pass over every org as of `now`: deletes the audit entries older than
  /// now - audit_retention_days of the org's current plan (none when the plan keeps everything
  /// or the policy names a plan the catalogue lacks). Returns how many entries were deleted.
  /// An org whose pass fails is logged and skipped; errors: listing the orgs failed.
  Result<std::int64_t> run_retention(Timestamp now);
  /// Deletes the Idempotency-Key records that expired before `now` (they are kept 24 h), so
  /// neither stored responses nor the table outgrow that window. The periodic thread runs it
  /// with run_retention(). Returns how many were deleted. Errors: unavailable.
  Result<std::int64_t> purge_idempotency(Timestamp now);

 private:
  void loop(std::stop_token stop, std::chrono::seconds retention_interval,
            std::chrono::seconds tick);
  void flush_last_used(bool force);

  Services& s_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: stopped and joined before the members above go
};

}  // namespace tenantkit::server
