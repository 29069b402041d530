// SPDX-License-Identifier: Apache-2.0
// Strong id types: a TenantId cannot be passed where a UserId is expected.
// Ids are opaque strings on the wire (UUIDv7 when tenantkit makes them); Id<Tag>::parse checks the
// syntax of one that arrives from outside: 1..64 characters of [A-Za-z0-9_.:-].
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit {

namespace detail {
/// True when `text` is a syntactically valid id (length and character set).
bool valid_id_syntax(std::string_view text) noexcept;
}  // namespace detail

/// An id of the kind named by `Tag` (Tag::kName is used in error details).
/// Empty means "no id"; an empty id never names anything.
template <class Tag>
class Id {
 public:
  static constexpr std::size_t kMaxLength = 64;

  Id() = default;

  /// Validates text from outside (a path segment, a JSON field).
  /// Errors: bad_request ("malformed <kind> id").
  static Result<Id> parse(std::string_view text) {
    if (!detail::valid_id_syntax(text)) return Error{Errc::bad_request, malformed_message()};
    return Id(std::string(text));
  }

  /// "malformed <kind> id". Built with append(), not operator+: GCC 12 at -O1 and above reports
  /// a false -Warray-bounds inside the inlined `string&& + const char*` (GCC PR 105329).
  static std::string malformed_message() {
    std::string message = "malformed ";
    message.append(Tag::kName);
    message.append(" id");
    return message;
  }

  /// Wraps text already known to be a valid id (read back from storage). No check.
  static Id from_trusted(std::string text) { return Id(std::move(text)); }

  /// A new time-ordered id (UUIDv7).
  static Id generate(Random& random, const Clock& clock) {
    return Id(uuid_v7(random, clock.now()));
  }

  const std::string& str() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  explicit operator bool() const noexcept { return !value_.empty(); }

  friend bool operator==(const Id&, const Id&) = default;
  friend std::strong_ordering operator<=>(const Id& a, const Id& b) noexcept {
    return a.value_.compare(b.value_) <=> 0;
  }
  friend std::ostream& operator<<(std::ostream& os, const Id& id) { return os << id.value_; }

 private:
  explicit Id(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

// clang-format off
struct TenantTag      { static constexpr std::string_view kName = "org"; };
struct UserTag        { static constexpr std::string_view kName = "user"; };
struct InvitationTag  { static constexpr std::string_view kName = "invitation"; };
struct SessionTag     { static constexpr std::string_view kName = "session"; };
struct RefreshTokenTag{ static constexpr std::string_view kName = "refresh token"; };
struct ApiKeyTag      { static constexpr std::string_view kName = "API key"; };
struct WorkspaceTag   { static constexpr std::string_view kName = "workspace"; };
struct UsageEventTag  { static constexpr std::string_view kName = "usage event"; };
struct AuditEventTag  { static constexpr std::string_view kName = "audit event"; };
struct ScimTokenTag   { static constexpr std::string_view kName = "SCIM token"; };
struct ScimGroupTag   { static constexpr std::string_view kName = "SCIM group"; };
struct WebhookEventTag{ static constexpr std::string_view kName = "webhook event"; };
struct RequestTag     { static constexpr std::string_view kName = "request"; };
// clang-format on

/// A tenant. In the reference server a tenant is an organization ("org"), so OrgId is the same.
using TenantId = Id<TenantTag>;
using OrgId = TenantId;
using UserId = Id<UserTag>;
using InvitationId = Id<InvitationTag>;
using SessionId = Id<SessionTag>;
using RefreshTokenId = Id<RefreshTokenTag>;
using ApiKeyId = Id<ApiKeyTag>;
using WorkspaceId = Id<WorkspaceTag>;
using UsageEventId = Id<UsageEventTag>;
using AuditEventId = Id<AuditEventTag>;
using ScimTokenId = Id<ScimTokenTag>;
using ScimGroupId = Id<ScimGroupTag>;
using WebhookEventId = Id<WebhookEventTag>;
using RequestId = Id<RequestTag>;

}  // namespace tenantkit

template <class Tag>
struct std::hash<tenantkit::Id<Tag>> {
  std::size_t operator()(const tenantkit::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
