// SPDX-License-Identifier: Apache-2.0
#include "http/response.hpp"

namespace tenantkit::server {
namespace http = boost::beast::http;

Response make_response(http::status status, std::string_view content_type, std::string body) {
  Response res{status, 11};
  res.set(http::field::content_type,
          boost::beast::string_view(content_type.data(), content_type.size()));
  res.body() = std::move(body);
  return res;
}

Response empty_response(http::status status) {
  return Response{status, 11};
}

}  // namespace tenantkit::server
