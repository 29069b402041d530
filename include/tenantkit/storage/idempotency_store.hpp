// SPDX-License-Identifier: Apache-2.0
// IdempotencyStore: responses stored under a client's Idempotency-Key, so a retried request replays
// the first response (API.md: same key + same body -> replay; another body -> 409; kept >= 24 h).
// Safe for concurrent use; calls may block.
#pragma once

#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

/// What begin() found.
struct IdempotencyBegin {
  enum class Kind : std::uint8_t {
    started,      ///< New key: the caller runs the request, then complete()s it.
    in_progress,  ///< The first request with this key is still running.
    replay,       ///< Completed before with the same request hash: `record` holds the response.
    mismatch,     ///< The key was used with a different request.
  };
  Kind kind = Kind::started;
  IdempotencyRecord record;
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore();
  IdempotencyStore(const IdempotencyStore&) = delete;
  IdempotencyStore& operator=(const IdempotencyStore&) = delete;

  /// Claims (scope, key) for `request_hash` until `expires_at`; an expired record counts as absent.
  /// Errors: unavailable.
  virtual Result<IdempotencyBegin> begin(std::string_view scope, std::string_view key,
                                         std::string_view request_hash, Timestamp now,
                                         Timestamp expires_at) = 0;
  /// Stores the response of a started request. Errors: not_found (not started), unavailable.
  virtual Result<void> complete(std::string_view scope, std::string_view key, int status,
                                std::string_view content_type, std::string_view body) = 0;
  /// Forgets a started request that failed before producing a response worth replaying.
  virtual Result<void> abandon(std::string_view scope, std::string_view key) = 0;
  /// Deletes records expired at `now`; returns how many.
  virtual Result<std::int64_t> purge_expired(Timestamp now) = 0;

 protected:
  IdempotencyStore() = default;
};

}  // namespace tenantkit::storage
