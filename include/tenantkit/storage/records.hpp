// SPDX-License-Identifier: Apache-2.0
// The records tenantkit persists: plain values shared by every storage implementation (memory,
// SQLite, PostgreSQL). Secrets never appear here in clear: keys and tokens are keyed hashes,
// passwords are Argon2id strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::storage {

/// An organization: the tenant.
struct Org {
  OrgId id;
  std::string name;
  std::string slug;  ///< Unique across all orgs; [a-z0-9-], 1..63 characters.
  Timestamp created_at;
  Timestamp updated_at;
  friend bool operator==(const Org&, const Org&) = default;
};

/// A person who can log in. Users are global; their access to orgs is a Membership.
struct User {
  UserId id;
  std::string email;  ///< Normalised (trimmed, lower-case); unique.
  std::string name;
  std::string password_hash;  ///< Argon2id encoded string; empty for users without a password.
  bool active = true;         ///< false: may not log in (deactivated everywhere).
  Timestamp created_at;
  Timestamp updated_at;
  friend bool operator==(const User&, const User&) = default;
};

/// A user's place in an org.
struct Membership {
  OrgId org;
  UserId user;
  std::vector<std::string> roles;  ///< Role names (built-in or the org's custom roles).
  bool active = true;              ///< false: suspended (SCIM active=false); grants nothing.
  std::string external_id;         ///< The directory's id for this user in this org (SCIM).
  Timestamp joined_at;
  /// The directory's own view of this member (SCIM name parts, emails, version...) as a JSON
  /// object written by scim::ScimService; "" for members not provisioned through SCIM. Per
  /// membership, not per user: one org's directory never edits what another org sees.
  std::string scim_profile;
  friend bool operator==(const Membership&, const Membership&) = default;
};

/// An invitation to join an org. Its token is stored as a keyed hash.
struct Invitation {
  InvitationId id;
  OrgId org;
  std::string email;
  std::string role;
  std::string token_hash;
  UserId invited_by;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> accepted_at;
  std::optional<Timestamp> revoked_at;

  /// Neither accepted, revoked nor expired at `now`.
  bool is_pending(Timestamp now) const noexcept {
    return !accepted_at && !revoked_at && now < expires_at;
  }
  friend bool operator==(const Invitation&, const Invitation&) = default;
};

/// One login on one device. Its refresh tokens form one family.
struct Session {
  SessionId id;
  UserId user;
  std::string user_agent;
  std::string ip;
  Timestamp created_at;
  Timestamp last_seen_at;
  Timestamp expires_at;
  std::optional<Timestamp> revoked_at;
  /// The org its tokens were last issued for (set_active_org); none before the first.
  std::optional<OrgId> active_org;

  bool is_active(Timestamp now) const noexcept { return !revoked_at && now < expires_at; }
  friend bool operator==(const Session&, const Session&) = default;
};

/// A single-use refresh token of a session (its family).
struct RefreshToken {
  RefreshTokenId id;
  SessionId session;
  UserId user;
  std::string token_hash;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> used_at;           ///< Set when rotated.
  std::optional<RefreshTokenId> replaced_by;  ///< Its successor, once rotated.
  friend bool operator==(const RefreshToken&, const RefreshToken&) = default;
};

/// A single-use token for password reset, email change and the like.
struct OneTimeToken {
  std::string token_hash;  ///< Keyed hash of the token; the primary key.
  std::string purpose;     ///< "password_reset", "email_change", ...
  UserId user;
  std::string payload;  ///< Purpose-specific data (e.g. the new email); may be empty.
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> used_at;
  friend bool operator==(const OneTimeToken&, const OneTimeToken&) = default;
};

/// An API key record: never the secret, only its keyed hash.
struct ApiKey {
  ApiKeyId id;
  OrgId org;
  std::string name;
  std::string
      prefix;        ///< Non-secret head of the key, unique, shown in lists and used to look it up.
  std::string hash;  ///< Keyed hash of the whole secret.
  int pepper_version = 1;  ///< Which pepper `hash` was made with.
  std::vector<std::string> scopes;
  UserId created_by;
  Timestamp created_at;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> last_used_at;
  std::optional<Timestamp> revoked_at;
  std::optional<ApiKeyId> rotated_to;  ///< Set on the old key when it was rotated.

  /// Not revoked and not expired at `now`.
  bool is_usable(Timestamp now) const noexcept {
    return !revoked_at && (!expires_at || now < *expires_at);
  }
  friend bool operator==(const ApiKey&, const ApiKey&) = default;
};

/// A custom role of one org. Built-in roles are not stored.
struct Role {
  OrgId org;
  std::string name;
  std::string description;
  std::vector<std::string>
      permissions;                    ///< Allow statements, `resource:action`, wildcards allowed.
  std::vector<std::string> deny;      ///< Deny statements; they win over allows.
  std::vector<std::string> inherits;  ///< Names of roles whose permissions this role includes.
  Timestamp created_at;
  Timestamp updated_at;
  friend bool operator==(const Role&, const Role&) = default;
};

/// One metered usage event, counted once per (org, idempotency_key).
struct UsageEvent {
  UsageEventId id;
  OrgId org;
  std::string meter;
  std::int64_t quantity = 0;
  std::string idempotency_key;
  Timestamp occurred_at;
  Timestamp recorded_at;
  friend bool operator==(const UsageEvent&, const UsageEvent&) = default;
};

/// The sum of one meter over one UTC day.
struct DailyUsage {
  std::string date;  ///< YYYY-MM-DD (UTC).
  std::string meter;
  std::int64_t quantity = 0;
  friend bool operator==(const DailyUsage&, const DailyUsage&) = default;
};

/// An org's subscription as last set by the billing provider (or the defaults: free/none).
struct Subscription {
  OrgId org;
  std::string plan = "free";
  std::string status = "none";  ///< Stripe's statuses, or "none" for never subscribed.
  std::string customer_id;      ///< The provider's customer id, once known.
  std::string subscription_id;  ///< The provider's subscription id, once known.
  std::optional<Timestamp> current_period_end;
  std::optional<Timestamp> trial_end;
  bool cancel_at_period_end = false;
  std::optional<Timestamp> last_event_at;  ///< `created` of the last applied provider event.
  /// When the subscription entered past_due (the start of the grace period); unset otherwise.
  std::optional<Timestamp> past_due_since;
  Timestamp updated_at;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

/// A provider webhook event, kept so that a redelivery has no effect.
struct WebhookEvent {
  std::string event_id;  ///< The provider's id (Stripe `evt_...`); globally unique.
  std::string type;
  Timestamp received_at;
  std::optional<OrgId> org;
  friend bool operator==(const WebhookEvent&, const WebhookEvent&) = default;
};

/// An audit log entry. `seq`, `prev_hash` and `hash` are assigned by the store on append.
struct AuditEvent {
  AuditEventId id;
  OrgId org;
  std::int64_t seq = 0;    ///< 1, 2, 3... per org, in append order.
  std::string actor_type;  ///< "user", "api_key", "scim", "system", "provider".
  std::string actor_id;
  std::string action;  ///< Dotted, e.g. "member.role_changed".
  std::string target_type;
  std::string target_id;
  std::string ip;
  std::string user_agent;
  std::string request_id;
  std::string metadata_json = "{}";  ///< A JSON object (before/after and the like).
  Timestamp at;
  std::string prev_hash;  ///< Hex SHA-256 of the previous entry ("" for the first).
  std::string hash;       ///< Hex SHA-256(prev_hash || canonical(entry)).
  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

/// The sample tenant-owned resource of the reference server.
struct Workspace {
  WorkspaceId id;
  OrgId org;
  std::string name;
  std::string description;
  Timestamp created_at;
  Timestamp updated_at;
  friend bool operator==(const Workspace&, const Workspace&) = default;
};

/// An org's SCIM bearer token, stored as a keyed hash.
struct ScimToken {
  ScimTokenId id;
  OrgId org;
  std::string token_hash;
  Timestamp created_at;
  std::optional<Timestamp> revoked_at;
  friend bool operator==(const ScimToken&, const ScimToken&) = default;
};

/// A directory group pushed by an org's SCIM client (RFC 7643 §4.2). Its members get the role
/// the org's group mapping names (scim::ScimService).
struct ScimGroup {
  ScimGroupId id;
  OrgId org;
  std::string display_name;     ///< Unique per org, compared case-insensitively.
  std::string external_id;      ///< The directory's id; "" when none.
  std::vector<UserId> members;  ///< Members of the org; no duplicates, in the order sent.
  std::int64_t version = 1;     ///< Bumped on every write (the ETag).
  Timestamp created_at;
  Timestamp updated_at;
  friend bool operator==(const ScimGroup&, const ScimGroup&) = default;
};

/// A stored response for an Idempotency-Key, per scope (an org or a user).
struct IdempotencyRecord {
  std::string scope;  ///< Who sent the key: "org:<id>" or "user:<id>".
  std::string key;    ///< The client's Idempotency-Key.
  std::string
      request_hash;  ///< Hash of method, path and body: the same key with another body conflicts.
  bool completed = false;  ///< false while the first request is still running.
  int status = 0;
  std::string content_type;
  std::string body;
  Timestamp created_at;
  Timestamp expires_at;
  friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

}  // namespace tenantkit::storage
