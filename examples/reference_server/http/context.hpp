// SPDX-License-Identifier: Apache-2.0
// RequestContext: everything a step or handler knows about one request. Owned by the request's
// connection coroutine and handed by reference to the steps and the handler (which run on the
// worker pool, one at a time): never shared between requests, so it needs no locking.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <tenantkit/core/result.hpp>
#include <tenantkit/rbac/permission.hpp>
#include <tenantkit/tenant/context.hpp>

namespace tenantkit::server {

class Logger;
struct Route;

/// A request as parsed off the wire (headers and the whole body).
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct RequestContext {
  static constexpr std::size_t kUnmatched = static_cast<std::size_t>(-1);

  HttpRequest request;
  std::string path;  ///< The target's path, percent-encoded as received, without the query.
  std::vector<std::pair<std::string, std::string>> query;        ///< Decoded query parameters.
  std::vector<std::pair<std::string, std::string>> path_params;  ///< Decoded `{name}` segments.
  TenantContext tenant;    ///< Filled by the authenticate / resolve_tenant steps.
  std::string request_id;  ///< Echoed or generated (steps/request_id); also in tenant.request_id.
  std::string client_ip;   ///< The peer address (no proxy headers are trusted).
  std::string user_agent;  ///< The User-Agent header, possibly empty.
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string_view route = "unmatched";  ///< The matched route pattern (metrics, logs).
  std::size_t route_index = kUnmatched;  ///< Metrics slot of `route` (Router pattern index).
  const Logger* logger = nullptr;        ///< Where problem() logs internal errors.
  const Route* matched = nullptr;        ///< The route being run (set once routed).
  std::size_t next_step = 0;  ///< The step run_route() starts at (an inline attempt resumes).

  // --- Set by the steps (steps/auth.hpp) for the handler.
  bool via_cookie = false;  ///< Authenticated by the tk_session cookie (CSRF applies).
  OrgId token_org;          ///< The access token's active org (`org` claim); may be empty.
  std::string email;        ///< The user's email when a user is authenticated.
  /// Effective permissions in the tenant (an API key's: its scopes). Set by resolve_tenant.
  rbac::PermissionSet permissions;
  /// Headers every response of this request carries, errors included (RateLimit, Set-Cookie).
  std::vector<std::pair<std::string, std::string>> response_headers;

  /// The value of path parameter `{name}`; empty when the route has none by that name.
  std::string_view param(std::string_view name) const noexcept;
  /// The first query parameter `name`, decoded; nullopt when absent.
  std::optional<std::string_view> query_param(std::string_view name) const noexcept;
  /// A request header's value; empty when absent.
  std::string_view header(std::string_view name) const;
};

/// Fills `ctx` from a parsed request: stores it and the peer address, splits and decodes the
/// target. On error the request is still stored (for the access log), path and query are empty.
/// Errors: bad_request (the target is not an origin-form path, e.g. "http://x/" or "*").
Result<void> init_context(RequestContext& ctx, HttpRequest request, std::string client_ip);

}  // namespace tenantkit::server
