// SPDX-License-Identifier: Apache-2.0
// The reference server end to end over loopback: routing, problem documents, limits, timeouts,
// request ids, metrics, readiness, CORS, security headers, access log.
#include "net/server.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.hpp"
#include "http/json.hpp"

namespace tenantkit::server::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
namespace json = boost::json;

// Test-only routes: the router takes any table, so tests add their own beside routes(app).
std::vector<Route> test_routes() {
  return {
      {http::verb::post,
       "/test/echo",
       {},
       [](RequestContext& ctx) -> Result<Response> {
         auto body = parse_object(ctx.request.body());
         if (!body) return body.error();
         FieldReader in(*body);
         auto name = in.required_string("name", 1, 16);
         auto count = in.required_int("count", 0, 100);
         auto tags = in.optional_string_array("tags");
         if (auto valid = in.finish(); !valid) return valid.error();
         json::object out{{"name", name}, {"count", count}};
         if (tags) out["tags"] = json::value_from(*tags);
         return json_response(http::status::ok, out);
       }},
      {http::verb::get,
       "/test/items/{id}",
       {},
       [](RequestContext& ctx) -> Result<Response> {
         return json_response(http::status::ok, json::object{{"id", ctx.param("id")}});
       }},
      {http::verb::get,
       "/test/internal",
       {},
       [](RequestContext&) -> Result<Response> {
         return Error{Errc::internal, "db said: password=hunter2"};
       }},
      {http::verb::get,
       "/test/throws",
       {},
       [](RequestContext&) -> Result<Response> { throw std::runtime_error("boom"); }},
      {http::verb::get,
       "/test/forbidden",
       {Step([](RequestContext&) -> Result<void> {
         return Error{Errc::forbidden, "a step said no"};
       })},
       [](RequestContext&) -> Result<Response> {
         ADD_FAILURE() << "the handler must not run after a failing step";
         return Error{Errc::internal};
       }},
  };
}

json::object body_of(const HttpResponse& res) {
  boost::system::error_code ec;
  auto v = json::parse(res.body(), ec);
  EXPECT_FALSE(ec) << res.body();
  return v.is_object() ? v.as_object() : json::object{};
}

std::string header(const HttpResponse& res, std::string_view name) {
  auto it = res.find(name);
  return it == res.end() ? std::string() : std::string(it->value());
}

void expect_problem(const HttpResponse& res, unsigned status, std::string_view code) {
  EXPECT_EQ(res.result_int(), status) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "application/problem+json");
  auto body = body_of(res);
  EXPECT_EQ(body["status"].to_number<unsigned>(), status);
  EXPECT_EQ(body["code"].as_string(), code);
  EXPECT_TRUE(body.contains("type"));
  EXPECT_TRUE(body.contains("title"));
  EXPECT_TRUE(body.contains("detail"));
}

class ServerTest : public ::testing::Test {
 protected:
  TestServer srv_{test_config(), test_routes()};
};

TEST_F(ServerTest, HealthAnswersOkWithSecurityHeadersAndRequestId) {
  auto res = get(srv_.port(), "/health");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  EXPECT_EQ(body_of(res), (json::object{{"status", "ok"}}));
  EXPECT_EQ(header(res, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(res, "X-Frame-Options"), "DENY");
  EXPECT_EQ(header(res, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(res, "Strict-Transport-Security"), "");  // dev
  EXPECT_EQ(header(res, "Cache-Control"), "");
  EXPECT_EQ(header(res, "X-Request-Id").size(), 36u);  // a UUIDv7
}

TEST_F(ServerTest, UnknownPathIsNotFoundProblem) {
  auto res = get(srv_.port(), "/no/such/path");
  expect_problem(res, 404, "not_found");
  EXPECT_FALSE(header(res, "X-Request-Id").empty());
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  auto [ec, res] = roundtrip(srv_.port(), make_request(http::verb::delete_, "/health"));
  ASSERT_FALSE(ec) << ec.message();
  expect_problem(res, 405, "bad_request");
  EXPECT_EQ(header(res, "Allow"), "GET");
}

TEST_F(ServerTest, PathParametersAreDecoded) {
  auto res = get(srv_.port(), "/test/items/a%20b");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_of(res)["id"].as_string(), "a b");
}

TEST_F(ServerTest, FailingStepStopsTheRequest) {
  expect_problem(get(srv_.port(), "/test/forbidden"), 403, "forbidden");
}

TEST_F(ServerTest, OversizeBodyIs413AndServerKeepsServing) {
  auto req = make_request(http::verb::post, "/test/echo", std::string(8000, 'x'));
  auto [ec, res] = roundtrip(srv_.port(), std::move(req));
  ASSERT_FALSE(ec) << ec.message();
  expect_problem(res, 413, "payload_too_large");
  EXPECT_EQ(header(res, "Connection"), "close");
  EXPECT_EQ(get(srv_.port(), "/health").result_int(), 200u);
}

TEST_F(ServerTest, HugeHeaderIs431) {
  auto req = make_request(http::verb::get, "/health");
  req.set("X-Padding", std::string(4000, 'a'));
  auto [ec, res] = roundtrip(srv_.port(), std::move(req));
  ASSERT_FALSE(ec) << ec.message();
  expect_problem(res, 431, "bad_request");
  EXPECT_EQ(get(srv_.port(), "/health").result_int(), 200u);
}

TEST_F(ServerTest, MalformedJsonIs400) {
  for (std::string bad : {std::string("{\"name\":"), std::string("[1,2]"), std::string("\"text\""),
                          std::string("{\"name\":\"\xff\xfe\",\"count\":1}"),
                          std::string("{\"name\":\"a\",\"count\":1} trailing")}) {
    auto [ec, res] = roundtrip(srv_.port(), make_request(http::verb::post, "/test/echo", bad));
    ASSERT_FALSE(ec) << ec.message();
    expect_problem(res, 400, "bad_request");
  }
}

TEST_F(ServerTest, WrongFieldTypesAre422WithEveryField) {
  auto [ec, res] = roundtrip(
      srv_.port(), make_request(http::verb::post, "/test/echo", R"({"name": 5, "count": "many"})"));
  ASSERT_FALSE(ec) << ec.message();
  expect_problem(res, 422, "validation_failed");
  auto errors = body_of(res)["errors"].as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].as_object().at("field").as_string(), "name");
  EXPECT_EQ(errors[1].as_object().at("field").as_string(), "count");
  EXPECT_FALSE(errors[0].as_object().at("message").as_string().empty());

  auto [ec2, missing] =
      roundtrip(srv_.port(), make_request(http::verb::post, "/test/echo", R"({"count": 500})"));
  ASSERT_FALSE(ec2);
  expect_problem(missing, 422, "validation_failed");
  EXPECT_EQ(body_of(missing)["errors"].as_array().size(), 2u);  // name missing, count range
}

TEST_F(ServerTest, ValidJsonIsEchoedAndUnknownFieldsIgnored) {
  auto [ec, res] = roundtrip(
      srv_.port(), make_request(http::verb::post, "/test/echo",
                                R"({"name":"ann","count":3,"tags":["a"],"extra":{"x":1}})"));
  ASSERT_FALSE(ec);
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_of(res), (json::object{{"name", "ann"}, {"count", 3}, {"tags", {"a"}}}));
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBody) {
  Client c;
  ASSERT_FALSE(c.connect(srv_.port()));
  const std::string body = R"({"name":"cont","count":1})";
  ASSERT_FALSE(
      c.send_raw("POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Expect: 100-continue\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n"));
  auto [ec1, cont] = c.read();
  ASSERT_FALSE(ec1) << ec1.message();
  EXPECT_EQ(cont.result_int(), 100u);
  ASSERT_FALSE(c.send_raw(body));
  auto [ec2, res] = c.read();
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(res.result_int(), 200u) << res.body();
}

TEST_F(ServerTest, ValidRequestIdIsEchoed) {
  for (std::string id : {std::string("abc-123"), std::string("a.b:c-D9"), std::string(128, 'r')}) {
    auto req = make_request(http::verb::get, "/health");
    req.set("X-Request-Id", id);
    auto [ec, res] = roundtrip(srv_.port(), std::move(req));
    ASSERT_FALSE(ec);
    EXPECT_EQ(header(res, "X-Request-Id"), id);
  }
}

TEST_F(ServerTest, InvalidRequestIdIsReplaced) {
  for (std::string id : {std::string(129, 'r'), std::string("has space"), std::string("a/b"),
                         std::string("semi;colon"), std::string("quote\"")}) {
    auto req = make_request(http::verb::get, "/no/such/path");
    req.set("X-Request-Id", id);
    auto [ec, res] = roundtrip(srv_.port(), std::move(req));
    ASSERT_FALSE(ec);
    const std::string got = header(res, "X-Request-Id");
    EXPECT_NE(got, id);
    EXPECT_EQ(got.size(), 36u) << got;
  }
}

TEST_F(ServerTest, InternalErrorHidesItsDetailAndLogsIt) {
  auto req = make_request(http::verb::get, "/test/internal");
  req.set("X-Request-Id", "trace-internal-1");
  auto [ec, res] = roundtrip(srv_.port(), std::move(req));
  ASSERT_FALSE(ec);
  expect_problem(res, 500, "internal");
  EXPECT_THAT(res.body(), Not(HasSubstr("hunter2")));
  bool logged = false;
  for (const auto& line : srv_.log().lines())
    if (line.find("\"level\":\"error\"") != std::string::npos &&
        line.find("trace-internal-1") != std::string::npos)
      logged = true;
  EXPECT_TRUE(logged);
  expect_problem(get(srv_.port(), "/test/throws"), 500, "internal");
}

TEST_F(ServerTest, AccessLogHasOneLinePerRequestWithoutQueryOrHeaders) {
  auto req = make_request(http::verb::get, "/health?token=s3cret");
  req.set(http::field::authorization, "Bearer topsecret");
  req.set("X-Request-Id", "log-check-1");
  ASSERT_FALSE(roundtrip(srv_.port(), std::move(req)).first);
  srv_.stop();  // the access line is written after the response; stopping flushes the session
  std::vector<std::string> mine;
  for (const auto& line : srv_.log().lines())
    if (line.find("log-check-1") != std::string::npos) mine.push_back(line);
  ASSERT_EQ(mine.size(), 1u);
  auto v = json::parse(mine[0]).as_object();
  EXPECT_EQ(v["msg"].as_string(), "request");
  EXPECT_EQ(v["level"].as_string(), "info");
  EXPECT_EQ(v["method"].as_string(), "GET");
  EXPECT_EQ(v["path"].as_string(), "/health");
  EXPECT_EQ(v["status"].as_int64(), 200);
  EXPECT_EQ(v["ip"].as_string(), "127.0.0.1");
  EXPECT_TRUE(v.contains("ts"));
  EXPECT_TRUE(v.contains("duration_ms"));
  EXPECT_TRUE(v.contains("bytes"));
  EXPECT_THAT(mine[0], Not(HasSubstr("s3cret")));
  EXPECT_THAT(mine[0], Not(HasSubstr("topsecret")));
}

TEST_F(ServerTest, MetricsCountByRoutePatternWithHistogram) {
  get(srv_.port(), "/test/items/1");
  get(srv_.port(), "/test/items/2");
  get(srv_.port(), "/nothing/here");
  auto res = get(srv_.port(), "/metrics");
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(header(res, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = res.body();
  EXPECT_THAT(
      m, HasSubstr(
             "http_requests_total{method=\"GET\",route=\"/test/items/{id}\",status=\"200\"} 2\n"));
  EXPECT_THAT(
      m, HasSubstr("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_THAT(m, Not(HasSubstr("/test/items/1")));
  EXPECT_THAT(m, HasSubstr("# TYPE http_request_duration_seconds histogram"));
  EXPECT_THAT(
      m, HasSubstr(
             "http_request_duration_seconds_bucket{route=\"/test/items/{id}\",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("http_request_duration_seconds_count{route=\"/test/items/{id}\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("http_request_duration_seconds_sum{route=\"/test/items/{id}\"} "));
  EXPECT_THAT(m, HasSubstr("process_start_time_seconds "));
  EXPECT_THAT(m, ContainsRegex("http_requests_in_flight [1-9]"));  // /metrics itself
}

TEST_F(ServerTest, GarbageBytesGet400ThenClose) {
  Client c;
  ASSERT_FALSE(c.connect(srv_.port()));
  static constexpr char kGarbage[] = "\x16\x03\x01\x02\x00 garbage \x01\x02\r\n\r\n";
  ASSERT_FALSE(c.send_raw(std::string_view(kGarbage, sizeof kGarbage - 1)));
  auto [ec, res] = c.read();
  ASSERT_FALSE(ec) << ec.message();
  expect_problem(res, 400, "bad_request");
  EXPECT_EQ(header(res, "Connection"), "close");
  const auto closed = c.wait_for_close(std::chrono::seconds(3));
  EXPECT_TRUE(closed == boost::asio::error::eof || closed == boost::asio::error::connection_reset)
      << closed.message();
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Client c;
  ASSERT_FALSE(c.connect(srv_.port()));
  ASSERT_FALSE(c.write(make_request(http::verb::get, "/health")));
  auto [ec1, r1] = c.read();
  ASSERT_FALSE(ec1);
  EXPECT_EQ(r1.result_int(), 200u);
  EXPECT_TRUE(r1.keep_alive());
  ASSERT_FALSE(c.write(make_request(http::verb::get, "/test/items/7")));
  auto [ec2, r2] = c.read();
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(r2.result_int(), 200u);
  EXPECT_NE(header(r1, "X-Request-Id"), header(r2, "X-Request-Id"));
}

TEST_F(ServerTest, CacheControlNoStoreOnAuthPaths) {
  EXPECT_EQ(header(get(srv_.port(), "/v1/auth/anything"), "Cache-Control"), "no-store");
}

TEST(ServerConfigTest, HstsOnlyInProd) {
  Config c = test_config();
  c.env = "prod";
  TestServer srv(c);
  EXPECT_EQ(header(get(srv.port(), "/health"), "Strict-Transport-Security"),
            "max-age=63072000; includeSubDomains");
}

TEST(ServerConfigTest, CorsAllowlist) {
  Config c = test_config();
  c.cors_origins = {"https://app.example.com"};
  TestServer srv(c);

  auto preflight = [&](std::string origin) {
    auto req = make_request(http::verb::options, "/health");
    req.set(http::field::origin, origin);
    req.set(http::field::access_control_request_method, "GET");
    auto [ec, res] = roundtrip(srv.port(), std::move(req));
    EXPECT_FALSE(ec);
    return res;
  };
  auto allowed = preflight("https://app.example.com");
  EXPECT_EQ(allowed.result_int(), 204u);
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Methods"), "GET");
  EXPECT_FALSE(header(allowed, "X-Request-Id").empty());

  auto denied = preflight("https://evil.example.com");
  EXPECT_EQ(denied.result_int(), 405u);
  EXPECT_EQ(header(denied, "Access-Control-Allow-Origin"), "");

  auto req = make_request(http::verb::get, "/health");
  req.set(http::field::origin, "https://app.example.com");
  auto [ec, simple] = roundtrip(srv.port(), std::move(req));
  ASSERT_FALSE(ec);
  EXPECT_EQ(header(simple, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(header(simple, "Vary"), "Origin");
  auto other = make_request(http::verb::get, "/health");
  other.set(http::field::origin, "https://evil.example.com");
  EXPECT_EQ(header(roundtrip(srv.port(), std::move(other)).second, "Access-Control-Allow-Origin"),
            "");
}

TEST(ServerReadyTest, ReadyWhenEveryCheckPasses) {
  TestServer srv(test_config(), {},
                 {{"database", [] { return ok(); }}, {"redis", [] { return ok(); }}});
  auto res = get(srv.port(), "/ready");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_of(res),
            (json::object{{"status", "ready"}, {"checks", {{"database", "ok"}, {"redis", "ok"}}}}));
}

TEST(ServerReadyTest, NotReadyNamesFailingAndHungChecks) {
  std::atomic<bool> release{false};
  TestServer srv(test_config(), {},
                 {{"database", [] { return ok(); }},
                  {"redis",
                   []() -> Result<void> {
                     return Error{Errc::unavailable, "connection refused"};
                   }},
                  {"search",
                   [&release]() -> Result<void> {
                     for (int i = 0; i < 100 && !release; ++i)
                       std::this_thread::sleep_for(std::chrono::milliseconds(10));
                     return ok();
                   }}},
                 std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  auto res = get(srv.port(), "/ready");
  const auto took = std::chrono::steady_clock::now() - t0;
  release = true;
  expect_problem(res, 503, "unavailable");
  const std::string detail(body_of(res)["detail"].as_string());
  EXPECT_THAT(detail, HasSubstr("redis"));
  EXPECT_THAT(detail, HasSubstr("search (timed out)"));
  EXPECT_THAT(detail, Not(HasSubstr("database")));
  EXPECT_LT(took, std::chrono::milliseconds(1500));  // the hung check is not waited out
}

TEST(ServerLimitsTest, SlowlorisIsCutOffWhileOthersAreServed) {
  Config c = test_config();
  c.read_timeout = std::chrono::seconds(1);
  TestServer srv(c);

  std::atomic<bool> cut_off{false};
  std::chrono::steady_clock::duration cut_after{};
  std::thread slow([&] {
    Client s;
    if (s.connect(srv.port())) return;
    const std::string head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a');
    const auto t0 = std::chrono::steady_clock::now();
    for (char ch : head) {
      if (s.send_raw(std::string_view(&ch, 1))) break;
      // The 200 ms pause doubles as a probe: the read ends early once the server hangs up.
      const auto ec = s.wait_for_close(std::chrono::milliseconds(200));
      if (ec != beast::error::timeout) break;
    }
    cut_after = std::chrono::steady_clock::now() - t0;
    cut_off = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(get(srv.port(), "/health").result_int(), 200u);  // served meanwhile
  slow.join();
  EXPECT_TRUE(cut_off);
  EXPECT_GE(cut_after, std::chrono::milliseconds(800));
  EXPECT_LT(cut_after, std::chrono::milliseconds(4000));  // 100+ bytes would take 20 s
}

TEST(ServerLimitsTest, ConnectionsPastTheCapAreClosedAtAccept) {
  Config c = test_config();
  c.max_connections = 1;
  TestServer srv(c);
  Client first;
  ASSERT_FALSE(first.connect(srv.port()));
  ASSERT_FALSE(first.write(make_request(http::verb::get, "/health")));
  ASSERT_FALSE(first.read().first);

  Client second;
  ASSERT_FALSE(second.connect(srv.port()));  // the kernel accepts; the server then closes it
  const auto closed = second.wait_for_close(std::chrono::seconds(3));
  EXPECT_TRUE(closed == boost::asio::error::eof || closed == boost::asio::error::connection_reset)
      << closed.message();

  ASSERT_FALSE(first.write(make_request(http::verb::get, "/health")));
  EXPECT_FALSE(first.read().first);  // the admitted connection still works
  EXPECT_THAT(srv.app().metrics().render(), HasSubstr("http_connections_rejected_total 1\n"));
}

TEST(ServerLimitsTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  Config c = test_config();
  c.idle_timeout = std::chrono::seconds(1);
  TestServer srv(c);
  Client cl;
  ASSERT_FALSE(cl.connect(srv.port()));
  ASSERT_FALSE(cl.write(make_request(http::verb::get, "/health")));
  ASSERT_FALSE(cl.read().first);
  const auto t0 = std::chrono::steady_clock::now();
  const auto closed = cl.wait_for_close(std::chrono::seconds(4));
  EXPECT_EQ(closed, boost::asio::error::eof) << closed.message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3500));
}

TEST(ServerLimitsTest, BusyKeepAliveConnectionOutlivesTheIdleTimeoutAndIsClosedOnceIdle) {
  // The idle timer is armed lazily (once per period, not per request): a connection that keeps
  // sending for longer than one idle period must never be cut, and must still be closed one
  // idle period after its last request. (2 s, not 1: a starved test thread must not look idle.)
  Config c = test_config();
  c.idle_timeout = std::chrono::seconds(2);
  TestServer srv(c);
  Client cl;
  ASSERT_FALSE(cl.connect(srv.port()));
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(3200)) {
    ASSERT_FALSE(cl.write(make_request(http::verb::get, "/health")));
    auto [ec, res] = cl.read();
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result_int(), 200u);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  const auto t1 = std::chrono::steady_clock::now();
  const auto closed = cl.wait_for_close(std::chrono::seconds(6));
  EXPECT_EQ(closed, boost::asio::error::eof) << closed.message();
  const auto idle_for = std::chrono::steady_clock::now() - t1;
  EXPECT_GE(idle_for, std::chrono::milliseconds(1000));  // 2 s after the last request
  EXPECT_LT(idle_for, std::chrono::milliseconds(4500));
}

TEST(ServerLimitsTest, SilentNewConnectionIsClosedAfterTheReadTimeout) {
  Config c = test_config();
  c.read_timeout = std::chrono::seconds(1);
  c.idle_timeout = std::chrono::seconds(30);
  TestServer srv(c);
  Client cl;
  ASSERT_FALSE(cl.connect(srv.port()));
  const auto t0 = std::chrono::steady_clock::now();
  const auto closed = cl.wait_for_close(std::chrono::seconds(5));
  EXPECT_EQ(closed, boost::asio::error::eof) << closed.message();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(800));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3000));
}

}  // namespace
}  // namespace tenantkit::server::testing
