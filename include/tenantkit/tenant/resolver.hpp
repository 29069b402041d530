// SPDX-License-Identifier: Apache-2.0
// How a request's tenant is chosen, in API.md's order:
//   1. the org bound to the credential (API key or SCIM token): any X-Org-Id header is ignored;
//   2. else the X-Org-Id header, if the principal is a member (else not_found: never reveal
//      that the org exists);
//   3. else an org named by slug (subdomain or path segment), same membership rule;
//   4. else the active org claim of the access token.
// Pure logic over its inputs, with membership answered by a callback, so it serves any transport.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit {

/// Where the resolved tenant came from.
enum class TenantSource : std::uint8_t { none, credential, header, slug, token };

/// The inputs of one request.
struct TenantInputs {
  std::optional<TenantId> credential_org{};      ///< The org an API key or SCIM token is bound to.
  std::optional<std::string_view> org_header{};  ///< Raw X-Org-Id value, if present.
  std::optional<std::string_view> slug{};        ///< Subdomain or path slug, if the app uses one.
  std::optional<TenantId> token_org{};           ///< The `org` claim of the access token.
};

/// What resolution found. `tenant` is empty when no source named one.
struct ResolvedTenant {
  TenantId tenant;
  TenantSource source = TenantSource::none;
};

/// Answers "is the principal a member of this org?" (false for unknown orgs).
/// May block (a storage read): call resolve_tenant off the I/O thread.
using MembershipCheck = std::function<Result<bool>(const TenantId&)>;
/// Maps a slug to its org; nullopt when no org has it.
using SlugLookup = std::function<Result<std::optional<TenantId>>(std::string_view)>;

/// Applies the order above. Errors: bad_request (X-Org-Id malformed), not_found (X-Org-Id or
/// slug names an org the principal is not a member of, or no org), unavailable (a callback
/// failed). No source at all is not an error: `source == none`; require_tenant() makes it one.
Result<ResolvedTenant> resolve_tenant(const TenantInputs& in, const MembershipCheck& is_member,
                                      const SlugLookup& slug_lookup = {});

/// A tenant-scoped route without a resolvable tenant. Errors: bad_request.
Result<TenantId> require_tenant(const ResolvedTenant& resolved);

}  // namespace tenantkit
