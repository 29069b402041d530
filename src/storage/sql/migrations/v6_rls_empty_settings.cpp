// SPDX-License-Identifier: Apache-2.0
// Migration 6: the row-level security policies treat an empty setting as "not set".
//
// A custom setting (tenantkit.*) that a connection has once set with set_config(..., true) stays
// defined for the rest of the session: after that transaction ends, current_setting(name, true)
// returns '' instead of NULL. The policies of migrations 1, 2 and 5 compared a column with that
// value directly, so on a pooled connection every later transaction (of any tenant, or of none)
// saw the rows whose lookup column is '' (e.g. every subscription without a customer id once any
// find_by_customer had run on the connection). NULLIF(..., '') turns the empty value back into
// NULL, which equals nothing. SQLite has no row-level security: the version is only recorded.
#include "../migrations.hpp"

namespace tenantkit::storage::sql {
namespace {

std::string setting(const char* name) {
  return std::string("NULLIF(current_setting('tenantkit.") + name + "', true), '')";
}

}  // namespace

Migration migration_v6(Dialect dialect) {
  Migration m{6, "rls ignores empty settings", {}};
  if (dialect != Dialect::postgres) return m;
  // The tenant_isolation policies of every tenant table call tk_tenant(): replacing its body
  // (same signature) fixes them all.
  m.statements.emplace_back(
      "CREATE OR REPLACE FUNCTION tk_tenant() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE "
      "AS $$ SELECT NULLIF(current_setting('tenantkit.tenant_id', true), '') $$");
  auto lookup = [&](const char* table, const std::string& using_clause) {
    m.statements.push_back("ALTER POLICY unscoped_lookup ON " + std::string(table) + " USING (" +
                           using_clause + ")");
  };
  lookup("orgs", "slug = " + setting("lookup_slug") + " OR " + setting("admin") + " = 'count'");
  lookup("memberships", "user_id = " + setting("lookup_user"));
  lookup("invitations", "token_hash = " + setting("lookup_token"));
  lookup("api_keys", "prefix = " + setting("lookup_prefix"));
  lookup("subscriptions", "customer_id = " + setting("lookup_customer"));
  lookup("scim_tokens", "token_hash = " + setting("lookup_token"));
  // string_to_array('', ',') is an empty array (matches nothing) already; NULLIF keeps every
  // policy reading its setting the same way.
  const std::string ids = "id = ANY(string_to_array(" + setting("lookup_key_ids") + ", ','))";
  m.statements.push_back("ALTER POLICY last_used_flush ON api_keys USING (" + ids +
                         ") WITH CHECK (" + ids + ")");
  m.statements.push_back("ALTER POLICY last_used_flush_read ON api_keys USING (" + ids + ")");
  return m;
}

}  // namespace tenantkit::storage::sql
