// SPDX-License-Identifier: Apache-2.0
// Logger: structured JSON logging, one object per line ({"ts","level","msg",...fields}).
// Thread-safe: each line is formatted privately and handed to the sink in one call (the default
// stdout sink writes it with one fwrite, which stdio locks). Never log headers, bodies or secrets.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tenantkit::server {

/// Severity, in increasing order.
enum class LogLevel : std::uint8_t { debug, info, warn, error };

/// Parses "debug" | "info" | "warn" | "error"; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;
std::string_view to_string(LogLevel level) noexcept;

/// One key/value of a log line. Strings are JSON-escaped; the key must be a plain identifier.
struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;
};

/// Writes JSON lines at or above a minimum level. Cheap to query with enabled().
class Logger {
 public:
  /// Receives one complete line (no trailing newline). Must be thread-safe.
  using Sink = std::function<void(std::string_view line)>;

  /// Logs at `min` and above to `sink`, or to stdout (flushed per line) when `sink` is empty.
  explicit Logger(LogLevel min = LogLevel::info, Sink sink = {});

  bool enabled(LogLevel level) const noexcept { return level >= min_; }
  LogLevel level() const noexcept { return min_; }

  /// Writes {"ts":..., "level":..., "msg": msg, fields...} when `level` is enabled.
  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {}) const;

  void debug(std::string_view msg, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::debug, msg, f);
  }
  void info(std::string_view msg, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::info, msg, f);
  }
  void warn(std::string_view msg, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::warn, msg, f);
  }
  void error(std::string_view msg, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::error, msg, f);
  }

 private:
  LogLevel min_;
  Sink sink_;
};

/// Appends `text` to `out` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);

}  // namespace tenantkit::server
