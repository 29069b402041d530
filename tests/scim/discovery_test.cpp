// SPDX-License-Identifier: Apache-2.0
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <tenantkit/scim/discovery.hpp>

namespace tenantkit::scim {
namespace {

TEST(ScimDiscovery, ServiceProviderConfigStatesWhatIsSupported) {
  auto o =
      boost::json::parse(service_provider_config_json("https://a.test/scim/v2", 150)).as_object();
  EXPECT_EQ(o.at("schemas").as_array().at(0).as_string(),
            "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
  EXPECT_TRUE(o.at("patch").as_object().at("supported").as_bool());
  EXPECT_FALSE(o.at("bulk").as_object().at("supported").as_bool());
  EXPECT_TRUE(o.at("filter").as_object().at("supported").as_bool());
  EXPECT_EQ(o.at("filter").as_object().at("maxResults").as_int64(), 150);
  EXPECT_TRUE(o.at("etag").as_object().at("supported").as_bool());
  EXPECT_FALSE(o.at("sort").as_object().at("supported").as_bool());
  EXPECT_FALSE(o.at("changePassword").as_object().at("supported").as_bool());
  EXPECT_EQ(o.at("authenticationSchemes").as_array().at(0).as_object().at("type").as_string(),
            "oauthbearertoken");
  EXPECT_EQ(o.at("meta").as_object().at("location").as_string(),
            "https://a.test/scim/v2/ServiceProviderConfig");
}

TEST(ScimDiscovery, SchemasAndResourceTypesDescribeUsersAndGroups) {
  auto s = boost::json::parse(schemas_json("")).as_object();
  EXPECT_EQ(s.at("totalResults").as_int64(), 2);
  const auto& group_schema = s.at("Resources").as_array().at(1).as_object();
  EXPECT_EQ(group_schema.at("id").as_string(), "urn:ietf:params:scim:schemas:core:2.0:Group");
  bool members_listed = false;
  for (const auto& a : group_schema.at("attributes").as_array())
    if (a.as_object().at("name").as_string() == "members") members_listed = true;
  EXPECT_TRUE(members_listed);
  const auto& user = s.at("Resources").as_array().at(0).as_object();
  EXPECT_EQ(user.at("id").as_string(), "urn:ietf:params:scim:schemas:core:2.0:User");
  bool user_name_required = false;
  for (const auto& a : user.at("attributes").as_array())
    if (a.as_object().at("name").as_string() == "userName")
      user_name_required = a.as_object().at("required").as_bool();
  EXPECT_TRUE(user_name_required);

  auto r = boost::json::parse(resource_types_json("https://a.test/scim/v2")).as_object();
  const auto& type = r.at("Resources").as_array().at(0).as_object();
  EXPECT_EQ(type.at("endpoint").as_string(), "/Users");
  EXPECT_EQ(type.at("schema").as_string(), "urn:ietf:params:scim:schemas:core:2.0:User");
  EXPECT_EQ(type.at("meta").as_object().at("location").as_string(),
            "https://a.test/scim/v2/ResourceTypes/User");
  const auto& group = r.at("Resources").as_array().at(1).as_object();
  EXPECT_EQ(group.at("endpoint").as_string(), "/Groups");
  EXPECT_EQ(group.at("schema").as_string(), "urn:ietf:params:scim:schemas:core:2.0:Group");
  EXPECT_EQ(group.at("meta").as_object().at("location").as_string(),
            "https://a.test/scim/v2/ResourceTypes/Group");
}

}  // namespace
}  // namespace tenantkit::scim
