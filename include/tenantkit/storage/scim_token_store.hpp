// SPDX-License-Identifier: Apache-2.0
// ScimTokenStore: each org's SCIM bearer token (keyed hash). Issuing a new one revokes the
// previous, atomically. Safe for concurrent use; calls may block.
#pragma once

#include <optional>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class ScimTokenStore {
 public:
  virtual ~ScimTokenStore();
  ScimTokenStore(const ScimTokenStore&) = delete;
  ScimTokenStore& operator=(const ScimTokenStore&) = delete;

  /// Stores `token` as the org's only active token, revoking any previous one at token.created_at.
  /// Errors: conflict (hash taken), not_found (no such org), unavailable.
  virtual Result<ScimToken> replace(const OrgId& org, const ScimToken& token) = 0;
  /// Unscoped by design: the token itself names the org. Revoked tokens are returned too (the
  /// caller checks revoked_at). Absence is a value.
  virtual Result<std::optional<ScimToken>> find_by_hash(std::string_view token_hash) = 0;
  /// Revokes the active token, if any. Errors: unavailable.
  virtual Result<void> revoke(const OrgId& org, Timestamp now) = 0;

 protected:
  ScimTokenStore() = default;
};

}  // namespace tenantkit::storage
