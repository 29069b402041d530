// SPDX-License-Identifier: Apache-2.0
// docs/scim.md: an org's SCIM token, a directory creating a user, deactivating it with a PatchOp,
// and another token refused. Exits non-zero on an unexpected answer.
#include <cstdio>
#include <string>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/service.hpp>
#include <tenantkit/scim/user_resource.hpp>
#include <tenantkit/storage/storage.hpp>

using namespace tenantkit;

int main() {
  auto storage = storage::open_memory();
  const Clock& clock = system_clock();
  Random& random = system_random();
  const Timestamp now = clock.now();
  const storage::User owner{.id = UserId::generate(random, clock),
                            .email = "owner@example.com",
                            .name = "Owner",
                            .password_hash = {},
                            .active = true,
                            .created_at = now,
                            .updated_at = now};
  const storage::Org org{.id = OrgId::generate(random, clock),
                         .name = "Acme",
                         .slug = "acme",
                         .created_at = now,
                         .updated_at = now};
  storage::Membership membership;
  membership.org = org.id;
  membership.user = owner.id;
  membership.roles = {"owner"};
  membership.joined_at = now;
  if (!storage->users().create(owner) || !storage->orgs().create(org, membership)) return 1;
  std::vector<apikey::Pepper> peppers;
  peppers.push_back({.version = 1, .key = Secret(std::string("a pepper of at least 32 bytes..."))});
  auto hasher = apikey::KeyHasher::create(std::move(peppers));
  if (!hasher) return 1;
  int failures = 0;

  // [snippet route]
  scim::ScimService scim(*storage, *hasher, random, clock,
                         {.base_url = "https://api.example.com/scim/v2"});
  auto issued = scim.issue_token(org.id);  // POST /v1/scim/token: shown once
  if (!issued) return 1;

  auto caller = scim.authenticate(issued->token.reveal());  // every /scim/v2 request
  if (!caller) return 1;
  caller->request_id = "req-1";  // and ip, user_agent: for the audit log
  auto user = scim.create_user(*caller, R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "jane@example.com", "externalId": "00u1",
    "name": {"givenName": "Jane", "familyName": "Doe"}, "active": true})");  // POST /Users
  if (!user) {
    const scim::ScimError e = scim::to_scim_error(user.error());  // status + scimType
    std::printf("%d %s\n", e.status, scim::error_json(user.error()).c_str());
    return 1;
  }
  std::printf("201 ETag %s\n%s\n", scim::etag(*user).c_str(), scim.user_json(*user).c_str());

  // Okta and Entra deactivate with a PatchOp: the membership is suspended, not deleted.
  auto off = scim.patch_user(*caller, user->id, R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": false}}]})");
  // [end route]
  if (!off || off->active) ++failures;
  std::printf("after PatchOp: active=%s\n", off && off->active ? "true" : "false");

  auto forged = scim.authenticate("scim_not-a-real-token");
  if (forged || forged.error().code != Errc::unauthorized) ++failures;
  return failures == 0 ? 0 : 1;
}
