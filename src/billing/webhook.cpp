// SPDX-License-Identifier: Apache-2.0
#include <charconv>

#include <sodium.h>

#include <tenantkit/billing/webhook.hpp>
#include <tenantkit/core/encoding.hpp>

namespace tenantkit::billing {

namespace {

// Bounds the work an unauthenticated caller can cause (Stripe sends one or two v1 entries).
constexpr std::size_t kMaxHeaderBytes = 4096;
constexpr std::size_t kMaxSignatures = 8;

Error bad(std::string_view detail) {
  return Error{Errc::invalid_signature, std::string(detail)};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string hmac_hex(const Secret& secret, std::string_view t, std::string_view body) {
  crypto_auth_hmacsha256_state st;
  const std::string& key = secret.reveal();  // signing key, needed in clear for the MAC
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(t.data()), t.size());
  const unsigned char dot = '.';
  crypto_auth_hmacsha256_update(&st, &dot, 1);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

}  // namespace

Result<WebhookVerifier> WebhookVerifier::create(WebhookVerifierOptions options,
                                                const Clock& clock) {
  std::vector<FieldError> errors;
  if (options.secrets.empty()) errors.push_back({"secrets", "at least one secret is required"});
  for (const Secret& s : options.secrets)
    if (s.empty()) {
      errors.push_back({"secrets", "a secret is empty"});
      break;
    }
  if (options.tolerance < std::chrono::seconds(1) || options.tolerance > std::chrono::hours(24))
    errors.push_back({"tolerance", "must be between 1 s and 1 day"});
  if (!errors.empty()) {
    std::string detail = "webhook verifier: " + errors.front().field + " " + errors.front().message;
    return Error{Errc::validation_failed, std::move(detail), std::move(errors)};
  }
  return WebhookVerifier(std::move(options), clock);
}

Result<Timestamp> WebhookVerifier::verify(std::string_view header, std::string_view body) const {
  header = trim(header);
  if (header.empty()) return bad("missing Stripe-Signature header");
  if (header.size() > kMaxHeaderBytes) return bad("malformed Stripe-Signature header");

  std::string_view t_text;
  std::string_view v1[kMaxSignatures];
  std::size_t v1_count = 0;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("malformed Stripe-Signature header");
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "t") {
      if (!t_text.empty() || value.empty()) return bad("malformed Stripe-Signature header");
      t_text = value;
    } else if (key == "v1") {
      if (v1_count == kMaxSignatures) return bad("malformed Stripe-Signature header");
      v1[v1_count++] = value;
    }
    // Other schemes (v0, future ones) are ignored, as Stripe's libraries do.
  }
  std::int64_t t = 0;
  if (t_text.empty()) return bad("malformed Stripe-Signature header");
  auto [end, ec] = std::from_chars(t_text.data(), t_text.data() + t_text.size(), t);
  if (ec != std::errc{} || end != t_text.data() + t_text.size() || t < 0)
    return bad("malformed Stripe-Signature header");
  if (v1_count == 0) return bad("no v1 signature in Stripe-Signature header");

  // Every candidate is compared with every secret, without an early exit, so the time taken
  // does not reveal which comparison matched.
  bool matched = false;
  for (const Secret& secret : options_.secrets) {
    const std::string expected = hmac_hex(secret, t_text, body);
    for (std::size_t i = 0; i < v1_count; ++i) {
      std::string candidate(v1[i]);
      for (char& c : candidate)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      matched |= constant_time_equal(expected, candidate);
    }
  }
  if (!matched) return bad("no signature matches the payload");

  const std::int64_t now = to_unix_seconds(clock_->now());
  const std::int64_t tol = options_.tolerance.count();
  if (t < now - tol) return bad("timestamp outside the tolerance (too old)");
  if (t > now + tol) return bad("timestamp outside the tolerance (in the future)");
  return from_unix_seconds(t);
}

std::string webhook_signature(const Secret& secret, Timestamp at, std::string_view body) {
  return hmac_hex(secret, std::to_string(to_unix_seconds(at)), body);
}

std::string sign_webhook(const std::vector<Secret>& secrets, Timestamp at, std::string_view body) {
  std::string header = "t=" + std::to_string(to_unix_seconds(at));
  for (const Secret& s : secrets) header += ",v1=" + webhook_signature(s, at, body);
  return header;
}

}  // namespace tenantkit::billing
