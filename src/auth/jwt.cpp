// SPDX-License-Identifier: Apache-2.0
// JWS compact serialization (RFC 7515), JWT claims (RFC 7519), EdDSA for JOSE (RFC 8037), JWK
// thumbprints (RFC 7638). Deliberately small: one algorithm at a time, no `jku`/`x5u`/`jwk`
// header keys are ever followed, and `crit` is refused because we implement no extension.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <sodium.h>

#include <tenantkit/auth/jwt.hpp>
#include <tenantkit/core/encoding.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tenantkit::auth {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTokenBytes = 8192;

Error refuse(TokenError reason) {
  return Error{Errc::unauthorized, std::string(to_string(reason))};
}

std::string_view as_view(const json::string& s) noexcept {
  return {s.data(), s.size()};
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string random_b64url(Random& random, std::size_t n) {
  std::string raw(n, '\0');
  random.fill(std::as_writable_bytes(std::span(raw.data(), raw.size())));
  std::string out = base64url_encode(raw);
  secure_wipe(raw);
  return out;
}

std::string thumbprint(std::string_view public_key) {
  // RFC 7638 §3.2: members in lexicographic order, no whitespace.
  const std::string canonical =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + base64url_encode(public_key) + R"("})";
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(canonical.data()),
                     canonical.size());
  return base64url_encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

JwtKey key_from_seed(std::string seed, Timestamp created_at) {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  sodium_memzero(sk.data(), sk.size());
  JwtKey key;
  key.public_key.assign(reinterpret_cast<const char*>(pk.data()), pk.size());
  key.kid = thumbprint(key.public_key);
  key.seed = Secret(std::move(seed));
  key.created_at = created_at;
  return key;
}

std::string ed25519_sign(const JwtKey& key, std::string_view input) {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(),
                           reinterpret_cast<const unsigned char*>(key.seed.reveal().data()));
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size(), sk.data());
  sodium_memzero(sk.data(), sk.size());
  return std::string(reinterpret_cast<const char*>(sig.data()), sig.size());
}

std::string hmac_sha256(std::string_view key, std::string_view input) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

std::optional<std::int64_t> numeric_date(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double() && v->as_double() > -1e15 && v->as_double() < 1e15)
    return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

// A claim that, when present, must be a string.
Result<std::string> optional_string(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return refuse(TokenError::malformed);
  return std::string(as_view(v->as_string()));
}

Result<json::object> decode_json_part(std::string_view part) {
  auto raw = base64url_decode(part);
  if (!raw) return refuse(TokenError::malformed);
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return refuse(TokenError::malformed);
  return std::move(v.as_object());
}

}  // namespace

std::string_view to_string(JwtAlg alg) noexcept {
  switch (alg) {
    case JwtAlg::eddsa:
      return "EdDSA";
    case JwtAlg::hs256:
      return "HS256";
    default:
      return "unknown";
  }
}

Result<JwtAlg> parse_jwt_alg(std::string_view text) {
  if (text == "EdDSA") return JwtAlg::eddsa;
  if (text == "HS256") return JwtAlg::hs256;
  return Error{
      Errc::validation_failed, "unsupported JWT algorithm", {{"jwt_alg", "EdDSA or HS256"}}};
}

std::string_view to_string(TokenError reason) noexcept {
  switch (reason) {
    case TokenError::malformed:
      return "token_malformed";
    case TokenError::alg_none:
      return "token_alg_none";
    case TokenError::alg_not_allowed:
      return "token_alg_not_allowed";
    case TokenError::missing_kid:
      return "token_missing_kid";
    case TokenError::unknown_kid:
      return "token_unknown_kid";
    case TokenError::bad_signature:
      return "token_bad_signature";
    case TokenError::expired:
      return "token_expired";
    case TokenError::not_yet_valid:
      return "token_not_yet_valid";
    case TokenError::wrong_issuer:
      return "token_wrong_issuer";
    case TokenError::wrong_audience:
      return "token_wrong_audience";
    case TokenError::missing_claim:
      return "token_missing_claim";
    default:
      return "token_invalid";
  }
}

std::optional<TokenError> token_error_of(const Error& error) noexcept {
  if (error.code != Errc::unauthorized) return std::nullopt;
  for (auto r : {TokenError::malformed, TokenError::alg_none, TokenError::alg_not_allowed,
                 TokenError::missing_kid, TokenError::unknown_kid, TokenError::bad_signature,
                 TokenError::expired, TokenError::not_yet_valid, TokenError::wrong_issuer,
                 TokenError::wrong_audience, TokenError::missing_claim})
    if (error.detail == to_string(r)) return r;
  return std::nullopt;
}

// --- JwtKeySet ---------------------------------------------------------------------------------

JwtKeySet JwtKeySet::generate(Random& random, Timestamp now) {
  JwtKeySet set;
  set.rotate(random, now);
  return set;
}

const JwtKey& JwtKeySet::rotate(Random& random, Timestamp now) {
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  random.fill(std::as_writable_bytes(std::span(seed.data(), seed.size())));
  // Keep "newest last" even if the clock stepped back.
  if (!keys_.empty() && now < keys_.back().created_at) now = keys_.back().created_at;
  keys_.push_back(key_from_seed(std::move(seed), now));
  return keys_.back();
}

std::size_t JwtKeySet::prune(Timestamp now, std::chrono::seconds drain) {
  std::size_t removed = 0;
  // keys_[i] was superseded when keys_[i + 1] was created.
  for (std::size_t i = 0; i + 1 < keys_.size();) {
    if (keys_[i + 1].created_at + drain <= now) {
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
      ++removed;
    } else {
      ++i;
    }
  }
  return removed;
}

const JwtKey& JwtKeySet::current() const {
  return keys_.back();
}

const JwtKey* JwtKeySet::find(std::string_view kid) const noexcept {
  for (const JwtKey& k : keys_)
    if (k.kid == kid) return &k;
  return nullptr;
}

std::string JwtKeySet::jwks_json() const {
  json::array arr;
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it) {
    arr.push_back(json::object{{"kty", "OKP"},
                               {"crv", "Ed25519"},
                               {"x", base64url_encode(it->public_key)},
                               {"kid", it->kid},
                               {"alg", "EdDSA"},
                               {"use", "sig"}});
  }
  return json::serialize(json::object{{"keys", std::move(arr)}});
}

std::string JwtKeySet::to_private_json() const {
  json::array arr;
  for (const JwtKey& k : keys_) {
    arr.push_back(json::object{{"kty", "OKP"},
                               {"crv", "Ed25519"},
                               {"x", base64url_encode(k.public_key)},
                               {"d", base64url_encode(k.seed.reveal())},  // persisted private key
                               {"kid", k.kid},
                               {"alg", "EdDSA"},
                               {"use", "sig"},
                               {"created_at", format_rfc3339(k.created_at)}});
  }
  return json::serialize(json::object{{"keys", std::move(arr)}});
}

Result<JwtKeySet> JwtKeySet::from_private_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const auto bad = [](std::string what) {
    return Error{Errc::bad_request, "JWT key file: " + what};
  };
  if (ec || !v.is_object()) return bad("not a JSON object");
  const json::value* keys = v.as_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array() || keys->as_array().empty())
    return bad("\"keys\" must be a non-empty array");
  JwtKeySet set;
  for (const json::value& k : keys->as_array()) {
    if (!k.is_object()) return bad("key is not an object");
    const json::object& o = k.as_object();
    const auto str = [&](std::string_view name) -> std::optional<std::string_view> {
      const json::value* f = o.if_contains(name);
      if (f == nullptr || !f->is_string()) return std::nullopt;
      return as_view(f->as_string());
    };
    if (str("kty") != "OKP" || str("crv") != "Ed25519") return bad("only OKP/Ed25519 keys");
    auto d = str("d");
    auto created = str("created_at");
    if (!d || !created) return bad("key lacks \"d\" or \"created_at\"");
    auto seed = base64url_decode(*d);
    if (!seed || seed->size() != crypto_sign_SEEDBYTES) return bad("bad \"d\"");
    auto at = parse_rfc3339(*created);
    if (!at) return bad("bad \"created_at\"");
    JwtKey key = key_from_seed(std::move(*seed), *at);
    if (auto x = str("x"); x && *x != base64url_encode(key.public_key))
      return bad("\"x\" does not match \"d\"");
    set.keys_.push_back(std::move(key));
  }
  std::stable_sort(set.keys_.begin(), set.keys_.end(),
                   [](const JwtKey& a, const JwtKey& b) { return a.created_at < b.created_at; });
  return set;
}

Result<void> JwtKeySet::save(const std::string& path) const {
  namespace fs = std::filesystem;
  std::error_code fec;
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), fec);
  const std::string tmp = path + ".tmp";
  std::string body = to_private_json();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error{Errc::unavailable,
                 "cannot create JWT key file: " + std::string(std::strerror(errno))};
  bool good = ::fchmod(fd, 0600) == 0;  // O_CREAT's mode does not apply to an existing file
  std::size_t off = 0;
  while (good && off < body.size()) {
    const ssize_t n = ::write(fd, body.data() + off, body.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      good = false;
    else
      off += static_cast<std::size_t>(n);
  }
  good = good && ::fsync(fd) == 0;
  good = (::close(fd) == 0) && good;
  secure_wipe(body);
  if (!good || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error{Errc::unavailable, "cannot write JWT key file"};
  }
  return ok();
}

Result<JwtKeySet> JwtKeySet::load_or_create(const std::string& path, Random& random,
                                            Timestamp now) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Error{Errc::unavailable, "cannot stat JWT key file"};
    JwtKeySet set = generate(random, now);
    if (auto saved = set.save(path); !saved) return saved.error();
    return set;
  }
  if ((st.st_mode & 077) != 0)
    return Error{Errc::validation_failed,
                 "JWT key file is readable by group or others",
                 {{"jwt_key_file", "must have mode 0600"}}};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::unavailable, "cannot read JWT key file"};
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  auto set = from_private_json(text);
  secure_wipe(text);
  if (!set)
    return Error{Errc::validation_failed, set.error().detail, {{"jwt_key_file", "not a key set"}}};
  return set;
}

// --- JwtCodec ----------------------------------------------------------------------------------

JwtCodec::JwtCodec(JwtOptions options, Random& random, const Clock& clock)
    : options_(std::move(options)), random_(random), clock_(clock) {}

namespace {
Result<void> check_common(const JwtOptions& o) {
  if (o.issuer.empty() || o.audience.empty())
    return Error{Errc::validation_failed,
                 "issuer and audience are required",
                 {{"jwt_issuer", "required"}, {"jwt_audience", "required"}}};
  if (o.ttl.count() <= 0 || o.leeway.count() < 0)
    return Error{Errc::validation_failed, "ttl must be positive, leeway not negative"};
  return ok();
}
}  // namespace

Result<std::unique_ptr<JwtCodec>> JwtCodec::eddsa(JwtKeySet keys, JwtOptions options,
                                                  Random& random, const Clock& clock) {
  if (sodium_init() < 0) return Error{Errc::internal, "libsodium failed to initialise"};
  if (options.alg != JwtAlg::eddsa)
    return Error{Errc::validation_failed, "options.alg must be EdDSA", {{"jwt_alg", "EdDSA"}}};
  if (keys.empty()) return Error{Errc::validation_failed, "empty JWT key set"};
  if (auto c = check_common(options); !c) return c.error();
  std::unique_ptr<JwtCodec> codec(new JwtCodec(std::move(options), random, clock));
  codec->keys_ = std::make_shared<const JwtKeySet>(std::move(keys));
  return codec;
}

Result<std::unique_ptr<JwtCodec>> JwtCodec::hs256(Secret secret, JwtOptions options, Random& random,
                                                  const Clock& clock) {
  if (sodium_init() < 0) return Error{Errc::internal, "libsodium failed to initialise"};
  if (options.alg != JwtAlg::hs256)
    return Error{Errc::validation_failed, "options.alg must be HS256", {{"jwt_alg", "HS256"}}};
  if (secret.reveal().size() < 32)
    return Error{Errc::validation_failed,
                 "HS256 secret shorter than 32 bytes",
                 {{"jwt_secret", "must be at least 32 bytes"}}};
  if (auto c = check_common(options); !c) return c.error();
  std::unique_ptr<JwtCodec> codec(new JwtCodec(std::move(options), random, clock));
  codec->hmac_secret_ = std::move(secret);
  return codec;
}

std::shared_ptr<const JwtKeySet> JwtCodec::keys() const {
  std::lock_guard lock(keys_mutex_);
  return keys_;
}

Result<void> JwtCodec::set_keys(JwtKeySet keys) {
  if (options_.alg != JwtAlg::eddsa) return ok();
  if (keys.empty()) return Error{Errc::validation_failed, "empty JWT key set"};
  auto next = std::make_shared<const JwtKeySet>(std::move(keys));
  std::lock_guard lock(keys_mutex_);
  keys_ = std::move(next);
  return ok();
}

std::string JwtCodec::jwks_json() const {
  if (options_.alg != JwtAlg::eddsa) return R"({"keys":[]})";
  return keys()->jwks_json();
}

Result<std::string> JwtCodec::sign(const TokenSubject& subject) const {
  Claims c;
  c.iss = options_.issuer;
  c.aud = options_.audience;
  c.sub = subject.user;
  c.org = subject.org;
  c.sid = subject.session;
  c.iat = std::chrono::floor<std::chrono::seconds>(clock_.now());
  c.exp = c.iat + options_.ttl;
  c.jti = random_b64url(random_, 16);
  return sign(c);
}

Result<std::string> JwtCodec::sign(const Claims& claims) const {
  json::object header{{"alg", to_string(options_.alg)}, {"typ", "JWT"}};
  std::shared_ptr<const JwtKeySet> set;
  if (options_.alg == JwtAlg::eddsa) {
    set = keys();
    header["kid"] = set->current().kid;
  }
  json::object payload{{"iss", claims.iss}, {"aud", claims.aud}, {"sub", claims.sub.str()}};
  if (!claims.org.empty()) payload["org"] = claims.org.str();
  if (!claims.sid.empty()) payload["sid"] = claims.sid.str();
  payload["iat"] = to_unix_seconds(claims.iat);
  payload["exp"] = to_unix_seconds(claims.exp);
  if (!claims.jti.empty()) payload["jti"] = claims.jti;
  std::string input =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(payload));
  const std::string sig = options_.alg == JwtAlg::eddsa ? ed25519_sign(set->current(), input)
                                                        : hmac_sha256(hmac_secret_.reveal(), input);
  input += ".";
  input += base64url_encode(sig);
  return input;
}

Result<Claims> JwtCodec::verify(std::string_view token) const {
  if (token.size() > kMaxTokenBytes) return refuse(TokenError::malformed);
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return refuse(TokenError::malformed);
  const std::string_view signing_input = token.substr(0, d2);
  auto header = decode_json_part(token.substr(0, d1));
  if (!header) return header.error();

  // Algorithm first: the header is attacker-controlled, and only the configured algorithm may
  // pick the verification routine (RFC 8725 §3.1; no HS256-with-the-public-key confusion).
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return refuse(TokenError::malformed);
  const std::string_view alg_name = as_view(alg->as_string());
  if (iequals(alg_name, "none")) return refuse(TokenError::alg_none);
  if (alg_name != to_string(options_.alg)) return refuse(TokenError::alg_not_allowed);
  if (header->contains("crit")) return refuse(TokenError::malformed);

  auto signature = base64url_decode(token.substr(d2 + 1));
  if (!signature) return refuse(TokenError::malformed);
  if (options_.alg == JwtAlg::eddsa) {
    const json::value* kid = header->if_contains("kid");
    if (kid == nullptr) return refuse(TokenError::missing_kid);
    if (!kid->is_string()) return refuse(TokenError::malformed);
    const auto set = keys();
    const JwtKey* key = set->find(as_view(kid->as_string()));
    if (key == nullptr) return refuse(TokenError::unknown_kid);
    if (signature->size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(
            reinterpret_cast<const unsigned char*>(signature->data()),
            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
            reinterpret_cast<const unsigned char*>(key->public_key.data())) != 0)
      return refuse(TokenError::bad_signature);
  } else {
    const std::string mac = hmac_sha256(hmac_secret_.reveal(), signing_input);
    if (!constant_time_equal(mac, *signature)) return refuse(TokenError::bad_signature);
  }

  auto payload = decode_json_part(token.substr(d1 + 1, d2 - d1 - 1));
  if (!payload) return payload.error();
  const json::object& p = *payload;
  Claims c;
  const json::value* sub = p.if_contains("sub");
  const auto iat = numeric_date(p.if_contains("iat"));
  const auto exp = numeric_date(p.if_contains("exp"));
  if ((p.contains("iat") && !iat) || (p.contains("exp") && !exp) ||
      (sub != nullptr && !sub->is_string()))
    return refuse(TokenError::malformed);
  if (sub == nullptr || sub->as_string().empty() || !iat || !exp)
    return refuse(TokenError::missing_claim);

  const Timestamp now = clock_.now();
  const auto leeway = std::chrono::duration_cast<std::chrono::microseconds>(options_.leeway);
  c.iat = from_unix_seconds(*iat);
  c.exp = from_unix_seconds(*exp);
  if (now >= c.exp + leeway) return refuse(TokenError::expired);
  if (c.iat > now + leeway) return refuse(TokenError::not_yet_valid);
  if (p.contains("nbf")) {
    const auto nbf = numeric_date(p.if_contains("nbf"));
    if (!nbf) return refuse(TokenError::malformed);
    if (from_unix_seconds(*nbf) > now + leeway) return refuse(TokenError::not_yet_valid);
  }

  auto iss = optional_string(p, "iss");
  if (!iss) return iss.error();
  if (*iss != options_.issuer) return refuse(TokenError::wrong_issuer);
  const json::value* aud = p.if_contains("aud");
  bool audience_ok = false;
  if (aud != nullptr && aud->is_string()) {
    audience_ok = as_view(aud->as_string()) == options_.audience;
  } else if (aud != nullptr && aud->is_array()) {
    for (const json::value& a : aud->as_array())
      if (a.is_string() && as_view(a.as_string()) == options_.audience) audience_ok = true;
  } else if (aud != nullptr) {
    return refuse(TokenError::malformed);
  }
  if (!audience_ok) return refuse(TokenError::wrong_audience);

  auto sub_id = UserId::parse(as_view(sub->as_string()));
  if (!sub_id) return refuse(TokenError::malformed);
  c.iss = std::move(*iss);
  c.aud = options_.audience;
  c.sub = std::move(*sub_id);
  auto org = optional_string(p, "org");
  auto sid = optional_string(p, "sid");
  auto jti = optional_string(p, "jti");
  if (!org || !sid || !jti) return refuse(TokenError::malformed);
  if (!org->empty()) {
    auto id = OrgId::parse(*org);
    if (!id) return refuse(TokenError::malformed);
    c.org = std::move(*id);
  }
  if (!sid->empty()) {
    auto id = SessionId::parse(*sid);
    if (!id) return refuse(TokenError::malformed);
    c.sid = std::move(*id);
  }
  c.jti = std::move(*jti);
  return c;
}

}  // namespace tenantkit::auth
