// SPDX-License-Identifier: Apache-2.0
// /v1/audit (list, CSV/JSON export, chain verification) and /v1/scim/token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server::handlers {

/// Most entries one export answers: the response body is one string, so an export is bounded.
/// A larger one is 413 payload_too_large (narrow it with from/to).
inline constexpr std::int64_t kAuditExportMaxRows = 50'000;
/// Entries read per storage round trip by export and verify.
inline constexpr int kAuditChunk = 500;

/// Appends `field` to `out` as one CSV cell: RFC 4180 quoting, and a cell a spreadsheet would run
/// as a formula (starting with = + - @ tab or CR) is quoted with a leading ' (OWASP).
void append_csv_field(std::string& out, std::string_view field);

/// GET /v1/audit?action=&actor_id=&target_type=&from=&to=&limit=&cursor= -> {items, next_cursor},
/// newest first. With ?format=csv|json: the whole filtered export, oldest first, as an attachment
/// (needs the feature audit_export: 402). Errors: validation_failed (a bad filter, from/to not
/// RFC 3339, unknown format), feature_not_in_plan, payload_too_large (export over
/// kAuditExportMaxRows), unavailable.
Handler list_audit(Services& services);
/// GET /v1/audit/verify -> {ok, checked, first_broken_id | null}. Errors: unavailable.
Handler verify_audit(Services& services);
/// POST /v1/scim/token -> 201 {id, token, created_at}; the token is shown only here and
/// replaces the org's previous one. Errors: unavailable.
Handler issue_scim_token(Services& services);

/// The routes above with their steps.
std::vector<Route> audit_routes(Services& services);

}  // namespace tenantkit::server::handlers
