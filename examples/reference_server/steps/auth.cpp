// SPDX-License-Identifier: Apache-2.0
#include "steps/auth.hpp"

#include <string>

#include <tenantkit/core/secret.hpp>
#include <tenantkit/quota/headers.hpp>

#include "app.hpp"
#include "http/inline_attempt.hpp"

namespace tenantkit::server::steps {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string_view bearer(const RequestContext& ctx) {
  const std::string_view auth = ctx.header("Authorization");
  if (auth.size() <= kBearer.size()) return {};
  // RFC 9110: the scheme is case-insensitive.
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    const char c = auth[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != (i == 0 ? 'b' : kBearer[i])) return {};
  }
  return auth.substr(kBearer.size());
}

Result<void> authenticate_token(Services& s, RequestContext& ctx, std::string_view token) {
  auto claims = s.jwt->verify(token);
  if (!claims) return Error{Errc::unauthorized, "invalid access token"};
  // Every request re-checks the session: a logout or revocation is refused at once, on every
  // instance (the session row is shared).
  if (!claims->sid.empty()) {
    if (!blocking_allowed()) return needs_pool();
    auto session = s.sessions->check(claims->sid);
    if (!session) {
      if (session.error().code == Errc::unavailable) return session.error();
      return Error{Errc::unauthorized, "the session has ended"};
    }
  }
  ctx.tenant.principal.kind = PrincipalKind::user;
  ctx.tenant.principal.user = claims->sub;
  ctx.tenant.principal.session = claims->sid;
  ctx.token_org = claims->org;
  return ok();
}

}  // namespace

std::optional<std::string_view> cookie(const RequestContext& ctx, std::string_view name) {
  for (auto it = ctx.request.find(http::field::cookie);
       it != ctx.request.end() && it->name() == http::field::cookie; ++it) {
    std::string_view rest(it->value().data(), it->value().size());
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

Step authenticate(Services& s, Callers callers) {
  return [&s, callers](RequestContext& ctx) -> Result<void> {
    const std::string_view token = bearer(ctx);
    if (!token.empty()) {
      if (token.starts_with("tk_")) {
        if (callers == Callers::users)
          return Error{Errc::forbidden, "this endpoint needs a user, not an API key"};
        auto key = s.verifier->verify(token);
        if (!key) {
          if (key.error().code == Errc::unavailable) return key.error();
          return Error{Errc::unauthorized, "invalid API key"};
        }
        auto& p = ctx.tenant.principal;
        p.kind = PrincipalKind::api_key;
        p.api_key = (*key)->id;
        p.user = (*key)->created_by;
        p.scopes = (*key)->scopes;
        ctx.tenant.tenant = (*key)->tenant;
        return ok();
      }
      return authenticate_token(s, ctx, token);
    }
    if (auto session = cookie(ctx, "tk_session"); session && !session->empty()) {
      ctx.via_cookie = true;
      return authenticate_token(s, ctx, *session);
    }
    return Error{Errc::unauthorized, "credentials required: Bearer token, API key or session"};
  };
}

Step csrf() {
  return [](RequestContext& ctx) -> Result<void> {
    if (!ctx.via_cookie) return ok();
    const auto method = ctx.request.method();
    if (method == http::verb::get || method == http::verb::head || method == http::verb::options)
      return ok();
    return check_csrf_token(ctx);
  };
}

Result<void> check_csrf_token(const RequestContext& ctx) {
  const std::string_view sent = ctx.header("X-CSRF-Token");
  const auto expected = cookie(ctx, "tk_csrf");
  if (sent.empty() || !expected || expected->empty() || !constant_time_equal(sent, *expected))
    return Error{Errc::forbidden, "missing or wrong X-CSRF-Token"};
  return ok();
}

Result<void> enter_org(Services& s, RequestContext& ctx, const OrgId& org) {
  const auto& p = ctx.tenant.principal;
  if (p.kind == PrincipalKind::api_key) {
    // A key's org is the tenant whatever the request names (API.md).
    if (org != ctx.tenant.tenant) return Error{Errc::not_found, "no such organization"};
  } else {
    if (!blocking_allowed()) return needs_pool();
    auto m = s.db.memberships().get(org, p.user);
    if (!m) {
      if (m.error().code == Errc::unavailable) return m.error();
      return Error{Errc::not_found, "no such organization"};
    }
    if (!m->active) return Error{Errc::not_found, "no such organization"};
    ctx.tenant.tenant = org;
    ctx.tenant.roles = m->roles;
  }
  if (auto synced = s.roles->ensure(org); !synced) return synced.error();
  if (p.kind == PrincipalKind::api_key) {
    auto set = s.rbac->parse_permissions(p.scopes);
    // A scope the catalogue does not know (it was removed) grants nothing rather than failing.
    ctx.permissions = set ? *set : rbac::PermissionSet{};
  } else {
    auto set = s.rbac->permissions_of(org.str(), ctx.tenant.roles);
    if (!set)
      return Error{Errc::internal, "membership holds an unknown role: " + set.error().detail};
    ctx.permissions = *set;
  }
  if (auto e = s.entitlements->entitlements(org); e) ctx.tenant.plan = e->plan_id;
  return ok();
}

Step resolve_tenant(Services& s) {
  return [&s](RequestContext& ctx) -> Result<void> {
    if (ctx.tenant.principal.kind == PrincipalKind::api_key)
      return enter_org(s, ctx, ctx.tenant.tenant);
    if (const std::string_view header = ctx.header("X-Org-Id"); !header.empty()) {
      auto org = OrgId::parse(header);
      if (!org) return Error{Errc::not_found, "no such organization"};
      return enter_org(s, ctx, *org);
    }
    if (!ctx.token_org.empty()) return enter_org(s, ctx, ctx.token_org);
    return Error{Errc::bad_request,
                 "no organization for this request: send X-Org-Id or switch to an org"};
  };
}

Result<void> check_permission(const Services& s, const RequestContext& ctx,
                              std::string_view permission) {
  const auto id = s.rbac->find_permission(permission);
  if (!id || !ctx.permissions.contains(*id))
    return Error{Errc::forbidden, "missing permission " + std::string(permission)};
  return ok();
}

Step require(Services& s, std::string_view permission) {
  return [&s, permission](RequestContext& ctx) { return check_permission(s, ctx, permission); };
}

Result<void> check_feature(Services& s, const RequestContext& ctx, billing::Feature feature) {
  auto has = s.entitlements->has_feature(ctx.tenant.tenant, feature);
  if (!has) return has.error();
  if (!*has)
    return Error{Errc::feature_not_in_plan,
                 "the plan does not include " + std::string(billing::to_string(feature))};
  return ok();
}

Step require_feature(Services& s, billing::Feature feature) {
  return [&s, feature](RequestContext& ctx) { return check_feature(s, ctx, feature); };
}

Step meter(Services& s, std::string_view meter, std::int64_t cost) {
  return [&s, meter, cost](RequestContext& ctx) -> Result<void> {
    // The in-process backend decides in memory (its limit lookups go through the entitlement
    // loader, which asks for itself); Redis is a network round trip.
    if (s.quota != s.quota_local.get() && !blocking_allowed()) return needs_pool();
    auto outcome = s.quota->decide(ctx.tenant.tenant.str(), meter, cost);
    if (!outcome) return outcome.error();
    s.app.metrics().quota_decision(outcome->allowed());
    const auto headers = quota::rate_limit_headers(meter, *outcome, s.app.clock().now());
    // Empty values mean "do not send" (unlimited meters and gauges: nothing to advertise).
    if (!headers.policy.empty())
      ctx.response_headers.emplace_back("RateLimit-Policy", headers.policy);
    if (!headers.rate_limit.empty())
      ctx.response_headers.emplace_back("RateLimit", headers.rate_limit);
    if (outcome->allowed()) return ok();
    if (!headers.retry_after.empty())
      ctx.response_headers.emplace_back("Retry-After", headers.retry_after);
    return outcome->to_error();
  };
}

}  // namespace tenantkit::server::steps
