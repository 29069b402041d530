// SPDX-License-Identifier: Apache-2.0
// Response: what a handler returns (a Beast response with a string body), and the helpers that
// build the common shapes. The connection sets version, keep-alive and Content-Length.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

namespace tenantkit::server {

using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// A response with `body` of `content_type`.
Response make_response(boost::beast::http::status status, std::string_view content_type,
                       std::string body);
/// A response with no body (204, 202 without content, preflight).
Response empty_response(boost::beast::http::status status);

}  // namespace tenantkit::server
