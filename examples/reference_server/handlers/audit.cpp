// SPDX-License-Identifier: Apache-2.0
// /v1/audit: list, export, verify; /v1/scim/token.
#include "handlers/audit.hpp"

#include <span>
#include <string>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <tenantkit/audit/chain.hpp>
#include <tenantkit/core/encoding.hpp>
#include <tenantkit/core/secret.hpp>

#include "app.hpp"
#include "handlers/common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// ScimService (include/tenantkit/scim) recognises exactly this shape: the prefix and 256 random
// bits in unpadded base64url, stored as the KeyHasher's keyed hash.
constexpr std::string_view kScimTokenPrefix = "scim_";
constexpr std::size_t kScimTokenBytes = 32;

Result<storage::AuditQuery> audit_query(const RequestContext& ctx) {
  storage::AuditQuery q;
  std::vector<FieldError> errors;
  const auto text = [&](std::string_view name, std::string& out) {
    if (auto v = ctx.query_param(name)) {
      if (v->size() > 200)
        errors.push_back({std::string(name), "at most 200 characters"});
      else
        out = std::string(*v);
    }
  };
  text("action", q.action);
  text("actor_id", q.actor_id);
  text("target_type", q.target_type);
  const auto when = [&](std::string_view name, std::optional<Timestamp>& out) {
    if (auto v = ctx.query_param(name)) {
      auto t = parse_rfc3339(*v);
      if (!t)
        errors.push_back({std::string(name), "must be an RFC 3339 timestamp"});
      else
        out = *t;
    }
  };
  when("from", q.from);
  when("to", q.to);
  if (q.from && q.to && *q.to < *q.from) errors.push_back({"to", "must not be before from"});
  if (!errors.empty())
    return Error{Errc::validation_failed, "invalid query parameter", std::move(errors)};
  return q;
}

json::object entry_json(const storage::AuditEvent& e) {
  boost::system::error_code ec;
  json::value metadata = json::parse(e.metadata_json, ec);
  // The store only accepts objects; anything else would be a corrupt row, shown as empty.
  if (ec || !metadata.is_object()) metadata = json::object{};
  return {{"id", e.id.str()},
          {"seq", e.seq},
          {"actor_type", e.actor_type},
          {"actor_id", e.actor_id.empty() ? json::value(nullptr) : json::value(e.actor_id)},
          {"action", e.action},
          {"target_type", e.target_type},
          {"target_id", e.target_id},
          {"ip", e.ip},
          {"user_agent", e.user_agent},
          {"request_id", e.request_id},
          {"metadata", std::move(metadata)},
          {"at", time_json(e.at)},
          {"hash", e.hash}};
}

void append_csv_row(std::string& out, const storage::AuditEvent& e) {
  const std::string id = e.id.str();
  const std::string seq = std::to_string(e.seq);
  const std::string at = format_rfc3339(e.at);
  const std::string_view fields[] = {
      id,   seq,          e.actor_type, e.actor_id,      e.action, e.target_type, e.target_id,
      e.ip, e.user_agent, e.request_id, e.metadata_json, at,       e.hash};
  bool first = true;
  for (const std::string_view f : fields) {
    if (!first) out += ',';
    first = false;
    append_csv_field(out, f);
  }
  out += "\r\n";
}

Response attachment(std::string_view content_type, std::string filename, std::string body) {
  Response res = make_response(http::status::ok, content_type, std::move(body));
  res.set(http::field::content_disposition, "attachment; filename=\"" + filename + "\"");
  return res;
}

Result<Response> export_audit(Services& s, const RequestContext& ctx,
                              const storage::AuditQuery& query, std::string_view format) {
  const bool csv = format == "csv";
  std::string body;
  if (csv)
    body =
        "id,seq,actor_type,actor_id,action,target_type,target_id,ip,user_agent,request_id,"
        "metadata,at,hash\r\n";
  else
    body = "[";
  std::int64_t rows = 0;
  bool too_many = false;
  auto scanned =
      s.db.audit().scan(ctx.tenant.tenant, query, kAuditChunk, [&](const storage::AuditEvent& e) {
        if (++rows > kAuditExportMaxRows) {
          too_many = true;
          return false;
        }
        if (csv) {
          append_csv_row(body, e);
        } else {
          if (rows > 1) body += ',';
          body += json::serialize(entry_json(e));
        }
        return true;
      });
  if (!scanned) return scanned.error();
  if (too_many)
    return Error{Errc::payload_too_large, "the export exceeds " +
                                              std::to_string(kAuditExportMaxRows) +
                                              " entries; narrow it with from and to"};
  if (!csv) body += ']';
  // The date in the name tells exports apart; the org id says whose it is.
  std::string name = "audit-" + ctx.tenant.tenant.str() + "-" +
                     format_rfc3339(s.app.clock().now()).substr(0, 10) + (csv ? ".csv" : ".json");
  return attachment(csv ? "text/csv; charset=utf-8" : "application/json", std::move(name),
                    std::move(body));
}

}  // namespace

void append_csv_field(std::string& out, std::string_view field) {
  // OWASP CSV injection: a cell a spreadsheet would evaluate as a formula starts with a quote.
  const bool formula =
      !field.empty() && (field.front() == '=' || field.front() == '+' || field.front() == '-' ||
                         field.front() == '@' || field.front() == '\t' || field.front() == '\r');
  // RFC 4180: quote a field holding a separator, a quote or a line break; double the quotes.
  const bool quote = formula || field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += field;
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

Handler list_audit(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto query = audit_query(ctx);
    if (!query) return query.error();
    if (auto format = ctx.query_param("format")) {
      if (*format != "csv" && *format != "json")
        return Error{Errc::validation_failed,
                     "invalid query parameter",
                     {{"format", "must be csv or json"}}};
      if (auto f = steps::check_feature(s, ctx, billing::Feature::audit_export); !f)
        return f.error();
      return export_audit(s, ctx, *query, *format);
    }
    auto page = page_request(ctx);
    if (!page) return page.error();
    auto entries = s.db.audit().list(ctx.tenant.tenant, *query, *page);
    if (!entries) return entries.error();
    json::array items;
    items.reserve(entries->items.size());
    for (const auto& e : entries->items) items.push_back(entry_json(e));
    return json_response(http::status::ok, envelope(std::move(items), entries->next_cursor));
  };
}

Handler verify_audit(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    // Chunk by chunk: each chunk's first link is checked against the previous chunk's last
    // hash, so memory stays bounded and the result equals one pass over the whole chain.
    std::int64_t checked = 0;
    std::int64_t after = 0;
    std::string prev_hash;
    std::string broken;
    bool first_chunk = true;
    for (;;) {
      auto chunk = s.db.audit().read_chain(ctx.tenant.tenant, after, kAuditChunk);
      if (!chunk) return chunk.error();
      if (chunk->empty()) break;
      const auto report = audit::verify_chain(*chunk, prev_hash, !first_chunk);
      checked += report.checked;
      if (!report.ok) {
        broken = report.first_broken_id;
        break;
      }
      first_chunk = false;
      after = chunk->back().seq;
      prev_hash = chunk->back().hash;
      if (chunk->size() < static_cast<std::size_t>(kAuditChunk)) break;
    }
    return json_response(http::status::ok,
                         json::object{{"ok", broken.empty()},
                                      {"checked", checked},
                                      {"first_broken_id", broken.empty() ? json::value(nullptr)
                                                                         : json::value(broken)}});
  };
}

Handler issue_scim_token(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    std::string raw(kScimTokenBytes, '\0');
    s.app.random().fill(std::as_writable_bytes(std::span(raw.data(), raw.size())));
    Secret token(std::string(kScimTokenPrefix) + base64url_encode(raw));
    secure_wipe(raw);
    storage::ScimToken rec;
    rec.id = ScimTokenId::generate(s.app.random(), s.app.clock());
    rec.org = ctx.tenant.tenant;
    rec.token_hash = apikey::hash_to_hex(s.hasher.hash(token.reveal()));
    rec.created_at = s.app.clock().now();
    auto stored = s.db.scim_tokens().replace(ctx.tenant.tenant, rec);
    if (!stored) return stored.error();
    audit(s, ctx, ctx.tenant.tenant,
          {.action = "scim.token_issued",
           .target_type = "scim_token",
           .target_id = stored->id.str()});
    Response res = json_response(http::status::created,
                                 json::object{{"id", stored->id.str()},
                                              {"token", token.reveal()},
                                              {"created_at", time_json(stored->created_at)}});
    res.set(http::field::cache_control, "no-store");
    return res;
  };
}

std::vector<Route> audit_routes(Services& s) {
  using boost::beast::http::verb;
  using steps::Callers;
  const auto audit_steps = [&s] {
    return std::vector<Step>{steps::authenticate(s, Callers::users_and_keys), steps::csrf(),
                             steps::resolve_tenant(s), steps::require(s, "audit:read"),
                             steps::require_feature(s, billing::Feature::audit_log)};
  };
  return {
      {verb::get, "/v1/audit", audit_steps(), list_audit(s)},
      {verb::get, "/v1/audit/verify", audit_steps(), verify_audit(s)},
      {verb::post,
       "/v1/scim/token",
       // A credential that mints credentials: users only, never an API key. The answer holds
       // the token: a repeated Idempotency-Key is 409, not a stored copy.
       {steps::authenticate(s, Callers::users), steps::csrf(), steps::resolve_tenant(s),
        steps::require(s, "scim:manage"), steps::require_feature(s, billing::Feature::scim)},
       idempotent(s, issue_scim_token(s), Replay::refuse)},
  };
}

}  // namespace tenantkit::server::handlers
