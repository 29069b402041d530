// SPDX-License-Identifier: Apache-2.0
// /v1/usage/events, /v1/usage, /v1/usage/daily.
#include "handlers/usage.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <boost/json/serialize.hpp>

#include <tenantkit/quota/usage.hpp>

#include "app.hpp"
#include "handlers/billing.hpp"
#include "handlers/common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string optional_int(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : std::string("null");
}

// `percent` in plain decimal notation ("80", "12.5"): Boost.JSON 1.81 writes every double in
// exponent form ("8E1"), valid JSON but surprising to a human reading the usage page.
std::string percent_text(double percent) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, percent, std::chars_format::fixed, 2);
  if (ec != std::errc{}) return "0";
  std::string text(buf, end);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string period_json(const quota::PeriodUsage& u) {
  const auto str = [](const json::value& v) { return json::serialize(v); };
  std::string out = "{\"meter\":" + str(json::value(u.meter));
  out += ",\"used\":" + std::to_string(u.used);
  out += ",\"limit\":" + optional_int(u.limit);
  out += ",\"remaining\":" + optional_int(u.remaining);
  out += ",\"period_start\":" + str(time_json(u.period_start));
  out += ",\"period_end\":" + str(time_json(u.period_end));
  out += ",\"percent\":" + percent_text(u.percent);
  out += std::string(",\"warning\":") + (u.warning ? "true" : "false");
  out += std::string(",\"exceeded\":") + (u.exceeded ? "true" : "false");
  out += '}';
  return out;
}

// YYYY-MM-DD of `t` (UTC).
std::string date_of(Timestamp t) {
  return format_rfc3339(t).substr(0, 10);
}

}  // namespace

Handler record_usage(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string meter = in.required_string("meter", 1, 64);
    const std::int64_t quantity =
        in.required_int("quantity", 0, std::numeric_limits<std::int64_t>::max());
    const std::string key = in.required_string("idempotency_key", 1, 255);
    std::optional<Timestamp> at;
    if (auto ts = in.optional_string("timestamp", 1, 64)) {
      auto t = parse_rfc3339(*ts);
      if (!t)
        in.invalid("timestamp", "must be an RFC 3339 timestamp");
      else
        at = *t;
    }
    if (auto done = in.finish(); !done) return done.error();
    auto recorded = s.usage->record(ctx.tenant.tenant, meter, quantity, key, at);
    if (!recorded) {
      // The recorder names `occurred_at`; the wire field is `timestamp`.
      Error e = recorded.error();
      for (auto& f : e.fields)
        if (f.field == "occurred_at") f.field = "timestamp";
      return e;
    }
    return json_response(http::status::accepted, json::object{{"id", recorded->id.str()},
                                                              {"duplicate", recorded->duplicate}});
  };
}

Handler period_usage(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto usage = s.usage->period_usage(ctx.tenant.tenant);
    if (!usage) return usage.error();
    std::string body = "{\"items\":[";
    for (std::size_t i = 0; i < usage->size(); ++i) {
      if (i > 0) body += ',';
      body += period_json((*usage)[i]);
    }
    body += "],\"next_cursor\":null}";
    return make_response(http::status::ok, "application/json", std::move(body));
  };
}

Handler daily_usage(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const Timestamp now = s.app.clock().now();
    const std::string to(ctx.query_param("to").value_or(date_of(now)));
    const std::string from(
        ctx.query_param("from").value_or(date_of(now - std::chrono::hours(24 * 29))));
    const std::string meter(ctx.query_param("meter").value_or(""));
    auto days = s.usage->daily(ctx.tenant.tenant, meter, from, to);
    if (!days) return days.error();
    json::array items;
    for (const auto& d : *days)
      items.push_back(json::object{{"date", d.date}, {"meter", d.meter}, {"quantity", d.quantity}});
    return json_response(http::status::ok, envelope(std::move(items), std::nullopt));
  };
}

std::vector<Route> usage_routes(Services& s) {
  using boost::beast::http::verb;
  using steps::Callers;
  const auto org = [&s](Step last) {
    return std::vector<Step>{steps::authenticate(s, Callers::users_and_keys), steps::csrf(),
                             steps::resolve_tenant(s), std::move(last)};
  };
  return {
      {verb::post, "/v1/usage/events", org(steps::require(s, "usage:write")),
       idempotent(s, record_usage(s))},
      {verb::get, "/v1/usage", org(member_or_scope(s, "usage:read")), period_usage(s)},
      {verb::get, "/v1/usage/daily", org(member_or_scope(s, "usage:read")), daily_usage(s)},
  };
}

}  // namespace tenantkit::server::handlers
