// SPDX-License-Identifier: Apache-2.0
#include "http/context.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace tenantkit::server {
namespace http = boost::beast::http;

std::string_view RequestContext::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : path_params)
    if (k == name) return v;
  return {};
}

std::optional<std::string_view> RequestContext::query_param(std::string_view name) const noexcept {
  for (const auto& [k, v] : query)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::string_view RequestContext::header(std::string_view name) const {
  const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return {};
  const auto v = it->value();
  return {v.data(), v.size()};
}

Result<void> init_context(RequestContext& ctx, HttpRequest request, std::string client_ip) {
  ctx.request = std::move(request);
  ctx.client_ip = std::move(client_ip);
  const auto ua = ctx.request[http::field::user_agent];
  ctx.user_agent = std::string(ua.data(), ua.size());
  const auto target = ctx.request.target();
  auto url = boost::urls::parse_origin_form(std::string_view(target.data(), target.size()));
  if (!url) return Error{Errc::bad_request, "malformed request target"};
  ctx.path = std::string(url->encoded_path());
  for (const auto& p : url->params()) ctx.query.emplace_back(p.key, p.has_value ? p.value : "");
  return ok();
}

}  // namespace tenantkit::server
