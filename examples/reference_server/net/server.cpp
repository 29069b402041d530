// SPDX-License-Identifier: Apache-2.0
#include "net/server.hpp"

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "net/beast.hpp"
#include "net/listener.hpp"

namespace tenantkit::server {

struct Server::Impl {
  // One io_context per I/O thread (concurrency hint 1: no cross-thread locking in its
  // scheduler); iocs[0] also holds the acceptor, the listener's strand and the signals.
  static std::vector<std::unique_ptr<net::io_context>> make_iocs(int threads) {
    std::vector<std::unique_ptr<net::io_context>> v;
    for (int i = 0; i < (threads > 0 ? threads : 1); ++i)
      v.push_back(std::make_unique<net::io_context>(1));
    return v;
  }

  Impl(App& a, int threads)
      : app(a), iocs(make_iocs(threads)), strand(net::make_strand(*iocs[0])), signals(strand) {}

  bool on_io_thread() const {
    for (const auto& ioc : iocs)
      if (ioc->get_executor().running_in_this_thread()) return true;
    return false;
  }

  App& app;
  std::vector<std::unique_ptr<net::io_context>> iocs;
  Listener::Strand strand;
  net::signal_set signals;
  std::unique_ptr<Listener> listener;
  std::string host;
  std::uint16_t port = 0;

  std::mutex mu;
  std::condition_variable cv;
  bool running = false;
  bool finished = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_) stop();
}

Result<std::unique_ptr<Server>> Server::create(App& app, Options options) {
  const Config& cfg = app.config();
  const auto colon = cfg.listen.rfind(':');
  if (colon == std::string::npos)
    return Error{Errc::validation_failed, "TK_LISTEN must be host:port"};
  std::string host = cfg.listen.substr(0, colon);
  const std::string port = cfg.listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  auto impl = std::make_unique<Impl>(app, cfg.io_threads);
  beast::error_code ec;
  tcp::resolver resolver(*impl->iocs[0]);
  const auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec || results.empty())
    return Error{Errc::validation_failed, "cannot resolve " + cfg.listen + ": " + ec.message()};
  const tcp::endpoint endpoint = results.begin()->endpoint();

  tcp::acceptor acceptor(impl->strand);
  const auto fail = [&](std::string_view what) -> Error {
    return Error{Errc::unavailable,
                 "cannot listen on " + cfg.listen + ": " + std::string(what) + ": " + ec.message()};
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("option");
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  const tcp::endpoint local = acceptor.local_endpoint(ec);
  if (ec) return fail("local address");
  impl->host = local.address().to_string();
  impl->port = local.port();

  std::vector<net::io_context*> iocs;
  for (const auto& ioc : impl->iocs) iocs.push_back(ioc.get());
  impl->listener =
      std::make_unique<Listener>(app, std::move(iocs), impl->strand, std::move(acceptor));
  Listener& listener = *impl->listener;
  net::co_spawn(impl->strand, listener.accept_loop(), [&app](std::exception_ptr e) {
    if (e) app.logger().error("accept loop failed");
  });
  if (options.handle_signals) {
    impl->signals.add(SIGINT);
    impl->signals.add(SIGTERM);
    Impl* raw = impl.get();
    impl->signals.async_wait([raw](beast::error_code sec, int signo) {
      if (sec) return;
      raw->app.logger().info("shutting down", {{"signal", static_cast<std::int64_t>(signo)}});
      raw->listener->shutdown();
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

const std::string& Server::host() const noexcept {
  return impl_->host;
}
std::uint16_t Server::port() const noexcept {
  return impl_->port;
}

void Server::run() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->finished) return;
    impl_->running = true;
  }
  // The other io_contexts only hold connections: keep them running while iocs[0] (acceptor,
  // drain timer) is alive. Once it returns the listener has drained; what is left on the others
  // (a session finishing its close) still counts as work and runs to completion.
  auto& iocs = impl_->iocs;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < iocs.size(); ++i) {
    guards.push_back(net::make_work_guard(*iocs[i]));
    threads.emplace_back([ioc = iocs[i].get()] { ioc->run(); });
  }
  iocs[0]->run();
  for (auto& g : guards) g.reset();
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(impl_->mu);
    impl_->running = false;
    impl_->finished = true;
  }
  impl_->cv.notify_all();
}

void Server::stop() {
  Impl* impl = impl_.get();
  net::post(impl->strand, [impl] {
    beast::error_code ignored;
    impl->signals.cancel(ignored);
    impl->listener->shutdown();
  });
  if (impl->strand.running_in_this_thread() || impl->on_io_thread()) return;
  std::unique_lock lock(impl->mu);
  if (!impl->running && !impl->finished) {
    // run() was never called: nothing to wait for, but leave no queued work behind.
    lock.unlock();
    for (auto& ioc : impl->iocs) ioc->poll();
    return;
  }
  impl->cv.wait(lock, [impl] { return impl->finished; });
}

}  // namespace tenantkit::server
