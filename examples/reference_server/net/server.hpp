// SPDX-License-Identifier: Apache-2.0
// Server: the HTTP/1.1 transport of the reference server (Boost.Beast, C++20 coroutines).
// TK_IO_THREADS threads run one io_context; routes run on the App's worker pool, except the
// inline and try-inline routes the App marks (docs/server.md#threads).
// Graceful shutdown on SIGINT/SIGTERM or stop(): stop accepting, close idle keep-alive
// connections, let in-flight requests finish (up to TK_SHUTDOWN_GRACE_SECONDS), then run()
// returns. The Asio types stay in server.cpp (pimpl) so that this header is cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <tenantkit/core/result.hpp>

#include "app.hpp"

namespace tenantkit::server {

class Server {
 public:
  struct Options {
    /// Stop on SIGINT/SIGTERM. Default true; in-process tests turn it off.
    bool handle_signals = true;
  };

  /// Binds and listens on app.config().listen ("host:port"; port 0 picks a free port).
  /// REQUIRES: app.install_routes() succeeded; `app` outlives the Server.
  /// Errors: validation_failed (the address does not parse or resolve), unavailable (bind or
  /// listen failed, e.g. the port is taken).
  static Result<std::unique_ptr<Server>> create(App& app, Options options);
  static Result<std::unique_ptr<Server>> create(App& app) { return create(app, Options{}); }

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound address: "127.0.0.1" and the real port (after port 0).
  const std::string& host() const noexcept;
  std::uint16_t port() const noexcept;

  /// Serves on TK_IO_THREADS threads (this one included) until stopped and drained.
  void run();

  /// Begins the graceful shutdown. Thread-safe and idempotent. Called from outside the I/O
  /// threads it blocks until run() has returned (if run() is running); from an I/O thread it
  /// only begins the shutdown.
  void stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantkit::server
