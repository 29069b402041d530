// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the SCIM filter parser: every input must parse or fail with invalidFilter,
// never crash, hang or trip ASan/UBSan; what parses is checked and evaluated against a fixed user,
// and the same bytes go through the PATCH path parser. Built and run by tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/patch.hpp>
#include <tenantkit/scim/user_resource.hpp>

namespace {

const tenantkit::scim::UserResource& fixed_user() {
  static const tenantkit::scim::UserResource user = [] {
    tenantkit::scim::UserResource u;
    u.id = "0190a5c0-0000-7000-8000-000000000001";
    u.external_id = "ext-1";
    u.user_name = "bjensen@example.com";
    u.name.given_name = "Barbara";
    u.name.family_name = "Jensen";
    u.display_name = "Babs";
    u.title = "Tour Guide";
    u.emails = {{"bjensen@example.com", "work", "", true}, {"b@home.example", "home", "", false}};
    u.extensions_json =
        R"({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}})";
    return u;
  }();
  return user;
}

// A failure must be the documented one.
void expect_bad_request(const tenantkit::Error& e) {
  if (e.code != tenantkit::Errc::bad_request) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto filter = tenantkit::scim::parse_filter(text);
  if (filter) {
    if (filter->root < 0 || static_cast<std::size_t>(filter->root) >= filter->nodes.size() ||
        filter->nodes.size() > 256)
      std::abort();
    if (auto checked = tenantkit::scim::check_user_filter(*filter); checked) {
      auto m = tenantkit::scim::matches(*filter, fixed_user());
      if (!m) expect_bad_request(m.error());
    } else {
      expect_bad_request(checked.error());
    }
  } else {
    expect_bad_request(filter.error());
    if (tenantkit::scim::to_scim_error(filter.error()).scim_type != "invalidFilter") std::abort();
  }
  auto path = tenantkit::scim::parse_patch_path(text);
  if (!path) expect_bad_request(path.error());
  return 0;
}
