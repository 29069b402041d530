// SPDX-License-Identifier: Apache-2.0
// Every storage conformance suite against open_sqlite(), a fresh database file per test.
#include <tenantkit/storage/sqlite.hpp>
#include <tenantkit/testing/conformance/all.hpp>

#include "sql_backends.hpp"

namespace tenantkit::testing {

struct Sqlite {
  static std::unique_ptr<storage::Storage> make() { return sql::make_sqlite_storage(); }
};

TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Sqlite, Sqlite);

}  // namespace tenantkit::testing
