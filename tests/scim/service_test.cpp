// SPDX-License-Identifier: Apache-2.0
// ScimService over storage::open_memory(): the request sequences Okta's and Entra ID's SCIM
// validators send, tokens, cross-tenant attempts, session revocation and audit events.
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/service.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::scim {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::must;

apikey::KeyHasher hasher_with(std::vector<std::uint32_t> versions) {
  std::vector<apikey::Pepper> peppers;
  for (std::uint32_t v : versions)
    peppers.push_back({v, Secret(std::string(32, static_cast<char>('a' + v)))});
  return apikey::KeyHasher::create(std::move(peppers)).value();
}

std::string scim_type(const Error& e) {
  return to_scim_error(e).scim_type;
}

class ScimServiceTest : public ::testing::Test {
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
    t.caller = ScimCaller{t.org.id, "token-" + t.org.id.str(), "198.51.100.7", "Okta SCIM Client",
                          "req-1"};
    return t;
  }

  std::vector<storage::AuditEvent> audit_of(const OrgId& org) {
    PageRequest req;
    req.limit = 200;
    auto page = db_->audit().list(org, {}, req);
    EXPECT_THAT(page, IsOk());
    std::vector<storage::AuditEvent> out = page->items;
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  }

  storage::Session add_session(const UserId& user) {
    auto session = s_.session(user);
    session.created_at = session.last_seen_at = clock_.now();
    session.expires_at = clock_.now() + std::chrono::hours(24);
    auto refresh = s_.refresh(session);
    return must(db_->sessions().create(session, refresh));
  }

  std::unique_ptr<storage::Storage> db_ = storage::open_memory();
  ::tenantkit::testing::Samples s_;
  ManualClock clock_;
  SeededRandom random_{7};
  apikey::KeyHasher hasher_ = hasher_with({1});
  ScimService svc_{*db_, hasher_, random_, clock_, {.base_url = "https://app.test/scim/v2"}};
};

// ---------------------------------------------------------------------------------------------
TEST_F(ScimServiceTest, IssuedTokenAuthenticatesItsOrgAndReplacesThePreviousOne) {
  auto t = make_tenant();
  auto first = svc_.issue_token(t.org.id);
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->token.reveal().starts_with("scim_"));
  EXPECT_EQ(first->token.reveal().size(), 48u);
  auto caller = svc_.authenticate(first->token.reveal());
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->org, t.org.id);
  EXPECT_EQ(caller->token_id, first->id.str());

  clock_.advance(std::chrono::seconds(1));
  auto second = svc_.issue_token(t.org.id);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(svc_.authenticate(first->token.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(svc_.authenticate(second->token.reveal()), IsOk());

  // Nothing about the token is stored in clear.
  auto stored = db_->scim_tokens().find_by_hash(second->token.reveal());
  ASSERT_THAT(stored, IsOk());
  EXPECT_FALSE(stored->has_value());
}

TEST_F(ScimServiceTest, MalformedOrForeignTokensAreUnauthorized) {
  auto t = make_tenant();
  auto issued = must(svc_.issue_token(t.org.id));
  std::string tampered = issued.token.reveal();
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(svc_.authenticate(tampered), HasError(Errc::unauthorized));
  EXPECT_THAT(svc_.authenticate(""), HasError(Errc::unauthorized));
  EXPECT_THAT(svc_.authenticate("Bearer " + issued.token.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(svc_.authenticate(issued.token.reveal() + "x"), HasError(Errc::unauthorized));
  // A server with other peppers cannot use the stored hash.
  auto other_hasher = hasher_with({9});
  ScimService other(*db_, other_hasher, random_, clock_);
  EXPECT_THAT(other.authenticate(issued.token.reveal()), HasError(Errc::unauthorized));
}

TEST_F(ScimServiceTest, TokensSurviveAPepperRotation) {
  auto t = make_tenant();
  auto issued = must(svc_.issue_token(t.org.id));
  auto rotated = hasher_with({1, 2});
  ScimService after(*db_, rotated, random_, clock_);
  auto caller = after.authenticate(issued.token.reveal());
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->org, t.org.id);
}

TEST_F(ScimServiceTest, RevokedTokenIsUnauthorized) {
  auto t = make_tenant();
  auto issued = must(svc_.issue_token(t.org.id));
  ASSERT_THAT(db_->scim_tokens().revoke(t.org.id, clock_.now()), IsOk());
  EXPECT_THAT(svc_.authenticate(issued.token.reveal()), HasError(Errc::unauthorized));
}

// ---------------------------------------------------------------------------------------------
// Okta's SCIM 2.0 validator (Runscope "Okta SCIM 2.0 SPEC Test"), step by step.
TEST_F(ScimServiceTest, OktaValidatorSequence) {
  auto t = make_tenant();
  const ScimCaller& c = t.caller;

  // 1. GET /Users?count=1&startIndex=1
  auto first = svc_.list_users(c, {.start_index = 1, .count = 1});
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->total_results, 1);  // the owner
  EXPECT_EQ(first->resources.size(), 1u);
  auto list_body = boost::json::parse(svc_.list_json(*first)).as_object();
  EXPECT_EQ(list_body.at("schemas").as_array().at(0).as_string(),
            "urn:ietf:params:scim:api:messages:2.0:ListResponse");
  EXPECT_EQ(list_body.at("itemsPerPage").as_int64(), 1);
  EXPECT_EQ(list_body.at("startIndex").as_int64(), 1);
  EXPECT_EQ(list_body.at("Resources").as_array().size(), 1u);

  // 2. A random user does not exist; neither does a bad id.
  auto random = svc_.list_users(c, {.filter = R"(userName eq "nobody-8a7d@atko.com")"});
  ASSERT_THAT(random, IsOk());
  EXPECT_EQ(random->total_results, 0);
  auto bad_id = svc_.get_user(c, "010101");
  ASSERT_THAT(bad_id, HasError(Errc::not_found));
  EXPECT_EQ(to_scim_error(bad_id.error()).status, 404);

  // 3. POST /Users with realistic values.
  auto created = svc_.create_user(c, R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "Mara.Rios@atko.com",
    "name": {"givenName": "Mara", "familyName": "Rios"},
    "emails": [{"primary": true, "value": "Mara.Rios@atko.com", "type": "work"}],
    "displayName": "Mara Rios", "locale": "en-US", "externalId": "00u1okta",
    "groups": [], "password": "1mz050nq", "active": true})");
  ASSERT_THAT(created, IsOk());
  EXPECT_TRUE(created->active);
  EXPECT_EQ(created->user_name, "Mara.Rios@atko.com");
  EXPECT_EQ(created->name.family_name, "Rios");
  EXPECT_EQ(created->meta.version, 1);
  auto body = boost::json::parse(svc_.user_json(*created)).as_object();
  EXPECT_EQ(body.at("meta").as_object().at("location").as_string(),
            "https://app.test/scim/v2/Users/" + created->id);
  const std::string id = created->id;

  // The global user exists with the login email lower-cased and no password.
  auto user = db_->users().get(must(UserId::parse(id)));
  ASSERT_THAT(user, IsOk());
  EXPECT_EQ(user->email, "mara.rios@atko.com");
  EXPECT_EQ(user->name, "Mara Rios");
  EXPECT_EQ(user->password_hash, "");
  auto m = db_->memberships().get(t.org.id, user->id);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->roles, std::vector<std::string>{"member"});
  EXPECT_EQ(m->external_id, "00u1okta");
  EXPECT_EQ(m->scim_profile.find("1mz050nq"), std::string::npos);

  // 4. Verify by filter, also with another case of the userName.
  auto found = svc_.list_users(c, {.filter = R"(userName eq "MARA.RIOS@ATKO.COM")"});
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->total_results, 1);
  EXPECT_EQ(found->resources.at(0).id, id);
  EXPECT_EQ(found->resources.at(0).name.given_name, "Mara");

  // 5. Creating the same user again: 409 uniqueness.
  auto dup = svc_.create_user(c, R"({"userName":"mara.rios@atko.com","active":true})");
  ASSERT_THAT(dup, HasError(Errc::conflict));
  EXPECT_EQ(to_scim_error(dup.error()).status, 409);
  EXPECT_EQ(scim_type(dup.error()), "uniqueness");

  // 6. GET by id.
  auto got = svc_.get_user(c, id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, *created);

  // 7. PATCH active=false (Okta's deactivate).
  auto session = add_session(user->id);
  clock_.advance(std::chrono::seconds(5));
  auto off = svc_.patch_user(c, id, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"replace","value":{"active":false}}]})");
  ASSERT_THAT(off, IsOk());
  EXPECT_FALSE(off->active);
  EXPECT_EQ(off->meta.version, 2);
  EXPECT_EQ(etag(*off), "W/\"2\"");
  EXPECT_FALSE(must(db_->memberships().get(t.org.id, user->id)).active);
  EXPECT_TRUE(must(db_->sessions().get(session.id)).revoked_at.has_value());

  // 8. PUT (replace) with new values, reactivating.
  auto put = svc_.replace_user(c, id, R"({"userName":"Mara.Rios@atko.com",
      "name":{"givenName":"Mara","familyName":"Rios-Lee"},"active":true,"externalId":"00u1okta"})");
  ASSERT_THAT(put, IsOk());
  EXPECT_TRUE(put->active);
  EXPECT_EQ(put->name.family_name, "Rios-Lee");
  EXPECT_TRUE(put->emails.empty());  // PUT replaces everything
  EXPECT_EQ(put->meta.version, 3);
  EXPECT_GT(put->meta.last_modified, put->meta.created);
  EXPECT_TRUE(must(db_->memberships().get(t.org.id, user->id)).active);

  // 9. DELETE, then it is gone.
  ASSERT_THAT(svc_.delete_user(c, id), IsOk());
  EXPECT_THAT(svc_.get_user(c, id), HasError(Errc::not_found));
  EXPECT_THAT(db_->memberships().get(t.org.id, user->id), HasError(Errc::not_found));
  EXPECT_THAT(svc_.delete_user(c, id), HasError(Errc::not_found));

  // Every change was audited, as the SCIM actor, in order.
  auto events = audit_of(t.org.id);
  std::vector<std::string> actions;
  for (const auto& e : events)
    if (e.actor_type == "scim") actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"scim.user_created", "scim.user_updated",
                                               "scim.user_updated", "scim.user_deleted"}));
  for (const auto& e : events) {
    if (e.actor_type != "scim") continue;
    EXPECT_EQ(e.actor_id, c.token_id);
    EXPECT_EQ(e.target_type, "user");
    EXPECT_EQ(e.target_id, id);
    EXPECT_EQ(e.ip, "198.51.100.7");
    EXPECT_EQ(e.request_id, "req-1");
  }
  auto deactivation = boost::json::parse(events.at(1).metadata_json).as_object();
  EXPECT_TRUE(deactivation.at("deactivated").as_bool());
  EXPECT_EQ(deactivation.at("sessions_revoked").as_int64(), 1);
}

// Entra ID's provisioning (and its SCIM validator): filter on userName/externalId, multi-op PATCH
// with capitalised op names, string booleans and value-filter paths, then disable and delete.
TEST_F(ScimServiceTest, EntraValidatorSequence) {
  auto t = make_tenant();
  const ScimCaller& c = t.caller;
  auto none = svc_.list_users(c, {.filter = R"(userName eq "Adele.Vance@contoso.test")"});
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->total_results, 0);

  auto created = svc_.create_user(c, R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "8c1b5f3e-ad",
    "userName": "Adele.Vance@contoso.test",
    "active": true,
    "displayName": "Adele Vance",
    "emails": [{"primary": true, "type": "work", "value": "adele@contoso.test"}],
    "name": {"formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele"},
    "title": "Retail Manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Retail"}})");
  ASSERT_THAT(created, IsOk());
  const std::string id = created->id;

  auto by_external = svc_.list_users(c, {.filter = R"(externalId eq "8c1b5f3e-ad")"});
  ASSERT_THAT(by_external, IsOk());
  ASSERT_EQ(by_external->total_results, 1);
  EXPECT_EQ(by_external->resources[0].id, id);
  auto body = boost::json::parse(svc_.user_json(by_external->resources[0])).as_object();
  EXPECT_EQ(body.at("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .as_object()
                .at("department")
                .as_string(),
            "Retail");

  auto patched =
      svc_.patch_user(c, id, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[
      {"op":"Replace","path":"displayName","value":"Adele V."},
      {"op":"Add","path":"emails[type eq \"work\"].value","value":"adele.vance@contoso.test"},
      {"op":"Replace","path":"name.familyName","value":"Vance-Smith"},
      {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
      {"op":"Remove","path":"title"}]})");
  ASSERT_THAT(patched, IsOk());
  EXPECT_EQ(patched->display_name, "Adele V.");
  EXPECT_EQ(patched->name.family_name, "Vance-Smith");
  EXPECT_EQ(patched->title, "");
  ASSERT_EQ(patched->emails.size(), 1u);
  EXPECT_EQ(patched->emails[0].value, "adele.vance@contoso.test");
  EXPECT_NE(patched->extensions_json.find("Sales"), std::string::npos);

  auto by_email = svc_.list_users(
      c, {.filter = R"(emails[type eq "work"].value eq "ADELE.VANCE@contoso.test")"});
  ASSERT_THAT(by_email, IsOk());
  EXPECT_EQ(by_email->total_results, 1);

  auto user_id = must(UserId::parse(id));
  add_session(user_id);
  add_session(user_id);
  auto disabled =
      svc_.patch_user(c, id, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[{"op":"Replace","path":"active","value":"False"}]})");
  ASSERT_THAT(disabled, IsOk());
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->display_name, "Adele V.");  // nothing else changed
  auto active = db_->sessions().list_active(user_id, clock_.now());
  ASSERT_THAT(active, IsOk());
  EXPECT_TRUE(active->empty());
  auto inactive = svc_.list_users(c, {.filter = "active eq false"});
  ASSERT_THAT(inactive, IsOk());
  EXPECT_EQ(inactive->total_results, 1);

  ASSERT_THAT(svc_.delete_user(c, id), IsOk());
  EXPECT_THAT(svc_.get_user(c, id), HasError(Errc::not_found));
  auto events = audit_of(t.org.id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "scim.user_deleted");
}

TEST_F(ScimServiceTest, AnotherOrgsUserIsNotFoundAndUntouched) {
  auto a = make_tenant();
  auto b = make_tenant();
  auto theirs =
      must(svc_.create_user(b.caller, R"({"userName":"b-user@b.test","externalId":"b1"})"));
  auto before = must(db_->memberships().get(b.org.id, must(UserId::parse(theirs.id))));
  const auto patch = R"({"Operations":[{"op":"replace","path":"active","value":false}]})";

  for (const auto& r :
       {svc_.get_user(a.caller, theirs.id),
        svc_.replace_user(a.caller, theirs.id, R"({"userName":"evil@a.test","active":false})"),
        svc_.patch_user(a.caller, theirs.id, patch)}) {
    ASSERT_THAT(r, HasError(Errc::not_found));
    EXPECT_EQ(to_scim_error(r.error()).scim_type, "");
  }
  EXPECT_THAT(svc_.delete_user(a.caller, theirs.id), HasError(Errc::not_found));
  // Another tenant's owner is not reachable either.
  EXPECT_THAT(svc_.get_user(a.caller, b.owner.id.str()), HasError(Errc::not_found));

  auto listed = svc_.list_users(a.caller, {});
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->total_results, 1);
  EXPECT_EQ(listed->resources[0].id, a.owner.id.str());
  auto filtered = svc_.list_users(a.caller, {.filter = R"(userName eq "b-user@b.test")"});
  ASSERT_THAT(filtered, IsOk());
  EXPECT_EQ(filtered->total_results, 0);

  EXPECT_EQ(must(db_->memberships().get(b.org.id, before.user)), before);
  EXPECT_EQ(must(db_->users().get(before.user)).email, "b-user@b.test");
  for (const auto& e : audit_of(a.org.id)) EXPECT_NE(e.actor_type, "scim");
}

TEST_F(ScimServiceTest, ExistingUsersAreLinkedButTheirGlobalAccountIsNotTheDirectorysToChange) {
  auto a = make_tenant();
  auto b = make_tenant();
  // b's owner is provisioned into a by a's directory: linked, same id.
  auto linked = svc_.create_user(
      a.caller, R"({"userName":")" + b.owner.email + R"(","displayName":"Renamed By A"})");
  ASSERT_THAT(linked, IsOk());
  EXPECT_EQ(linked->id, b.owner.id.str());
  EXPECT_EQ(must(db_->users().get(b.owner.id)).name, b.owner.name);

  // a cannot move the shared account to another email (that would take it over).
  auto moved = svc_.patch_user(
      a.caller, linked->id,
      R"({"Operations":[{"op":"replace","path":"userName","value":"attacker@evil.test"}]})");
  ASSERT_THAT(moved, HasError(Errc::bad_request));
  EXPECT_EQ(scim_type(moved.error()), "mutability");
  EXPECT_EQ(must(db_->users().get(b.owner.id)).email, b.owner.email);

  // Deactivating in a suspends a's membership only; b's stays active.
  ASSERT_THAT(svc_.patch_user(a.caller, linked->id,
                              R"({"Operations":[{"op":"replace","path":"active","value":false}]})"),
              IsOk());
  EXPECT_FALSE(must(db_->memberships().get(a.org.id, b.owner.id)).active);
  EXPECT_TRUE(must(db_->memberships().get(b.org.id, b.owner.id)).active);
  EXPECT_TRUE(must(db_->users().get(b.owner.id)).active);
  // Deleting in a removes a's membership only.
  ASSERT_THAT(svc_.delete_user(a.caller, linked->id), IsOk());
  EXPECT_THAT(db_->memberships().get(b.org.id, b.owner.id), IsOk());
}

TEST_F(ScimServiceTest, UserNameChangesForASoleOrgUserAndStaysUnique) {
  auto t = make_tenant();
  auto u = must(svc_.create_user(t.caller, R"({"userName":"old@x.test"})"));
  auto renamed = svc_.patch_user(
      t.caller, u.id,
      R"({"Operations":[{"op":"replace","path":"userName","value":"New@x.test"}]})");
  ASSERT_THAT(renamed, IsOk());
  EXPECT_EQ(renamed->user_name, "New@x.test");
  EXPECT_EQ(must(db_->users().get(must(UserId::parse(u.id)))).email, "new@x.test");
  // Taking someone else's email is a uniqueness conflict.
  auto clash = svc_.patch_user(
      t.caller, u.id,
      R"({"Operations":[{"op":"replace","path":"userName","value":")" + t.owner.email + "\"}]}");
  ASSERT_THAT(clash, HasError(Errc::conflict));
  EXPECT_EQ(scim_type(clash.error()), "uniqueness");
  // userName must be an email address.
  auto bad = svc_.create_user(t.caller, R"({"userName":"not-an-email"})");
  ASSERT_THAT(bad, HasError(Errc::bad_request));
  EXPECT_EQ(scim_type(bad.error()), "invalidValue");
}

TEST_F(ScimServiceTest, DuplicateExternalIdIsAConflictAndLeavesNoMembership) {
  auto t = make_tenant();
  ASSERT_THAT(svc_.create_user(t.caller, R"({"userName":"one@x.test","externalId":"E1"})"), IsOk());
  auto dup = svc_.create_user(t.caller, R"({"userName":"two@x.test","externalId":"E1"})");
  ASSERT_THAT(dup, HasError(Errc::conflict));
  EXPECT_EQ(scim_type(dup.error()), "uniqueness");
  auto two = db_->users().find_by_email("two@x.test");
  ASSERT_THAT(two, IsOk());
  ASSERT_TRUE(two->has_value());
  EXPECT_THAT(db_->memberships().get(t.org.id, (*two)->id), HasError(Errc::not_found));
  // A retry with a free externalId links the same account.
  auto retry = svc_.create_user(t.caller, R"({"userName":"two@x.test","externalId":"E2"})");
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->id, (*two)->id.str());
}

TEST_F(ScimServiceTest, TheLastOwnerCannotBeDeactivatedOrDeleted) {
  auto t = make_tenant();
  auto off = svc_.patch_user(t.caller, t.owner.id.str(),
                             R"({"Operations":[{"op":"replace","path":"active","value":false}]})");
  ASSERT_THAT(off, HasError(Errc::conflict));
  EXPECT_EQ(scim_type(off.error()), "mutability");
  auto del = svc_.delete_user(t.caller, t.owner.id.str());
  ASSERT_THAT(del, HasError(Errc::conflict));
  EXPECT_TRUE(must(db_->memberships().get(t.org.id, t.owner.id)).active);
}

TEST_F(ScimServiceTest, DeleteRevokesSessions) {
  auto t = make_tenant();
  auto u = must(svc_.create_user(t.caller, R"({"userName":"gone@x.test"})"));
  auto uid = must(UserId::parse(u.id));
  auto s1 = add_session(uid);
  ASSERT_THAT(svc_.delete_user(t.caller, u.id), IsOk());
  EXPECT_TRUE(must(db_->sessions().get(s1.id)).revoked_at.has_value());
  auto events = audit_of(t.org.id);
  auto meta = boost::json::parse(events.back().metadata_json).as_object();
  EXPECT_EQ(meta.at("sessions_revoked").as_int64(), 1);
}

TEST_F(ScimServiceTest, ListPagesWithStartIndexAndCount) {
  auto t = make_tenant();
  for (int i = 0; i < 5; ++i)
    ASSERT_THAT(
        svc_.create_user(t.caller, R"({"userName":"p)" + std::to_string(i) + R"(@x.test"})"),
        IsOk());
  auto page = svc_.list_users(t.caller, {.start_index = 2, .count = 2});
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->total_results, 6);
  EXPECT_EQ(page->start_index, 2);
  EXPECT_EQ(page->resources.size(), 2u);
  auto tail = svc_.list_users(t.caller, {.start_index = 6, .count = 10});
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(tail->resources.size(), 1u);
  auto counted = svc_.list_users(t.caller, {.start_index = -3, .count = 0});
  ASSERT_THAT(counted, IsOk());
  EXPECT_EQ(counted->total_results, 6);
  EXPECT_EQ(counted->start_index, 1);
  EXPECT_TRUE(counted->resources.empty());
  auto capped = svc_.list_users(t.caller, {.count = 100000});
  ASSERT_THAT(capped, IsOk());
  EXPECT_EQ(capped->resources.size(), 6u);
  auto filtered =
      svc_.list_users(t.caller, {.filter = R"(userName sw "p" and not (userName eq "p0@x.test"))"});
  ASSERT_THAT(filtered, IsOk());
  EXPECT_EQ(filtered->total_results, 4);
}

TEST_F(ScimServiceTest, BadFiltersAreInvalidFilter) {
  auto t = make_tenant();
  for (const char* f : {R"(favoriteColor eq "x")", R"(userName eq)", "active gt false"}) {
    auto r = svc_.list_users(t.caller, {.filter = f});
    ASSERT_THAT(r, HasError(Errc::bad_request)) << f;
    EXPECT_EQ(scim_type(r.error()), "invalidFilter") << f;
  }
}

TEST_F(ScimServiceTest, MembersWhoJoinedOutsideScimAreShownFromTheirAccount) {
  auto t = make_tenant();
  auto owner = svc_.get_user(t.caller, t.owner.id.str());
  ASSERT_THAT(owner, IsOk());
  EXPECT_EQ(owner->user_name, t.owner.email);
  EXPECT_EQ(owner->display_name, t.owner.name);
  ASSERT_EQ(owner->emails.size(), 1u);
  EXPECT_TRUE(owner->emails[0].primary);
}

TEST_F(ScimServiceTest, SeatLimitApplies) {
  auto t = make_tenant();
  ScimService limited(*db_, hasher_, random_, clock_,
                      {.seat_limit = [](const OrgId&) -> Result<std::optional<std::int64_t>> {
                        return std::optional<std::int64_t>(1);
                      }});
  EXPECT_THAT(limited.create_user(t.caller, R"({"userName":"seat@x.test"})"),
              HasError(Errc::seat_limit_reached));
}

// ---------------------------------------------------------------------------------------------
TEST_F(ScimServiceTest, GroupMappingDryRunAndApply) {
  auto t = make_tenant();
  auto alice = must(svc_.create_user(t.caller, R"({"userName":"alice@x.test"})"));
  auto bob = must(svc_.create_user(t.caller, R"({"userName":"bob@x.test"})"));
  auto alice_id = must(UserId::parse(alice.id));
  auto bob_id = must(UserId::parse(bob.id));
  GroupMapping mapping{{{"Admins", "admin"}, {"Finance", "billing"}}};
  std::vector<DirectoryGroup> groups{{"admins", {alice_id}}, {"Finance", {alice_id, t.owner.id}}};

  auto plan = svc_.plan_group_mapping(t.org.id, mapping, groups);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->size(), 1u);  // bob stays member; the owner was not provisioned by SCIM
  EXPECT_EQ((*plan)[0].user, alice_id);
  EXPECT_EQ((*plan)[0].from_roles, std::vector<std::string>{"member"});
  EXPECT_EQ((*plan)[0].to_roles, (std::vector<std::string>{"admin", "billing"}));
  // A dry run changes nothing.
  EXPECT_EQ(must(db_->memberships().get(t.org.id, alice_id)).roles,
            std::vector<std::string>{"member"});

  auto applied = svc_.apply_group_mapping(t.caller, mapping, groups);
  ASSERT_THAT(applied, IsOk());
  EXPECT_EQ(*applied, *plan);
  EXPECT_EQ(must(db_->memberships().get(t.org.id, alice_id)).roles,
            (std::vector<std::string>{"admin", "billing"}));
  EXPECT_EQ(must(db_->memberships().get(t.org.id, bob_id)).roles,
            std::vector<std::string>{"member"});
  EXPECT_EQ(audit_of(t.org.id).back().action, "member.role_changed");
  // Applied: the plan is now empty. Leaving every group reverts to the default role.
  EXPECT_TRUE(must(svc_.plan_group_mapping(t.org.id, mapping, groups)).empty());
  auto revert = must(svc_.plan_group_mapping(t.org.id, mapping, {}));
  ASSERT_EQ(revert.size(), 1u);
  EXPECT_EQ(revert[0].to_roles, std::vector<std::string>{"member"});

  EXPECT_THAT(svc_.plan_group_mapping(t.org.id, {{{"Root", "owner"}}}, groups),
              HasError(Errc::validation_failed));
  EXPECT_THAT(svc_.plan_group_mapping(t.org.id, {{{"X", "no-such-role"}}}, groups),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::scim
