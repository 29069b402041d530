// SPDX-License-Identifier: Apache-2.0
// C ABI over auth::JwtCodec: HS256 or EdDSA (a private key set), claims returned as JSON.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <tenantkit/auth/jwt.hpp>
#include <tenantkit/core/random.hpp>

#include "c/common.hpp"

struct tk_jwt {
  std::unique_ptr<tenantkit::auth::JwtCodec> codec;
};

using namespace tenantkit;
using namespace tenantkit::c;

namespace {

auth::JwtOptions options_of(auth::JwtAlg alg, const char* issuer, const char* audience,
                            std::int64_t ttl_seconds) {
  auth::JwtOptions o;
  o.alg = alg;
  if (issuer != nullptr) o.issuer = issuer;
  if (audience != nullptr) o.audience = audience;
  if (ttl_seconds != 0) o.ttl = std::chrono::seconds{ttl_seconds};
  return o;
}

tk_status adopt(Result<std::unique_ptr<auth::JwtCodec>> codec, tk_jwt** out, tk_error** error) {
  if (!codec) return fail(error, codec.error());
  auto j = std::make_unique<tk_jwt>();
  j->codec = std::move(*codec);
  *out = j.release();
  return TK_OK;
}

std::string claims_json(const auth::Claims& c) {
  boost::json::object o;
  o["iss"] = c.iss;
  o["aud"] = c.aud;
  o["sub"] = c.sub.str();
  o["org"] = c.org.str();
  o["sid"] = c.sid.str();
  o["iat"] = to_unix(c.iat);
  o["exp"] = to_unix(c.exp);
  o["jti"] = c.jti;
  return boost::json::serialize(o);
}

}  // namespace

extern "C" {

tk_status tk_jwt_create_hs256(const char* secret, size_t secret_len, const char* issuer,
                              const char* audience, int64_t ttl_seconds, const tk_clock* clock,
                              tk_jwt** out, tk_error** error) {
  return guard(error, [&] {
    if (secret == nullptr) return null_argument(error, "secret");
    if (out == nullptr) return null_argument(error, "out");
    if (ttl_seconds < 0)
      return fail(error, Error{Errc::validation_failed, "ttl < 0", {{"ttl_seconds", "< 0"}}});
    return adopt(
        auth::JwtCodec::hs256(Secret(std::string(secret, secret_len)),
                              options_of(auth::JwtAlg::hs256, issuer, audience, ttl_seconds),
                              system_random(), clock_of(clock)),
        out, error);
  });
}

tk_status tk_jwt_create_eddsa(const char* key_set_json, size_t len, const char* issuer,
                              const char* audience, int64_t ttl_seconds, const tk_clock* clock,
                              tk_jwt** out, tk_error** error) {
  return guard(error, [&] {
    if (key_set_json == nullptr) return null_argument(error, "key_set_json");
    if (out == nullptr) return null_argument(error, "out");
    if (ttl_seconds < 0)
      return fail(error, Error{Errc::validation_failed, "ttl < 0", {{"ttl_seconds", "< 0"}}});
    auto keys = auth::JwtKeySet::from_private_json(view(key_set_json, len));
    if (!keys) return fail(error, keys.error());
    return adopt(
        auth::JwtCodec::eddsa(std::move(*keys),
                              options_of(auth::JwtAlg::eddsa, issuer, audience, ttl_seconds),
                              system_random(), clock_of(clock)),
        out, error);
  });
}

void tk_jwt_destroy(tk_jwt* jwt) {
  delete jwt;
}

tk_status tk_jwt_generate_key_set(const tk_clock* clock, char** key_set_json, tk_error** error) {
  return guard(error, [&] {
    if (key_set_json == nullptr) return null_argument(error, "key_set_json");
    const auth::JwtKeySet keys = auth::JwtKeySet::generate(system_random(), clock_of(clock).now());
    std::string json = keys.to_private_json();
    auto s = string_out(json);
    secure_wipe(json);
    give(key_set_json, s);
    return TK_OK;
  });
}

tk_status tk_jwt_verify(const tk_jwt* jwt, const char* token, size_t len, char** claims,
                        tk_error** error) {
  return guard(error, [&] {
    if (jwt == nullptr) return null_argument(error, "jwt");
    if (token == nullptr && len != 0) return null_argument(error, "token");
    auto c = jwt->codec->verify(view(token, len));
    if (!c) return fail(error, c.error());
    auto s = string_out(claims_json(*c));
    give(claims, s);
    return TK_OK;
  });
}

tk_status tk_jwt_sign(const tk_jwt* jwt, const char* user, const char* org, const char* session,
                      char** token, tk_error** error) {
  return guard(error, [&] {
    if (jwt == nullptr) return null_argument(error, "jwt");
    if (user == nullptr) return null_argument(error, "user");
    if (token == nullptr) return null_argument(error, "token");
    auth::TokenSubject subject;
    auto u = UserId::parse(user);
    if (!u) return fail(error, u.error());
    subject.user = std::move(*u);
    if (org != nullptr && *org != '\0') {
      auto o = OrgId::parse(org);
      if (!o) return fail(error, o.error());
      subject.org = std::move(*o);
    }
    if (session != nullptr && *session != '\0') {
      auto s = SessionId::parse(session);
      if (!s) return fail(error, s.error());
      subject.session = std::move(*s);
    }
    auto signed_token = jwt->codec->sign(subject);
    if (!signed_token) return fail(error, signed_token.error());
    auto t = string_out(*signed_token);
    give(token, t);
    return TK_OK;
  });
}

tk_status tk_jwt_jwks(const tk_jwt* jwt, char** jwks_json, tk_error** error) {
  return guard(error, [&] {
    if (jwt == nullptr) return null_argument(error, "jwt");
    if (jwks_json == nullptr) return null_argument(error, "jwks_json");
    auto s = string_out(jwt->codec->jwks_json());
    give(jwks_json, s);
    return TK_OK;
  });
}

}  // extern "C"
