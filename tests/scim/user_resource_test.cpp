// SPDX-License-Identifier: Apache-2.0
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/user_resource.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::scim {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

constexpr std::string_view kOktaUser = R"({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "Test.User@Okta.local",
  "name": {"givenName": "Test", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
  "displayName": "Test User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  "password": "1mz050nq",
  "active": true
})";

TEST(ScimUserResource, ReadsWhatOktaSendsAndDropsPasswordAndGroups) {
  auto u = user_from_json(kOktaUser);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->user_name, "Test.User@Okta.local");
  EXPECT_EQ(u->name.given_name, "Test");
  EXPECT_EQ(u->name.family_name, "User");
  EXPECT_EQ(u->display_name, "Test User");
  EXPECT_EQ(u->locale, "en-US");
  EXPECT_EQ(u->external_id, "00ujl29u0le5T6Aj10h7");
  ASSERT_EQ(u->emails.size(), 1u);
  EXPECT_TRUE(u->emails[0].primary);
  EXPECT_TRUE(u->active);
  EXPECT_EQ(u->extensions_json, "{}");
  EXPECT_EQ(to_json(*u, "").find("1mz050nq"), std::string::npos);
}

TEST(ScimUserResource, KeepsUnmodelledAttributesAndListsExtensionSchemas) {
  auto u = user_from_json(R"({"userName":"a@b.c","ACTIVE":"False",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7"},
      "phoneNumbers":[{"value":"+1","type":"work"}],"title":null})");
  ASSERT_THAT(u, IsOk());
  EXPECT_FALSE(u->active);
  EXPECT_EQ(u->title, "");
  u->id = "id-1";
  u->meta.version = 7;
  auto o = boost::json::parse(to_json(*u, "https://x.test/scim/v2")).as_object();
  EXPECT_EQ(o.at("phoneNumbers").as_array().size(), 1u);
  EXPECT_EQ(o.at("schemas").as_array().at(1).as_string(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  const auto& meta = o.at("meta").as_object();
  EXPECT_EQ(meta.at("resourceType").as_string(), "User");
  EXPECT_EQ(meta.at("location").as_string(), "https://x.test/scim/v2/Users/id-1");
  EXPECT_EQ(meta.at("version").as_string(), "W/\"7\"");
  EXPECT_EQ(etag(*u), "W/\"7\"");
  EXPECT_FALSE(o.contains("title"));
}

TEST(ScimUserResource, RefusesBadBodies) {
  struct Case {
    const char* body;
    const char* type;
  };
  const Case cases[] = {
      {"[1]", "invalidSyntax"},
      {"{", "invalidSyntax"},
      {R"({"name":{"givenName":"x"}})", "invalidValue"},
      {R"({"userName":5})", "invalidValue"},
      {R"({"userName":"a@b.c","active":"yes"})", "invalidValue"},
      {R"({"userName":"a@b.c","emails":{"value":"x"}})", "invalidValue"},
      {R"({"userName":"a@b.c","emails":["x"]})", "invalidValue"},
      {R"({"userName":"a@b.c","name":"Barbara"})", "invalidValue"},
  };
  for (const Case& c : cases) {
    auto r = user_from_json(c.body);
    ASSERT_THAT(r, HasError(Errc::bad_request)) << c.body;
    EXPECT_EQ(to_scim_error(r.error()).scim_type, c.type) << c.body;
  }
  std::string big = R"({"userName":"a@b.c","title":")" + std::string(kMaxUserJson, 'x') + "\"}";
  EXPECT_THAT(user_from_json(big), HasError(Errc::bad_request));
}

TEST(ScimError, BodiesFollowRfc7644) {
  auto body = boost::json::parse(
                  error_json(make_error(Errc::bad_request, scim_type::invalid_filter, "bad")))
                  .as_object();
  EXPECT_EQ(body.at("schemas").as_array().at(0).as_string(),
            "urn:ietf:params:scim:api:messages:2.0:Error");
  EXPECT_EQ(body.at("status").as_string(), "400");
  EXPECT_EQ(body.at("scimType").as_string(), "invalidFilter");
  EXPECT_EQ(body.at("detail").as_string(), "bad");

  auto nf = to_scim_error(Error{Errc::not_found, "Resource not found"});
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.scim_type, "");
  auto dup = to_scim_error(Error{Errc::conflict, "taken"});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.scim_type, "uniqueness");
  auto internal = to_scim_error(Error{Errc::internal, "secret invariant text"});
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.detail, "internal error");
  EXPECT_EQ(to_scim_error(Error{Errc::unauthorized}).status, 401);
}

}  // namespace
}  // namespace tenantkit::scim
