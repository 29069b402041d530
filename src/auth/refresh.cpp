// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <string>

#include <tenantkit/auth/refresh.hpp>
#include <tenantkit/core/encoding.hpp>

namespace tenantkit::auth {
namespace {

// 32 bytes in unpadded base64url.
constexpr std::size_t kEncodedChars = 43;

std::string encode(std::string_view raw) {
  std::string out(kRefreshTokenPrefix);
  out += base64url_encode(raw);
  return out;
}

}  // namespace

Secret generate_refresh_token(Random& random) {
  std::string raw(kRefreshTokenBytes, '\0');
  random.fill(std::as_writable_bytes(std::span(raw.data(), raw.size())));
  Secret token(encode(raw));
  secure_wipe(raw);
  return token;
}

bool is_refresh_token_shape(std::string_view token) noexcept {
  if (!token.starts_with(kRefreshTokenPrefix)) return false;
  const std::string_view body = token.substr(kRefreshTokenPrefix.size());
  return body.size() == kEncodedChars && std::all_of(body.begin(), body.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

Secret derive_successor(const apikey::KeyHasher& hasher, std::string_view token) {
  // Domain-separated from token_hash(): the stored hash of T never equals the successor of T.
  std::string input("tenantkit refresh successor\n");
  input.append(token);
  const apikey::KeyHash h = hasher.hash(input);
  secure_wipe(input);
  return Secret(encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size())));
}

std::string token_hash(const apikey::KeyHasher& hasher, std::string_view token,
                       std::uint32_t version) {
  const auto h = hasher.hash(token, version);
  return h ? apikey::hash_to_hex(*h) : std::string();
}

}  // namespace tenantkit::auth
