// SPDX-License-Identifier: Apache-2.0
// Private: the data of one in-memory Storage and the helpers its stores share.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage::memory {

struct AuditChain {
  std::int64_t last_seq = 0;
  std::string last_hash;
  std::map<std::int64_t, AuditEvent> entries;  // by seq
};

// One lock for the whole Storage: cross-aggregate rules (seats = members + invitations, org
// cascade, invitation accept) then need no lock ordering. This is the reference backend, not a
// hot path.
struct State {
  std::shared_mutex mu;

  std::map<OrgId, Org> orgs;
  std::map<std::string, OrgId, std::less<>> org_by_slug;

  std::map<UserId, User> users;
  std::map<std::string, UserId, std::less<>> user_by_email;

  std::map<OrgId, std::map<UserId, Membership>> members;

  std::map<InvitationId, Invitation> invitations;

  std::map<SessionId, Session> sessions;
  std::map<RefreshTokenId, RefreshToken> refresh;
  std::map<std::string, RefreshTokenId, std::less<>> refresh_by_hash;
  std::map<std::string, OneTimeToken, std::less<>> one_time;

  std::map<ApiKeyId, ApiKey> api_keys;
  std::map<std::string, ApiKeyId, std::less<>> api_key_by_prefix;

  std::map<OrgId, std::map<std::string, Role, std::less<>>> roles;

  std::map<UsageEventId, UsageEvent> usage;
  std::map<std::pair<OrgId, std::string>, UsageEventId> usage_by_key;

  std::map<OrgId, Subscription> subscriptions;
  std::map<std::string, WebhookEvent, std::less<>> webhooks;

  std::map<OrgId, AuditChain> audit;

  std::map<WorkspaceId, Workspace> workspaces;

  std::map<ScimTokenId, ScimToken> scim_tokens;
  std::map<std::string, ScimTokenId, std::less<>> scim_by_hash;
  std::map<ScimGroupId, ScimGroup> scim_groups;

  std::map<std::pair<std::string, std::string>, IdempotencyRecord, std::less<>> idempotency;

  bool org_exists(const OrgId& org) const { return orgs.count(org) != 0; }
  /// Members plus invitations pending at `now`: what a seat limit counts.
  std::int64_t seats_used(const OrgId& org, Timestamp now) const;
  /// True when some active member other than `except` holds "owner".
  bool has_other_active_owner(const OrgId& org, const UserId& except) const;
};

/// Cursors are "c1:<last key>" in base64url, so that anything else is rejected as garbage.
std::string encode_cursor(std::string_view last_key);
/// The last key of a cursor; the empty string for an empty cursor (first page).
/// Errors: bad_request (not a cursor this backend made).
Result<std::string> decode_cursor(std::string_view cursor);

/// One page of `sorted` (ascending by `key`), resuming after the cursor's key.
template <class T, class KeyFn>
Result<Page<T>> paginate(const std::vector<T>& sorted, const PageRequest& req, KeyFn key) {
  auto after = decode_cursor(req.cursor);
  if (!after) return after.error();
  const auto limit = static_cast<std::size_t>(req.clamped_limit());
  Page<T> page;
  std::size_t i = 0;
  if (!after->empty())
    while (i < sorted.size() && key(sorted[i]) <= *after) ++i;
  for (; i < sorted.size() && page.items.size() < limit; ++i) page.items.push_back(sorted[i]);
  if (i < sorted.size() && !page.items.empty())
    page.next_cursor = encode_cursor(key(page.items.back()));
  return page;
}

}  // namespace tenantkit::storage::memory
