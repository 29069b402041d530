// SPDX-License-Identifier: Apache-2.0
// redis:// URL parsing and timeouts shared by the Redis quota backend and login throttle
// (private to tenantkit::redis).
#pragma once

#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

#include <tenantkit/core/result.hpp>

#include <sys/time.h>

namespace tenantkit::quota::redis::detail {

struct Endpoint {
  std::string host;
  int port = 6379;
  int db = 0;
};

/// `redis://HOST[:PORT][/DB]`. Errors: validation_failed (detail names the problem).
inline Result<Endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme)
    return Error{Errc::validation_failed, "url: must start with redis://"};
  std::string_view rest = url.substr(scheme.size());
  Endpoint ep;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), ep.db);
      if (ec != std::errc{} || p != db.data() + db.size() || ep.db < 0)
        return Error{Errc::validation_failed, "url: bad database number"};
    }
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos)
    return Error{Errc::validation_failed, "url: credentials are not supported"};
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), ep.port);
    if (ec != std::errc{} || p != port.data() + port.size() || ep.port < 1 || ep.port > 65535)
      return Error{Errc::validation_failed, "url: bad port"};
  }
  if (rest.empty()) return Error{Errc::validation_failed, "url: missing host"};
  ep.host.assign(rest);
  return ep;
}

inline timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace tenantkit::quota::redis::detail
