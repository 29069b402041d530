// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/user_resource.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::scim {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::IsOkAndHolds;
using Kind = FilterNode::Kind;

const FilterNode& root(const Filter& f) {
  return f.nodes.at(static_cast<std::size_t>(f.root));
}
const FilterNode& node(const Filter& f, int i) {
  return f.nodes.at(static_cast<std::size_t>(i));
}

std::string scim_type_of(const Error& e) {
  return to_scim_error(e).scim_type;
}

TEST(ScimFilter, ParsesAComparisonWithCaseInsensitiveNamesAndOperators) {
  auto f = parse_filter(R"(USERNAME Eq "bjensen@example.com")");
  ASSERT_THAT(f, IsOk());
  const FilterNode& n = root(*f);
  EXPECT_EQ(n.kind, Kind::compare);
  EXPECT_EQ(n.path.attr, "USERNAME");
  EXPECT_EQ(n.op, CompareOp::eq);
  EXPECT_EQ(n.value.kind, Literal::Kind::string);
  EXPECT_EQ(n.value.string, "bjensen@example.com");
}

TEST(ScimFilter, SplitsSchemaUrnAttributeAndSubAttribute) {
  auto f = parse_filter("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw \"Ba\"");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(root(*f).path.schema, "urn:ietf:params:scim:schemas:core:2.0:User");
  EXPECT_EQ(root(*f).path.attr, "name");
  EXPECT_EQ(root(*f).path.sub, "givenName");
  EXPECT_EQ(root(*f).op, CompareOp::sw);
}

TEST(ScimFilter, AndBindsTighterThanOrAndNotTighterThanAnd) {
  auto f = parse_filter(R"(title pr or userType eq "Employee" and not (active eq false))");
  ASSERT_THAT(f, IsOk());
  const FilterNode& top = root(*f);
  ASSERT_EQ(top.kind, Kind::or_);
  EXPECT_EQ(node(*f, top.lhs).kind, Kind::compare);
  EXPECT_EQ(node(*f, top.lhs).op, CompareOp::pr);
  const FilterNode& rhs = node(*f, top.rhs);
  ASSERT_EQ(rhs.kind, Kind::and_);
  EXPECT_EQ(node(*f, rhs.lhs).path.attr, "userType");
  const FilterNode& neg = node(*f, rhs.rhs);
  ASSERT_EQ(neg.kind, Kind::not_);
  EXPECT_EQ(node(*f, neg.lhs).value.kind, Literal::Kind::boolean);
  EXPECT_FALSE(node(*f, neg.lhs).value.boolean);
}

TEST(ScimFilter, ParenthesesOverridePrecedence) {
  auto f = parse_filter(R"((title pr or nickName pr) and userName sw "a")");
  ASSERT_THAT(f, IsOk());
  ASSERT_EQ(root(*f).kind, Kind::and_);
  EXPECT_EQ(node(*f, root(*f).lhs).kind, Kind::or_);
}

TEST(ScimFilter, ChainsAreLeftAssociative) {
  auto f = parse_filter("title pr and nickName pr and locale pr");
  ASSERT_THAT(f, IsOk());
  ASSERT_EQ(root(*f).kind, Kind::and_);
  EXPECT_EQ(node(*f, root(*f).lhs).kind, Kind::and_);
  EXPECT_EQ(node(*f, root(*f).rhs).path.attr, "locale");
}

TEST(ScimFilter, UnescapesJsonStrings) {
  auto f = parse_filter(R"(displayName eq "a\"b\\c\/d\n\u00e9\ud83d\ude00")");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(root(*f).value.string, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(ScimFilter, ParsesNumbersBooleansAndNull) {
  auto n = parse_filter("x gt -12.5e1");
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(root(*n).value.kind, Literal::Kind::number);
  EXPECT_DOUBLE_EQ(root(*n).value.number, -125.0);
  auto b = parse_filter("active eq TRUE");
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(root(*b).value.boolean);
  auto z = parse_filter("title eq null");
  ASSERT_THAT(z, IsOk());
  EXPECT_EQ(root(*z).value.kind, Literal::Kind::null);
}

TEST(ScimFilter, ParsesValuePathsWithAndWithoutATail) {
  auto f = parse_filter(R"(emails[type eq "work" and value co "@example.com"])");
  ASSERT_THAT(f, IsOk());
  ASSERT_EQ(root(*f).kind, Kind::value_path);
  EXPECT_FALSE(root(*f).has_tail);
  EXPECT_EQ(node(*f, root(*f).lhs).kind, Kind::and_);

  auto t = parse_filter(R"(emails[type eq "work"].value eq "bjensen@example.com")");
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(root(*t).kind, Kind::value_path);
  EXPECT_TRUE(root(*t).has_tail);
  EXPECT_EQ(root(*t).path.attr, "emails");
  EXPECT_EQ(root(*t).path.sub, "value");
  EXPECT_EQ(root(*t).value.string, "bjensen@example.com");
}

TEST(ScimFilter, RefusesMalformedInputAsInvalidFilter) {
  const char* bad[] = {
      "",
      "   ",
      "userName",
      "userName eq",
      "userName eqq \"a\"",
      "userName xx \"a\"",
      "userName eq \"unterminated",
      "userName eq \"bad \\q escape\"",
      "userName eq \"\\ud800\"",
      "userName eq \"\\u12\"",
      "userName eq 01",
      "userName eq 1.",
      "userName eq tru",
      "(userName pr",
      "userName pr)",
      "userName pr and",
      "or userName pr",
      "not userName pr",
      "emails[type eq \"work\"",
      "emails[type eq \"work\"]]",
      "emails[type[value pr]]",
      "name.givenName[value pr]",
      "1userName pr",
      "a.b.c pr",
      "userName eq \"a\" garbage",
      "userName eq \"ctl\x01\"",
  };
  for (const char* text : bad) {
    auto f = parse_filter(text);
    ASSERT_THAT(f, HasError(Errc::bad_request)) << text;
    EXPECT_EQ(scim_type_of(f.error()), "invalidFilter") << text;
    EXPECT_EQ(to_scim_error(f.error()).status, 400);
  }
}

TEST(ScimFilter, EnforcesLengthDepthAndNodeLimits) {
  std::string long_text = "userName eq \"" + std::string(4096, 'a') + "\"";
  EXPECT_THAT(parse_filter(long_text), HasError(Errc::bad_request));

  std::string deep;
  for (int i = 0; i < 33; ++i) deep += "(";
  deep += "title pr";
  for (int i = 0; i < 33; ++i) deep += ")";
  EXPECT_THAT(parse_filter(deep), HasError(Errc::bad_request));
  std::string ok_depth = deep.substr(1, deep.size() - 2);  // 32 levels
  EXPECT_THAT(parse_filter(ok_depth), IsOk());

  std::string wide = "title pr";
  for (int i = 0; i < 128; ++i) wide += " or title pr";  // 129 comparisons + 128 ors = 257
  EXPECT_THAT(parse_filter(wide), HasError(Errc::bad_request));
  std::string fits = "title pr";
  for (int i = 0; i < 127; ++i) fits += " or title pr";  // 255 nodes
  EXPECT_THAT(parse_filter(fits), IsOk());

  EXPECT_THAT(parse_filter("title pr or nickName pr", {.max_nodes = 2}),
              HasError(Errc::bad_request));
}

UserResource sample_user() {
  UserResource u;
  u.id = "0190a5c0-0000-7000-8000-000000000001";
  u.external_id = "Ext-42";
  u.user_name = "Barbara.Jensen@Example.com";
  u.name.given_name = "Barbara";
  u.name.family_name = "Jensen";
  u.display_name = "Babs Jensen";
  u.active = true;
  u.emails = {{"bjensen@example.com", "work", "", true}, {"babs@home.example", "home", "", false}};
  u.meta.created = *parse_rfc3339("2024-05-01T10:00:00Z");
  u.meta.last_modified = *parse_rfc3339("2024-06-01T10:00:00Z");
  return u;
}

Result<bool> eval(std::string_view text, const UserResource& u = sample_user()) {
  auto f = parse_filter(text);
  if (!f) return f.error();
  return matches(*f, u);
}

TEST(ScimFilterEval, StringsCompareCaseInsensitivelyExceptIdAndExternalId) {
  EXPECT_THAT(eval(R"(userName eq "barbara.jensen@example.com")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(externalId eq "Ext-42")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(externalId eq "ext-42")"), IsOkAndHolds(false));
  EXPECT_THAT(eval(R"(id eq "0190A5C0-0000-7000-8000-000000000001")"), IsOkAndHolds(false));
  EXPECT_THAT(eval(R"(name.familyName co "ENS")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(name.givenName sw "bar" and name.givenName ew "RA")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(displayName gt "Babs")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(displayName lt "Babs")"), IsOkAndHolds(false));
  EXPECT_THAT(eval(R"(userName ne "someone@example.com")"), IsOkAndHolds(true));
}

TEST(ScimFilterEval, MultiValuedEmailsMatchAnyElement) {
  EXPECT_THAT(eval(R"(emails[type eq "work"].value eq "BJENSEN@example.com")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(emails[type eq "home"].value eq "bjensen@example.com")"),
              IsOkAndHolds(false));
  EXPECT_THAT(eval(R"(emails co "home.example")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(emails.value ew "@example.com")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(emails[primary eq true and type eq "work"])"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(emails[type eq "other"])"), IsOkAndHolds(false));
}

TEST(ScimFilterEval, PresenceBooleansNotAndDates) {
  EXPECT_THAT(eval("title pr"), IsOkAndHolds(false));
  EXPECT_THAT(eval("name.givenName pr and emails pr"), IsOkAndHolds(true));
  EXPECT_THAT(eval("not (title pr)"), IsOkAndHolds(true));
  EXPECT_THAT(eval("title eq null"), IsOkAndHolds(true));
  EXPECT_THAT(eval("active eq true"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(active eq "False")"), IsOkAndHolds(false));
  EXPECT_THAT(eval(R"(meta.created gt "2024-04-30T00:00:00Z")"), IsOkAndHolds(true));
  EXPECT_THAT(eval(R"(meta.lastModified lt "2024-05-15T00:00:00+02:00")"), IsOkAndHolds(false));
  EXPECT_THAT(eval(R"(userName eq "x@y.z" or active eq true)"), IsOkAndHolds(true));
}

TEST(ScimFilterEval, UnknownAttributesAndMisappliedOperatorsAreInvalidFilter) {
  const char* bad[] = {
      R"(favoriteColor eq "blue")",
      R"(name.nickname eq "x")",
      R"(emails[kind eq "work"])",
      R"(emails[type eq "work"].label eq "x")",
      R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x")",
      R"(meta eq "x")",
      R"(name[givenName pr])",
      "active gt true",
      R"(meta.created co "2024")",
      R"(meta.created gt "yesterday")",
  };
  for (const char* text : bad) {
    auto r = eval(text);
    ASSERT_THAT(r, HasError(Errc::bad_request)) << text;
    EXPECT_EQ(scim_type_of(r.error()), "invalidFilter") << text;
  }
}

}  // namespace
}  // namespace tenantkit::scim
