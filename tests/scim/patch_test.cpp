// SPDX-License-Identifier: Apache-2.0
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/patch.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::scim {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

UserResource base_user() {
  UserResource u;
  u.id = "0190a5c0-0000-7000-8000-000000000001";
  u.user_name = "bjensen@example.com";
  u.name.given_name = "Barbara";
  u.name.family_name = "Jensen";
  u.display_name = "Babs";
  u.emails = {{"bjensen@example.com", "work", "", true}, {"babs@home.example", "home", "", false}};
  u.meta.version = 4;
  return u;
}

Result<UserResource> patch(std::string_view ops, const UserResource& u = base_user()) {
  auto req = parse_patch(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations":)" +
                         std::string(ops) + "}");
  if (!req) return req.error();
  return apply_patch(u, *req);
}

std::string type_of(const Error& e) {
  return to_scim_error(e).scim_type;
}

const Email* email_of_type(const UserResource& u, std::string_view type) {
  for (const Email& e : u.emails)
    if (e.type == type) return &e;
  return nullptr;
}

TEST(ScimPatch, EntraReplaceActiveWithAStringBoolean) {
  auto r = patch(R"([{"op":"Replace","path":"active","value":"False"}])");
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->active);
  auto back = patch(R"([{"op":"replace","path":"ACTIVE","value":"True"}])", *r);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->active);
}

TEST(ScimPatch, OktaReplaceWithoutPathTakesAnObject) {
  auto r = patch(R"([{"op":"replace","value":{"active":false,"displayName":"B. Jensen"}}])");
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->active);
  EXPECT_EQ(r->display_name, "B. Jensen");
  EXPECT_EQ(r->name.given_name, "Barbara");  // untouched
  EXPECT_EQ(r->id, base_user().id);
  EXPECT_EQ(r->meta.version, 4);  // the service bumps versions, not the patch
}

TEST(ScimPatch, NoPathValueKeysMayBePathsAndComplexValuesMerge) {
  auto r = patch(R"([{"op":"Replace","value":{
      "name.givenName":"Barb",
      "emails[type eq \"work\"].value":"barbara@example.com",
      "name":{"familyName":"Jensen-Smith"}}}])");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->name.given_name, "Barb");
  EXPECT_EQ(r->name.family_name, "Jensen-Smith");
  ASSERT_NE(email_of_type(*r, "work"), nullptr);
  EXPECT_EQ(email_of_type(*r, "work")->value, "barbara@example.com");
  EXPECT_EQ(r->emails.size(), 2u);
}

TEST(ScimPatch, ValueFilterPathReplacesTheMatchedElementOnly) {
  auto r = patch(
      R"([{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}])");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(email_of_type(*r, "work")->value, "new@example.com");
  EXPECT_EQ(email_of_type(*r, "home")->value, "babs@home.example");
}

TEST(ScimPatch, ValueFilterWithNoMatchCreatesTheElementForAddAndReplace) {
  UserResource u = base_user();
  u.emails.clear();
  auto r =
      patch(R"([{"op":"Add","path":"emails[type eq \"work\"].value","value":"w@example.com"}])", u);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->emails.size(), 1u);
  EXPECT_EQ(r->emails[0].type, "work");
  EXPECT_EQ(r->emails[0].value, "w@example.com");
  // A filter that does not say what the element is cannot create it.
  auto none = patch(R"([{"op":"replace","path":"emails[value co \"x\"].type","value":"home"}])", u);
  ASSERT_THAT(none, HasError(Errc::bad_request));
  EXPECT_EQ(type_of(none.error()), "noTarget");
}

TEST(ScimPatch, AddAppendsToMultiValuedAndReplaceOverwrites) {
  auto added =
      patch(R"([{"op":"add","path":"emails","value":[{"value":"x@example.org","type":"other"}]}])");
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->emails.size(), 3u);
  auto again =
      patch(R"([{"op":"add","path":"emails","value":[{"value":"x@example.org","type":"other"}]}])",
            *added);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->emails.size(), 3u);  // the same value twice is one value
  auto replaced = patch(
      R"([{"op":"replace","path":"emails","value":[{"value":"only@example.org","type":"work","primary":"True"}]}])");
  ASSERT_THAT(replaced, IsOk());
  ASSERT_EQ(replaced->emails.size(), 1u);
  EXPECT_TRUE(replaced->emails[0].primary);
}

TEST(ScimPatch, RemoveForms) {
  auto home = patch(R"([{"op":"remove","path":"emails[type eq \"home\"]"}])");
  ASSERT_THAT(home, IsOk());
  ASSERT_EQ(home->emails.size(), 1u);
  EXPECT_EQ(home->emails[0].type, "work");

  auto title =
      patch(R"([{"op":"remove","path":"name.givenName"},{"op":"remove","path":"nickName"}])");
  ASSERT_THAT(title, IsOk());
  EXPECT_EQ(title->name.given_name, "");
  EXPECT_EQ(title->name.family_name, "Jensen");

  auto no_match = patch(R"([{"op":"remove","path":"emails[type eq \"other\"]"}])");
  ASSERT_THAT(no_match, HasError(Errc::bad_request));
  EXPECT_EQ(type_of(no_match.error()), "noTarget");

  auto no_path = patch(R"([{"op":"remove"}])");
  ASSERT_THAT(no_path, HasError(Errc::bad_request));
  EXPECT_EQ(type_of(no_path.error()), "noTarget");
}

TEST(ScimPatch, ExtensionAttributesArePatchedAndKept) {
  auto r = patch(R"([{"op":"add",
      "path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
      "value":"Engineering"},
      {"op":"add","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"}])");
  ASSERT_THAT(r, IsOk());
  auto ext = boost::json::parse(r->extensions_json).as_object();
  EXPECT_EQ(ext.at("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .as_object()
                .at("department")
                .as_string(),
            "Engineering");
  EXPECT_EQ(ext.at("phoneNumbers").as_array().at(0).as_object().at("value").as_string(),
            "+1 555 0100");
  auto json = boost::json::parse(to_json(*r, "")).as_object();
  EXPECT_EQ(json.at("schemas").as_array().size(), 2u);
}

TEST(ScimPatch, TheWholeEnterpriseExtensionIsATarget) {
  auto r = patch(R"([{"op":"replace",
      "path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      "value":{"employeeNumber":"701984","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}}])");
  ASSERT_THAT(r, IsOk());
  auto ext = boost::json::parse(r->extensions_json).as_object();
  const auto& e = ext.at("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").as_object();
  EXPECT_EQ(e.at("employeeNumber").as_string(), "701984");
  EXPECT_EQ(ext.size(), 1u);
  auto removed = patch(
      R"([{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"}])",
      *r);
  ASSERT_THAT(removed, IsOk());
  EXPECT_EQ(removed->extensions_json.find("701984"), std::string::npos);
}

TEST(ScimPatch, ErrorsCarryTheirScimType) {
  struct Case {
    const char* ops;
    const char* type;
  };
  const Case cases[] = {
      {R"([{"op":"replace","path":"emails[type eq","value":"x"}])", "invalidPath"},
      {R"([{"op":"replace","path":"na me","value":"x"}])", "invalidPath"},
      {R"([{"op":"copy","path":"title","value":"x"}])", "invalidValue"},
      {R"([{"op":"add","path":"title"}])", "invalidValue"},
      {R"([{"op":"add","path":42,"value":"x"}])", "invalidValue"},
      {R"([{"op":"replace","path":"id","value":"x"}])", "mutability"},
      {R"([{"op":"remove","path":"userName"}])", "invalidValue"},
      {R"([{"op":"replace","path":"active","value":"maybe"}])", "invalidValue"},
      {R"([{"op":"replace","path":"name","value":"flat"}])", "invalidValue"},
      {R"([{"op":"replace","value":"not an object"}])", "invalidValue"},
      {R"([])", "invalidSyntax"},
      {R"("nope")", "invalidSyntax"},
  };
  for (const Case& c : cases) {
    auto r = patch(c.ops);
    ASSERT_THAT(r, HasError(Errc::bad_request)) << c.ops;
    EXPECT_EQ(type_of(r.error()), c.type) << c.ops;
  }
  EXPECT_THAT(parse_patch("{not json"), HasError(Errc::bad_request));
  auto wrong_schema =
      parse_patch(R"({"schemas":["urn:x"],"Operations":[{"op":"remove","path":"title"}]})");
  ASSERT_THAT(wrong_schema, HasError(Errc::bad_request));
  EXPECT_EQ(type_of(wrong_schema.error()), "invalidSyntax");
}

TEST(ScimPatch, AFailingOperationLeavesNothingApplied) {
  const UserResource before = base_user();
  auto r = patch(R"([{"op":"replace","path":"displayName","value":"Changed"},
                     {"op":"remove","path":"emails[type eq \"other\"]"}])",
                 before);
  EXPECT_THAT(r, HasError(Errc::bad_request));
  EXPECT_EQ(before, base_user());
}

TEST(ScimPatchPath, ParsesTheThreeForms) {
  auto a = parse_patch_path("name.familyName");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->attr.attr, "name");
  EXPECT_EQ(a->attr.sub, "familyName");
  EXPECT_FALSE(a->has_filter);
  auto b = parse_patch_path(R"(emails[type eq "work"].value)");
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(b->has_filter);
  EXPECT_EQ(b->sub, "value");
  auto c = parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->attr.schema, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ(c->attr.attr, "manager");
  EXPECT_THAT(parse_patch_path("emails[type eq \"work\"]x"), HasError(Errc::bad_request));
}

}  // namespace
}  // namespace tenantkit::scim
