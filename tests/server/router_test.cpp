// SPDX-License-Identifier: Apache-2.0
// Unit tests of the transport-free parts: router, problem table, JSON field reader, request ids,
// metrics registry.
#include "http/router.hpp"

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/testing/matchers.hpp>

#include "http/json.hpp"
#include "http/problem.hpp"
#include "metrics.hpp"
#include "steps/request_id.hpp"

namespace tenantkit::server {
namespace {

namespace http = boost::beast::http;
using tenantkit::testing::HasError;
using tenantkit::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

Handler named(std::string name) {
  return [name](RequestContext&) -> Result<Response> {
    return make_response(http::status::ok, "text/plain", name);
  };
}

std::string run(const Router::Match& m) {
  RequestContext ctx;
  return m.route ? run_route(*m.route, ctx).body() : std::string();
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  auto router = Router::create({{http::verb::delete_, "/v1/invitations/{id}", {}, named("revoke")},
                                {http::verb::post, "/v1/invitations/accept", {}, named("accept")}});
  ASSERT_THAT(router, IsOk());
  auto accept = router->match(http::verb::post, "/v1/invitations/accept");
  ASSERT_EQ(accept.outcome, Router::Outcome::found);
  EXPECT_EQ(run(accept), "accept");
  EXPECT_EQ(accept.pattern, "/v1/invitations/accept");

  auto revoke = router->match(http::verb::delete_, "/v1/invitations/accept");
  ASSERT_EQ(revoke.outcome, Router::Outcome::found);
  EXPECT_EQ(run(revoke), "revoke");
  ASSERT_EQ(revoke.params.size(), 1u);
  EXPECT_EQ(revoke.params[0], (std::pair<std::string, std::string>{"id", "accept"}));

  auto wrong = router->match(http::verb::get, "/v1/invitations/accept");
  EXPECT_EQ(wrong.outcome, Router::Outcome::method_not_allowed);
  EXPECT_EQ(wrong.allow, "POST, DELETE");
}

TEST(RouterTest, NotFoundCases) {
  auto router = Router::create({{http::verb::get, "/v1/orgs/{id}", {}, named("org")}});
  ASSERT_THAT(router, IsOk());
  EXPECT_EQ(router->match(http::verb::get, "/v1/orgs").outcome, Router::Outcome::not_found);
  EXPECT_EQ(router->match(http::verb::get, "/v1/orgs/").outcome, Router::Outcome::not_found);
  EXPECT_EQ(router->match(http::verb::get, "/v1/orgs/1/x").outcome, Router::Outcome::not_found);
  EXPECT_EQ(router->match(http::verb::get, "/v1/orgs/%zz").outcome, Router::Outcome::not_found);
  EXPECT_EQ(router->match(http::verb::get, "/v1/orgs/%4").outcome, Router::Outcome::not_found);
  EXPECT_EQ(router->match(http::verb::get, "v1/orgs/1").outcome, Router::Outcome::not_found);
  auto encoded = router->match(http::verb::get, "/v1/orgs/a%2Fb");
  ASSERT_EQ(encoded.outcome, Router::Outcome::found);
  EXPECT_EQ(encoded.params[0].second, "a/b");  // an encoded slash stays inside its segment
}

TEST(RouterTest, RejectsBadTables) {
  EXPECT_THAT(Router::create({{http::verb::get, "health", {}, named("x")}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(Router::create({{http::verb::get, "/a/{id", {}, named("x")}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(Router::create({{http::verb::get, "/a/{}", {}, named("x")}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(Router::create({{http::verb::get, "/a", {}, named("x")},
                              {http::verb::get, "/a", {}, named("y")}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(Router::create({{http::verb::get, "/a/{id}", {}, named("x")},
                              {http::verb::put, "/a/{name}", {}, named("y")}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(Router::create({{http::verb::get, "/a", {}, Handler{}}}),
              HasError(Errc::validation_failed));
}

TEST(ProblemTest, EveryCodeHasItsStatus) {
  const std::vector<std::pair<Errc, unsigned>> table = {{Errc::bad_request, 400},
                                                        {Errc::validation_failed, 422},
                                                        {Errc::unauthorized, 401},
                                                        {Errc::forbidden, 403},
                                                        {Errc::not_found, 404},
                                                        {Errc::conflict, 409},
                                                        {Errc::gone, 410},
                                                        {Errc::payload_too_large, 413},
                                                        {Errc::rate_limited, 429},
                                                        {Errc::quota_exceeded, 429},
                                                        {Errc::seat_limit_reached, 402},
                                                        {Errc::feature_not_in_plan, 402},
                                                        {Errc::plan_limit_reached, 402},
                                                        {Errc::invalid_signature, 400},
                                                        {Errc::unavailable, 503},
                                                        {Errc::internal, 500}};
  for (const auto& [code, status] : table)
    EXPECT_EQ(static_cast<unsigned>(http_status(code)), status) << to_string(code);
  EXPECT_EQ(static_cast<unsigned>(http_status(static_cast<Errc>(200))), 500u);
}

TEST(ProblemTest, BodyShape) {
  RequestContext ctx;
  auto res = problem(ctx, Error{Errc::validation_failed, "bad", {{"email", "is required"}}});
  EXPECT_EQ(res.result_int(), 422u);
  EXPECT_EQ(res[http::field::content_type], "application/problem+json");
  auto v = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(v["code"].as_string(), "validation_failed");
  EXPECT_EQ(v["status"].as_int64(), 422);
  EXPECT_EQ(v["detail"].as_string(), "bad");
  EXPECT_EQ(v["errors"].as_array()[0].as_object()["field"].as_string(), "email");

  auto internal = problem(ctx, Error{Errc::internal, "SELECT secret FROM x"});
  EXPECT_THAT(internal.body(), Not(HasSubstr("SELECT")));
  auto unknown = problem(ctx, Error{static_cast<Errc>(200), "weird detail"});
  EXPECT_EQ(unknown.result_int(), 500u);
  EXPECT_THAT(unknown.body(), Not(HasSubstr("weird detail")));
  EXPECT_THAT(unknown.body(), HasSubstr("\"code\":\"internal\""));
}

TEST(FieldReaderTest, CollectsEveryProblem) {
  auto obj = parse_object(R"({"a":"x","b":3.0,"c":3.5,"d":true,"e":["ok",1],"f":null})");
  ASSERT_THAT(obj, IsOk());
  FieldReader in(*obj);
  EXPECT_EQ(in.required_string("a"), "x");
  EXPECT_EQ(in.required_int("b", 0, 10), 3);
  in.required_int("c", 0, 10);  // 3.5: not an integer
  EXPECT_TRUE(in.required_bool("d"));
  EXPECT_FALSE(in.optional_string_array("e"));  // 1 is not a string
  EXPECT_FALSE(in.optional_string("f"));        // null counts as absent
  in.required_string("f");                      // ... so a required one is missing
  EXPECT_FALSE(in.optional_string("zz"));
  auto done = in.finish();
  ASSERT_THAT(done, HasError(Errc::validation_failed));
  std::vector<std::string> fields;
  for (const auto& f : done.error().fields) fields.push_back(f.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"c", "e", "f"}));
}

TEST(FieldReaderTest, ParseObjectRejects) {
  EXPECT_THAT(parse_object(""), HasError(Errc::bad_request));
  EXPECT_THAT(parse_object("null"), HasError(Errc::bad_request));
  EXPECT_THAT(parse_object("{\"a\":\"\xc3\x28\"}"), HasError(Errc::bad_request));
  EXPECT_THAT(parse_object("{} {}"), HasError(Errc::bad_request));
  EXPECT_THAT(parse_object("{\"a\":\"\xc3\xa9\"}"), IsOk());
}

TEST(RequestIdTest, Syntax) {
  EXPECT_TRUE(is_valid_request_id("a"));
  EXPECT_TRUE(is_valid_request_id("A.z:0-9"));
  EXPECT_TRUE(is_valid_request_id(std::string(128, 'x')));
  EXPECT_FALSE(is_valid_request_id(""));
  EXPECT_FALSE(is_valid_request_id(std::string(129, 'x')));
  EXPECT_TRUE(is_valid_request_id("a_b"));  // API.md: [A-Za-z0-9._:-]
  EXPECT_FALSE(is_valid_request_id("a b"));
  EXPECT_FALSE(is_valid_request_id("a\nb"));
  EXPECT_FALSE(is_valid_request_id("caf\xc3\xa9"));
}

TEST(MetricsTest, CountsPerRouteMethodAndStatus) {
  Metrics m({"/a", "/b/{id}"}, std::chrono::system_clock::time_point{std::chrono::seconds(1000)});
  m.observe(0, http::verb::get, 200, std::chrono::milliseconds(3));
  m.observe(0, http::verb::get, 200, std::chrono::milliseconds(30));
  m.observe(0, http::verb::post, 201, std::chrono::seconds(20));
  m.observe(m.unmatched(), http::verb::get, 404, std::chrono::milliseconds(1));
  const std::string out = m.render();
  EXPECT_THAT(out,
              HasSubstr("http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"));
  EXPECT_THAT(out,
              HasSubstr("http_requests_total{method=\"POST\",route=\"/a\",status=\"201\"} 1\n"));
  EXPECT_THAT(
      out, HasSubstr("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_THAT(out,
              HasSubstr("http_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("http_request_duration_seconds_bucket{route=\"/a\",le=\"0.05\"} 2\n"));
  EXPECT_THAT(out, HasSubstr("http_request_duration_seconds_bucket{route=\"/a\",le=\"10\"} 2\n"));
  EXPECT_THAT(out, HasSubstr("http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(out, HasSubstr("http_request_duration_seconds_sum{route=\"/a\"} 20.033000\n"));
  EXPECT_THAT(out, Not(HasSubstr("route=\"/b/{id}\"")));  // no traffic, no series
  EXPECT_THAT(out, HasSubstr("process_start_time_seconds 1000.000000\n"));
}

TEST(MetricsTest, ManyStatusesOverflowIntoOther) {
  Metrics m({"/a"}, std::chrono::system_clock::now());
  for (unsigned s = 100; s < 100 + Metrics::kSeriesPerRoute + 5; ++s)
    m.observe(0, http::verb::get, s, std::chrono::milliseconds(1));
  EXPECT_THAT(m.render(),
              HasSubstr("http_requests_total{method=\"other\",route=\"/a\",status=\"other\"} 5\n"));
}

}  // namespace
}  // namespace tenantkit::server
