// SPDX-License-Identifier: Apache-2.0
// API key records as stored (never the secret: only its keyed hash) and scope matching.
// Plain values; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::apikey {

/// One stored API key.
struct Record {
  ApiKeyId id;
  TenantId tenant;  ///< The org the key belongs to; it is the request's tenant.
  std::string name;
  std::string prefix;                ///< Public head, unique: "tk_live_" + 8 characters.
  KeyHash hash{};                    ///< KeyHasher hash of the whole secret.
  std::uint32_t pepper_version = 1;  ///< Pepper `hash` was made with.
  std::vector<std::string> scopes;   ///< Permissions the key acts with.
  UserId created_by;
  Timestamp created_at{};
  std::optional<Timestamp>
      expires_at;  ///< Unusable from this instant. Rotation sets it to now+grace.
  std::optional<Timestamp> revoked_at;    ///< Unusable since.
  std::optional<Timestamp> last_used_at;  ///< Batched by LastUsedRecorder: may lag by its interval.
  std::optional<ApiKeyId> replaced_by;    ///< Set on the old record by rotate().

  /// True when the key may authenticate at `now`.
  bool is_active(Timestamp now) const noexcept {
    return !revoked_at && (!expires_at || now < *expires_at);
  }
};

/// A last-used time to write back (LastUsedRecorder batches them).
struct LastUsed {
  TenantId tenant;
  ApiKeyId id;
  Timestamp at;
};

/// True when scope or permission pattern `pattern` covers permission `permission`. Both are
/// `resource:action`; a pattern may use `*` for the resource, the action, or both (`*` alone).
bool scope_covers(std::string_view pattern, std::string_view permission) noexcept;

/// True when `scope` is `resource:action` of [a-z0-9_] (either side may be `*`), or `*`.
bool valid_scope(std::string_view scope) noexcept;

/// True when some entry of `scopes` covers `permission`.
bool scopes_allow(const std::vector<std::string>& scopes, std::string_view permission) noexcept;

}  // namespace tenantkit::apikey
