// SPDX-License-Identifier: Apache-2.0
// /v1/auth: register, login, refresh, logout, me, switch-org, sessions, password forgot, reset
// and change; /.well-known/jwks.json. Token responses follow API.md's "Token responses": the JSON
// pair plus the tk_session, tk_refresh and tk_csrf cookies.
#include "handlers/auth.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>

#include <tenantkit/core/encoding.hpp>
#include <tenantkit/mail/mailer.hpp>

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
  // The session remembers the org, so a refresh that names none keeps it. Best effort: the
  // tokens are issued (a refresh has already rotated), and without the record a refresh lands in
  // the user's first org.
  if (org) (void)s.db.sessions().set_active_org(session, org->id);
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

// API.md: user-level audit entries go to the user's active org at that moment, when there is
// one; `active` is the token's org (empty outside a session): used while still a member, else the
// first active membership stands in.
std::optional<OrgId> audit_org(Services& s, const UserId& user, const OrgId& active) {
  auto org = landing_org(s, user, active);
  if (!org || !*org) return std::nullopt;
  return (*org)->id;
}

void set_session_cookie(Services& s, Response& res, std::string_view access) {
  res.insert(http::field::set_cookie,
             "tk_session=" + std::string(access) +
                 cookie_attributes(s, "/", s.app.config().access_token_ttl.count(), true));
}

// The policy's message for `field` (check_password_policy names the field "password").
void policy_errors(FieldReader& in, std::string_view field, const Error& e) {
  if (e.fields.empty()) {
    in.invalid(field, e.detail);
    return;
  }
  for (const auto& f : e.fields) in.invalid(field, f.message);
}

constexpr std::chrono::seconds kResetTokenTtl{3600};

// Issues a reset token and mails its link. The text never holds the token (Mailer contract);
// only the outbox file does, in `token` and `link`.
Result<void> send_reset_mail(Services& s, const storage::User& user) {
  auto token = s.one_time->issue(auth::kPasswordReset, user.id, {}, kResetTokenTtl);
  if (!token) return token.error();
  std::string base = s.app.config().effective_public_url();
  while (!base.empty() && base.back() == '/') base.pop_back();
  mail::Message m;
  m.id = mail::make_message_id(s.app.random(), s.app.clock());
  m.to = user.email;
  m.kind = "password_reset";
  m.subject = "Reset your password";
  m.text =
      "Someone (hopefully you) asked to reset the password of the account " + user.email +
      ".\n\nOpen the link in this message within 1 hour to choose a new password; it works "
      "once. Every signed-in device will be signed out.\n\nIf you did not ask for this, ignore "
      "this message: your password stays unchanged.\n";
  m.link = Secret(base + "/reset-password?token=" + token->reveal());
  m.token = std::move(*token);
  m.created_at = s.app.clock().now();
  return s.mailer->send(m);
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
    if (presented.empty()) {
      // The cookie is sent by the browser on its own, so a cookie refresh is a cookie-
      // authenticated POST: it needs X-CSRF-Token (403 before the token is touched, so a forged
      // request rotates nothing). A token in the body needs no CSRF check.
      if (auto c = steps::cookie(ctx, "tk_refresh"); c && !c->empty()) {
        if (auto checked = steps::check_csrf_token(ctx); !checked) return checked.error();
        presented = std::string(*c);
      }
    }
    if (presented.empty())
      return Error{Errc::unauthorized, "refresh_token required (body or tk_refresh cookie)"};
    auto outcome = s.sessions->refresh(presented);
    if (!outcome) return outcome.error();
    const UserId user_id = outcome->session.user;
    // No org named: the one the session's tokens were last issued for (login, switch-org).
    if (wanted.empty() && outcome->session.active_org) wanted = *outcome->session.active_org;
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

Handler switch_org(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string wanted = in.required_string("org_id", 1, 64);
    if (auto done = in.finish(); !done) return done.error();
    const Error absent{Errc::not_found, "no such organization"};
    auto id = OrgId::parse(wanted);
    if (!id) return absent;
    const auto& p = ctx.tenant.principal;
    auto m = s.db.memberships().get(*id, p.user);
    if (!m) return m.error().code == Errc::unavailable ? m.error() : absent;
    if (!m->active) return absent;
    auto org = s.db.orgs().get(*id);
    if (!org) return org.error().code == Errc::unavailable ? org.error() : absent;
    auto access = s.jwt->sign(auth::TokenSubject{.user = p.user, .org = *id, .session = p.session});
    if (!access) return access.error();
    if (!p.session.empty()) (void)s.db.sessions().set_active_org(p.session, *id);
    auto org_body = org_json(s, *org);
    if (!org_body) return org_body.error();
    (*org_body)["roles"] = string_array(m->roles);
    json::object body;
    body["access_token"] = *access;
    body["token_type"] = "Bearer";
    body["expires_in"] = s.jwt->options().ttl.count();
    body["org"] = std::move(*org_body);
    Response res = json_response(http::status::ok, body);
    set_session_cookie(s, res, *access);
    return res;
  };
}

Handler list_sessions(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const auto& p = ctx.tenant.principal;
    auto sessions = s.sessions->list(p.user);
    if (!sessions) return sessions.error();
    json::array items;
    items.reserve(sessions->size());
    for (const auto& session : *sessions)
      items.push_back(json::object{{"id", session.id.str()},
                                   {"user_agent", session.user_agent},
                                   {"ip", session.ip},
                                   {"created_at", time_json(session.created_at)},
                                   {"last_seen_at", time_json(session.last_seen_at)},
                                   {"expires_at", time_json(session.expires_at)},
                                   {"current", session.id == p.session}});
    // At most SessionOptions::max_per_user sessions: one page.
    return json_response(http::status::ok, envelope(std::move(items), std::nullopt));
  };
}

Handler delete_session(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto id = path_id<SessionId>(ctx, "id");
    if (!id) return id.error();
    const auto& p = ctx.tenant.principal;
    if (auto revoked = s.sessions->revoke(p.user, *id); !revoked) {
      if (revoked.error().code == Errc::not_found) return Error{Errc::not_found, "no such session"};
      return revoked.error();
    }
    Response res = empty_response(http::status::no_content);
    if (*id == p.session) clear_auth_cookies(s, res);
    return res;
  };
}

Handler forgot_password(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string email = normalize_email(in.required_string("email", 3, 254));
    if (!email.empty() && !plausible_email(email)) in.invalid("email", "must be an email address");
    if (auto done = in.finish(); !done) return done.error();
    // Every request counts, known email or not, so a 429 reveals nothing about the account.
    const auto decision = s.reset_throttle->check(ctx.client_ip, email);
    if (!decision.allowed) {
      ctx.response_headers.emplace_back("Retry-After",
                                        std::to_string(decision.retry_after.count()));
      return Error{Errc::rate_limited, "too many password reset requests; retry after " +
                                           std::to_string(decision.retry_after.count()) + " s"};
    }
    s.reset_throttle->record_failure(ctx.client_ip, email);
    auto found = s.db.users().find_by_email(email);
    if (!found) return found.error();
    // The same 202, in about the same time, whether or not the account exists (no
    // enumeration): the token insert and the mail happen after the answer, and a failure is
    // logged, not answered.
    if (*found && (*found)->active)
      s.defer([&s, user = std::move(**found), request_id = ctx.request_id] {
        if (auto sent = send_reset_mail(s, user); !sent)
          s.app.logger().error("password reset mail not sent", {{"user", user.id.str()},
                                                                {"request_id", request_id},
                                                                {"error", sent.error().detail}});
      });
    return empty_response(http::status::accepted);
  };
}

Handler reset_password(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string token = in.required_string("token", 1, 256);
    const std::string password =
        in.required_string("new_password", 1, auth::PasswordPolicy::kMaxBytes);
    // The token names the user only once consumed, so the policy's "not your email or name"
    // rule cannot run before it; checking it after would burn the token on a rejected password.
    if (!password.empty())
      if (auto policy = auth::check_password_policy(password); !policy)
        policy_errors(in, "new_password", policy.error());
    if (auto done = in.finish(); !done) return done.error();
    auto used = s.one_time->consume(token, auth::kPasswordReset);
    if (!used) {
      if (used.error().code == Errc::not_found)
        return Error{Errc::not_found, "unknown password reset token"};
      if (used.error().code == Errc::gone)
        return Error{Errc::gone, "this password reset token was used or has expired"};
      return used.error();
    }
    auto user = s.db.users().get(used->user);
    if (!user) {
      if (user.error().code == Errc::not_found)
        return Error{Errc::gone, "the account of this token no longer exists"};
      return user.error();
    }
    // Hashed only now, so that unknown tokens cost no Argon2id run (anyone may call this).
    auto hash = s.passwords.hash(password);
    if (!hash) return hash.error();
    user->password_hash = std::move(*hash);
    user->updated_at = s.app.clock().now();
    if (auto updated = s.db.users().update(*user); !updated) return updated.error();
    auto revoked = s.sessions->revoke_all(user->id);
    if (!revoked) return revoked.error();
    ctx.tenant.principal.kind = PrincipalKind::user;
    ctx.tenant.principal.user = user->id;
    if (auto org = audit_org(s, user->id, {}))
      audit(s, ctx, *org,
            {.action = "auth.password_reset",
             .target_type = "user",
             .target_id = user->id.str(),
             .metadata = {{"sessions_revoked", *revoked}}});
    return empty_response(http::status::no_content);
  };
}

Handler change_password(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string current =
        in.required_string("current_password", 1, auth::PasswordPolicy::kMaxBytes);
    const std::string next = in.required_string("new_password", 1, auth::PasswordPolicy::kMaxBytes);
    if (auto done = in.finish(); !done) return done.error();
    const auto& p = ctx.tenant.principal;
    auto user = s.db.users().get(p.user);
    if (!user) return user.error();
    // A stolen session must not become a password oracle: wrong current passwords count as
    // failed logins of this account and IP.
    if (auto t = throttled(s, ctx, user->email); !t) return t.error();
    const bool current_ok =
        !user->password_hash.empty() && s.passwords.verify(user->password_hash, current);
    if (!current_ok) {
      s.throttle->record_failure(ctx.client_ip, user->email);
      in.invalid("current_password", "is not the current password");
    }
    if (auto policy = auth::check_password_policy(next, {}, {user->email, user->name}); !policy)
      policy_errors(in, "new_password", policy.error());
    else if (current_ok && next == current)
      in.invalid("new_password", "must differ from the current password");
    if (auto done = in.finish(); !done) return done.error();

    auto hash = s.passwords.hash(next);
    if (!hash) return hash.error();
    user->password_hash = std::move(*hash);
    user->updated_at = s.app.clock().now();
    if (auto updated = s.db.users().update(*user); !updated) return updated.error();
    // Whoever else holds a session of this account is signed out; this device stays.
    auto sessions = s.sessions->list(user->id);
    if (!sessions) return sessions.error();
    std::int64_t revoked = 0;
    for (const auto& session : *sessions) {
      if (session.id == p.session) continue;
      if (auto r = s.sessions->revoke(user->id, session.id); r)
        ++revoked;
      else if (r.error().code != Errc::not_found)
        return r.error();
    }
    if (auto org = audit_org(s, user->id, ctx.token_org))
      audit(s, ctx, *org,
            {.action = "auth.password_changed",
             .target_type = "user",
             .target_id = user->id.str(),
             .metadata = {{"sessions_revoked", revoked}}});
    return empty_response(http::status::no_content);
  };
}

Handler jwks(Services& s) {
  return [&s](RequestContext&) -> Result<Response> {
    Response res = make_response(http::status::ok, "application/json", s.jwt->jwks_json());
    // Keys rotate with a drain period far longer than this (jwt.hpp), so verifiers may cache.
    res.set(http::field::cache_control, "public, max-age=300");
    return res;
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
      {verb::post, "/v1/auth/logout", user(), idempotent(s, logout(s))},
      {verb::get, "/v1/auth/me", user(), me(s)},
      // Not idempotent()-wrapped, like register, login and refresh: the stored response would
      // keep an access token in clear in the idempotency table.
      {verb::post, "/v1/auth/switch-org", user(), switch_org(s)},
      {verb::get, "/v1/auth/sessions", user(), list_sessions(s)},
      {verb::delete_, "/v1/auth/sessions/{id}", user(), idempotent(s, delete_session(s))},
      {verb::post, "/v1/auth/password/forgot", {}, idempotent(s, forgot_password(s))},
      {verb::post, "/v1/auth/password/reset", {}, idempotent(s, reset_password(s))},
      {verb::post, "/v1/auth/password/change", user(), idempotent(s, change_password(s))},
      {verb::get, "/.well-known/jwks.json", {}, jwks(s)},
  };
}

}  // namespace tenantkit::server::handlers
