// SPDX-License-Identifier: Apache-2.0
// /v1/audit, /v1/audit/verify, /v1/scim/token and /admin in-process (memory storage): plan
// gates, filters, paging, exports, chain verification, the admin guard and tenant isolation.
// The same behaviour runs end to end in tests/e2e/test_audit.py and test_admin.py.
#include "handlers/audit.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "client.hpp"
#include "maintenance.hpp"

namespace tenantkit::server::testing {
namespace {

namespace json = boost::json;
using ::tenantkit::testing::IsOkAndHolds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

json::object body_of(const HttpResponse& res) {
  boost::system::error_code ec;
  auto v = json::parse(res.body(), ec);
  EXPECT_FALSE(ec) << res.body();
  return v.is_object() ? v.as_object() : json::object{};
}

void expect_problem(const HttpResponse& res, unsigned status, std::string_view code) {
  EXPECT_EQ(res.result_int(), status) << res.body();
  EXPECT_EQ(std::string(res[http::field::content_type]), "application/problem+json");
  EXPECT_EQ(body_of(res)["code"].as_string(), code) << res.body();
}

struct Account {
  std::string token;
  std::string org;
  std::string user;
};

std::string csv(std::string_view field) {
  std::string out;
  handlers::append_csv_field(out, field);
  return out;
}

TEST(AuditCsvTest, QuotesSeparatorsAndNeutralisesFormulas) {
  EXPECT_EQ(csv("plain"), "plain");
  EXPECT_EQ(csv(""), "");
  EXPECT_EQ(csv("a,b"), "\"a,b\"");
  EXPECT_EQ(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv("+1"), "\"'+1\"");
  EXPECT_EQ(csv("-2"), "\"'-2\"");
  EXPECT_EQ(csv("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(csv("a=b"), "a=b");
}

class AuditRoutesTest : public ::testing::Test {
 protected:
  static Config config() {
    Config c = test_config();
    c.max_body_bytes = 65536;
    c.admin_token = Secret("admin-token-for-tests-0123456789");
    c.login_max_attempts = 1000;
    return c;
  }

  HttpResponse send(http::verb method, std::string target, const std::string& token,
                    std::string body = {}, std::string org = {}) {
    auto req = make_request(method, target, std::move(body));
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!org.empty()) req.set("X-Org-Id", org);
    auto [ec, res] = roundtrip(srv_.port(), std::move(req));
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }

  Account register_account(const std::string& tag) {
    const std::string body =
        R"({"email":")" + tag +
        R"(@example.com","password":"correct horse battery staple 42","org_name":"Org )" + tag +
        R"("})";
    auto res = send(http::verb::post, "/v1/auth/register", "", body);
    EXPECT_EQ(res.result_int(), 201u) << res.body();
    auto doc = body_of(res);
    return {std::string(doc["access_token"].as_string()),
            std::string(doc["org"].as_object().at("id").as_string()),
            std::string(doc["user"].as_object().at("id").as_string())};
  }

  void set_plan(const std::string& org, const std::string& plan) {
    auto id = OrgId::parse(org);
    ASSERT_TRUE(id);
    storage::Subscription sub;
    sub.org = *id;
    sub.plan = plan;
    sub.status = "active";
    sub.last_event_at = srv_.app().clock().now();
    sub.updated_at = srv_.app().clock().now();
    ASSERT_TRUE(srv_.services().db.subscriptions().put_if_newer(*id, sub));
    srv_.services().entitlements->invalidate(*id);
  }

  TestServer srv_{config()};
};

TEST_F(AuditRoutesTest, FreePlanIs402AndProListsWithoutExport) {
  const auto a = register_account("free");
  expect_problem(send(http::verb::get, "/v1/audit", a.token), 402, "feature_not_in_plan");
  expect_problem(send(http::verb::get, "/v1/audit/verify", a.token), 402, "feature_not_in_plan");
  set_plan(a.org, "pro");
  auto list = send(http::verb::get, "/v1/audit", a.token);
  ASSERT_EQ(list.result_int(), 200u) << list.body();
  expect_problem(send(http::verb::get, "/v1/audit?format=csv", a.token), 402,
                 "feature_not_in_plan");
}

TEST_F(AuditRoutesTest, ListsEntriesWithFiltersPagingExportAndVerify) {
  const auto a = register_account("lister");
  set_plan(a.org, "enterprise");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(send(http::verb::post, "/v1/api-keys", a.token,
                   R"({"name":"k)" + std::to_string(i) + R"("})")
                  .result_int(),
              201u);

  auto all = body_of(send(http::verb::get, "/v1/audit", a.token));
  const auto& items = all["items"].as_array();
  ASSERT_EQ(items.size(), 4u) << json::serialize(all);  // register + 3 keys, newest first
  EXPECT_EQ(items[0].as_object().at("action").as_string(), "api_key.created");
  EXPECT_EQ(items[3].as_object().at("action").as_string(), "auth.register");
  const auto& first = items[0].as_object();
  for (const char* f : {"id", "seq", "actor_type", "actor_id", "action", "target_type", "target_id",
                        "ip", "user_agent", "request_id", "metadata", "at", "hash"})
    EXPECT_TRUE(first.contains(f)) << f;
  EXPECT_TRUE(first.at("metadata").is_object());
  EXPECT_EQ(first.at("actor_id").as_string(), a.user);

  auto keys = body_of(send(http::verb::get, "/v1/audit?action=api_key.created&limit=2", a.token));
  ASSERT_EQ(keys["items"].as_array().size(), 2u);
  ASSERT_TRUE(keys["next_cursor"].is_string());
  auto rest = body_of(send(http::verb::get,
                           "/v1/audit?action=api_key.created&limit=2&cursor=" +
                               std::string(keys["next_cursor"].as_string()),
                           a.token));
  ASSERT_EQ(rest["items"].as_array().size(), 1u);
  EXPECT_TRUE(rest["next_cursor"].is_null());
  std::set<std::string> ids;
  for (const auto* page : {&keys, &rest})
    for (const auto& e : page->at("items").as_array())
      ids.insert(std::string(e.as_object().at("id").as_string()));
  EXPECT_EQ(ids.size(), 3u);

  expect_problem(send(http::verb::get, "/v1/audit?from=yesterday", a.token), 422,
                 "validation_failed");
  expect_problem(send(http::verb::get, "/v1/audit?format=xml", a.token), 422, "validation_failed");
  auto future = body_of(send(http::verb::get, "/v1/audit?from=2999-01-01T00:00:00Z", a.token));
  EXPECT_TRUE(future["items"].as_array().empty());

  auto csv_res = send(http::verb::get, "/v1/audit?format=csv&action=api_key.created", a.token);
  ASSERT_EQ(csv_res.result_int(), 200u) << csv_res.body();
  EXPECT_EQ(std::string(csv_res[http::field::content_type]), "text/csv; charset=utf-8");
  EXPECT_THAT(std::string(csv_res[http::field::content_disposition]),
              StartsWith("attachment; filename=\"audit-" + a.org));
  EXPECT_THAT(csv_res.body(), StartsWith("id,seq,actor_type,actor_id,action,"));
  EXPECT_EQ(std::count(csv_res.body().begin(), csv_res.body().end(), '\n'), 4);

  auto json_res = send(http::verb::get, "/v1/audit?format=json", a.token);
  ASSERT_EQ(json_res.result_int(), 200u);
  auto exported = json::parse(json_res.body()).as_array();
  ASSERT_EQ(exported.size(), 4u);
  EXPECT_EQ(exported[0].as_object().at("action").as_string(), "auth.register");  // oldest first

  auto verify = body_of(send(http::verb::get, "/v1/audit/verify", a.token));
  EXPECT_EQ(verify, (json::object{{"ok", true}, {"checked", 4}, {"first_broken_id", nullptr}}));
}

TEST_F(AuditRoutesTest, AnotherTenantsLogIsNotFound) {
  const auto a = register_account("tenant-a");
  const auto b = register_account("tenant-b");
  set_plan(a.org, "enterprise");
  set_plan(b.org, "enterprise");
  expect_problem(send(http::verb::get, "/v1/audit", a.token, {}, b.org), 404, "not_found");
  expect_problem(send(http::verb::get, "/v1/audit/verify", a.token, {}, b.org), 404, "not_found");
  expect_problem(send(http::verb::get, "/v1/audit?format=csv", a.token, {}, b.org), 404,
                 "not_found");
  expect_problem(send(http::verb::post, "/v1/scim/token", a.token, {}, b.org), 404, "not_found");
  auto own = body_of(send(http::verb::get, "/v1/audit", a.token));
  for (const auto& e : own["items"].as_array())
    EXPECT_NE(e.as_object().at("actor_id").as_string(), b.user);
}

TEST_F(AuditRoutesTest, ScimTokenNeedsTheFeatureAndReplacesThePrevious) {
  const auto a = register_account("scim");
  expect_problem(send(http::verb::post, "/v1/scim/token", a.token), 402, "feature_not_in_plan");
  set_plan(a.org, "enterprise");
  auto first = send(http::verb::post, "/v1/scim/token", a.token);
  ASSERT_EQ(first.result_int(), 201u) << first.body();
  EXPECT_EQ(std::string(first[http::field::cache_control]), "no-store");
  auto t1 = body_of(first);
  EXPECT_THAT(std::string(t1["token"].as_string()), StartsWith("scim_"));
  EXPECT_EQ(t1["token"].as_string().size(), 5u + 43u);
  auto t2 = body_of(send(http::verb::post, "/v1/scim/token", a.token));
  EXPECT_NE(t1["token"], t2["token"]);
  auto& store = srv_.services().db.scim_tokens();
  const auto& hasher = srv_.services().hasher;
  auto old = store.find_by_hash(apikey::hash_to_hex(hasher.hash(t1["token"].as_string())));
  ASSERT_TRUE(old && *old);
  EXPECT_TRUE((*old)->revoked_at.has_value());
  auto cur = store.find_by_hash(apikey::hash_to_hex(hasher.hash(t2["token"].as_string())));
  ASSERT_TRUE(cur && *cur);
  EXPECT_FALSE((*cur)->revoked_at.has_value());
  EXPECT_EQ((*cur)->org.str(), a.org);
}

TEST_F(AuditRoutesTest, AdminSummaryNeedsTheTokenAndReportsTheOrg) {
  const auto a = register_account("admin-view");
  const std::string path = "/admin/orgs/" + a.org + "/summary";
  expect_problem(send(http::verb::get, path, ""), 401, "unauthorized");
  expect_problem(send(http::verb::get, path, "wrong-token"), 401, "unauthorized");
  expect_problem(send(http::verb::get, path, a.token), 401, "unauthorized");
  const std::string admin = "admin-token-for-tests-0123456789";
  expect_problem(send(http::verb::get, "/admin/orgs/not-an-id/summary", admin), 404, "not_found");
  ASSERT_EQ(send(http::verb::get, "/v1/data", a.token).result_int(), 200u);
  auto res = send(http::verb::get, path, admin);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  auto doc = body_of(res);
  EXPECT_EQ(doc["org"].as_object().at("id").as_string(), a.org);
  EXPECT_EQ(doc["plan"].as_string(), "free");
  EXPECT_EQ(doc["status"].as_string(), "none");
  EXPECT_EQ(doc["member_count"].as_int64(), 1);
  const auto& usage = doc["usage"].as_object();
  EXPECT_EQ(usage.at("api_calls").as_object().at("used").as_int64(), 1);
  EXPECT_EQ(usage.at("api_calls").as_object().at("limit").as_int64(), 1000);
  EXPECT_EQ(usage.at("seats").as_object().at("used").as_int64(), 1);
  EXPECT_TRUE(doc["last_activity"].is_string());
}

TEST(AdminDisabledTest, EveryAdminRouteIs404WithoutAToken) {
  TestServer srv;  // test_config(): no admin token
  auto req =
      make_request(http::verb::get, "/admin/orgs/0190a0b0-0000-7000-8000-000000000000/summary");
  req.set(http::field::authorization, "Bearer anything");
  auto [ec, res] = roundtrip(srv.port(), std::move(req));
  ASSERT_FALSE(ec);
  expect_problem(res, 404, "not_found");
}

// Audit retention (maintenance.hpp): the org's plan decides (free 30 days, pro 365, enterprise
// forever); other orgs are untouched and the chain still verifies after a retention pass.
TEST_F(AuditRoutesTest, RetentionDeletesPerPlanAndTheChainStillVerifies) {
  const auto free = register_account("retain-free");
  const auto pro = register_account("retain-pro");
  const auto ent = register_account("retain-ent");
  set_plan(pro.org, "pro");
  set_plan(ent.org, "enterprise");
  Services& s = srv_.services();
  auto entries = [&](const std::string& org) -> std::size_t {
    auto page = s.db.audit().list(OrgId::from_trusted(org), {},
                                  PageRequest{.limit = PageRequest::kMaxLimit, .cursor = {}});
    EXPECT_TRUE(page) << page.error().detail;
    return page ? page->items.size() : 0;
  };
  const std::size_t pro_before = entries(pro.org), ent_before = entries(ent.org);
  ASSERT_GT(entries(free.org), 0u);
  ASSERT_GT(pro_before, 0u);
  ASSERT_GT(ent_before, 0u);

  Maintenance maintenance(s, std::chrono::seconds(0));
  const Timestamp now = srv_.app().clock().now();
  EXPECT_THAT(maintenance.run_retention(now + std::chrono::days(29)), IsOkAndHolds(0));
  auto deleted = maintenance.run_retention(now + std::chrono::days(31));
  ASSERT_TRUE(deleted);
  EXPECT_GT(*deleted, 0);
  EXPECT_EQ(entries(free.org), 0u);
  EXPECT_EQ(entries(pro.org), pro_before);
  EXPECT_EQ(entries(ent.org), ent_before);

  ASSERT_TRUE(maintenance.run_retention(now + std::chrono::days(366)));
  EXPECT_EQ(entries(pro.org), 0u);
  EXPECT_EQ(entries(ent.org), ent_before);

  // The chain continues from its head: a new entry after the pass verifies.
  ASSERT_EQ(send(http::verb::post, "/v1/api-keys", pro.token, R"({"name":"after"})").result_int(),
            201u);
  auto verify = send(http::verb::get, "/v1/audit/verify", pro.token);
  ASSERT_EQ(verify.result_int(), 200u) << verify.body();
  EXPECT_TRUE(body_of(verify)["ok"].as_bool()) << verify.body();
}

// The destructor interrupts the hour-long wait (a hang here is the failure ctest's timeout
// reports).
// Idempotency-Key records live 24 h; the maintenance pass deletes the expired ones, after which
// the same key starts a new request instead of answering 409 (API-key creation replays nothing).
TEST_F(AuditRoutesTest, MaintenancePurgesExpiredIdempotencyRecords) {
  auto a = register_account("idem");
  auto create = [&] {
    auto req = make_request(http::verb::post, "/v1/api-keys", R"({"name":"k"})");
    req.set(http::field::authorization, "Bearer " + a.token);
    req.set("Idempotency-Key", "purge-me-1");
    auto [ec, res] = roundtrip(srv_.port(), std::move(req));
    EXPECT_FALSE(ec) << ec.message();
    return res.result_int();
  };
  ASSERT_EQ(create(), 201u);
  ASSERT_EQ(create(), 409u);  // a repeat within 24 h: nothing secret is replayed
  Maintenance maintenance(srv_.services(), std::chrono::seconds(0));
  const Timestamp now = srv_.app().clock().now();
  EXPECT_THAT(maintenance.purge_idempotency(now), IsOkAndHolds(0));
  auto purged = maintenance.purge_idempotency(now + std::chrono::hours(25));
  ASSERT_TRUE(purged);
  EXPECT_GE(*purged, 1);
  EXPECT_EQ(create(), 201u);
}

TEST_F(AuditRoutesTest, PeriodicMaintenanceStopsWhenDestroyed) {
  for (int i = 0; i < 3; ++i) Maintenance maintenance(srv_.services(), std::chrono::seconds(3600));
  SUCCEED();
}

}  // namespace
}  // namespace tenantkit::server::testing
