// SPDX-License-Identifier: Apache-2.0
#include "handlers/common.hpp"

#include <charconv>
#include <chrono>
#include <utility>

#include <boost/json/serialize.hpp>

#include "app.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;

Result<boost::json::object> body_object(const RequestContext& ctx) {
  return parse_object(ctx.request.body());
}

Result<PageRequest> page_request(const RequestContext& ctx) {
  PageRequest page;
  if (auto limit = ctx.query_param("limit")) {
    int n = 0;
    const auto* end = limit->data() + limit->size();
    const auto [ptr, ec] = std::from_chars(limit->data(), end, n);
    if (ec != std::errc{} || ptr != end || n < 1 || n > PageRequest::kMaxLimit)
      return Error{Errc::validation_failed,
                   "invalid query parameter",
                   {{"limit", "must be an integer from 1 to 200"}}};
    page.limit = n;
  }
  if (auto cursor = ctx.query_param("cursor")) {
    if (cursor->size() > 512)
      return Error{Errc::validation_failed, "invalid query parameter", {{"cursor", "too long"}}};
    page.cursor = std::string(*cursor);
  }
  return page;
}

boost::json::object envelope(boost::json::array items, const std::optional<std::string>& cursor) {
  boost::json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = cursor ? boost::json::value(*cursor) : boost::json::value(nullptr);
  return out;
}

boost::json::value time_json(Timestamp t) {
  return boost::json::value(format_rfc3339(t));
}

boost::json::value time_json(const std::optional<Timestamp>& t) {
  return t ? time_json(*t) : boost::json::value(nullptr);
}

boost::json::array string_array(const std::vector<std::string>& items) {
  boost::json::array out;
  out.reserve(items.size());
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

void audit(Services& s, const RequestContext& ctx, const OrgId& org, AuditEntry entry) {
  storage::AuditEvent e;
  e.id = AuditEventId::generate(s.app.random(), s.app.clock());
  e.org = org;
  const auto& p = ctx.tenant.principal;
  switch (p.kind) {
    case PrincipalKind::user:
      e.actor_type = "user";
      e.actor_id = p.user.str();
      break;
    case PrincipalKind::api_key:
      e.actor_type = "api_key";
      e.actor_id = p.api_key.str();
      break;
    case PrincipalKind::scim:
      e.actor_type = "scim";
      break;
    case PrincipalKind::admin:
      e.actor_type = "admin";
      break;
    case PrincipalKind::anonymous:
      e.actor_type = "system";
      break;
  }
  e.action = std::move(entry.action);
  e.target_type = std::move(entry.target_type);
  e.target_id = std::move(entry.target_id);
  e.ip = ctx.client_ip;
  e.user_agent = ctx.user_agent.substr(0, 512);
  e.request_id = ctx.request_id;
  e.metadata_json = boost::json::serialize(entry.metadata);
  e.at = s.app.clock().now();
  if (auto appended = s.db.audit().append(org, e); !appended)
    s.app.logger().error("audit append failed", {{"action", e.action},
                                                 {"org", org.str()},
                                                 {"request_id", ctx.request_id},
                                                 {"error", appended.error().detail}});
}

namespace {

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (const char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// The stored key: the caller, then the client's key (visible ASCII, so the space separates).
// The scope stays `org:<id>` (else `user:<id>`), which OrgStore::remove deletes with the org.
std::string caller_key(const RequestContext& ctx, std::string_view key) {
  const auto& p = ctx.tenant.principal;
  std::string out;
  switch (p.kind) {
    case PrincipalKind::api_key:
      out = "key:" + p.api_key.str();
      break;
    case PrincipalKind::scim:  // the org's SCIM client; the scope names the org
      out = "scim:";
      break;
    case PrincipalKind::admin:
      out = "admin:";
      break;
    default:
      out = "user:" + p.user.str();
      break;
  }
  out += ' ';
  out += key;
  return out;
}

}  // namespace

Handler idempotent(Services& s, Handler handler, Replay replay) {
  return [&s, handler = std::move(handler), replay](RequestContext& ctx) -> Result<Response> {
    const std::string_view sent = ctx.header("Idempotency-Key");
    if (sent.empty()) return handler(ctx);
    if (!valid_idempotency_key(sent))
      return Error{Errc::validation_failed,
                   "invalid Idempotency-Key",
                   {{"Idempotency-Key", "1 to 255 visible ASCII characters"}}};
    // Anonymous requests (password forgot and reset) are not recorded: no caller owns the
    // record, and one shared by every anonymous client would let a stranger's key replay or
    // block (409) another client's request.
    if (ctx.tenant.principal.kind == PrincipalKind::anonymous) return handler(ctx);
    const std::string scope = ctx.tenant.has_tenant() ? "org:" + ctx.tenant.tenant.str()
                                                      : "user:" + ctx.tenant.principal.user.str();
    const std::string key = caller_key(ctx, sent);
    std::string fingerprint(ctx.request.method_string());
    fingerprint += ' ';
    fingerprint += ctx.path;
    fingerprint += '\n';
    fingerprint += ctx.request.body();
    const std::string request_hash = apikey::hash_to_hex(s.hasher.hash(fingerprint));
    const Timestamp now = s.app.clock().now();
    auto begun =
        s.db.idempotency().begin(scope, key, request_hash, now, now + std::chrono::hours{24});
    if (!begun) return begun.error();
    using Kind = storage::IdempotencyBegin::Kind;
    switch (begun->kind) {
      case Kind::replay: {
        if (replay == Replay::refuse)
          return Error{Errc::conflict,
                       "this Idempotency-Key was used already; the response held a secret, "
                       "which is shown only once"};
        Response res = make_response(static_cast<http::status>(begun->record.status),
                                     begun->record.content_type, begun->record.body);
        res.set("Idempotent-Replayed", "true");
        return res;
      }
      case Kind::mismatch:
        return Error{Errc::conflict, "this Idempotency-Key was used with a different request"};
      case Kind::in_progress:
        return Error{Errc::conflict, "a request with this Idempotency-Key is still running"};
      case Kind::started:
        break;
    }
    auto result = handler(ctx);
    if (!result) {
      // A refused request changed nothing: forget the key so that a corrected retry may use it.
      (void)s.db.idempotency().abandon(scope, key);
      return result;
    }
    Response res = std::move(*result);
    const auto ct = res[http::field::content_type];
    if (res.result_int() >= 500) {
      (void)s.db.idempotency().abandon(scope, key);
    } else if (auto done = s.db.idempotency().complete(
                   scope, key, static_cast<int>(res.result_int()),
                   std::string_view(ct.data(), ct.size()),
                   replay == Replay::refuse ? std::string_view{} : std::string_view(res.body()));
               !done) {
      s.app.logger().warn("idempotency record not stored", {{"error", done.error().detail}});
    }
    return res;
  };
}

}  // namespace tenantkit::server::handlers
