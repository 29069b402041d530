// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/tenant/resolver.hpp>

namespace tenantkit {
namespace {

Result<ResolvedTenant> member_or_not_found(const TenantId& org, TenantSource source,
                                           const MembershipCheck& is_member) {
  if (!is_member) return Error{Errc::not_found, "organization not found"};
  auto member = is_member(org);
  if (!member) return member.error();
  // The same answer for "no such org" and "not yours", so existence never leaks.
  if (!*member) return Error{Errc::not_found, "organization not found"};
  return ResolvedTenant{org, source};
}

}  // namespace

Result<ResolvedTenant> resolve_tenant(const TenantInputs& in, const MembershipCheck& is_member,
                                      const SlugLookup& slug_lookup) {
  if (in.credential_org && !in.credential_org->empty())
    return ResolvedTenant{*in.credential_org, TenantSource::credential};
  if (in.org_header) {
    auto org = TenantId::parse(*in.org_header);
    if (!org) return Error{Errc::bad_request, "X-Org-Id is not a valid org id"};
    return member_or_not_found(*org, TenantSource::header, is_member);
  }
  if (in.slug && slug_lookup) {
    auto org = slug_lookup(*in.slug);
    if (!org) return org.error();
    if (!*org) return Error{Errc::not_found, "organization not found"};
    return member_or_not_found(**org, TenantSource::slug, is_member);
  }
  // The token's org is re-checked too: a member removed after the token was issued must not
  // keep access for the token's remaining lifetime.
  if (in.token_org && !in.token_org->empty())
    return member_or_not_found(*in.token_org, TenantSource::token, is_member);
  return ResolvedTenant{};
}

Result<TenantId> require_tenant(const ResolvedTenant& resolved) {
  if (resolved.tenant.empty())
    return Error{Errc::bad_request,
                 "no organization: send X-Org-Id, use an API key, or switch to an org first"};
  return resolved.tenant;
}

}  // namespace tenantkit
