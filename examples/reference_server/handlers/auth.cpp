// SPDX-License-Identifier: Apache-2.0
// /v1/auth: register, login, refresh, logout, me. Token responses follow API.md's "Token
// responses": the JSON pair plus the tk_session, tk_refresh and tk_csrf cookies.
#include "handlers/auth.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include <tenantkit/core/encoding.hpp>

#include "app.hpp"
#include "handlers/common.hpp"
#include "handlers/orgs_common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string cookie_attributes(const Services& s, std::string_view path, std::int64_t max_age,
                              bool http_only) {
  std::string a =
      "; Path=" + std::string(path) + "; Max-Age=" + std::to_string(max_age) + "; SameSite=Lax";
  if (http_only) a += "; HttpOnly";
  if (s.app.config().env == "prod") a += "; Secure";
  return a;
}

void set_auth_cookies(Services& s, Response& res, std::string_view access,
                      std::string_view refresh) {
  const auto& c = s.app.config();
  std::array<std::byte, 24> raw{};
  s.app.random().fill(raw);
  const std::string csrf = hex_encode(std::span<const std::byte>(raw));
  res.insert(http::field::set_cookie,
             "tk_session=" + std::string(access) +
                 cookie_attributes(s, "/", c.access_token_ttl.count(), true));
  res.insert(http::field::set_cookie,
             "tk_refresh=" + std::string(refresh) +
                 cookie_attributes(s, "/v1/auth", c.refresh_token_ttl.count(), true));
  // Readable by the page's script, which echoes it in X-CSRF-Token.
  res.insert(http::field::set_cookie,
             "tk_csrf=" + csrf + cookie_attributes(s, "/", c.refresh_token_ttl.count(), false));
}

void clear_auth_cookies(Services& s, Response& res) {
  res.insert(http::field::set_cookie, "tk_session=" + cookie_attributes(s, "/", 0, true));
  res.insert(http::field::set_cookie, "tk_refresh=" + cookie_attributes(s, "/v1/auth", 0, true));
  res.insert(http::field::set_cookie, "tk_csrf=" + cookie_attributes(s, "/", 0, false));
}

// The org a user lands in after login or refresh: the requested one when they are an active
// member, else their first active membership, else none.
Result<std::optional<storage::Org>> landing_org(Services& s, const UserId& user,
                                                const OrgId& wanted) {
  auto memberships = s.db.memberships().list_for_user(user);
  if (!memberships) return memberships.error();
  const storage::Membership* pick = nullptr;
  for (const auto& m : *memberships) {
    if (!m.active) continue;
    if (!wanted.empty() && m.org == wanted) {
      pick = &m;
      break;
    }
    if (pick == nullptr) pick = &m;
  }
  if (pick == nullptr) return std::optional<storage::Org>{};
  auto org = s.db.orgs().get(pick->org);
  if (!org) return org.error();
  return std::optional<storage::Org>(std::move(*org));
}

// The token response of register (201), login and refresh (200).
Result<Response> token_response(Services& s, http::status status, const storage::User& user,
                                const std::optional<storage::Org>& org, const SessionId& session,
                                const Secret& refresh) {
  auth::TokenSubject subject{.user = user.id, .session = session};
  if (org) subject.org = org->id;
  auto access = s.jwt->sign(subject);
  if (!access) return access.error();
  json::object body;
  body["access_token"] = *access;
  body["refresh_token"] = refresh.reveal();
  body["token_type"] = "Bearer";
  body["expires_in"] = s.jwt->options().ttl.count();
  body["user"] = user_json(user);
  if (org) {
    auto j = org_json(s, *org);
    if (!j) return j.error();
    body["org"] = std::move(*j);
  } else {
    body["org"] = nullptr;
  }
  Response res = json_response(status, body);
  set_auth_cookies(s, res, *access, refresh.reveal());
  return res;
}

std::string normalize_email(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  std::string out(email);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Minimal syntax: one '@' with text on both sides, a dot in the domain, no spaces or controls.
bool plausible_email(std::string_view e) {
  const auto at = e.find('@');
  if (at == 0 || at == std::string_view::npos || at != e.rfind('@') || at + 1 >= e.size())
    return false;
  if (e.substr(at + 1).find('.') == std::string_view::npos) return false;
  for (const char c : e)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

Result<void> throttled(Services& s, RequestContext& ctx, std::string_view email) {
  const auto decision = s.throttle->check(ctx.client_ip, email);
  if (decision.allowed) return ok();
  ctx.response_headers.emplace_back("Retry-After", std::to_string(decision.retry_after.count()));
  return Error{Errc::rate_limited, "too many attempts; retry after " +
                                       std::to_string(decision.retry_after.count()) + " s"};
}

}  // namespace

Handler register_user(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string email = normalize_email(in.required_string("email", 3, 254));
    const std::string password = in.required_string("password", 1, auth::PasswordPolicy::kMaxBytes);
    const std::string name = in.optional_string("name", 0, 200).value_or("");
    const std::string org_name = in.required_string("org_name", 1, 100);
    if (!email.empty() && !plausible_email(email)) in.invalid("email", "must be an email address");
    if (!password.empty())
      if (auto policy = auth::check_password_policy(password, {}, {email, name}); !policy)
        in.invalid("password", policy.error().detail);
    if (auto done = in.finish(); !done) return done.error();
    if (auto t = throttled(s, ctx, email); !t) return t.error();

    auto hash = s.passwords.hash(password);
    if (!hash) return hash.error();
    const Timestamp now = s.app.clock().now();
    storage::User user{.id = UserId::generate(s.app.random(), s.app.clock()),
                       .email = email,
                       .name = name,
                       .password_hash = std::move(*hash),
                       .active = true,
                       .created_at = now,
                       .updated_at = now};
    auto created = s.db.users().create(user);
    if (!created) {
      if (created.error().code == Errc::conflict) {
        s.throttle->record_failure(ctx.client_ip, email);
        return Error{Errc::conflict, "an account with this email exists"};
      }
      return created.error();
    }
    auto org = create_org(s, *created, org_name, std::nullopt);
    if (!org) return org.error();
    auto login =
        s.sessions->start(created->id, {.user_agent = ctx.user_agent, .ip = ctx.client_ip});
    if (!login) return login.error();
    ctx.tenant.principal.kind = PrincipalKind::user;
    ctx.tenant.principal.user = created->id;
    audit(s, ctx, org->id,
          {.action = "auth.register", .target_type = "user", .target_id = created->id.str()});
    return token_response(s, http::status::created, *created, *org, login->session.id,
                          login->refresh_token);
  };
}

Handler login(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string email = normalize_email(in.required_string("email", 1, 254));
    const std::string password = in.required_string("password", 1, auth::PasswordPolicy::kMaxBytes);
    if (auto done = in.finish(); !done) return done.error();
    if (auto t = throttled(s, ctx, email); !t) return t.error();

    auto found = s.db.users().find_by_email(email);
    if (!found) return found.error();
    const Error bad{Errc::unauthorized, "invalid email or password"};
    if (!*found) {
      s.passwords.verify_dummy(password);  // the same time as a wrong password
      s.throttle->record_failure(ctx.client_ip, email);
      return bad;
    }
    storage::User user = std::move(**found);
    auto checked = s.passwords.check(user.password_hash, password);
    if (!checked || !user.active) {
      s.throttle->record_failure(ctx.client_ip, email);
      ctx.tenant.principal.kind = PrincipalKind::user;
      ctx.tenant.principal.user = user.id;
      if (auto org = landing_org(s, user.id, {}); org && *org)
        audit(s, ctx, (*org)->id,
              {.action = "auth.login_failed", .target_type = "user", .target_id = user.id.str()});
      return bad;
    }
    s.throttle->record_success(ctx.client_ip, email);
    if (checked->rehashed) {
      user.password_hash = *checked->rehashed;
      user.updated_at = s.app.clock().now();
      (void)s.db.users().update(user);
    }
    auto org = landing_org(s, user.id, {});
    if (!org) return org.error();
    auto started = s.sessions->start(user.id, {.user_agent = ctx.user_agent, .ip = ctx.client_ip});
    if (!started) return started.error();
    ctx.tenant.principal.kind = PrincipalKind::user;
    ctx.tenant.principal.user = user.id;
    if (*org)
      audit(s, ctx, (*org)->id,
            {.action = "auth.login", .target_type = "user", .target_id = user.id.str()});
    return token_response(s, http::status::ok, user, *org, started->session.id,
                          started->refresh_token);
  };
}

Handler refresh(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    std::string presented;
    OrgId wanted;
    if (!ctx.request.body().empty()) {
      auto obj = body_object(ctx);
      if (!obj) return obj.error();
      FieldReader in(*obj);
      presented = in.optional_string("refresh_token", 1, 256).value_or("");
      if (auto org = in.optional_string("org_id", 1, 64)) {
        auto id = OrgId::parse(*org);
        if (!id)
          in.invalid("org_id", "not an org id");
        else
          wanted = *id;
      }
      if (auto done = in.finish(); !done) return done.error();
    }
    if (presented.empty())
      if (auto c = steps::cookie(ctx, "tk_refresh")) presented = std::string(*c);
    if (presented.empty())
      return Error{Errc::unauthorized, "refresh_token required (body or tk_refresh cookie)"};
    auto outcome = s.sessions->refresh(presented);
    if (!outcome) return outcome.error();
    const UserId user_id = outcome->session.user;
    ctx.tenant.principal.kind = PrincipalKind::user;
    ctx.tenant.principal.user = user_id;
    if (outcome->kind == auth::RefreshOutcome::Kind::family_revoked) {
      if (auto org = landing_org(s, user_id, wanted); org && *org)
        audit(s, ctx, (*org)->id,
              {.action = "session.family_revoked",
               .target_type = "session",
               .target_id = outcome->session.id.str()});
      return Error{Errc::unauthorized, "refresh token reused: the session was revoked"};
    }
    auto user = s.db.users().get(user_id);
    if (!user) return user.error();
    if (!user->active) return Error{Errc::unauthorized, "the account is deactivated"};
    auto org = landing_org(s, user_id, wanted);
    if (!org) return org.error();
    return token_response(s, http::status::ok, *user, *org, outcome->session.id,
                          outcome->refresh_token);
  };
}

Handler logout(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const auto& p = ctx.tenant.principal;
    if (!p.session.empty())
      if (auto revoked = s.sessions->revoke(p.user, p.session);
          !revoked && revoked.error().code != Errc::not_found)
        return revoked.error();
    Response res = empty_response(http::status::no_content);
    clear_auth_cookies(s, res);
    return res;
  };
}

Handler me(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const UserId& user_id = ctx.tenant.principal.user;
    auto user = s.db.users().get(user_id);
    if (!user) return user.error();
    auto memberships = s.db.memberships().list_for_user(user_id);
    if (!memberships) return memberships.error();
    json::array list;
    bool active_is_member = false;
    for (const auto& m : *memberships) {
      if (!m.active) continue;
      auto org = s.db.orgs().get(m.org);
      if (!org) continue;  // deleted meanwhile
      if (m.org == ctx.token_org) active_is_member = true;
      list.push_back(json::object{
          {"org_id", m.org.str()}, {"org_name", org->name}, {"roles", string_array(m.roles)}});
    }
    json::object body;
    body["user"] = user_json(*user);
    body["memberships"] = std::move(list);
    json::array permissions;
    if (active_is_member) {
      body["active_org_id"] = ctx.token_org.str();
      if (auto entered = steps::enter_org(s, ctx, ctx.token_org); entered)
        for (auto& name : s.rbac->names(ctx.permissions)) permissions.emplace_back(name);
    } else {
      body["active_org_id"] = nullptr;
    }
    body["permissions"] = std::move(permissions);
    return json_response(http::status::ok, body);
  };
}

}  // namespace tenantkit::server::handlers

namespace tenantkit::server::handlers {

std::vector<Route> auth_routes(Services& s) {
  using boost::beast::http::verb;
  const auto user = [&s] {
    return std::vector<Step>{steps::authenticate(s, steps::Callers::users), steps::csrf()};
  };
  return {
      {verb::post, "/v1/auth/register", {}, register_user(s)},
      {verb::post, "/v1/auth/login", {}, login(s)},
      {verb::post, "/v1/auth/refresh", {}, refresh(s)},
      {verb::post, "/v1/auth/logout", user(), logout(s)},
      {verb::get, "/v1/auth/me", user(), me(s)},
  };
}

}  // namespace tenantkit::server::handlers
