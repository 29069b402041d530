// SPDX-License-Identifier: Apache-2.0
// Graceful shutdown: Server::stop() lets in-flight requests finish, closes idle keep-alive
// connections at once, refuses new connections, and force-closes after the grace period.
#include <atomic>
#include <chrono>
#include <thread>

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "client.hpp"
#include "http/json.hpp"
#include "net/server.hpp"

namespace tenantkit::server::testing {
namespace {

using namespace std::chrono_literals;

Route sleeping_route(std::atomic<bool>& started, std::chrono::milliseconds how_long) {
  return {http::verb::get,
          "/test/sleep",
          {},
          [&started, how_long](RequestContext&) -> Result<Response> {
            started = true;
            std::this_thread::sleep_for(how_long);  // blocking is fine: this runs on the pool
            return json_response(http::status::ok, boost::json::object{{"slept", true}});
          }};
}

bool wait_until(const std::atomic<bool>& flag, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!flag && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
  return flag;
}

TEST(ServerShutdownTest, InFlightRequestFinishesIdleClosedNewRefused) {
  std::atomic<bool> started{false};
  TestServer srv(test_config(), {sleeping_route(started, 500ms)});  // grace 5 s

  Client idle;
  ASSERT_FALSE(idle.connect(srv.port()));
  ASSERT_FALSE(idle.write(make_request(http::verb::get, "/health")));
  ASSERT_FALSE(idle.read().first);

  Client busy;
  ASSERT_FALSE(busy.connect(srv.port()));
  ASSERT_FALSE(busy.write(make_request(http::verb::get, "/test/sleep")));
  ASSERT_TRUE(wait_until(started, 2s));

  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> stop_returned{false};
  std::thread stopper([&] {
    srv.server().stop();
    stop_returned = true;
  });

  // The idle keep-alive connection is closed at once, not after the idle timeout.
  const auto idle_end = idle.wait_for_close(2s);
  EXPECT_EQ(idle_end, boost::asio::error::eof) << idle_end.message();

  auto [ec, res] = busy.read();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());  // Connection: close while draining

  stopper.join();
  EXPECT_TRUE(stop_returned);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);  // drained; the grace is 5 s

  Client late;
  EXPECT_EQ(late.connect(srv.port()), boost::asio::error::connection_refused);
}

TEST(ServerShutdownTest, GracePeriodCutsOffRequestsThatRunTooLong) {
  std::atomic<bool> started{false};
  Config c = test_config();
  c.shutdown_grace = 1s;
  TestServer srv(c, {sleeping_route(started, 2500ms)});

  Client busy;
  ASSERT_FALSE(busy.connect(srv.port()));
  ASSERT_FALSE(busy.write(make_request(http::verb::get, "/test/sleep")));
  ASSERT_TRUE(wait_until(started, 2s));
  const auto t0 = std::chrono::steady_clock::now();
  std::thread stopper([&] { srv.server().stop(); });
  auto [ec, res] = busy.read();
  const auto cut = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
              ec == beast::http::error::end_of_stream)
      << ec.message();
  EXPECT_GE(cut, 900ms);  // not before the grace period; EOF (not a 200) proves it was cut
  stopper.join();         // returns once the handler (still on the pool) has finished
}

TEST(ServerShutdownTest, StopWithNoConnectionsReturnsAtOnce) {
  TestServer srv;
  EXPECT_EQ(get(srv.port(), "/health").result_int(), 200u);
  const auto t0 = std::chrono::steady_clock::now();
  srv.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // the grace is 5 s
}

}  // namespace
}  // namespace tenantkit::server::testing
