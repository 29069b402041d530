// SPDX-License-Identifier: Apache-2.0
// Problem documents (RFC 9457): the ONLY place that maps tenantkit::Errc to an HTTP status.
// Body: {"type","title","status","detail","code"} (+ "errors":[{"field","message"}] for
// validation_failed), Content-Type application/problem+json. An `internal` error never shows
// its detail: the detail is logged with the request id and the client sees a generic text.
#pragma once

#include <boost/beast/http/status.hpp>

#include <tenantkit/core/error.hpp>

#include "http/context.hpp"
#include "http/response.hpp"

namespace tenantkit::server {

/// The HTTP status of `code` (API.md); 500 for a value outside the enum.
boost::beast::http::status http_status(Errc code) noexcept;

/// A short human title for `code` ("Validation failed").
std::string_view problem_title(Errc code) noexcept;

/// The problem document answering `error` for `ctx` (logs internal errors to ctx.logger).
Response problem(const RequestContext& ctx, const Error& error);

/// The same document without a request (transport errors before a request was parsed), or with
/// a status other than the table's (431 for an oversized header is reported as bad_request).
Response problem(const Error& error, boost::beast::http::status status);

}  // namespace tenantkit::server
