// SPDX-License-Identifier: Apache-2.0
// Shapes and steps shared by the auth and org handlers: user and org JSON, org creation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include <tenantkit/storage/records.hpp>

#include "services.hpp"

namespace tenantkit::server::handlers {

/// {"id","email","name"}.
boost::json::object user_json(const storage::User& user);
/// {"id","name","slug","plan","status","created_at"}: plan and status from the subscription.
/// Errors: unavailable.
Result<boost::json::object> org_json(Services& services, const storage::Org& org);

/// Creates an org owned by `owner`. The slug is `slug` when given (conflict when taken), else
/// derived from the name with a random suffix on collision.
/// Errors: validation_failed (field "slug"), conflict, unavailable.
Result<storage::Org> create_org(Services& services, const storage::User& owner,
                                const std::string& name, const std::optional<std::string>& slug);

/// Trims blanks and lower-cases ASCII: the form emails are stored and compared in.
std::string normalize_email(std::string_view email);
/// Minimal syntax: one '@' with text on both sides, a dot in the domain, no spaces or controls.
bool plausible_email(std::string_view email) noexcept;

/// Pending (unexpired, unaccepted, unrevoked) invitations of `org`: with the members, the seats
/// in use (API.md). Errors: unavailable.
Result<std::int64_t> pending_invitations(Services& services, const OrgId& org);

/// True when `slug` is 1..63 of [a-z0-9-], not starting or ending with '-'.
bool valid_slug(std::string_view slug) noexcept;

}  // namespace tenantkit::server::handlers
