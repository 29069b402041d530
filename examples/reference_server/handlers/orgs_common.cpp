// SPDX-License-Identifier: Apache-2.0
#include "handlers/orgs_common.hpp"

#include <array>
#include <cstddef>
#include <span>

#include <tenantkit/core/encoding.hpp>

#include "app.hpp"
#include "handlers/common.hpp"

namespace tenantkit::server::handlers {
namespace json = boost::json;

json::object user_json(const storage::User& user) {
  return {{"id", user.id.str()}, {"email", user.email}, {"name", user.name}};
}

Result<json::object> org_json(Services& s, const storage::Org& org) {
  auto sub = s.db.subscriptions().get(org.id);
  if (!sub) return sub.error();
  return json::object{{"id", org.id.str()},    {"name", org.name},
                      {"slug", org.slug},      {"plan", sub->plan},
                      {"status", sub->status}, {"created_at", time_json(org.created_at)}};
}

bool valid_slug(std::string_view slug) noexcept {
  if (slug.empty() || slug.size() > 63 || slug.front() == '-' || slug.back() == '-') return false;
  for (const char c : slug)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

namespace {

std::string slug_from_name(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (out.size() >= 48) break;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string("org") : out;
}

}  // namespace

Result<storage::Org> create_org(Services& s, const storage::User& owner, const std::string& name,
                                const std::optional<std::string>& slug) {
  if (slug && !valid_slug(*slug))
    return Error{Errc::validation_failed,
                 "invalid slug",
                 {{"slug", "1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'"}}};
  const Timestamp now = s.app.clock().now();
  storage::Org org{.id = OrgId::generate(s.app.random(), s.app.clock()),
                   .name = name,
                   .slug = slug.value_or(slug_from_name(name)),
                   .created_at = now,
                   .updated_at = now};
  const storage::Membership membership{.org = org.id,
                                       .user = owner.id,
                                       .roles = {"owner"},
                                       .active = true,
                                       .external_id = {},
                                       .joined_at = now,
                                       .scim_profile = {}};
  for (int attempt = 0;; ++attempt) {
    auto created = s.db.orgs().create(org, membership);
    if (created || created.error().code != Errc::conflict || slug || attempt == 3) {
      if (!created && created.error().code == Errc::conflict)
        return Error{Errc::conflict, "the slug is taken"};
      return created;
    }
    std::array<std::byte, 3> raw{};
    s.app.random().fill(raw);
    org.slug =
        slug_from_name(name).substr(0, 55) + "-" + hex_encode(std::span<const std::byte>(raw));
  }
}

}  // namespace tenantkit::server::handlers
