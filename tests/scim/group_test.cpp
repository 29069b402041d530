// SPDX-License-Identifier: Apache-2.0
// SCIM Groups: the Group resource and its PATCH forms (Okta, Entra ID), the Group filter check,
// and ScimService's groups over storage::open_memory(): roles granted and taken away through
// the mapping, the owner rule, cross-tenant attempts and audit events.
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/group_resource.hpp>
#include <tenantkit/scim/service.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::scim {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::must;

apikey::KeyHasher make_hasher() {
  std::vector<apikey::Pepper> peppers;
  peppers.push_back({1, Secret(std::string(32, 'p'))});
  return apikey::KeyHasher::create(std::move(peppers)).value();
}

std::string scim_type(const Error& e) {
  return to_scim_error(e).scim_type;
}

std::vector<std::string> values(const GroupResource& g) {
  std::vector<std::string> out;
  for (const auto& m : g.members) out.push_back(m.value);
  return out;
}

GroupResource patched(const GroupResource& g, std::string_view body) {
  auto p = parse_patch(body);
  EXPECT_THAT(p, IsOk());
  auto r = apply_group_patch(g, *p);
  EXPECT_THAT(r, IsOk());
  return r ? *r : g;
}

Error patch_error(const GroupResource& g, std::string_view body) {
  auto p = parse_patch(body);
  if (!p) return p.error();
  auto r = apply_group_patch(g, *p);
  EXPECT_FALSE(r.has_value());
  return r ? Error{Errc::internal, "no error"} : r.error();
}

// ---------------------------------------------------------------------------------------------
TEST(ScimGroupResource, ParsesMembersCaseInsensitivelyAndMergesDuplicates) {
  auto g = group_from_json(
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"DISPLAYNAME":"Admins",)"
      R"("externalId":"ext-1","id":"ignored","members":[{"value":"a","display":"A"},)"
      R"({"Value":"b"},{"value":"a"}],"somethingElse":1})");
  ASSERT_THAT(g, IsOk());
  EXPECT_EQ(g->display_name, "Admins");
  EXPECT_EQ(g->external_id, "ext-1");
  EXPECT_EQ(g->id, "");
  EXPECT_EQ(values(*g), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g->members[0].display, "A");
}

TEST(ScimGroupResource, RefusesBadBodies) {
  EXPECT_EQ(scim_type(group_from_json("[1]").error()), "invalidSyntax");
  EXPECT_EQ(scim_type(group_from_json("{").error()), "invalidSyntax");
  EXPECT_EQ(scim_type(group_from_json(R"({"members":[]})").error()), "invalidValue");
  EXPECT_EQ(scim_type(group_from_json(R"({"displayName":""})").error()), "invalidValue");
  EXPECT_EQ(scim_type(group_from_json(R"({"displayName":7})").error()), "invalidValue");
  EXPECT_EQ(
      scim_type(group_from_json(R"({"displayName":"x","members":[{"display":"a"}]})").error()),
      "invalidValue");
  EXPECT_EQ(scim_type(group_from_json(R"({"displayName":"x","members":"a"})").error()),
            "invalidValue");
  EXPECT_EQ(
      scim_type(group_from_json(R"({"displayName":")" + std::string(300, 'x') + "\"}").error()),
      "invalidValue");
}

TEST(ScimGroupResource, JsonHasSchemasMembersRefsAndMeta) {
  GroupResource g;
  g.id = "g1";
  g.display_name = "Admins";
  g.members = {{"u1", ""}};
  g.meta.version = 3;
  auto v = boost::json::parse(to_json(g, "https://a.test/scim/v2")).as_object();
  EXPECT_EQ(v.at("schemas").as_array().at(0).as_string(), kGroupSchema);
  EXPECT_EQ(v.at("members").as_array().at(0).at("$ref").as_string(),
            "https://a.test/scim/v2/Users/u1");
  EXPECT_EQ(v.at("meta").at("resourceType").as_string(), "Group");
  EXPECT_EQ(v.at("meta").at("location").as_string(), "https://a.test/scim/v2/Groups/g1");
  EXPECT_EQ(etag(g), "W/\"3\"");
}

TEST(ScimGroupPatch, OktaForms) {
  GroupResource g;
  g.id = "g1";
  g.display_name = "Admins";
  g.members = {{"u1", ""}, {"u2", ""}};
  auto removed = patched(g, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"remove","path":"members[value eq \"u1\"]"}]})");
  EXPECT_EQ(values(removed), (std::vector<std::string>{"u2"}));
  auto added = patched(g, R"({"Operations":[{"op":"add","path":"members",
      "value":[{"value":"u3","display":"three"},{"value":"u1"}]}]})");
  EXPECT_EQ(values(added), (std::vector<std::string>{"u1", "u2", "u3"}));
  auto renamed = patched(g, R"({"Operations":[{"op":"replace",
      "value":{"id":"g1","displayName":"Owners of nothing"}}]})");
  EXPECT_EQ(renamed.display_name, "Owners of nothing");
  EXPECT_EQ(values(renamed), values(g));
  auto replaced = patched(g, R"({"Operations":[{"op":"replace","path":"members",
      "value":[{"value":"u9"}]}]})");
  EXPECT_EQ(values(replaced), (std::vector<std::string>{"u9"}));
  EXPECT_EQ(replaced.id, "g1");
  // g itself never changes.
  EXPECT_EQ(values(g), (std::vector<std::string>{"u1", "u2"}));
}

TEST(ScimGroupPatch, EntraForms) {
  GroupResource g;
  g.display_name = "Admins";
  g.external_id = "e";
  g.members = {{"u1", ""}, {"u2", ""}};
  auto r = patched(g, R"({"Operations":[
      {"op":"Add","path":"members","value":[{"value":"u3"}]},
      {"op":"Remove","path":"members","value":[{"value":"u1"},{"value":"nobody"}]},
      {"op":"Replace","path":"displayName","value":"Readers"},
      {"op":"Remove","path":"externalId"}]})");
  EXPECT_EQ(values(r), (std::vector<std::string>{"u2", "u3"}));
  EXPECT_EQ(r.display_name, "Readers");
  EXPECT_EQ(r.external_id, "");
  auto all = patched(g, R"({"Operations":[{"op":"remove","path":"Members"}]})");
  EXPECT_TRUE(all.members.empty());
}

TEST(ScimGroupPatch, Errors) {
  GroupResource g;
  g.display_name = "Admins";
  g.members = {{"u1", ""}};
  EXPECT_EQ(scim_type(patch_error(
                g, R"({"Operations":[{"op":"remove","path":"members[value eq \"zz\"]"}]})")),
            "noTarget");
  EXPECT_EQ(scim_type(patch_error(g, R"({"Operations":[{"op":"remove"}]})")), "noTarget");
  EXPECT_EQ(
      scim_type(patch_error(g, R"({"Operations":[{"op":"replace","path":"roles","value":1}]})")),
      "invalidPath");
  EXPECT_EQ(scim_type(patch_error(g, R"({"Operations":[{"op":"remove","path":"displayName"}]})")),
            "invalidValue");
  EXPECT_EQ(
      scim_type(patch_error(g, R"({"Operations":[{"op":"replace","path":"id","value":"x"}]})")),
      "mutability");
  EXPECT_EQ(scim_type(patch_error(
                g, R"({"Operations":[{"op":"add","path":"members","value":[{"v":1}]}]})")),
            "invalidValue");
  EXPECT_EQ(scim_type(patch_error(
                g, R"({"Operations":[{"op":"add","path":"members[value eq \"a\"]","value":1}]})")),
            "invalidPath");
}

TEST(ScimGroupFilter, AcceptsGroupAttributesOnly) {
  for (const char* ok_text : {R"(displayName eq "Admins")", R"(externalId eq "x" and id pr)",
                              R"(members[value eq "u1"])", R"(members.value eq "u1")",
                              R"(urn:ietf:params:scim:schemas:core:2.0:Group:displayName sw "A")",
                              R"(meta.lastModified gt "2020-01-01T00:00:00Z")"}) {
    auto f = parse_filter(ok_text);
    ASSERT_THAT(f, IsOk()) << ok_text;
    EXPECT_THAT(check_group_filter(*f), IsOk()) << ok_text;
  }
  for (const char* bad : {R"(userName eq "a")", R"(members[type eq "x"])", R"(meta eq "x")",
                          R"(emails.value eq "x")"}) {
    auto f = parse_filter(bad);
    ASSERT_THAT(f, IsOk()) << bad;
    auto r = check_group_filter(*f);
    EXPECT_THAT(r, HasError(Errc::bad_request)) << bad;
    if (!r) {
      EXPECT_EQ(scim_type(r.error()), "invalidFilter") << bad;
    }
  }
  GroupResource g;
  g.display_name = "Admins";
  g.members = {{"u1", ""}};
  EXPECT_EQ(matches(*parse_filter(R"(displayName eq "admins")"), g).value(), true);
  EXPECT_EQ(matches(*parse_filter(R"(members[value eq "u2"])"), g).value(), false);
}

// ---------------------------------------------------------------------------------------------
class ScimGroupServiceTest : public ::testing::Test {
 protected:
  struct Tenant {
    storage::Org org;
    storage::User owner;
    ScimCaller caller;
  };

  Tenant make_tenant() {
    Tenant t;
    t.owner = s_.user();
    must(db_->users().create(t.owner));
    t.org = s_.org();
    must(db_->orgs().create(t.org, s_.member(t.org.id, t.owner.id, {"owner"})));
    t.caller = ScimCaller{t.org.id, "token-" + t.org.id.str(), "", "", ""};
    return t;
  }

  std::string user(const Tenant& t) {
    static int n = 0;
    auto u = svc_.create_user(t.caller, R"({"userName":"g)" + std::to_string(++n) + "-" +
                                            t.org.id.str().substr(0, 8) + R"(@example.com"})");
    EXPECT_THAT(u, IsOk());
    return u ? u->id : "";
  }

  std::vector<std::string> roles(const Tenant& t, const std::string& id) {
    auto m = db_->memberships().get(t.org.id, UserId::parse(id).value());
    EXPECT_THAT(m, IsOk());
    if (!m) return {};
    auto r = m->roles;
    std::sort(r.begin(), r.end());
    return r;
  }

  static std::string body(std::string_view name, const std::vector<std::string>& members) {
    std::string b = R"({"displayName":")" + std::string(name) + R"(","members":[)";
    for (std::size_t i = 0; i < members.size(); ++i)
      b += (i ? "," : "") + std::string(R"({"value":")") + members[i] + "\"}";
    return b + "]}";
  }

  std::vector<std::string> actions(const OrgId& org) {
    PageRequest req;
    req.limit = 200;
    auto page = db_->audit().list(org, {}, req);
    EXPECT_THAT(page, IsOk());
    std::vector<std::string> out;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) out.push_back(it->action);
    return out;
  }

  std::unique_ptr<storage::Storage> db_ = storage::open_memory();
  ::tenantkit::testing::Samples s_;
  ManualClock clock_;
  SeededRandom random_{11};
  apikey::KeyHasher hasher_ = make_hasher();
  GroupMapping mapping_{};
  ScimService svc_{
      *db_,
      hasher_,
      random_,
      clock_,
      {.base_url = "https://app.test/scim/v2",
       .group_mapping = [this](const OrgId&) -> Result<GroupMapping> { return mapping_; }}};
};

TEST_F(ScimGroupServiceTest, MembersGetTheMappedRoleAndLoseItWhenTheyLeave) {
  auto t = make_tenant();
  const std::string u1 = user(t), u2 = user(t);
  auto g = svc_.create_group(t.caller, body("Admin", {u1, u2}));
  ASSERT_THAT(g, IsOk());
  EXPECT_EQ(roles(t, u1), (std::vector<std::string>{"admin"}));
  EXPECT_EQ(roles(t, u2), (std::vector<std::string>{"admin"}));
  auto p = svc_.patch_group(
      t.caller, g->id,
      R"({"Operations":[{"op":"remove","path":"members[value eq \")" + u1 + R"(\"]"}]})");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->meta.version, 2);
  EXPECT_EQ(roles(t, u1), (std::vector<std::string>{"member"}));
  EXPECT_EQ(roles(t, u2), (std::vector<std::string>{"admin"}));
  ASSERT_THAT(svc_.delete_group(t.caller, g->id), IsOk());
  EXPECT_EQ(roles(t, u2), (std::vector<std::string>{"member"}));
  EXPECT_THAT(svc_.get_group(t.caller, g->id), HasError(Errc::not_found));
  const auto a = actions(t.org.id);
  EXPECT_EQ(std::count(a.begin(), a.end(), "scim.group_created"), 1);
  EXPECT_EQ(std::count(a.begin(), a.end(), "scim.group_updated"), 1);
  EXPECT_EQ(std::count(a.begin(), a.end(), "scim.group_deleted"), 1);
  EXPECT_EQ(std::count(a.begin(), a.end(), "member.role_changed"), 4);
}

TEST_F(ScimGroupServiceTest, ExplicitMappingWinsAndOwnerIsNeverGrantedNorTaken) {
  auto t = make_tenant();
  const std::string u1 = user(t);
  mapping_.entries = {{"Finance", "billing"}, {"Bosses", "owner"}};
  auto fin = svc_.create_group(t.caller, body("finance", {u1, t.owner.id.str()}));
  ASSERT_THAT(fin, IsOk());
  EXPECT_EQ(roles(t, u1), (std::vector<std::string>{"billing"}));
  EXPECT_EQ(roles(t, t.owner.id.str()), (std::vector<std::string>{"billing", "owner"}));
  ASSERT_THAT(svc_.create_group(t.caller, body("Bosses", {u1})), IsOk());
  ASSERT_THAT(svc_.create_group(t.caller, body("OWNER", {u1})), IsOk());
  EXPECT_EQ(roles(t, u1), (std::vector<std::string>{"billing"}));
  ASSERT_THAT(svc_.replace_group(t.caller, fin->id, body("finance", {})), IsOk());
  EXPECT_EQ(roles(t, u1), (std::vector<std::string>{"member"}));
  EXPECT_EQ(roles(t, t.owner.id.str()), (std::vector<std::string>{"owner"}));
}

TEST_F(ScimGroupServiceTest, CustomRolesMapByNameAndUnknownNamesGrantNothing) {
  auto t = make_tenant();
  storage::Role role;
  role.org = t.org.id;
  role.name = "auditor";
  role.permissions = {"audit:read"};
  must(db_->roles().create(t.org.id, role));
  const std::string u1 = user(t), u2 = user(t);
  ASSERT_THAT(svc_.create_group(t.caller, body("auditor", {u1})), IsOk());
  ASSERT_THAT(svc_.create_group(t.caller, body("Engineering", {u2})), IsOk());
  EXPECT_EQ(roles(t, u1), (std::vector<std::string>{"auditor"}));
  EXPECT_EQ(roles(t, u2), (std::vector<std::string>{"member"}));
}

TEST_F(ScimGroupServiceTest, OtherOrgsGroupsAndUsersAreOutOfReach) {
  auto a = make_tenant();
  auto b = make_tenant();
  const std::string ua = user(a);
  auto g = must(svc_.create_group(a.caller, body("admin", {ua})));
  EXPECT_THAT(svc_.get_group(b.caller, g.id), HasError(Errc::not_found));
  EXPECT_THAT(svc_.replace_group(b.caller, g.id, body("admin", {})), HasError(Errc::not_found));
  EXPECT_THAT(
      svc_.patch_group(b.caller, g.id, R"({"Operations":[{"op":"remove","path":"members"}]})"),
      HasError(Errc::not_found));
  EXPECT_THAT(svc_.delete_group(b.caller, g.id), HasError(Errc::not_found));
  auto foreign = svc_.create_group(b.caller, body("admin", {ua}));
  ASSERT_THAT(foreign, HasError(Errc::bad_request));
  EXPECT_EQ(scim_type(foreign.error()), "invalidValue");
  EXPECT_EQ(must(svc_.list_groups(b.caller, {})).total_results, 0);
  EXPECT_EQ(must(svc_.get_group(a.caller, g.id)).members.size(), 1u);
  EXPECT_EQ(roles(a, ua), (std::vector<std::string>{"admin"}));
}

TEST_F(ScimGroupServiceTest, ListFiltersPagesAndRefusesUnknownAttributes) {
  auto t = make_tenant();
  for (const char* n : {"alpha", "beta", "gamma"})
    ASSERT_THAT(svc_.create_group(t.caller, body(n, {})), IsOk());
  auto dup = svc_.create_group(t.caller, body("ALPHA", {}));
  ASSERT_THAT(dup, HasError(Errc::conflict));
  EXPECT_EQ(scim_type(dup.error()), "uniqueness");
  auto one = must(svc_.list_groups(t.caller, {.filter = R"(displayName eq "Beta")"}));
  ASSERT_EQ(one.resources.size(), 1u);
  EXPECT_EQ(one.resources[0].display_name, "beta");
  auto page = must(svc_.list_groups(t.caller, {.start_index = 2, .count = 1}));
  EXPECT_EQ(page.total_results, 3);
  EXPECT_EQ(page.resources.size(), 1u);
  auto bad = svc_.list_groups(t.caller, {.filter = R"(userName eq "x")"});
  ASSERT_THAT(bad, HasError(Errc::bad_request));
  EXPECT_EQ(scim_type(bad.error()), "invalidFilter");
}

TEST_F(ScimGroupServiceTest, DeletedUsersLeaveGroupsAndDryRunShowsMappingChanges) {
  auto t = make_tenant();
  const std::string u1 = user(t), u2 = user(t);
  auto g = must(svc_.create_group(t.caller, body("Staff", {u1, u2})));
  ASSERT_THAT(svc_.delete_user(t.caller, u1), IsOk());
  auto after = must(svc_.get_group(t.caller, g.id));
  ASSERT_EQ(after.members.size(), 1u);
  EXPECT_EQ(after.members[0].value, u2);
  // Dry run: mapping Staff to admin would promote u2, and changes nothing yet.
  auto plan = svc_.plan_stored_group_mapping(t.org.id, GroupMapping{{{"staff", "admin"}}});
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ((*plan)[0].user.str(), u2);
  EXPECT_EQ((*plan)[0].to_roles, (std::vector<std::string>{"admin"}));
  EXPECT_EQ(roles(t, u2), (std::vector<std::string>{"member"}));
  EXPECT_THAT(svc_.plan_stored_group_mapping(t.org.id, GroupMapping{{{"staff", "owner"}}}),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::scim
