// SPDX-License-Identifier: Apache-2.0
// Every storage conformance suite against open_postgres() as the non-owner application role, a
// fresh database per test. Skipped only when TK_TEST_DATABASE_URL is unset.
#include <tenantkit/storage/postgres.hpp>
#include <tenantkit/testing/conformance/all.hpp>

#include "sql_backends.hpp"

namespace tenantkit::testing {

struct Postgres {
  static std::unique_ptr<storage::Storage> make() {
    if (!sql::pg_superuser_url()) return nullptr;  // the suites skip
    return sql::make_pg_storage();
  }
};

// Skips every test before any fixture (and so any database) is made.
class RequirePostgres : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!sql::pg_superuser_url()) GTEST_SKIP() << "TK_TEST_DATABASE_URL is not set";
  }
};
const auto* const kRequirePostgres = ::testing::AddGlobalTestEnvironment(new RequirePostgres);

TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Postgres, Postgres);

}  // namespace tenantkit::testing
