// SPDX-License-Identifier: Apache-2.0
#include "net/listener.hpp"

#include <exception>
#include <vector>

#include "net/http_session.hpp"

namespace tenantkit::server {

Listener::Listener(App& app, std::vector<net::io_context*> iocs, Strand strand,
                   tcp::acceptor acceptor)
    : app_(app),
      iocs_(std::move(iocs)),
      strand_(std::move(strand)),
      acceptor_(std::move(acceptor)),
      grace_timer_(strand_) {}

net::awaitable<void> Listener::accept_loop() {
  const auto max = static_cast<std::size_t>(app_.config().max_connections);
  for (;;) {
    // Each connection lives on one io_context, run by one thread: its coroutine and its timers
    // never run concurrently without a strand, and no lock or queue is shared with the other
    // I/O threads on the request path.
    net::io_context& ioc = *iocs_[next_ioc_];
    next_ioc_ = (next_ioc_ + 1) % iocs_.size();
    auto [ec, peer] = co_await acceptor_.async_accept(ioc.get_executor(), kAwait);
    if (stopping()) co_return;
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
      app_.logger().warn("accept failed", {{"error", ec.message()}});
      // Out of descriptors and the like: back off instead of spinning on the error.
      net::steady_timer backoff(strand_, std::chrono::milliseconds(50));
      co_await backoff.async_wait(kAwait);
      continue;
    }
    auto conn = std::make_shared<Connection>(tcp::socket(std::move(peer)));
    beast::error_code ignored;
    conn->ip = conn->stream.socket().remote_endpoint(ignored).address().to_string();
    {
      std::lock_guard lock(mu_);
      if (connections_.size() >= max) {
        conn->stream.socket().close(ignored);
        app_.metrics().connection_rejected();
        continue;
      }
      connections_.insert(conn);
    }
    app_.metrics().connection_opened();
    net::co_spawn(conn->stream.get_executor(), run_http_session(*this, conn),
                  [this, conn](std::exception_ptr e) {
                    if (e) {
                      try {
                        std::rethrow_exception(e);
                      } catch (const std::exception& ex) {
                        app_.logger().error("connection failed", {{"error", ex.what()}});
                      } catch (...) {
                        app_.logger().error("connection failed", {{"error", "unknown"}});
                      }
                    }
                    end_session(conn);
                  });
  }
}

void Listener::end_session(const std::shared_ptr<Connection>& conn) {
  bool drained = false;
  {
    std::lock_guard lock(mu_);
    connections_.erase(conn);
    drained = connections_.empty();
  }
  app_.metrics().connection_closed();
  if (drained && stopping()) net::post(strand_, [this] { grace_timer_.cancel(); });
}

void Listener::close_all(bool busy_too) {
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot.assign(connections_.begin(), connections_.end());
  }
  for (auto& conn : snapshot) {
    net::post(conn->stream.get_executor(), [conn, busy_too] {
      if (busy_too || conn->phase == Connection::Phase::idle) conn->stream.close();
    });
  }
}

void Listener::shutdown() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  beast::error_code ignored;
  acceptor_.close(ignored);
  close_all(false);
  {
    std::lock_guard lock(mu_);
    if (connections_.empty()) return;
  }
  // The last session to end cancels this timer (end_session), so an idle drain returns at once.
  grace_timer_.expires_after(app_.config().shutdown_grace);
  grace_timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    app_.logger().warn("shutdown grace period over: closing busy connections");
    close_all(true);
  });
}

}  // namespace tenantkit::server
