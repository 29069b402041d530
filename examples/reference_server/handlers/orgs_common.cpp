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

std::string normalize_email(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  std::string out(email);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool plausible_email(std::string_view e) noexcept {
  const auto at = e.find('@');
  if (at == 0 || at == std::string_view::npos || at != e.rfind('@') || at + 1 >= e.size())
    return false;
  if (e.substr(at + 1).find('.') == std::string_view::npos) return false;
  for (const char c : e)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
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

Result<std::int64_t> pending_invitations(Services& s, const OrgId& org) {
  std::int64_t n = 0;
  PageRequest page{.limit = PageRequest::kMaxLimit, .cursor = {}};
  const Timestamp now = s.app.clock().now();
  for (;;) {
    auto batch = s.db.invitations().list_pending(org, page, now);
    if (!batch) return batch.error();
    n += static_cast<std::int64_t>(batch->items.size());
    if (!batch->next_cursor) return n;
    page.cursor = *batch->next_cursor;
  }
}

}  // namespace tenantkit::server::handlers
