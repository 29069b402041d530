// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/apikey/key_format.hpp>

namespace tenantkit::apikey {

bool valid_env(std::string_view env) noexcept {
  return !env.empty() && env.size() <= kMaxEnvChars &&
         std::all_of(env.begin(), env.end(), detail::is_env_char);
}

Result<ParsedKey> parse_key(std::string_view presented) {
  const auto malformed = [] { return Error{Errc::unauthorized, "malformed API key"}; };
  if (!presented.starts_with(kKeyScheme)) return malformed();
  const std::string_view rest = presented.substr(kKeyScheme.size());
  const std::size_t env_end = rest.find('_');
  if (env_end == std::string_view::npos) return malformed();
  const std::string_view env = rest.substr(0, env_end);
  if (!valid_env(env)) return malformed();
  const std::string_view tail = rest.substr(env_end + 1);
  if (tail.size() != kRandomChars + 1 + kChecksumChars || tail[kRandomChars] != '_')
    return malformed();
  const std::string_view random = tail.substr(0, kRandomChars);
  const std::string_view check = tail.substr(kRandomChars + 1);
  if (!std::all_of(random.begin(), random.end(), detail::is_base62) ||
      !std::all_of(check.begin(), check.end(), detail::is_base62))
    return malformed();
  const std::string_view body = presented.substr(0, presented.size() - kChecksumChars - 1);
  const auto expected = checksum_chars(crc32(body));
  if (check != std::string_view(expected.data(), expected.size()))
    return Error{Errc::unauthorized, "API key checksum mismatch"};
  return ParsedKey{presented, env,
                   presented.substr(0, kKeyScheme.size() + env.size() + 1 + kPrefixRandomChars)};
}

Secret generate_key(Random& random, std::string_view env) {
  std::string key;
  key.reserve(kKeyScheme.size() + env.size() + 2 + kRandomChars + kChecksumChars);
  key.append(kKeyScheme).append(env).push_back('_');
  for (std::size_t i = 0; i < kRandomChars; ++i) key.push_back(detail::kBase62[random.uniform(62)]);
  const auto check = checksum_chars(crc32(key));
  key.push_back('_');
  key.append(check.data(), check.size());
  return Secret(std::move(key));
}

}  // namespace tenantkit::apikey
