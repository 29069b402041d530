// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/user_resource.hpp>

#include "json_model.hpp"

namespace tenantkit::scim {

bool Name::empty() const noexcept {
  return formatted.empty() && family_name.empty() && given_name.empty() && middle_name.empty() &&
         honorific_prefix.empty() && honorific_suffix.empty();
}

Result<UserResource> user_from_json(std::string_view json) {
  if (json.size() > kMaxUserJson)
    return make_error(Errc::bad_request, scim_type::invalid_value, "resource too large");
  auto v = detail::parse_json(json);
  if (!v || !v->is_object())
    return make_error(Errc::bad_request, scim_type::invalid_syntax, "body is not a JSON object");
  return detail::user_from_object(v->get_object());
}

std::string to_json(const UserResource& user, std::string_view base_url) {
  return boost::json::serialize(detail::resource_object(user, base_url));
}

std::string etag(const UserResource& user) {
  return "W/\"" + std::to_string(user.meta.version) + "\"";
}

}  // namespace tenantkit::scim
