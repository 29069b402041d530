// SPDX-License-Identifier: Apache-2.0
// Helpers every handler uses: the JSON body, cursor paging and the {items, next_cursor}
// envelope, timestamps as RFC 3339 strings, audit entries, and the Idempotency-Key wrapper.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/time.hpp>
#include <tenantkit/storage/records.hpp>

#include "http/json.hpp"
#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// The request body as a JSON object. Errors: bad_request (malformed JSON, not an object).
Result<boost::json::object> body_object(const RequestContext& ctx);

/// ?limit= (1..200, default 50) and ?cursor=. Errors: validation_failed (field "limit").
Result<PageRequest> page_request(const RequestContext& ctx);

/// {"items": items, "next_cursor": cursor | null}.
boost::json::object envelope(boost::json::array items, const std::optional<std::string>& cursor);

/// RFC 3339 string, or null.
boost::json::value time_json(Timestamp t);
boost::json::value time_json(const std::optional<Timestamp>& t);

/// A JSON array of strings.
boost::json::array string_array(const std::vector<std::string>& items);

/// Parses a path parameter as an id. Errors: not_found (malformed ids name nothing).
template <class Id>
Result<Id> path_id(const RequestContext& ctx, std::string_view name) {
  auto id = Id::parse(ctx.param(name));
  if (!id) return Error{Errc::not_found, "no such " + std::string(name)};
  return *id;
}

/// What an audit entry records beyond actor and request (taken from ctx).
struct AuditEntry {
  std::string action;  ///< Dotted: "api_key.created".
  std::string target_type;
  std::string target_id;
  boost::json::object metadata{};  ///< before/after and the like.
};

/// Appends an audit entry to `org`'s log with the request's actor, ip, user agent and request
/// id. An append failure is logged (the action itself already happened) and not returned.
void audit(Services& services, const RequestContext& ctx, const OrgId& org, AuditEntry entry);

/// What idempotent() keeps of a response, and so what a repeat of the request gets.
enum class Replay : std::uint8_t {
  response,  ///< Status, content type and body: a repeat answers them (Idempotent-Replayed).
  /// Nothing of the body, because it holds a secret (an API key, a SCIM token) that must not
  /// sit in clear in the idempotency store: a repeat answers 409 conflict (the request ran
  /// once; its secret was shown once).
  refuse,
};

/// Wraps a mutating handler with API.md's Idempotency-Key: the same key and body replay the
/// stored response (Idempotent-Replayed: true), or are 409 conflict with Replay::refuse; the
/// same key with another body, or while the first request runs, is 409 conflict. Keys are
/// scoped to the org (else the user) and to the caller (the user or API key) for 24 h: another
/// caller's equal key is a new request. Only successful responses below 500 are recorded; a
/// refused request (a problem document) or a 5xx releases the key, so a corrected retry may
/// reuse it.
Handler idempotent(Services& services, Handler handler, Replay replay = Replay::response);

}  // namespace tenantkit::server::handlers
