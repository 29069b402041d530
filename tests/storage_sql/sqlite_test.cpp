// SPDX-License-Identifier: Apache-2.0
// open_sqlite(): options, migrations, WAL, and the SQL scenarios.
#include <atomic>
#include <filesystem>

#include <soci/sqlite3/soci-sqlite3.h>

#include <tenantkit/storage/sqlite.hpp>

#include "sql_backends.hpp"
#include "sql_scenarios.hpp"

namespace tenantkit::testing::sql {
namespace {

RawExec raw_sqlite(const std::string& path) {
  return [path](const std::string& stmt) {
    soci::session s(soci::sqlite3, "db=\"" + path + "\" timeout=5");
    s << stmt;
  };
}

TEST(Sqlite, RejectsBadOptions) {
  EXPECT_THAT(storage::open_sqlite({.path = ""}), HasError(Errc::validation_failed));
  EXPECT_THAT(storage::open_sqlite({.path = fresh_sqlite_path(), .pool_size = 0}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(storage::sqlite_options_from_url("postgresql://x/y"),
              HasError(Errc::validation_failed));
  EXPECT_THAT(storage::sqlite_options_from_url("sqlite:"), HasError(Errc::validation_failed));
  auto o = storage::sqlite_options_from_url("sqlite:./var/t.db", 3);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->path, "./var/t.db");
  EXPECT_EQ(o->pool_size, 3);
}

TEST(Sqlite, MigratesAnEmptyDatabaseAndRerunsAsNoOp) {
  const auto dir = std::filesystem::path(fresh_sqlite_path()).replace_extension("");
  const std::string path = (dir / "nested" / "db.sqlite").string();
  EXPECT_THAT(storage::migrate_sqlite({.path = path}), IsOkAndHolds(7));
  EXPECT_TRUE(std::filesystem::exists(path)) << "the folder and file are created";
  EXPECT_THAT(storage::migrate_sqlite({.path = path}), IsOkAndHolds(0));
  auto st = storage::open_sqlite({.path = path});
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ((*st)->backend_name(), "sqlite");
  EXPECT_THAT((*st)->ping(), IsOk());
  soci::session s(soci::sqlite3, "db=\"" + path + "\"");
  int versions = 0;
  std::string mode;
  s << "SELECT COUNT(*) FROM schema_migrations", soci::into(versions);
  s << "PRAGMA journal_mode", soci::into(mode);
  EXPECT_EQ(versions, 7);  // every migration in src/storage/sql/migrations.cpp
  EXPECT_EQ(mode, "wal");
}

// The connection open_sqlite() checks the schema with goes to exactly one caller: threads that
// all start at once on a fresh pool each get a connection of their own (two of them once shared
// that first one; ASan saw the double free, PostgreSQL's libpq the interleaved protocol).
TEST(Sqlite, ThreadsStartingAtOnceOnAFreshPoolGetAConnectionEach) {
  for (int round = 0; round < 20; ++round) {
    auto st = storage::open_sqlite({.path = fresh_sqlite_path(), .pool_size = 8});
    ASSERT_THAT(st, IsOk());
    std::atomic<int> ok{0};
    run_concurrently(8, [&](int) { ok += (*st)->ping() ? 1 : 0; });
    EXPECT_EQ(ok.load(), 8);
  }
}

TEST(Sqlite, InMemoryDatabaseWorks) {
  auto st = storage::open_sqlite({.path = ":memory:", .pool_size = 8});
  ASSERT_THAT(st, IsOk());
  Samples s;
  auto org = make_org(**st, s);
  EXPECT_THAT((*st)->orgs().get(org.id), IsOk());
}

TEST(Sqlite, DataSurvivesReopen) {
  const std::string path = fresh_sqlite_path();
  Samples s;
  storage::Org org;
  {
    auto st = storage::open_sqlite({.path = path});
    ASSERT_THAT(st, IsOk());
    org = make_org(**st, s);
  }
  auto st = storage::open_sqlite({.path = path});
  ASSERT_THAT(st, IsOk());
  EXPECT_THAT((*st)->orgs().get(org.id), IsOkAndHolds(org));
}

TEST(Sqlite, AuditTamperIsDetected) {
  std::string path;
  auto st = make_sqlite_storage(&path);
  audit_tamper_is_detected(*st, raw_sqlite(path));
}

TEST(Sqlite, ConcurrentAuditAppendsFormOneChain) {
  auto st = make_sqlite_storage();
  audit_concurrent_appends_form_one_chain(*st);
}

TEST(Sqlite, AuditScanStreamsInChunks) {
  auto st = make_sqlite_storage();
  audit_scan_streams_in_chunks(*st);
}

TEST(Sqlite, UsageIsCountedExactlyOnce) {
  auto st = make_sqlite_storage();
  usage_is_counted_exactly_once(*st);
}

TEST(Sqlite, ConcurrentDuplicateUsageCountsOnce) {
  auto st = make_sqlite_storage();
  usage_concurrent_duplicates_count_once(*st);
}

}  // namespace
}  // namespace tenantkit::testing::sql
