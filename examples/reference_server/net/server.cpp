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
  Impl(App& a, int threads)
      : app(a), ioc(threads), strand(net::make_strand(ioc)), signals(strand) {}

  App& app;
  net::io_context ioc;
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
  tcp::resolver resolver(impl->ioc);
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

  impl->listener = std::make_unique<Listener>(app, impl->ioc, impl->strand, std::move(acceptor));
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
  std::vector<std::thread> threads;
  const int extra = impl_->app.config().io_threads - 1;
  threads.reserve(static_cast<std::size_t>(extra > 0 ? extra : 0));
  for (int i = 0; i < extra; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
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
  if (impl->strand.running_in_this_thread() || impl->ioc.get_executor().running_in_this_thread())
    return;
  std::unique_lock lock(impl->mu);
  if (!impl->running && !impl->finished) {
    // run() was never called: nothing to wait for, but leave no queued work behind.
    lock.unlock();
    impl->ioc.poll();
    return;
  }
  impl->cv.wait(lock, [impl] { return impl->finished; });
}

}  // namespace tenantkit::server
