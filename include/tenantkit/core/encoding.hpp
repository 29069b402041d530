// SPDX-License-Identifier: Apache-2.0
// Byte encodings used by tokens, keys and hashes: hex, base64 (RFC 4648 §4) and base64url without
// padding (RFC 4648 §5, as JWT and JWKS use it).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tenantkit {

std::string hex_encode(std::span<const std::byte> bytes);
std::string hex_encode(std::string_view bytes);
/// Lower- or upper-case hex; nullopt on odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

/// Unpadded base64url.
std::string base64url_encode(std::string_view bytes);
/// Accepts unpadded base64url only (JWS compact form); nullopt on any other character.
std::optional<std::string> base64url_decode(std::string_view text);

/// A view of a string's bytes.
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace tenantkit
