// SPDX-License-Identifier: Apache-2.0
#include <array>

#include <boost/json.hpp>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/user_resource.hpp>

namespace tenantkit::scim {
namespace {

constexpr std::array<std::string_view, 8> kTypes = {
    scim_type::invalid_filter, scim_type::too_many,       scim_type::uniqueness,
    scim_type::mutability,     scim_type::invalid_syntax, scim_type::invalid_path,
    scim_type::no_target,      scim_type::invalid_value};

// Splits "invalidFilter: detail" into its type and detail when the prefix is a known scimType.
std::pair<std::string_view, std::string_view> split(std::string_view detail) {
  for (std::string_view t : kTypes)
    if (detail.size() > t.size() + 1 && detail.substr(0, t.size()) == t &&
        detail.substr(t.size(), 2) == ": ")
      return {t, detail.substr(t.size() + 2)};
  return {{}, detail};
}

}  // namespace

Error make_error(Errc code, std::string_view type, std::string_view detail) {
  std::string d(type);
  d += ": ";
  d += detail;
  return Error{code, std::move(d)};
}

ScimError to_scim_error(const Error& e) {
  auto [type, detail] = split(e.detail);
  ScimError out{500, std::string(type), std::string(detail)};
  switch (e.code) {
    case Errc::bad_request:
    case Errc::validation_failed:
      out.status = 400;
      if (out.scim_type.empty()) out.scim_type = scim_type::invalid_value;
      break;
    case Errc::unauthorized:
      out.status = 401;
      break;
    case Errc::forbidden:
      out.status = 403;
      break;
    // API.md: a plan lacking the feature, the seat or the room answers 402, SCIM routes included.
    case Errc::feature_not_in_plan:
    case Errc::seat_limit_reached:
    case Errc::plan_limit_reached:
      out.status = 402;
      break;
    case Errc::not_found:
      out.status = 404;
      out.scim_type.clear();  // a plain 404: no hint about why
      break;
    case Errc::conflict:
      out.status = 409;
      if (out.scim_type.empty() && e.code == Errc::conflict) out.scim_type = scim_type::uniqueness;
      break;
    case Errc::payload_too_large:
      out.status = 413;
      break;
    case Errc::rate_limited:
    case Errc::quota_exceeded:
      out.status = 429;
      break;
    case Errc::unavailable:
      out.status = 503;
      break;
    default:
      // internal and anything new: never leak the detail of a broken invariant.
      out.status = 500;
      out.scim_type.clear();
      out.detail = "internal error";
      break;
  }
  if (out.detail.empty()) out.detail = std::string(to_string(e.code));
  return out;
}

std::string error_json(const Error& e) {
  const ScimError s = to_scim_error(e);
  boost::json::object o;
  o["schemas"] = boost::json::array{boost::json::string(kErrorSchema)};
  o["status"] = std::to_string(s.status);
  if (!s.scim_type.empty()) o["scimType"] = s.scim_type;
  o["detail"] = s.detail;
  return boost::json::serialize(o);
}

}  // namespace tenantkit::scim
