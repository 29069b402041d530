// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/plan_policy.hpp>
#include <tenantkit/core/config.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::testing::Contains;
using ::testing::Field;

TEST(PlanCatalogue, BuiltinMatchesApiMd) {
  const auto& c = PlanCatalogue::builtin();
  ASSERT_EQ(c.plans().size(), 3u);
  const Plan* free = c.find("free");
  ASSERT_NE(free, nullptr);
  EXPECT_EQ(free->limit(Meter::api_calls), Limit::of(1000));
  EXPECT_EQ(free->limit(Meter::seats), Limit::of(3));
  EXPECT_EQ(free->limit(Meter::workspaces), Limit::of(3));
  EXPECT_EQ(free->limit(Meter::ai_tokens), Limit::of(10000));
  EXPECT_TRUE(free->features.empty());
  EXPECT_FALSE(free->price.has_value());
  EXPECT_EQ(free->audit_retention_days, 30);
  EXPECT_EQ(c.find("pro")->audit_retention_days, 365);
  EXPECT_EQ(c.find("enterprise")->audit_retention_days, std::nullopt);

  const Plan* pro = c.find("pro");
  ASSERT_NE(pro, nullptr);
  EXPECT_EQ(pro->limit(Meter::api_calls), Limit::of(100000));
  EXPECT_EQ(pro->limit(Meter::seats), Limit::of(25));
  EXPECT_EQ(pro->limit(Meter::workspaces), Limit::of(50));
  EXPECT_EQ(pro->limit(Meter::ai_tokens), Limit::of(2000000));
  EXPECT_EQ(pro->features, (FeatureSet{Feature::audit_log, Feature::api_key_scopes}));
  ASSERT_TRUE(pro->price.has_value());
  EXPECT_EQ(pro->price->amount, (Money{4900, "USD"}));

  const Plan* ent = c.find("enterprise");
  ASSERT_NE(ent, nullptr);
  for (Meter m : kAllMeters) EXPECT_TRUE(ent->limit(m).is_unlimited()) << to_string(m);
  for (Feature f : kAllFeatures) EXPECT_TRUE(ent->has_feature(f)) << to_string(f);
  EXPECT_EQ(&c.free(), free);
  EXPECT_THAT(c.get("gold"), HasError(Errc::not_found));
}

TEST(PlanCatalogue, LimitSemantics) {
  EXPECT_TRUE(Limit::of(3).allows(3));
  EXPECT_FALSE(Limit::of(3).allows(4));
  EXPECT_TRUE(Limit::unlimited().allows(INT64_MAX));
  EXPECT_FALSE(Limit{}.allows(1));
}

TEST(PlanCatalogue, ParsesAJsonFile) {
  auto c = parse_catalogue(R"({"plans": [
    {"id": "free", "limits": {"api_calls": 10, "seats": 1}},
    {"id": "team", "name": "Team", "limits": {"api_calls": "unlimited", "seats": null,
     "workspaces": 7}, "features": ["scim", "audit_log"], "trial_days": 30,
     "audit_retention_days": 90,
     "price": {"amount": "12.50", "currency": "eur", "interval": "year"},
     "price_ids": {"stripe": "price_team"}}]})");
  ASSERT_THAT(c, IsOk());
  const Plan* team = c->find("team");
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(team->name, "Team");
  EXPECT_TRUE(team->limit(Meter::api_calls).is_unlimited());
  EXPECT_TRUE(team->limit(Meter::seats).is_unlimited());
  EXPECT_EQ(team->limit(Meter::workspaces), Limit::of(7));
  EXPECT_EQ(team->limit(Meter::ai_tokens), Limit::of(0));
  EXPECT_EQ(team->features, (FeatureSet{Feature::scim, Feature::audit_log}));
  EXPECT_EQ(team->trial_days, 30);
  EXPECT_EQ(team->audit_retention_days, 90);
  EXPECT_EQ(c->free().audit_retention_days, std::nullopt);  // absent: kept forever
  ASSERT_TRUE(team->price.has_value());
  EXPECT_EQ(team->price->amount, (Money{1250, "EUR"}));
  EXPECT_EQ(team->price->interval, "year");
  EXPECT_EQ(c->find_by_price_id("stripe", "price_team"), team);
  EXPECT_EQ(c->find_by_price_id("stripe", ""), nullptr);
  EXPECT_EQ(c->find_by_price_id("paddle", "price_team"), nullptr);
  EXPECT_EQ(c->free().limit(Meter::seats), Limit::of(1));
}

void expect_field_error(std::string_view json, const std::string& field) {
  auto c = parse_catalogue(json);
  ASSERT_THAT(c, HasError(Errc::validation_failed)) << json;
  EXPECT_THAT(c.error().fields, Contains(Field(&FieldError::field, field))) << json;
  EXPECT_NE(c.error().detail.find(field), std::string::npos) << c.error().detail;
}

TEST(PlanCatalogue, BadFilesNameTheJsonPath) {
  EXPECT_THAT(parse_catalogue("{\"plans\": ["), HasError(Errc::bad_request));
  expect_field_error("[]", "$");
  expect_field_error("{}", "plans");
  expect_field_error(R"({"plans": []})", "plans");
  expect_field_error(R"({"plans": [{"id": "pro"}]})", "plans");  // no free plan
  expect_field_error(R"({"plans": [{"id": "free"}, {"id": "free"}]})", "plans[1].id");
  expect_field_error(R"({"plans": [{"id": "free"}, {"name": "x"}]})", "plans[1].id");
  expect_field_error(R"({"plans": [{"id": "Free!"}]})", "plans[0].id");
  expect_field_error(R"({"plans": [{"id": "free", "limits": {"seats": -1}}]})",
                     "plans[0].limits.seats");
  expect_field_error(R"({"plans": [{"id": "free", "limits": {"seats": 2.5}}]})",
                     "plans[0].limits.seats");
  expect_field_error(R"({"plans": [{"id": "free", "limits": {"bananas": 1}}]})",
                     "plans[0].limits.bananas");
  expect_field_error(R"({"plans": [{"id": "free", "features": ["scim", "teleport"]}]})",
                     "plans[0].features[1]");
  expect_field_error(R"({"plans": [{"id": "free", "trial_days": -3}]})", "plans[0].trial_days");
  expect_field_error(R"({"plans": [{"id": "free", "audit_retention_days": 0}]})",
                     "plans[0].audit_retention_days");
  expect_field_error(R"({"plans": [{"id": "free", "audit_retention_days": "30"}]})",
                     "plans[0].audit_retention_days");
  expect_field_error(R"({"plans": [{"id": "free", "audit_retention_days": 36501}]})",
                     "plans[0].audit_retention_days");
  expect_field_error(
      R"({"plans": [{"id": "free"}, {"id": "pro", "price": {"amount": "49.999", "currency": "USD"}}]})",
      "plans[1].price.amount");
  expect_field_error(
      R"({"plans": [{"id": "free"}, {"id": "pro", "price": {"amount": "49", "currency": "US"}}]})",
      "plans[1].price.currency");
  expect_field_error(
      R"({"plans": [{"id": "free"}, {"id": "pro", "price": {"amount": 49, "currency": "USD"}}]})",
      "plans[1].price.amount");
  expect_field_error(R"({"plans": [{"id": "free", "price_ids": {"stripe": 5}}]})",
                     "plans[0].price_ids.stripe");
}

TEST(PlanCatalogue, LoadsFromAFile) {
  const std::string path = ::testing::TempDir() + "/tk_plans_test.json";
  {
    std::ofstream out(path);
    out << R"({"plans": [{"id": "free", "limits": {"seats": 9}}]})";
  }
  auto c = load_catalogue_file(path);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->free().limit(Meter::seats), Limit::of(9));
  std::remove(path.c_str());
  EXPECT_THAT(load_catalogue_file(path), HasError(Errc::not_found));
}

TEST(PlanCatalogue, WithPriceIdSetsTheConfiguredPrice) {
  auto c = PlanCatalogue::builtin().with_price_id("pro", "stripe", "price_pro_1");
  ASSERT_THAT(c, IsOk());
  ASSERT_NE(c->find_by_price_id("stripe", "price_pro_1"), nullptr);
  EXPECT_EQ(c->find_by_price_id("stripe", "price_pro_1")->id, "pro");
  EXPECT_EQ(PlanCatalogue::builtin().find_by_price_id("stripe", "price_pro_1"), nullptr);
  EXPECT_THAT(PlanCatalogue::builtin().with_price_id("gold", "stripe", "x"),
              HasError(Errc::not_found));
}

TEST(PlanCatalogue, FromConfig) {
  Config cfg;
  cfg.stripe_price_pro = "price_p";
  cfg.stripe_price_enterprise = "price_e";
  auto c = catalogue_from_config(cfg);
  ASSERT_THAT(c, IsOk());
  ASSERT_NE(c->find_by_price_id("stripe", "price_e"), nullptr);
  EXPECT_EQ(c->find_by_price_id("stripe", "price_e")->id, "enterprise");
  EXPECT_EQ(c->find_by_price_id("stripe", "price_p")->id, "pro");
  cfg.plans_file = ::testing::TempDir() + "/tk_no_such_plans.json";
  EXPECT_THAT(catalogue_from_config(cfg), HasError(Errc::not_found));
}

TEST(PlanPolicy, CatalogueGivesThePlanWhileTheStateGrantsIt) {
  CataloguePlanPolicy policy(PlanCatalogue::builtin(), {.past_due_grace = std::chrono::hours(72)});
  const auto t0 = from_unix_seconds(1767225600);
  Subscription sub;
  sub.tenant = TenantId::from_trusted("org_1");
  sub.plan_id = "pro";
  for (auto state : {SubscriptionState::active, SubscriptionState::trialing}) {
    sub.state = state;
    auto e = policy.entitlements(sub.tenant, sub, {}, t0);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->plan_id, "pro");
    EXPECT_TRUE(e->has_feature(Feature::audit_log));
    EXPECT_FALSE(e->valid_until.has_value());
  }
  for (auto state : {SubscriptionState::none, SubscriptionState::incomplete,
                     SubscriptionState::incomplete_expired, SubscriptionState::canceled,
                     SubscriptionState::unpaid, SubscriptionState::paused}) {
    sub.state = state;
    auto e = policy.entitlements(sub.tenant, sub, {}, t0);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->plan_id, "free") << to_string(state);
    EXPECT_FALSE(e->has_feature(Feature::audit_log));
    EXPECT_EQ(e->limit(Meter::seats), Limit::of(3));
  }
  sub.state = SubscriptionState::past_due;
  sub.past_due_since = t0;
  auto in_grace = policy.entitlements(sub.tenant, sub, {}, t0 + std::chrono::hours(71));
  ASSERT_THAT(in_grace, IsOk());
  EXPECT_EQ(in_grace->plan_id, "pro");
  EXPECT_EQ(in_grace->valid_until, t0 + std::chrono::hours(72));
  auto after = policy.entitlements(sub.tenant, sub, {}, t0 + std::chrono::hours(72));
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->plan_id, "free");

  sub.state = SubscriptionState::active;
  sub.plan_id = "gold";
  EXPECT_THAT(policy.entitlements(sub.tenant, sub, {}, t0), HasError(Errc::not_found));
}

TEST(PlanPolicy, OverridesReplaceLimitsAndRevokeWins) {
  TenantOverrides o;
  o.limits[static_cast<std::size_t>(Meter::seats)] = Limit::of(40);
  o.granted.add(Feature::scim);
  o.granted.add(Feature::custom_roles);
  o.revoked.add(Feature::custom_roles);
  o.revoked.add(Feature::audit_log);
  EXPECT_FALSE(o.empty());
  auto e = entitlements_of(*PlanCatalogue::builtin().find("pro"), SubscriptionState::active, o);
  EXPECT_EQ(e.limit(Meter::seats), Limit::of(40));
  EXPECT_EQ(e.limit(Meter::workspaces), Limit::of(50));
  EXPECT_EQ(e.features, (FeatureSet{Feature::api_key_scopes, Feature::scim}));
}

}  // namespace
}  // namespace tenantkit::billing
