// SPDX-License-Identifier: Apache-2.0
// Shared SOCI plumbing of the SQLite and PostgreSQL backends: a bounded connection pool, units of
// work (one transaction each, tenant-scoped on PostgreSQL), dialect adaptation, error mapping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include <tenantkit/core/result.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::storage::sql {

enum class Dialect : std::uint8_t { sqlite, postgres };

/// Opens one connection; throws soci::soci_error (or std::exception) on failure.
using Connector = std::function<std::unique_ptr<soci::session>()>;

/// A fixed-size pool. Connections are made lazily and replaced when a unit of work finds them
/// broken. acquire() waits at most `acquire_timeout` (then Errc::unavailable).
class Pool {
 public:
  /// `first`, when given, is a connection the backend opened already (to check the schema, or
  /// the one connection of an in-memory database): it starts idle in the pool, so it is leased
  /// to exactly one caller. (Handing it out from the connector instead raced: `connect` runs
  /// outside the lock, and two threads could take the same session.)
  Pool(int size, std::chrono::milliseconds acquire_timeout, Connector connect,
       std::unique_ptr<soci::session> first = nullptr);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<soci::session> s) : pool_(pool), session_(std::move(s)) {}
    Lease(Lease&& o) noexcept
        : pool_(o.pool_), session_(std::move(o.session_)), broken_(o.broken_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    soci::session& operator*() const { return *session_; }
    /// Drops the connection instead of returning it (it failed mid-transaction).
    void discard() { broken_ = true; }

   private:
    Pool* pool_;
    std::unique_ptr<soci::session> session_;
    bool broken_ = false;
  };

  Result<Lease> acquire();
  int size() const noexcept { return size_; }

 private:
  void release(std::unique_ptr<soci::session> s, bool broken);

  const int size_;
  const std::chrono::milliseconds acquire_timeout_;
  Connector connect_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<soci::session>> idle_;
  int open_ = 0;  // idle + leased + being opened
};

enum class Access : std::uint8_t { read, write };

/// Session settings of one unit of work. On PostgreSQL each becomes
/// set_config(name, value, true) (transaction-local) before the first query; the RLS policies read
/// them. SQLite has no RLS, so they are ignored there (every query filters in code anyway).
struct Scope {
  std::vector<std::pair<const char*, std::string>> settings;

  static Scope none() { return {}; }
  static Scope tenant(const std::string& org) { return {{{"tenantkit.tenant_id", org}}}; }
  static Scope lookup(const char* name, std::string value) { return {{{name, std::move(value)}}}; }
};

/// How a failed statement is treated.
enum class Failure : std::uint8_t { conflict, retry, timeout, broken, other };
Failure classify(const std::exception& e) noexcept;

class Db {
 public:
  Db(Dialect dialect, std::unique_ptr<Pool> pool);

  Dialect dialect() const noexcept { return dialect_; }
  bool pg() const noexcept { return dialect_ == Dialect::postgres; }

  /// Adapts portable SQL: on SQLite every `tk_xxx(` helper call becomes a plain `(` (timestamps
  /// are integers there already); on PostgreSQL the tk_ functions from the migrations convert.
  std::string q(std::string_view text) const;
  /// " FOR UPDATE" on PostgreSQL (row lock); SQLite write transactions are exclusive already.
  const char* for_update() const noexcept { return pg() ? " FOR UPDATE" : ""; }

  /// Runs `f(soci::session&)` -> Result<T> in one transaction: committed when it returns a value,
  /// rolled back on an Error or exception. Serialization failures and deadlocks are retried.
  template <class T, class F>
  Result<T> run(Access access, const Scope& scope, F&& f) {
    for (int attempt = 0;; ++attempt) {
      auto acquired = pool_->acquire();
      if (!acquired) return acquired.error();
      Pool::Lease lease = std::move(acquired.value());
      soci::session& s = *lease;
      try {
        begin(s, access, scope);
        Result<T> r = f(s);
        if (r)
          s << "COMMIT";
        else
          rollback(s);
        return r;
      } catch (const std::exception& e) {
        Failure kind = classify(e);
        try {
          rollback(s);
        } catch (...) {
          kind = Failure::broken;
        }
        if (kind == Failure::broken) lease.discard();
        if (kind == Failure::retry && attempt < 8) continue;
        return to_error(kind, e);
      }
    }
  }

  Pool& pool() noexcept { return *pool_; }

 private:
  void begin(soci::session& s, Access access, const Scope& scope);
  static void rollback(soci::session& s);
  static Error to_error(Failure kind, const std::exception& e);

  Dialect dialect_;
  std::unique_ptr<Pool> pool_;
};

// --- value conversions ---------------------------------------------------------------------------

inline long long us(Timestamp t) {
  return static_cast<long long>(t.time_since_epoch().count());
}
inline Timestamp ts(long long v) {
  return Timestamp{std::chrono::microseconds{v}};
}

/// A nullable timestamp column bound for reading.
struct OptTs {
  long long v = 0;
  soci::indicator ind = soci::i_null;
  std::optional<Timestamp> get() const {
    return ind == soci::i_ok ? std::optional<Timestamp>(ts(v)) : std::nullopt;
  }
};

/// A nullable timestamp bound for writing.
struct OptTsIn {
  explicit OptTsIn(const std::optional<Timestamp>& t)
      : v(t ? us(*t) : 0), ind(t ? soci::i_ok : soci::i_null) {}
  long long v;
  soci::indicator ind;
};

/// A nullable text column bound for reading.
struct OptStr {
  std::string v;
  soci::indicator ind = soci::i_null;
  bool null() const { return ind != soci::i_ok; }
};

/// Lists of names (roles, scopes, permissions) are stored as a JSON array of strings.
std::string encode_list(const std::vector<std::string>& items);
std::vector<std::string> decode_list(const std::string& json);

/// Appends one element to a PostgreSQL array literal that the caller opened with "{".
void append_pg_array_elem(std::string& out, std::string_view v);

}  // namespace tenantkit::storage::sql
