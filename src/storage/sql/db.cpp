// SPDX-License-Identifier: Apache-2.0
#include "db.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include <boost/json.hpp>

namespace tenantkit::storage::sql {

Pool::Pool(int size, std::chrono::milliseconds acquire_timeout, Connector connect,
           std::unique_ptr<soci::session> first)
    : size_(size), acquire_timeout_(acquire_timeout), connect_(std::move(connect)) {
  if (first) {
    idle_.push_back(std::move(first));
    open_ = 1;
  }
}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
  if (session_) pool_->release(std::move(session_), broken_);
}

Result<Pool::Lease> Pool::acquire() {
  std::unique_lock lock(mu_);
  const bool ok =
      cv_.wait_for(lock, acquire_timeout_, [this] { return !idle_.empty() || open_ < size_; });
  if (!ok) return Error{Errc::unavailable, "database pool exhausted (acquire timeout)"};
  if (!idle_.empty()) {
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(s));
  }
  ++open_;
  lock.unlock();
  // Connect outside the lock: a slow server must not stall leases of idle connections.
  try {
    return Lease(this, connect_());
  } catch (const std::exception& e) {
    if (std::getenv("TK_SQL_DEBUG")) std::fprintf(stderr, "tenantkit sql connect: %s\n", e.what());
    lock.lock();
    --open_;
    cv_.notify_one();
    return Error{Errc::unavailable, "database connection failed"};
  }
}

void Pool::release(std::unique_ptr<soci::session> s, bool broken) {
  {
    std::lock_guard lock(mu_);
    if (broken) {
      --open_;
    } else {
      idle_.push_back(std::move(s));
    }
  }
  cv_.notify_one();
  // A broken session is destroyed here, outside the lock.
}

Failure classify(const std::exception& e) noexcept {
  const std::string_view msg = e.what();
  auto has = [&](std::string_view needle) { return msg.find(needle) != std::string_view::npos; };
  if (has("could not serialize access") || has("deadlock detected") || has("database is locked") ||
      has("database table is locked"))
    return Failure::retry;
  if (has("statement timeout") || has("canceling statement") || has("lock timeout"))
    return Failure::timeout;
  if (const auto* se = dynamic_cast<const soci::soci_error*>(&e)) {
    switch (se->get_error_category()) {
      case soci::soci_error::constraint_violation:
        return Failure::conflict;
      case soci::soci_error::connection_error:
        return Failure::broken;
      default:
        break;
    }
  }
  if (has("UNIQUE constraint failed") || has("duplicate key value") ||
      has("PRIMARY KEY constraint failed"))
    return Failure::conflict;
  if (has("server closed the connection") || has("no connection to the server") ||
      has("terminating connection") || has("connection"))
    return Failure::broken;
  return Failure::other;
}

Db::Db(Dialect dialect, std::unique_ptr<Pool> pool) : dialect_(dialect), pool_(std::move(pool)) {}

std::string Db::q(std::string_view text) const {
  if (pg()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "tk_") == 0 &&
        (i == 0 ||
         !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_'))) {
      std::size_t j = i + 3;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        ++j;
      if (j < text.size() && text[j] == '(') {
        i = j;  // keep the parenthesis: the argument stays grouped
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

void Db::begin(soci::session& s, Access access, const Scope& scope) {
  if (!pg()) {
    // IMMEDIATE takes the write lock up front: a deferred transaction that later writes can fail
    // with SQLITE_BUSY without waiting for the busy timeout.
    s << (access == Access::write ? "BEGIN IMMEDIATE" : "BEGIN");
    return;
  }
  // BEGIN and the settings go in one simple-query round trip. Values are SQL literals with
  // quotes doubled (the connection forces standard_conforming_strings = on, so backslashes are
  // plain characters); a value with a NUL byte cannot be a literal and is bound instead.
  // set_config(..., true) is SET LOCAL: it ends with the transaction, so a pooled connection
  // never carries one tenant's setting into the next unit of work.
  std::string text = "BEGIN";
  std::vector<const std::pair<const char*, std::string>*> bound;
  for (const auto& setting : scope.settings) {
    if (setting.second.find('\0') != std::string::npos) {
      bound.push_back(&setting);
      continue;
    }
    text += "; SELECT set_config('";
    text += setting.first;
    text += "', '";
    for (char c : setting.second) {
      if (c == '\'') text.push_back('\'');
      text.push_back(c);
    }
    text += "', true)";
  }
  s << text;
  for (const auto* setting : bound) {
    const std::string n = setting->first;
    std::string out;
    s << "SELECT set_config(:n, :v, true)", soci::use(n), soci::use(setting->second),
        soci::into(out);
  }
}

void Db::rollback(soci::session& s) {
  s << "ROLLBACK";
}

Error Db::to_error(Failure kind, const std::exception& e) {
  if (std::getenv("TK_SQL_DEBUG")) std::fprintf(stderr, "tenantkit sql: %s\n", e.what());
  switch (kind) {
    case Failure::conflict:
      return Error{Errc::conflict, "already exists"};
    case Failure::timeout:
      return Error{Errc::unavailable, "database timeout"};
    case Failure::retry:
      return Error{Errc::unavailable, "database busy"};
    default:
      return Error{Errc::unavailable, "database error"};
  }
}

std::string encode_list(const std::vector<std::string>& items) {
  boost::json::array a;
  a.reserve(items.size());
  for (const auto& i : items) a.emplace_back(i);
  return boost::json::serialize(a);
}

std::vector<std::string> decode_list(const std::string& json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array())
    if (e.is_string()) out.emplace_back(e.as_string());
  return out;
}

void append_pg_array_elem(std::string& out, std::string_view v) {
  if (out.size() > 1) out.push_back(',');  // the caller starts the literal with '{'
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace tenantkit::storage::sql
