// SPDX-License-Identifier: Apache-2.0
// Test helpers: an in-process server on port 0 (TestServer) and a Beast client whose every
// operation has a deadline (Client), so a misbehaving server fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <tenantkit/core/config.hpp>

#include "app.hpp"
#include "backends.hpp"
#include "net/server.hpp"
#include "services.hpp"

namespace tenantkit::server::testing {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using HttpResponse = http::response<http::string_body>;

/// Small limits and short timeouts suited to tests; listen on 127.0.0.1:0.
Config test_config();

/// Log lines captured from the App's logger.
class LogCapture {
 public:
  Logger::Sink sink();
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

/// The server with routes(app) + `extra` routes, running on its own thread until destroyed.
class TestServer {
 public:
  explicit TestServer(Config config = test_config(), std::vector<Route> extra = {},
                      std::vector<ReadinessCheck> checks = {},
                      std::chrono::milliseconds readiness_timeout = std::chrono::seconds(2));
  ~TestServer();

  std::uint16_t port() const { return server_->port(); }
  App& app() { return *app_; }
  Services& services() { return *services_; }
  Server& server() { return *server_; }
  const LogCapture& log() const { return log_; }
  /// Calls Server::stop() (blocks until run() returned) and joins the thread. Idempotent.
  void stop();

 private:
  LogCapture log_;
  std::unique_ptr<App> app_;
  Backends backends_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  bool stopped_ = false;
};

/// One client connection with a deadline on every operation.
class Client {
 public:
  explicit Client(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  beast::error_code connect(std::uint16_t port);
  beast::error_code send_raw(std::string_view bytes);
  beast::error_code write(http::request<http::string_body> req);
  /// Reads one response. The error is set on timeout, EOF or a parse error.
  std::pair<beast::error_code, HttpResponse> read();
  /// Reads raw bytes until `timeout`: returns the error that ended the wait (timeout while the
  /// connection stays open; eof / connection_reset once the server closed it).
  beast::error_code wait_for_close(std::chrono::milliseconds timeout);
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

 private:
  boost::asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

/// A request with Host set.
http::request<http::string_body> make_request(http::verb method, std::string_view target,
                                              std::string body = {});

/// Connects, sends `req`, reads the response (a failed step fails the test via the error).
std::pair<beast::error_code, HttpResponse> roundtrip(std::uint16_t port,
                                                     http::request<http::string_body> req);
/// GET `target` on a fresh connection.
HttpResponse get(std::uint16_t port, std::string_view target);

}  // namespace tenantkit::server::testing
