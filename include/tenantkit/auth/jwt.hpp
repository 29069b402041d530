// SPDX-License-Identifier: Apache-2.0
// Access tokens: JWS compact JWTs signed with Ed25519 ("EdDSA", the default, published as a JWKS)
// or HMAC-SHA256 ("HS256"), with the claims of API.md (iss, aud, sub, org, sid, iat, exp, jti).
// Verification refuses every bad token with Errc::unauthorized and a distinct TokenError reason
// in the detail (token_error_of() reads it back). Ed25519 keys live in a JwtKeySet that rotates
// (the newest signs, every key in the set verifies, old keys drain) and persists as a JSON file
// created with mode 0600. JwtCodec is safe for concurrent use, including set_keys() while other
// threads sign and verify.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::auth {

/// Signature algorithm of access tokens (TK_JWT_ALG).
enum class JwtAlg : std::uint8_t {
  eddsa,  ///< Ed25519 ("EdDSA"): public verification through the JWKS. The default.
  hs256,  ///< HMAC-SHA256 ("HS256") with a shared secret of at least 32 bytes; no JWKS.
};
/// "EdDSA" or "HS256".
std::string_view to_string(JwtAlg alg) noexcept;
/// Parses "EdDSA" / "HS256" (exact spelling, as in the JOSE header). Errors: validation_failed.
Result<JwtAlg> parse_jwt_alg(std::string_view text);

/// Why a token was refused. Each is reported as Errc::unauthorized with detail to_string(reason).
enum class TokenError : std::uint8_t {
  malformed,        ///< Not three base64url parts, bad JSON, wrong claim types, `crit` present.
  alg_none,         ///< `alg: none` (any spelling): unsigned tokens are never accepted.
  alg_not_allowed,  ///< Another algorithm than the configured one (e.g. HS256 on an EdDSA setup).
  missing_kid,      ///< EdDSA token without a `kid`.
  unknown_kid,      ///< `kid` names no key of the current key set.
  bad_signature,    ///< Signature does not verify (tampered header or payload, wrong key).
  expired,          ///< `exp` passed (beyond the leeway).
  not_yet_valid,    ///< `nbf` or `iat` in the future (beyond the leeway).
  wrong_issuer,     ///< `iss` differs from the configured issuer.
  wrong_audience,   ///< `aud` (string or array) lacks the configured audience.
  missing_claim,    ///< A required claim (sub, iat, exp) is absent.
};
/// "token_expired", "token_bad_signature", ...: stable strings, safe to log.
std::string_view to_string(TokenError reason) noexcept;
/// The reason of an error returned by JwtCodec::verify, or nullopt for any other error.
std::optional<TokenError> token_error_of(const Error& error) noexcept;

/// The claims of an access token.
struct Claims {
  std::string iss{};
  std::string aud{};
  UserId sub{};       ///< The user.
  OrgId org{};        ///< Active org; empty when none.
  SessionId sid{};    ///< The session the token belongs to; empty when none.
  Timestamp iat{};    ///< Second resolution.
  Timestamp exp{};    ///< Second resolution.
  std::string jti{};  ///< Unique token id.
};

/// One Ed25519 key pair of a key set.
struct JwtKey {
  std::string kid;         ///< RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key.
  std::string public_key;  ///< 32 raw bytes.
  Secret seed;             ///< 32 raw bytes: the private key seed.
  Timestamp created_at{};  ///< Newest key signs.
};

/// A set of Ed25519 keys: the newest signs, all verify. A value: copy, change, then hand the new
/// set to JwtCodec::set_keys().
class JwtKeySet {
 public:
  JwtKeySet() = default;

  /// A set with one fresh key.
  static JwtKeySet generate(Random& random, Timestamp now);

  /// Adds a fresh key, which becomes the signing key; older keys keep verifying.
  const JwtKey& rotate(Random& random, Timestamp now);

  /// Drops keys superseded more than `drain` ago (the access-token lifetime is enough: no
  /// token they signed is still valid). The signing key always stays. Returns how many went.
  std::size_t prune(Timestamp now, std::chrono::seconds drain);

  /// The signing key. REQUIRES: !empty().
  const JwtKey& current() const;
  /// The key with this kid, or null.
  const JwtKey* find(std::string_view kid) const noexcept;
  const std::vector<JwtKey>& keys() const noexcept { return keys_; }
  bool empty() const noexcept { return keys_.empty(); }

  /// The public JWKS document: {"keys":[{"kty":"OKP","crv":"Ed25519","x","kid","alg":"EdDSA",
  /// "use":"sig"}, ...]}, newest first.
  std::string jwks_json() const;

  /// The private form (JWKs with "d" and "created_at"): what save() writes.
  std::string to_private_json() const;
  /// Parses to_private_json() output. Errors: bad_request (detail says what is wrong).
  static Result<JwtKeySet> from_private_json(std::string_view json);

  /// Writes the private form to `path` atomically (temporary file + rename), mode 0600.
  /// Errors: unavailable (I/O failure).
  Result<void> save(const std::string& path) const;
  /// Loads `path`, or, when it does not exist, generates a set and saves it (first start).
  /// Errors: validation_failed (file readable by group or others, or not a key set),
  /// unavailable (I/O failure).
  static Result<JwtKeySet> load_or_create(const std::string& path, Random& random, Timestamp now);

 private:
  std::vector<JwtKey> keys_;  // oldest first
};

/// Token settings. Set fields with designated initializers.
struct JwtOptions {
  JwtAlg alg = JwtAlg::eddsa;          ///< TK_JWT_ALG. Only this algorithm verifies.
  std::string issuer = "tenantkit";    ///< TK_JWT_ISSUER: `iss` written and required.
  std::string audience = "tenantkit";  ///< TK_JWT_AUDIENCE: `aud` written and required.
  std::chrono::seconds ttl{900};       ///< Access-token lifetime. Default 15 min.
  std::chrono::seconds leeway{30};     ///< Clock skew tolerated on exp/nbf/iat. Default 30 s.
};

/// What a new token is about; sign() adds iss, aud, iat, exp and jti.
struct TokenSubject {
  UserId user{};
  OrgId org{};          ///< Empty: no active org.
  SessionId session{};  ///< Empty: not session-bound.
};

/// Signs and verifies access tokens.
class JwtCodec {
 public:
  /// An EdDSA codec. `random` and `clock` must outlive it.
  /// Errors: validation_failed (options.alg is not EdDSA, empty key set, issuer/audience empty).
  static Result<std::unique_ptr<JwtCodec>> eddsa(JwtKeySet keys, JwtOptions options, Random& random,
                                                 const Clock& clock);
  /// An HS256 codec. Errors: validation_failed (secret shorter than 32 bytes, alg not HS256,
  /// issuer/audience empty).
  static Result<std::unique_ptr<JwtCodec>> hs256(Secret secret, JwtOptions options, Random& random,
                                                 const Clock& clock);

  /// A token for `subject`, valid for options.ttl from now. Errors: internal (signing failed).
  Result<std::string> sign(const TokenSubject& subject) const;
  /// A token with exactly these claims (tests, custom lifetimes). Errors: internal.
  Result<std::string> sign(const Claims& claims) const;

  /// Checks signature and claims. Errors: unauthorized, detail = to_string(TokenError).
  Result<Claims> verify(std::string_view token) const;

  /// The JWKS to publish at /.well-known/jwks.json ({"keys":[]} for HS256).
  std::string jwks_json() const;
  /// Replaces the key set (after a rotation). Ignored for HS256. Errors: validation_failed (empty).
  Result<void> set_keys(JwtKeySet keys);

  const JwtOptions& options() const noexcept { return options_; }

 private:
  JwtCodec(JwtOptions options, Random& random, const Clock& clock);
  std::shared_ptr<const JwtKeySet> keys() const;

  JwtOptions options_;
  Random& random_;
  const Clock& clock_;
  Secret hmac_secret_;
  mutable std::mutex keys_mutex_;
  std::shared_ptr<const JwtKeySet> keys_;
};

}  // namespace tenantkit::auth
