// SPDX-License-Identifier: Apache-2.0
#include "client.hpp"

#include <filesystem>

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "routes.hpp"

namespace tenantkit::server::testing {
namespace net = boost::asio;
using tcp = net::ip::tcp;

Config test_config() {
  Config c;
  c.listen = "127.0.0.1:0";
  c.io_threads = 2;
  c.worker_threads = 2;
  c.max_body_bytes = 4096;
  c.max_header_bytes = 2048;
  c.read_timeout = std::chrono::seconds(5);
  c.idle_timeout = std::chrono::seconds(5);
  c.shutdown_grace = std::chrono::seconds(5);
  // No files in the working directory: HS256 and a fixed pepper instead of var/ key files.
  c.jwt_alg = "HS256";
  c.jwt_secret = Secret(std::string(32, 'j'));
  c.api_key_pepper = Secret(std::string(32, 'p'));
  c.outbox_dir = (std::filesystem::temp_directory_path() / "tenantkit-server-test-outbox").string();
  return c;
}

Logger::Sink LogCapture::sink() {
  return [this](std::string_view line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
  };
}

std::vector<std::string> LogCapture::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

TestServer::TestServer(Config config, std::vector<Route> extra, std::vector<ReadinessCheck> checks,
                       std::chrono::milliseconds readiness_timeout) {
  App::Options options;
  options.log_sink = log_.sink();
  options.readiness_timeout = readiness_timeout;
  app_ = std::make_unique<App>(std::move(config), std::move(options));
  for (auto& c : checks) app_->add_readiness_check(std::move(c));
  backends_.storage = storage::open_memory();
  auto services = Services::create(*app_, backends_);
  if (!services) throw std::runtime_error(services.error().detail);
  services_ = std::move(*services);
  auto table = routes(*app_, *services_);
  for (auto& r : extra) table.push_back(std::move(r));
  if (auto installed = app_->install_routes(std::move(table)); !installed)
    throw std::runtime_error(installed.error().detail);
  mark_inline_routes(*app_);
  auto created = Server::create(*app_, Server::Options{.handle_signals = false});
  if (!created) throw std::runtime_error(created.error().detail);
  server_ = std::move(*created);
  thread_ = std::thread([this] { server_->run(); });
}

TestServer::~TestServer() {
  stop();
}

void TestServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  server_->stop();
  thread_.join();
}

Client::Client(std::chrono::milliseconds timeout) : stream_(ioc_), timeout_(timeout) {}

beast::error_code Client::connect(std::uint16_t port) {
  beast::error_code out = net::error::would_block;
  stream_.expires_after(timeout_);
  stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                        [&](beast::error_code ec) { out = ec; });
  ioc_.restart();
  ioc_.run();
  return out;
}

beast::error_code Client::send_raw(std::string_view bytes) {
  beast::error_code out = net::error::would_block;
  stream_.expires_after(timeout_);
  net::async_write(stream_, net::buffer(bytes.data(), bytes.size()),
                   [&](beast::error_code ec, std::size_t) { out = ec; });
  ioc_.restart();
  ioc_.run();
  return out;
}

beast::error_code Client::write(http::request<http::string_body> req) {
  req.prepare_payload();
  beast::error_code out = net::error::would_block;
  stream_.expires_after(timeout_);
  http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) { out = ec; });
  ioc_.restart();
  ioc_.run();
  return out;
}

std::pair<beast::error_code, HttpResponse> Client::read() {
  beast::error_code out = net::error::would_block;
  HttpResponse res;
  stream_.expires_after(timeout_);
  http::async_read(stream_, buffer_, res, [&](beast::error_code ec, std::size_t) { out = ec; });
  ioc_.restart();
  ioc_.run();
  return {out, std::move(res)};
}

beast::error_code Client::wait_for_close(std::chrono::milliseconds timeout) {
  // A timer that cancels the read, not tcp_stream's expiry (which would close our socket), so
  // the connection stays usable after a timeout.
  beast::error_code out = net::error::would_block;
  bool timed_out = false;
  net::steady_timer timer(ioc_, timeout);
  timer.async_wait([&](beast::error_code ec) {
    if (ec) return;
    timed_out = true;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  });
  stream_.expires_never();
  char sink[1024];
  std::function<void(beast::error_code, std::size_t)> on_read;
  on_read = [&](beast::error_code ec, std::size_t) {
    if (ec) {
      out = timed_out ? beast::error_code(beast::error::timeout) : ec;
      timer.cancel();
      return;
    }
    stream_.socket().async_read_some(net::buffer(sink), on_read);
  };
  stream_.socket().async_read_some(net::buffer(sink), on_read);
  ioc_.restart();
  ioc_.run();
  return out;
}

http::request<http::string_body> make_request(http::verb method, std::string_view target,
                                              std::string body) {
  http::request<http::string_body> req{method, std::string(target), 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = std::move(body);
  if (!req.body().empty()) req.set(http::field::content_type, "application/json");
  return req;
}

std::pair<beast::error_code, HttpResponse> roundtrip(std::uint16_t port,
                                                     http::request<http::string_body> req) {
  Client c;
  if (auto ec = c.connect(port)) return {ec, {}};
  if (auto ec = c.write(std::move(req))) return {ec, {}};
  return c.read();
}

HttpResponse get(std::uint16_t port, std::string_view target) {
  auto [ec, res] = roundtrip(port, make_request(http::verb::get, target));
  EXPECT_FALSE(ec) << ec.message();
  return res;
}

}  // namespace tenantkit::server::testing
