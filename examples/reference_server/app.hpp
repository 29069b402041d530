// SPDX-License-Identifier: Apache-2.0
// App: the reference server's composition root. It owns the Config, the logger, the worker pool
// (blocking work never runs on an I/O thread: routes run there, except the inline ones and the
// try-inline ones that need no storage, see run_inline/try_inline), the readiness checks, the
// metrics registry and the route table. Transport lives in net/ (Server); App holds no socket.
// Thread-safe after install_routes(): everything it hands out is immutable or synchronized.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/config.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>

#include "http/route.hpp"
#include "http/router.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "steps/cors.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace tenantkit::server {

/// One dependency /ready asks about ("database", "redis"). `check` may block; it runs on a
/// probe thread, never on an I/O thread, and counts as failed after App::Options timeout.
struct ReadinessCheck {
  std::string name;
  std::function<Result<void>()> check;
};

/// The outcome of one ReadinessCheck.
struct ReadinessResult {
  std::string name;
  Result<void> result;
};

class App {
 public:
  struct Options {
    Logger::Sink log_sink;     ///< Default: stdout.
    Clock* clock = nullptr;    ///< Default: system_clock(). Must outlive the App.
    Random* random = nullptr;  ///< Default: system_random(). Must outlive the App.
    /// Time each readiness check gets before it counts as failed. Default 2 s.
    std::chrono::milliseconds readiness_timeout{2000};
  };

  /// Starts the worker pool (config.worker_threads threads).
  explicit App(Config config, Options options);
  explicit App(Config config) : App(std::move(config), Options{}) {}
  /// Waits for queued work on the pools to finish.
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const Config& config() const noexcept { return config_; }
  const Logger& logger() const noexcept { return logger_; }
  Clock& clock() const noexcept { return *clock_; }
  Random& random() const noexcept { return *random_; }
  const CorsPolicy& cors() const noexcept { return cors_; }
  /// The pool for blocking work; use net/offload.hpp to run a function there from a coroutine.
  boost::asio::thread_pool& pool() noexcept { return *pool_; }

  /// Builds the router and the metrics registry from `routes` (routes.cpp, plus test routes).
  /// Call once, before serving. Errors: validation_failed (see Router::create).
  Result<void> install_routes(std::vector<Route> routes);
  /// REQUIRES: install_routes() succeeded.
  const Router& router() const noexcept { return router_; }
  /// Marks route patterns whose steps and handlers never block (no SQL, no Argon2id, no Redis):
  /// they run on the I/O thread, so /health answers even while every worker hashes passwords.
  /// Call after install_routes(). Unknown patterns are ignored.
  void run_inline(std::initializer_list<std::string_view> patterns);
  /// Marks route patterns that are tried on the I/O thread and moved to the worker pool at their
  /// first blocking point (http/inline_attempt.hpp): every blocking call on their steps' and
  /// handler's path must ask blocking_allowed() first. Call after install_routes().
  void try_inline(std::initializer_list<std::string_view> patterns);
  /// Whether the route with this pattern index runs on the I/O thread.
  bool runs_inline(std::size_t pattern_index) const noexcept {
    return pattern_index < mode_.size() && mode_[pattern_index] == Mode::inline_only;
  }
  /// Whether the route with this pattern index is tried on the I/O thread first.
  bool tries_inline(std::size_t pattern_index) const noexcept {
    return pattern_index < mode_.size() && mode_[pattern_index] == Mode::try_inline;
  }
  Metrics& metrics() noexcept { return *metrics_; }

  /// Registers a check for /ready. Call before serving.
  void add_readiness_check(ReadinessCheck check);
  /// Runs every check concurrently, each bounded by Options::readiness_timeout; a check that
  /// throws or times out fails with `unavailable`. Blocks: call it off the I/O threads.
  std::vector<ReadinessResult> check_readiness() const;

 private:
  Config config_;
  Logger logger_;
  Clock* clock_;
  Random* random_;
  std::chrono::milliseconds readiness_timeout_;
  CorsPolicy cors_;
  std::vector<ReadinessCheck> readiness_;
  Router router_;
  enum class Mode : std::uint8_t { pool, inline_only, try_inline };
  void set_mode(std::initializer_list<std::string_view> patterns, Mode mode);
  std::vector<Mode> mode_;  // by pattern index
  std::unique_ptr<Metrics> metrics_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::unique_ptr<boost::asio::thread_pool> pool_;
  // Readiness checks get their own threads: /ready waits on them from a worker thread, and a
  // shared pool would let hung checks starve that wait (or the other way round).
  std::unique_ptr<boost::asio::thread_pool> probes_;
};

}  // namespace tenantkit::server
