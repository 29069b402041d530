// SPDX-License-Identifier: Apache-2.0
#include "http/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "log.hpp"

namespace tenantkit::server {
namespace http = boost::beast::http;

http::status http_status(Errc code) noexcept {
  switch (code) {
    case Errc::bad_request:
      return http::status::bad_request;
    case Errc::validation_failed:
      return http::status::unprocessable_entity;
    case Errc::unauthorized:
      return http::status::unauthorized;
    case Errc::forbidden:
      return http::status::forbidden;
    case Errc::not_found:
      return http::status::not_found;
    case Errc::conflict:
      return http::status::conflict;
    case Errc::gone:
      return http::status::gone;
    case Errc::payload_too_large:
      return http::status::payload_too_large;
    case Errc::rate_limited:
    case Errc::quota_exceeded:
      return http::status::too_many_requests;
    case Errc::seat_limit_reached:
    case Errc::feature_not_in_plan:
    case Errc::plan_limit_reached:
      return http::status::payment_required;
    case Errc::invalid_signature:
      return http::status::bad_request;
    case Errc::unavailable:
      return http::status::service_unavailable;
    case Errc::internal:
      return http::status::internal_server_error;
    default:
      return http::status::internal_server_error;
  }
}

std::string_view problem_title(Errc code) noexcept {
  switch (code) {
    case Errc::bad_request:
      return "Bad request";
    case Errc::validation_failed:
      return "Validation failed";
    case Errc::unauthorized:
      return "Unauthorized";
    case Errc::forbidden:
      return "Forbidden";
    case Errc::not_found:
      return "Not found";
    case Errc::conflict:
      return "Conflict";
    case Errc::gone:
      return "Gone";
    case Errc::payload_too_large:
      return "Payload too large";
    case Errc::rate_limited:
      return "Rate limited";
    case Errc::quota_exceeded:
      return "Quota exceeded";
    case Errc::seat_limit_reached:
      return "Seat limit reached";
    case Errc::feature_not_in_plan:
      return "Feature not in plan";
    case Errc::plan_limit_reached:
      return "Plan limit reached";
    case Errc::invalid_signature:
      return "Invalid signature";
    case Errc::unavailable:
      return "Service unavailable";
    case Errc::internal:
      return "Internal error";
    default:
      return "Internal error";
  }
}

Response problem(const Error& error, http::status status) {
  // An Errc outside the enum is treated as internal: never echo what we do not understand.
  Errc code = error.code;
  if (to_string(code) == "internal") code = Errc::internal;
  const std::string_view code_text = to_string(code);
  boost::json::object body;
  body["type"] = "urn:tenantkit:problem:" + std::string(code_text);
  body["title"] = problem_title(code);
  body["status"] = static_cast<unsigned>(status);
  body["detail"] = code == Errc::internal
                       ? std::string("an internal error occurred")
                       : (error.detail.empty() ? std::string(problem_title(code)) : error.detail);
  body["code"] = code_text;
  if (code == Errc::validation_failed) {
    boost::json::array errors;
    for (const auto& f : error.fields)
      errors.push_back(boost::json::object{{"field", f.field}, {"message", f.message}});
    body["errors"] = std::move(errors);
  }
  return make_response(status, "application/problem+json", boost::json::serialize(body));
}

Response problem(const RequestContext& ctx, const Error& error) {
  if ((error.code == Errc::internal || to_string(error.code) == "internal") && ctx.logger)
    ctx.logger->error(
        "internal error",
        {{"request_id", ctx.request_id}, {"route", ctx.route}, {"detail", error.detail}});
  return problem(error, http_status(error.code));
}

}  // namespace tenantkit::server
