// SPDX-License-Identifier: Apache-2.0
// Migration 3: subscriptions.past_due_since, the start of a past_due grace period (billing's
// CataloguePlanPolicy keeps the paid plan for past_due_grace after it). Rows that are past_due
// already get their last event's time, the bound the code used before this column existed.
#include "../migrations.hpp"

namespace tenantkit::storage::sql {

Migration migration_v3(Dialect dialect) {
  const bool pg = dialect == Dialect::postgres;
  return Migration{
      3,
      "subscriptions.past_due_since",
      {std::string("ALTER TABLE subscriptions ADD COLUMN past_due_since ") +
           (pg ? "timestamptz" : "INTEGER"),
       "UPDATE subscriptions SET past_due_since = last_event_at WHERE status = 'past_due'"}};
}

}  // namespace tenantkit::storage::sql
