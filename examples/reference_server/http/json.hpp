// SPDX-License-Identifier: Apache-2.0
// JSON in and out (Boost.JSON). parse_object() turns a request body into an object or a 400;
// FieldReader reads typed fields and collects every problem into one 422 validation_failed,
// naming each field. Unknown fields are ignored (API.md). Not thread-safe: one per request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <tenantkit/core/result.hpp>

#include "http/response.hpp"

namespace tenantkit::server {

/// Parses `body` as one JSON object. Errors: bad_request (malformed JSON, invalid UTF-8, trailing
/// bytes, or a value that is not an object).
Result<boost::json::object> parse_object(std::string_view body);

/// Reads fields of a JSON object; each getter records a FieldError instead of failing, so one
/// response lists every bad field. Call finish() last.
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object) : object_(object) {}

  /// A string of `min_len`..`max_len` bytes. Absent, null, wrong type or length: recorded.
  std::string required_string(std::string_view name, std::size_t min_len = 1,
                              std::size_t max_len = 1024);
  /// nullopt when absent or null; a wrong type or length is recorded.
  std::optional<std::string> optional_string(std::string_view name, std::size_t min_len = 0,
                                             std::size_t max_len = 1024);
  /// An integer in [min, max]. A float with no fraction (3.0) is accepted.
  std::int64_t required_int(std::string_view name, std::int64_t min, std::int64_t max);
  std::optional<std::int64_t> optional_int(std::string_view name, std::int64_t min,
                                           std::int64_t max);
  bool required_bool(std::string_view name);
  std::optional<bool> optional_bool(std::string_view name);
  /// An array of strings (each 1..max_len bytes).
  std::optional<std::vector<std::string>> optional_string_array(std::string_view name,
                                                                std::size_t max_len = 256);

  /// Records a rule violation found by the caller (e.g. "must be an email address").
  void invalid(std::string_view name, std::string message);

  /// ok() when nothing was recorded; else validation_failed with every FieldError.
  Result<void> finish() const;

 private:
  const boost::json::value* find(std::string_view name) const;
  const boost::json::object& object_;
  std::vector<FieldError> errors_;
};

/// A JSON response (application/json).
Response json_response(boost::beast::http::status status, const boost::json::value& body);

}  // namespace tenantkit::server
