// SPDX-License-Identifier: Apache-2.0
// docs/auth.md: a password hashed with Argon2id and checked at login, an EdDSA access token
// signed and verified, and the refusals that matter (wrong password, tampered token, a token of
// another key set). Exits non-zero on an unexpected answer.
#include <chrono>
#include <cstdio>
#include <string>

#include <tenantkit/auth/jwt.hpp>
#include <tenantkit/auth/password.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>

using namespace tenantkit;

int main() {
  int failures = 0;
  auto expect = [&](const char* what, bool ok) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++failures;
  };

  // [snippet password]
  // OWASP parameters by default (t=2, 19 MiB); the encoded hash carries its salt and parameters.
  auto hasher = auth::PasswordHasher::create();
  if (!hasher) return 1;
  if (auto weak = auth::check_password_policy("password123"); !weak)
    std::printf("refused at registration: %s\n", weak.error().detail.c_str());
  auto stored = hasher->hash("a long tour passphrase 42");  // store this string
  if (!stored) return 1;

  auto login = hasher->check(*stored, "a long tour passphrase 42");
  auto wrong = hasher->check(*stored, "a long tour passphrase 43");  // unauthorized
  // login->rehashed is set when the parameters changed since: store the new hash then.
  // [end password]
  expect("right password accepted", login.has_value() && !login->rehashed);
  expect("wrong password unauthorized", !wrong && wrong.error().code == Errc::unauthorized);

  // [snippet jwt]
  ManualClock clock;
  auto codec = auth::JwtCodec::eddsa(auth::JwtKeySet::generate(system_random(), clock.now()),
                                     {.ttl = std::chrono::minutes(15)}, system_random(), clock);
  if (!codec) return 1;
  const UserId user = UserId::generate(system_random(), clock);
  const OrgId org = OrgId::generate(system_random(), clock);
  auto token = (*codec)->sign({.user = user, .org = org});
  if (!token) return 1;

  auto claims = (*codec)->verify(*token);  // signature, alg, iss, aud, exp, nbf
  std::string tampered = *token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  auto refused = (*codec)->verify(tampered);  // unauthorized, detail says why (safe to log)
  clock.advance(std::chrono::minutes(16));
  auto expired = (*codec)->verify(*token);  // unauthorized: "token_expired"
  // [end jwt]
  expect("token verifies, subject and org kept",
         claims.has_value() && claims->sub == user && claims->org == org);
  expect("tampered token unauthorized", !refused && refused.error().code == Errc::unauthorized);
  expect("expired token unauthorized",
         !expired && auth::token_error_of(expired.error()) == auth::TokenError::expired);
  if (!refused) std::printf("tampered: %s\n", refused.error().detail.c_str());
  return failures == 0 ? 0 : 1;
}
