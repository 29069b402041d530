// SPDX-License-Identifier: Apache-2.0
// Listener: the accept loop, the registry of open connections and the graceful drain.
// Internal to net/. Every member function runs on strand(), except end_session() (any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "app.hpp"
#include "net/beast.hpp"

namespace tenantkit::server {

/// One client connection. `phase` is touched only on the stream's executor: its io_context is run
/// by a single thread, so the connection's coroutine, timers and posted closes never race.
struct Connection {
  enum class Phase { idle, busy };  // idle: waiting for or reading a request; busy: answering
  explicit Connection(tcp::socket socket)
      : stream(std::move(socket)), wait_timer(stream.get_executor()) {}
  beast::tcp_stream stream;
  Phase phase = Phase::idle;
  std::string ip;

  // The timeout of the wait for a request's first bytes (http_session.cpp, watch_wait): a lazy
  // timer, armed at most once per timeout period rather than once per request; when it fires
  // before `wait_deadline` it re-arms for it.
  net::steady_timer wait_timer;
  std::chrono::steady_clock::time_point wait_deadline{};
  std::chrono::steady_clock::time_point timer_expiry{};
  std::uint64_t timer_generation = 0;  // a handler of an older generation was superseded
  bool waiting = false;                // the session waits for the next request's bytes
  bool timer_armed = false;
};

class Listener {
 public:
  using Strand = net::strand<net::io_context::executor_type>;

  /// Takes a bound, listening acceptor (whose executor is `strand`). Accepted connections are
  /// spread round-robin over `iocs`, each run by exactly one thread (net/server.cpp).
  Listener(App& app, std::vector<net::io_context*> iocs, Strand strand, tcp::acceptor acceptor);

  /// Accepts until shutdown(); runs on strand(). Connections past TK_MAX_CONNECTIONS are closed
  /// at once (counted in http_connections_rejected_total).
  net::awaitable<void> accept_loop();

  /// Stops accepting, closes idle connections now, lets busy ones finish their response, and
  /// force-closes whatever is left after TK_SHUTDOWN_GRACE_SECONDS. Idempotent. On strand().
  void shutdown();

  /// True once shutdown() began: sessions stop keeping connections alive.
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  App& app() noexcept { return app_; }
  Strand& strand() noexcept { return strand_; }

 private:
  void end_session(const std::shared_ptr<Connection>& conn);
  void close_all(bool busy_too);

  App& app_;
  std::vector<net::io_context*> iocs_;
  std::size_t next_ioc_ = 0;  // on strand() only
  Strand strand_;
  tcp::acceptor acceptor_;
  net::steady_timer grace_timer_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards connections_: taken once per connection open/close, never per request
  std::unordered_set<std::shared_ptr<Connection>> connections_;
};

}  // namespace tenantkit::server
