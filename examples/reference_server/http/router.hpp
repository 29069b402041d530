// SPDX-License-Identifier: Apache-2.0
// Router: finds the route for (method, path). Immutable once built, so any thread may match.
// A path no pattern matches is not_found (404); a path some pattern matches with another method
// is 405 with an Allow header (code bad_request). Literal segments win over `{param}` segments
// at the same position, so "/v1/invitations/accept" beats "/v1/invitations/{id}".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include <tenantkit/core/result.hpp>

#include "http/route.hpp"

namespace tenantkit::server {

class Router {
 public:
  enum class Outcome { found, not_found, method_not_allowed };

  struct Match {
    Outcome outcome = Outcome::not_found;
    const Route* route = nullptr;   ///< Set when found.
    std::size_t pattern_index = 0;  ///< Index into patterns() when found or method_not_allowed.
    std::string_view pattern;       ///< That pattern (lives as long as the Router).
    std::vector<std::pair<std::string, std::string>> params;  ///< Decoded, when found.
    std::string allow;  ///< "GET, POST" when method_not_allowed.
  };

  /// Validates and indexes `routes`. Errors: validation_failed (a pattern that does not start
  /// with '/', an empty or malformed `{}` segment, a repeated method + pattern, or two patterns
  /// of the same shape with different parameter names).
  static Result<Router> create(std::vector<Route> routes);

  Router() = default;

  /// Matches a percent-encoded path (no query).
  Match match(boost::beast::http::verb method, std::string_view path) const;

  /// Every distinct pattern, indexed as Match::pattern_index (metrics labels).
  std::vector<std::string> patterns() const;

  /// Every (method, pattern) served, in route-table order (the OpenAPI coverage test).
  std::vector<std::pair<boost::beast::http::verb, std::string>> endpoints() const;

 private:
  struct Segment {
    bool is_param;
    std::string text;  // literal text, or the parameter name
  };
  struct Entry {
    std::string pattern;
    std::vector<Segment> segments;
    std::vector<std::size_t> routes;  // indexes into routes_
    std::size_t index;                // position in patterns()
  };
  std::vector<Route> routes_;
  std::vector<Entry> entries_;  // most specific first
};

}  // namespace tenantkit::server
