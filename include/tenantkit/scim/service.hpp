// SPDX-License-Identifier: Apache-2.0
// ScimService: SCIM 2.0 user provisioning for one storage::Storage, independent of HTTP. Each
// /scim/v2 route is one call: authenticate() the bearer token, then create/get/list/replace/
// patch/delete a User in the token's org. A SCIM User is a storage::User (global, found or
// created by userName = login email) plus its Membership in the org, which keeps the directory's
// externalId, active flag and attributes (Membership::scim_profile). Deactivating or deleting a
// user suspends or removes the membership in that org only and revokes all the user's sessions.
// Every change writes an audit event (scim.user_created/updated/deleted, actor_type "scim").
// Groups (storage::ScimGroupStore) map to roles: a member of a group gets the role the org's
// mapping names for it (ScimOptions::group_mapping, else a group named like a role other than
// owner); leaving the group takes that role away again (member.role_changed audit events).
// Safe for concurrent use (state lives in the stores); calls block on storage.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>
#include <tenantkit/scim/group_resource.hpp>
#include <tenantkit/scim/user_resource.hpp>
#include <tenantkit/storage/storage.hpp>

namespace tenantkit::scim {

/// Who calls: the org its token binds, plus request details for the audit log.
struct ScimCaller {
  OrgId org{};
  std::string token_id{};    ///< The SCIM token's id (the audit actor_id).
  std::string ip{};          ///< Optional, for the audit log.
  std::string user_agent{};  ///< Optional, for the audit log.
  std::string request_id{};  ///< Optional, for the audit log.
};

/// A freshly issued SCIM bearer token (shown once).
struct IssuedToken {
  ScimTokenId id{};
  Secret token{};  ///< "scim_" + 43 base64url characters (256 random bits).
  Timestamp created_at{};
};

/// GET /Users parameters (RFC 7644 §3.4.2).
struct ListQuery {
  std::string filter{};          ///< Empty: every user of the org.
  std::int64_t start_index = 1;  ///< 1-based; values below 1 mean 1.
  std::optional<std::int64_t>
      count{};  ///< Page size; default and maximum ScimOptions::max_results.
};

/// A ListResponse (RFC 7644 §3.4.2).
struct ListResponse {
  std::int64_t total_results = 0;
  std::int64_t start_index = 1;
  std::vector<UserResource> resources{};  ///< itemsPerPage is resources.size().
};

/// A Group ListResponse.
struct GroupListResponse {
  std::int64_t total_results = 0;
  std::int64_t start_index = 1;
  std::vector<GroupResource> resources{};
};

/// Groups mapped to roles: members of directory group `group` get role `role` in the org.
struct GroupRole {
  std::string group{};  ///< The group's displayName, compared case-insensitively.
  std::string role{};   ///< A built-in role other than owner, or one of the org's custom roles.
};
struct GroupMapping {
  std::vector<GroupRole> entries{};
};

/// A directory group as the caller knows it (its members by tenantkit user id).
struct DirectoryGroup {
  std::string display_name{};
  std::vector<UserId> members{};
};

/// One member whose roles a mapping would change.
struct RoleChange {
  UserId user{};
  std::vector<std::string> from_roles{};
  std::vector<std::string> to_roles{};
  friend bool operator==(const RoleChange&, const RoleChange&) = default;
};

/// Options of a ScimService; set fields with designated initializers.
struct ScimOptions {
  /// Prefix of meta.location, e.g. "https://api.example.com/scim/v2". Default: "" (no location).
  std::string base_url{};
  /// Role of a member created through SCIM. Default: "member".
  std::string default_role = "member";
  /// Default and maximum `count` of a list (ServiceProviderConfig filter.maxResults). Default 200.
  std::int64_t max_results = 200;
  /// The org's seat limit for new memberships (e.g. from its plan); unset: no limit.
  std::function<Result<std::optional<std::int64_t>>(const OrgId&)> seat_limit{};
  /// The org's explicit group mapping. Unset, or for a group it does not name: a group whose
  /// displayName equals (case-insensitively) a built-in role other than owner, or one of the
  /// org's custom roles, maps to that role; any other group grants nothing.
  std::function<Result<GroupMapping>(const OrgId&)> group_mapping{};
};

class ScimService {
 public:
  /// References must outlive the service.
  ScimService(storage::Storage& storage, const apikey::KeyHasher& hasher, Random& random,
              const Clock& clock, ScimOptions options = {});

  /// Issues the org's SCIM token, revoking the previous one. Errors: not_found (no such org),
  /// unavailable.
  Result<IssuedToken> issue_token(const OrgId& org);

  /// Finds the org a bearer token binds (any configured pepper version). The returned caller
  /// has org and token_id set. Errors: unauthorized (malformed, unknown or revoked token),
  /// unavailable.
  Result<ScimCaller> authenticate(std::string_view token);

  /// POST /Users. Links an existing user with that login email, or creates one; adds the
  /// membership (role ScimOptions::default_role). Errors: bad_request (invalidSyntax,
  /// invalidValue: bad JSON, missing or non-email userName), conflict (uniqueness: userName
  /// already a member of the org, or externalId taken in it), seat_limit_reached, unavailable.
  Result<UserResource> create_user(const ScimCaller& caller, std::string_view json);

  /// GET /Users/{id}. Errors: not_found (no such user in the caller's org, including another
  /// org's user), unavailable.
  Result<UserResource> get_user(const ScimCaller& caller, std::string_view id);

  /// GET /Users. Errors: bad_request (invalidFilter), unavailable.
  Result<ListResponse> list_users(const ScimCaller& caller, const ListQuery& query);

  /// PUT /Users/{id}: replaces every attribute. Errors: as create_user, plus not_found;
  /// bad_request (mutability) when userName would change for a user who also belongs to other
  /// orgs; conflict (mutability) when deactivating the org's last active owner.
  Result<UserResource> replace_user(const ScimCaller& caller, std::string_view id,
                                    std::string_view json);

  /// PATCH /Users/{id} with a PatchOp body. Errors: as replace_user, plus the PatchOp errors of
  /// parse_patch() and apply_patch().
  Result<UserResource> patch_user(const ScimCaller& caller, std::string_view id,
                                  std::string_view json);

  /// DELETE /Users/{id}: removes the membership in the caller's org (the global user stays) and
  /// revokes all the user's sessions. Errors: not_found, conflict (mutability: the org's last
  /// active owner), unavailable.
  Result<void> delete_user(const ScimCaller& caller, std::string_view id);

  /// Dry run of a group mapping: for each SCIM-provisioned member of `org`, the roles the
  /// mapping would give (the roles of every mapped group containing the member, or
  /// default_role when none; an existing "owner" role is always kept) where they differ from
  /// the current ones. Errors: validation_failed (a mapping to "owner", or to a role that is
  /// neither built-in nor defined in the org), unavailable.
  Result<std::vector<RoleChange>> plan_group_mapping(const OrgId& org, const GroupMapping& mapping,
                                                     const std::vector<DirectoryGroup>& groups);

  /// Applies plan_group_mapping()'s changes and audits each (member.role_changed, actor
  /// "scim"). Returns the changes made. Errors: as plan_group_mapping, unavailable.
  Result<std::vector<RoleChange>> apply_group_mapping(const ScimCaller& caller,
                                                      const GroupMapping& mapping,
                                                      const std::vector<DirectoryGroup>& groups);

  /// POST /Groups. Members must be users of the caller's org; each member's roles are synced
  /// with the mapping. Errors: bad_request (invalidSyntax, invalidValue: bad JSON, no
  /// displayName, a member that is not a user of the org), conflict (uniqueness: displayName
  /// taken in the org), plan_limit_reached (ScimGroupStore::kMaxGroupsPerOrg), unavailable.
  Result<GroupResource> create_group(const ScimCaller& caller, std::string_view json);

  /// GET /Groups/{id}. Errors: not_found (including another org's group), unavailable.
  Result<GroupResource> get_group(const ScimCaller& caller, std::string_view id);

  /// GET /Groups (filter on displayName, externalId, id, members.value, meta). Errors:
  /// bad_request (invalidFilter), unavailable.
  Result<GroupListResponse> list_groups(const ScimCaller& caller, const ListQuery& query);

  /// PUT /Groups/{id}: replaces displayName, externalId and members; members who joined or
  /// left get their roles synced. Errors: as create_group, plus not_found.
  Result<GroupResource> replace_group(const ScimCaller& caller, std::string_view id,
                                      std::string_view json);

  /// PATCH /Groups/{id} with a PatchOp body (apply_group_patch()). Errors: as replace_group,
  /// plus the PatchOp errors of parse_patch() and apply_group_patch().
  Result<GroupResource> patch_group(const ScimCaller& caller, std::string_view id,
                                    std::string_view json);

  /// DELETE /Groups/{id}: its members lose the role it granted. Errors: not_found, unavailable.
  Result<void> delete_group(const ScimCaller& caller, std::string_view id);

  /// Dry run of `mapping` over the org's stored groups: plan_group_mapping() with the groups of
  /// storage::ScimGroupStore. Errors: as plan_group_mapping.
  Result<std::vector<RoleChange>> plan_stored_group_mapping(const OrgId& org,
                                                            const GroupMapping& mapping);

  /// The response body of a group.
  std::string group_json(const GroupResource& group) const;
  /// The response body of a group list.
  std::string group_list_json(const GroupListResponse& list) const;

  /// The response body of a user (to_json() with ScimOptions::base_url).
  std::string user_json(const UserResource& user) const;
  /// The response body of a list.
  std::string list_json(const ListResponse& list) const;

 private:
  struct Loaded;
  Result<Loaded> load(const OrgId& org, std::string_view id);
  Result<UserResource> store(const ScimCaller& caller, const Loaded& current, UserResource next);
  Result<void> audit(const ScimCaller& caller, std::string_view action, const UserId& user,
                     std::string metadata_json);
  Result<void> audit_event(const ScimCaller& caller, std::string_view action,
                           std::string_view target_type, std::string target_id,
                           std::string metadata_json);
  Result<storage::ScimGroup> load_group(const OrgId& org, std::string_view id);
  Result<std::vector<UserId>> group_members(const OrgId& org, const GroupResource& group);
  Result<GroupResource> store_group(const ScimCaller& caller, const storage::ScimGroup& current,
                                    GroupResource next);
  // Reads group `id`, builds its next state with `next_of` and stores it; when another write got
  // in between (the store's version compare-and-set), reads again, a bounded number of times.
  Result<GroupResource> rewrite_group(
      const ScimCaller& caller, std::string_view id,
      const std::function<Result<GroupResource>(const storage::ScimGroup&)>& next_of);
  Result<void> sync_roles(const ScimCaller& caller, const std::vector<storage::ScimGroup>& before,
                          const std::vector<storage::ScimGroup>& after,
                          const std::vector<UserId>& users);

  storage::Storage& storage_;
  const apikey::KeyHasher& hasher_;
  Random& random_;
  const Clock& clock_;
  ScimOptions options_{};
};

}  // namespace tenantkit::scim
