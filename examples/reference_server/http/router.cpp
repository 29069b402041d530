// SPDX-License-Identifier: Apache-2.0
#include "http/router.hpp"

#include <algorithm>

#include "http/problem.hpp"

namespace tenantkit::server {
namespace http = boost::beast::http;

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding of one segment; false on a truncated or non-hex escape.
bool decode_segment(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

Result<Router> Router::create(std::vector<Route> routes) {
  Router r;
  r.routes_ = std::move(routes);
  for (std::size_t i = 0; i < r.routes_.size(); ++i) {
    const Route& route = r.routes_[i];
    const auto bad = [&](std::string why) -> Error {
      return Error{
          Errc::validation_failed, "route " + route.pattern + ": " + why, {{route.pattern, why}}};
    };
    if (route.pattern.empty() || route.pattern.front() != '/')
      return bad("a pattern must start with '/'");
    if (!route.handler) return bad("no handler");
    std::vector<Segment> segments;
    for (const auto seg : split_path(route.pattern)) {
      if (seg.starts_with('{') || seg.ends_with('}')) {
        if (seg.size() < 3 || !seg.starts_with('{') || !seg.ends_with('}') ||
            seg.substr(1, seg.size() - 2).find_first_of("{}/") != std::string_view::npos)
          return bad("malformed parameter segment '" + std::string(seg) + "'");
        segments.push_back({true, std::string(seg.substr(1, seg.size() - 2))});
      } else {
        segments.push_back({false, std::string(seg)});
      }
    }
    auto same_shape = [&](const Entry& e) {
      if (e.segments.size() != segments.size()) return false;
      for (std::size_t s = 0; s < segments.size(); ++s) {
        if (e.segments[s].is_param != segments[s].is_param) return false;
        if (!segments[s].is_param && e.segments[s].text != segments[s].text) return false;
      }
      return true;
    };
    auto it = std::find_if(r.entries_.begin(), r.entries_.end(), same_shape);
    if (it == r.entries_.end()) {
      r.entries_.push_back(Entry{route.pattern, std::move(segments), {i}, r.entries_.size()});
      continue;
    }
    if (it->pattern != route.pattern)
      return bad("same shape as " + it->pattern + " with other parameter names");
    for (const std::size_t other : it->routes)
      if (r.routes_[other].method == route.method) return bad("method registered twice");
    it->routes.push_back(i);
  }
  // Most specific first: at the first position where two patterns differ in kind, the literal
  // wins. stable_sort keeps registration order among equals.
  std::stable_sort(r.entries_.begin(), r.entries_.end(), [](const Entry& a, const Entry& b) {
    const std::size_t n = std::min(a.segments.size(), b.segments.size());
    for (std::size_t s = 0; s < n; ++s)
      if (a.segments[s].is_param != b.segments[s].is_param) return !a.segments[s].is_param;
    return false;
  });
  return r;
}

Router::Match Router::match(http::verb method, std::string_view path) const {
  Match m;
  const auto parts = split_path(path);
  std::vector<std::string> decoded(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (!decode_segment(parts[i], decoded[i])) return m;  // malformed escape: no route has it

  bool path_known = false;
  std::vector<http::verb> allowed;
  for (const Entry& e : entries_) {
    if (e.segments.size() != decoded.size()) continue;
    bool hit = true;
    for (std::size_t s = 0; s < decoded.size() && hit; ++s)
      hit = e.segments[s].is_param ? !decoded[s].empty() : e.segments[s].text == decoded[s];
    if (!hit) continue;
    if (!path_known) {
      path_known = true;
      m.pattern_index = e.index;
      m.pattern = e.pattern;
    }
    for (const std::size_t ri : e.routes) {
      const Route& route = routes_[ri];
      if (route.method != method) {
        if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
          allowed.push_back(route.method);
          const auto name = http::to_string(route.method);
          if (!m.allow.empty()) m.allow += ", ";
          m.allow.append(name.data(), name.size());
        }
        continue;
      }
      m.outcome = Outcome::found;
      m.route = &route;
      m.pattern_index = e.index;
      m.pattern = e.pattern;
      for (std::size_t s = 0; s < decoded.size(); ++s)
        if (e.segments[s].is_param) m.params.emplace_back(e.segments[s].text, decoded[s]);
      m.allow.clear();
      return m;
    }
  }
  if (path_known) m.outcome = Outcome::method_not_allowed;
  return m;
}

std::vector<std::string> Router::patterns() const {
  std::vector<std::string> out(entries_.size());
  for (const Entry& e : entries_) out[e.index] = e.pattern;
  return out;
}

std::vector<std::pair<boost::beast::http::verb, std::string>> Router::endpoints() const {
  std::vector<std::pair<boost::beast::http::verb, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

namespace {

// A step that reached a blocking point may still report success (one that ignores a failed
// lookup), so the attempt is checked after every step, not only after failures.
std::optional<Response> run_from(const Route& route, RequestContext& ctx,
                                 const InlineAttempt* attempt) {
  for (; ctx.next_step < route.steps.size(); ++ctx.next_step) {
    auto ok = route.steps[ctx.next_step](ctx);
    if (attempt != nullptr && attempt->needs_pool()) return std::nullopt;
    if (!ok) return problem(ctx, ok.error());
  }
  auto res = route.handler(ctx);
  if (attempt != nullptr && attempt->needs_pool()) return std::nullopt;
  return res ? std::move(*res) : problem(ctx, res.error());
}

}  // namespace

Response run_route(const Route& route, RequestContext& ctx) {
  return *run_from(route, ctx, nullptr);
}

std::optional<Response> run_route_inline(const Route& route, RequestContext& ctx,
                                         const InlineAttempt& attempt) {
  return run_from(route, ctx, &attempt);
}

}  // namespace tenantkit::server
