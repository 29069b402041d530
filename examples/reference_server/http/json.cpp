// SPDX-License-Identifier: Apache-2.0
#include "http/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tenantkit::server {
namespace json = boost::json;

Result<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  // Boost.JSON rejects invalid UTF-8 and trailing bytes unless told otherwise.
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return Error{Errc::bad_request, "request body is not valid JSON"};
  if (!v.is_object()) return Error{Errc::bad_request, "request body must be a JSON object"};
  return std::move(v.as_object());
}

const json::value* FieldReader::find(std::string_view name) const {
  const json::value* v = object_.if_contains(json::string_view(name.data(), name.size()));
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

void FieldReader::invalid(std::string_view name, std::string message) {
  errors_.push_back({std::string(name), std::move(message)});
}

std::optional<std::string> FieldReader::optional_string(std::string_view name, std::size_t min_len,
                                                        std::size_t max_len) {
  const json::value* v = find(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    invalid(name, "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() < min_len || s.size() > max_len) {
    invalid(name, "must be " + std::to_string(min_len) + " to " + std::to_string(max_len) +
                      " bytes long");
    return std::nullopt;
  }
  return std::string(s.data(), s.size());
}

std::string FieldReader::required_string(std::string_view name, std::size_t min_len,
                                         std::size_t max_len) {
  if (!find(name)) {
    invalid(name, "is required");
    return {};
  }
  return optional_string(name, min_len, max_len).value_or(std::string());
}

std::optional<std::int64_t> FieldReader::optional_int(std::string_view name, std::int64_t min,
                                                      std::int64_t max) {
  const json::value* v = find(name);
  if (!v) return std::nullopt;
  std::optional<std::int64_t> n;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      n = static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_double()) {
    const double d = v->get_double();
    if (d >= -9.0e15 && d <= 9.0e15 && d == static_cast<double>(static_cast<std::int64_t>(d)))
      n = static_cast<std::int64_t>(d);
  }
  if (!n) {
    invalid(name, "must be an integer");
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    invalid(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::int64_t FieldReader::required_int(std::string_view name, std::int64_t min, std::int64_t max) {
  if (!find(name)) {
    invalid(name, "is required");
    return 0;
  }
  return optional_int(name, min, max).value_or(0);
}

std::optional<bool> FieldReader::optional_bool(std::string_view name) {
  const json::value* v = find(name);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    invalid(name, "must be true or false");
    return std::nullopt;
  }
  return v->get_bool();
}

bool FieldReader::required_bool(std::string_view name) {
  if (!find(name)) {
    invalid(name, "is required");
    return false;
  }
  return optional_bool(name).value_or(false);
}

std::optional<std::vector<std::string>> FieldReader::optional_string_array(std::string_view name,
                                                                           std::size_t max_len) {
  const json::value* v = find(name);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    invalid(name, "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : v->get_array()) {
    if (!item.is_string() || item.get_string().empty() || item.get_string().size() > max_len) {
      invalid(name, "must be an array of non-empty strings of at most " + std::to_string(max_len) +
                        " bytes");
      return std::nullopt;
    }
    out.emplace_back(item.get_string().data(), item.get_string().size());
  }
  return out;
}

Result<void> FieldReader::finish() const {
  if (errors_.empty()) return ok();
  std::string detail = "invalid fields:";
  for (const auto& e : errors_) detail += " " + e.field + ",";
  detail.pop_back();
  return Error{Errc::validation_failed, std::move(detail), errors_};
}

Response json_response(boost::beast::http::status status, const json::value& body) {
  return make_response(status, "application/json", json::serialize(body));
}

}  // namespace tenantkit::server
