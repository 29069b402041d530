// SPDX-License-Identifier: Apache-2.0
// Migration 7: sessions.active_org, the org the session's tokens were last issued for (login,
// register, refresh, switch-org), so a refresh that names no org keeps the user where they were.
// Existing sessions have none: their next refresh lands in the first org, as before.
#include "../migrations.hpp"

namespace tenantkit::storage::sql {

Migration migration_v7(Dialect) {
  return Migration{7, "sessions.active_org", {"ALTER TABLE sessions ADD COLUMN active_org TEXT"}};
}

}  // namespace tenantkit::storage::sql
