// SPDX-License-Identifier: Apache-2.0
// In-memory orgs, users, memberships, invitations, roles, workspaces, SCIM tokens and groups.
#include <algorithm>
#include <cctype>
#include <mutex>
#include <utility>

#include "storage/memory/state.hpp"
#include "storage/memory/stores.hpp"

namespace tenantkit::storage::memory {
namespace {

using Lock = std::unique_lock<std::shared_mutex>;
using SharedLock = std::shared_lock<std::shared_mutex>;

// A record names its org; it must be the org the call is scoped to (or empty: filled in).
template <class Rec>
Result<void> adopt_org(const OrgId& org, Rec& rec) {
  if (org.empty()) return Error{Errc::bad_request, "missing org id"};
  if (!rec.org.empty() && rec.org != org)
    return Error{Errc::bad_request, "record belongs to another org than the call"};
  rec.org = org;
  return ok();
}

bool holds(const std::vector<std::string>& roles, std::string_view role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool is_active_owner(const Membership& m) {
  return m.active && holds(m.roles, "owner");
}

Error not_found(std::string_view what) {
  return Error{Errc::not_found, std::string(what)};
}

// ---------------------------------------------------------------------------------------------
class MemOrgStore final : public OrgStore {
 public:
  explicit MemOrgStore(State& s) : s_(s) {}

  Result<Org> create(const Org& org, const Membership& owner) override {
    if (org.id.empty() || owner.user.empty()) return Error{Errc::bad_request, "missing id"};
    Membership m = owner;
    if (auto r = adopt_org(org.id, m); !r) return r.error();
    Lock lock(s_.mu);
    if (s_.orgs.count(org.id)) return Error{Errc::conflict, "org id taken"};
    if (s_.org_by_slug.count(org.slug)) return Error{Errc::conflict, "slug taken"};
    s_.orgs.emplace(org.id, org);
    s_.org_by_slug.emplace(org.slug, org.id);
    s_.members[org.id].emplace(m.user, m);
    return org;
  }

  Result<Org> get(const OrgId& org) override {
    SharedLock lock(s_.mu);
    auto it = s_.orgs.find(org);
    if (it == s_.orgs.end()) return not_found("org");
    return it->second;
  }

  Result<std::optional<Org>> find_by_slug(std::string_view slug) override {
    SharedLock lock(s_.mu);
    auto it = s_.org_by_slug.find(slug);
    if (it == s_.org_by_slug.end()) return std::optional<Org>();
    return std::optional<Org>(s_.orgs.at(it->second));
  }

  Result<Org> update(const OrgId& org, std::string_view name, std::string_view slug,
                     Timestamp now) override {
    Lock lock(s_.mu);
    auto it = s_.orgs.find(org);
    if (it == s_.orgs.end()) return not_found("org");
    Org& o = it->second;
    if (slug != o.slug) {
      if (s_.org_by_slug.count(slug)) return Error{Errc::conflict, "slug taken"};
      s_.org_by_slug.erase(o.slug);
      o.slug = std::string(slug);
      s_.org_by_slug.emplace(o.slug, org);
    }
    o.name = std::string(name);
    o.updated_at = now;
    return o;
  }

  Result<void> remove(const OrgId& org) override {
    Lock lock(s_.mu);
    auto it = s_.orgs.find(org);
    if (it == s_.orgs.end()) return not_found("org");
    s_.org_by_slug.erase(it->second.slug);
    s_.orgs.erase(it);
    s_.members.erase(org);
    std::erase_if(s_.invitations, [&](const auto& e) { return e.second.org == org; });
    std::erase_if(s_.api_keys, [&](const auto& e) {
      if (e.second.org != org) return false;
      s_.api_key_by_prefix.erase(e.second.prefix);
      return true;
    });
    s_.roles.erase(org);
    std::erase_if(s_.usage, [&](const auto& e) { return e.second.org == org; });
    std::erase_if(s_.usage_by_key, [&](const auto& e) { return e.first.first == org; });
    s_.subscriptions.erase(org);
    s_.audit.erase(org);
    std::erase_if(s_.workspaces, [&](const auto& e) { return e.second.org == org; });
    std::erase_if(s_.scim_tokens, [&](const auto& e) {
      if (e.second.org != org) return false;
      s_.scim_by_hash.erase(e.second.token_hash);
      return true;
    });
    std::erase_if(s_.scim_groups, [&](const auto& e) { return e.second.org == org; });
    const std::string scope = "org:" + org.str();
    std::erase_if(s_.idempotency, [&](const auto& e) { return e.first.first == scope; });
    return ok();
  }

  Result<std::int64_t> count() override {
    SharedLock lock(s_.mu);
    return static_cast<std::int64_t>(s_.orgs.size());
  }

  Result<std::vector<OrgId>> list_ids(const std::optional<OrgId>& after, int limit) override {
    if (limit < 1 || limit > 1000)
      return Error{Errc::validation_failed, "invalid limit", {{"limit", "must be 1..1000"}}};
    SharedLock lock(s_.mu);
    std::vector<OrgId> out;
    for (auto it = after ? s_.orgs.upper_bound(*after) : s_.orgs.begin();
         it != s_.orgs.end() && std::cmp_less(out.size(), limit); ++it)
      out.push_back(it->first);
    return out;
  }

 private:
  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemUserStore final : public UserStore {
 public:
  explicit MemUserStore(State& s) : s_(s) {}

  Result<User> create(const User& user) override {
    if (user.id.empty()) return Error{Errc::bad_request, "missing user id"};
    Lock lock(s_.mu);
    if (s_.users.count(user.id)) return Error{Errc::conflict, "user id taken"};
    if (s_.user_by_email.count(user.email)) return Error{Errc::conflict, "email taken"};
    s_.users.emplace(user.id, user);
    s_.user_by_email.emplace(user.email, user.id);
    return user;
  }

  Result<User> get(const UserId& user) override {
    SharedLock lock(s_.mu);
    auto it = s_.users.find(user);
    if (it == s_.users.end()) return not_found("user");
    return it->second;
  }

  Result<std::optional<User>> find_by_email(std::string_view email) override {
    SharedLock lock(s_.mu);
    auto it = s_.user_by_email.find(email);
    if (it == s_.user_by_email.end()) return std::optional<User>();
    return std::optional<User>(s_.users.at(it->second));
  }

  Result<User> update(const User& user) override {
    Lock lock(s_.mu);
    auto it = s_.users.find(user.id);
    if (it == s_.users.end()) return not_found("user");
    User& u = it->second;
    if (user.email != u.email) {
      if (s_.user_by_email.count(user.email)) return Error{Errc::conflict, "email taken"};
      s_.user_by_email.erase(u.email);
      s_.user_by_email.emplace(user.email, u.id);
    }
    u.email = user.email;
    u.name = user.name;
    u.password_hash = user.password_hash;
    u.active = user.active;
    u.updated_at = user.updated_at;
    return u;
  }

 private:
  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemMembershipStore final : public MembershipStore {
 public:
  explicit MemMembershipStore(State& s) : s_(s) {}

  Result<Membership> add(const OrgId& org, const Membership& m,
                         std::optional<std::int64_t> seat_limit) override {
    Membership rec = m;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    if (rec.user.empty()) return Error{Errc::bad_request, "missing user id"};
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return not_found("org");
    auto& members = s_.members[org];
    if (members.count(rec.user)) return Error{Errc::conflict, "already a member"};
    // add() has no `now`: the new member's joined_at is the moment the seats are counted at.
    if (seat_limit && s_.seats_used(org, rec.joined_at) >= *seat_limit)
      return Error{Errc::seat_limit_reached, "no seat left"};
    members.emplace(rec.user, rec);
    return rec;
  }

  Result<Membership> get(const OrgId& org, const UserId& user) override {
    SharedLock lock(s_.mu);
    const Membership* m = find(org, user);
    if (!m) return not_found("member");
    return *m;
  }

  Result<Page<Membership>> list(const OrgId& org, const PageRequest& page) override {
    std::vector<Membership> all;
    {
      SharedLock lock(s_.mu);
      if (auto it = s_.members.find(org); it != s_.members.end())
        for (const auto& [id, m] : it->second) all.push_back(m);
    }
    return paginate(all, page, [](const Membership& m) { return m.user.str(); });
  }

  Result<std::vector<Membership>> list_for_user(const UserId& user) override {
    SharedLock lock(s_.mu);
    std::vector<Membership> out;
    for (const auto& [org, members] : s_.members)
      if (auto it = members.find(user); it != members.end()) out.push_back(it->second);
    return out;
  }

  Result<Membership> set_roles(const OrgId& org, const UserId& user,
                               const std::vector<std::string>& roles) override {
    Lock lock(s_.mu);
    Membership* m = find(org, user);
    if (!m) return not_found("member");
    if (is_active_owner(*m) && !holds(roles, "owner") && !s_.has_other_active_owner(org, user))
      return Error{Errc::conflict, "the org would have no active owner"};
    m->roles = roles;
    return *m;
  }

  Result<Membership> set_active(const OrgId& org, const UserId& user, bool active) override {
    Lock lock(s_.mu);
    Membership* m = find(org, user);
    if (!m) return not_found("member");
    if (!active && is_active_owner(*m) && !s_.has_other_active_owner(org, user))
      return Error{Errc::conflict, "the org would have no active owner"};
    m->active = active;
    return *m;
  }

  Result<Membership> set_external_id(const OrgId& org, const UserId& user,
                                     std::string_view external_id) override {
    Lock lock(s_.mu);
    Membership* m = find(org, user);
    if (!m) return not_found("member");
    if (external_id_taken(org, user, external_id))
      return Error{Errc::conflict, "external id taken in this org"};
    m->external_id = std::string(external_id);
    return *m;
  }

  Result<Membership> set_scim_profile(const OrgId& org, const UserId& user,
                                      std::string_view external_id,
                                      std::string_view profile) override {
    Lock lock(s_.mu);
    Membership* m = find(org, user);
    if (!m) return not_found("member");
    if (external_id_taken(org, user, external_id))
      return Error{Errc::conflict, "external id taken in this org"};
    m->external_id = std::string(external_id);
    m->scim_profile = std::string(profile);
    return *m;
  }

  Result<void> remove(const OrgId& org, const UserId& user) override {
    Lock lock(s_.mu);
    Membership* m = find(org, user);
    if (!m) return not_found("member");
    if (is_active_owner(*m) && !s_.has_other_active_owner(org, user))
      return Error{Errc::conflict, "the last owner cannot leave"};
    s_.members[org].erase(user);
    return ok();
  }

  Result<std::int64_t> count(const OrgId& org) override {
    SharedLock lock(s_.mu);
    auto it = s_.members.find(org);
    return it == s_.members.end() ? 0 : static_cast<std::int64_t>(it->second.size());
  }

  Result<std::int64_t> count_with_role(const OrgId& org, std::string_view role) override {
    SharedLock lock(s_.mu);
    auto it = s_.members.find(org);
    if (it == s_.members.end()) return std::int64_t{0};
    return static_cast<std::int64_t>(
        std::count_if(it->second.begin(), it->second.end(),
                      [&](const auto& e) { return holds(e.second.roles, role); }));
  }

 private:
  // Caller holds the lock.
  bool external_id_taken(const OrgId& org, const UserId& user, std::string_view external_id) {
    if (external_id.empty()) return false;
    for (const auto& [id, other] : s_.members[org])
      if (id != user && other.external_id == external_id) return true;
    return false;
  }

  Membership* find(const OrgId& org, const UserId& user) {
    auto it = s_.members.find(org);
    if (it == s_.members.end()) return nullptr;
    auto m = it->second.find(user);
    return m == it->second.end() ? nullptr : &m->second;
  }

  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemInvitationStore final : public InvitationStore {
 public:
  explicit MemInvitationStore(State& s) : s_(s) {}

  Result<Invitation> create(const OrgId& org, const Invitation& inv,
                            std::optional<std::int64_t> seat_limit, Timestamp now) override {
    Invitation rec = inv;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    if (rec.id.empty()) return Error{Errc::bad_request, "missing invitation id"};
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return not_found("org");
    if (s_.invitations.count(rec.id)) return Error{Errc::conflict, "invitation id taken"};
    for (const auto& [id, other] : s_.invitations)
      if (other.org == org && other.email == rec.email && other.is_pending(now))
        return Error{Errc::conflict, "a pending invitation exists for this email"};
    if (auto u = s_.user_by_email.find(rec.email); u != s_.user_by_email.end()) {
      auto& members = s_.members[org];
      if (members.count(u->second)) return Error{Errc::conflict, "already a member"};
    }
    if (seat_limit && s_.seats_used(org, now) >= *seat_limit)
      return Error{Errc::seat_limit_reached, "no seat left"};
    s_.invitations.emplace(rec.id, rec);
    return rec;
  }

  Result<Invitation> get(const OrgId& org, const InvitationId& id) override {
    SharedLock lock(s_.mu);
    auto it = s_.invitations.find(id);
    if (it == s_.invitations.end() || it->second.org != org) return not_found("invitation");
    return it->second;
  }

  Result<std::optional<Invitation>> find_by_token_hash(std::string_view token_hash) override {
    SharedLock lock(s_.mu);
    for (const auto& [id, inv] : s_.invitations)
      if (inv.token_hash == token_hash) return std::optional<Invitation>(inv);
    return std::optional<Invitation>();
  }

  Result<Page<Invitation>> list_pending(const OrgId& org, const PageRequest& page,
                                        Timestamp now) override {
    std::vector<Invitation> all;
    {
      SharedLock lock(s_.mu);
      for (const auto& [id, inv] : s_.invitations)
        if (inv.org == org && inv.is_pending(now)) all.push_back(inv);
    }
    return paginate(all, page, [](const Invitation& i) { return i.id.str(); });
  }

  Result<Invitation> revoke(const OrgId& org, const InvitationId& id, Timestamp now) override {
    Lock lock(s_.mu);
    auto it = s_.invitations.find(id);
    if (it == s_.invitations.end() || it->second.org != org) return not_found("invitation");
    Invitation& inv = it->second;
    if (inv.accepted_at || inv.revoked_at) return Error{Errc::gone, "invitation already closed"};
    inv.revoked_at = now;
    return inv;
  }

  Result<Membership> accept(const OrgId& org, const InvitationId& id, const Membership& member,
                            Timestamp now) override {
    Membership rec = member;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    Lock lock(s_.mu);
    auto it = s_.invitations.find(id);
    if (it == s_.invitations.end() || it->second.org != org) return not_found("invitation");
    Invitation& inv = it->second;
    if (!inv.is_pending(now)) return Error{Errc::gone, "invitation accepted, revoked or expired"};
    auto& members = s_.members[org];
    if (members.count(rec.user)) return Error{Errc::conflict, "already a member"};
    inv.accepted_at = now;
    members.emplace(rec.user, rec);
    return rec;
  }

 private:
  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemRoleStore final : public RoleStore {
 public:
  explicit MemRoleStore(State& s) : s_(s) {}

  Result<Role> create(const OrgId& org, const Role& role) override {
    Role rec = role;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return not_found("org");
    auto& roles = s_.roles[org];
    if (roles.count(rec.name)) return Error{Errc::conflict, "role name taken"};
    roles.emplace(rec.name, rec);
    return rec;
  }

  Result<Role> get(const OrgId& org, std::string_view name) override {
    SharedLock lock(s_.mu);
    const Role* r = find(org, name);
    if (!r) return not_found("role");
    return *r;
  }

  Result<std::vector<Role>> list(const OrgId& org) override {
    SharedLock lock(s_.mu);
    std::vector<Role> out;
    if (auto it = s_.roles.find(org); it != s_.roles.end())
      for (const auto& [name, r] : it->second) out.push_back(r);
    return out;
  }

  Result<Role> update(const OrgId& org, const Role& role) override {
    Lock lock(s_.mu);
    Role* r = find(org, role.name);
    if (!r) return not_found("role");
    r->description = role.description;
    r->permissions = role.permissions;
    r->deny = role.deny;
    r->inherits = role.inherits;
    r->updated_at = role.updated_at;
    return *r;
  }

  Result<void> remove(const OrgId& org, std::string_view name) override {
    Lock lock(s_.mu);
    if (!find(org, name)) return not_found("role");
    if (auto it = s_.members.find(org); it != s_.members.end())
      for (const auto& [id, m] : it->second)
        if (holds(m.roles, name)) return Error{Errc::conflict, "a member holds the role"};
    auto& roles = s_.roles[org];
    roles.erase(roles.find(name));
    return ok();
  }

 private:
  Role* find(const OrgId& org, std::string_view name) {
    auto it = s_.roles.find(org);
    if (it == s_.roles.end()) return nullptr;
    auto r = it->second.find(name);
    return r == it->second.end() ? nullptr : &r->second;
  }

  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemWorkspaceStore final : public WorkspaceStore {
 public:
  explicit MemWorkspaceStore(State& s) : s_(s) {}

  Result<Workspace> create(const OrgId& org, const Workspace& ws,
                           std::optional<std::int64_t> max_count) override {
    Workspace rec = ws;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    if (rec.id.empty()) return Error{Errc::bad_request, "missing workspace id"};
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return not_found("org");
    if (s_.workspaces.count(rec.id)) return Error{Errc::conflict, "workspace id taken"};
    if (max_count && count_locked(org) >= *max_count)
      return Error{Errc::plan_limit_reached, "workspace limit reached"};
    s_.workspaces.emplace(rec.id, rec);
    return rec;
  }

  Result<Workspace> get(const OrgId& org, const WorkspaceId& id) override {
    SharedLock lock(s_.mu);
    auto it = s_.workspaces.find(id);
    if (it == s_.workspaces.end() || it->second.org != org) return not_found("workspace");
    return it->second;
  }

  Result<Page<Workspace>> list(const OrgId& org, const PageRequest& page) override {
    std::vector<Workspace> all;
    {
      SharedLock lock(s_.mu);
      for (const auto& [id, ws] : s_.workspaces)
        if (ws.org == org) all.push_back(ws);
    }
    return paginate(all, page, [](const Workspace& w) { return w.id.str(); });
  }

  Result<Workspace> update(const OrgId& org, const Workspace& ws) override {
    Lock lock(s_.mu);
    auto it = s_.workspaces.find(ws.id);
    if (it == s_.workspaces.end() || it->second.org != org) return not_found("workspace");
    it->second.name = ws.name;
    it->second.description = ws.description;
    it->second.updated_at = ws.updated_at;
    return it->second;
  }

  Result<void> remove(const OrgId& org, const WorkspaceId& id) override {
    Lock lock(s_.mu);
    auto it = s_.workspaces.find(id);
    if (it == s_.workspaces.end() || it->second.org != org) return not_found("workspace");
    s_.workspaces.erase(it);
    return ok();
  }

  Result<std::int64_t> count(const OrgId& org) override {
    SharedLock lock(s_.mu);
    return count_locked(org);
  }

 private:
  std::int64_t count_locked(const OrgId& org) const {
    return static_cast<std::int64_t>(
        std::count_if(s_.workspaces.begin(), s_.workspaces.end(),
                      [&](const auto& e) { return e.second.org == org; }));
  }

  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemScimTokenStore final : public ScimTokenStore {
 public:
  explicit MemScimTokenStore(State& s) : s_(s) {}

  Result<ScimToken> replace(const OrgId& org, const ScimToken& token) override {
    ScimToken rec = token;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    if (rec.id.empty()) return Error{Errc::bad_request, "missing SCIM token id"};
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return not_found("org");
    if (s_.scim_tokens.count(rec.id) || s_.scim_by_hash.count(rec.token_hash))
      return Error{Errc::conflict, "SCIM token taken"};
    revoke_locked(org, rec.created_at);
    s_.scim_tokens.emplace(rec.id, rec);
    s_.scim_by_hash.emplace(rec.token_hash, rec.id);
    return rec;
  }

  Result<std::optional<ScimToken>> find_by_hash(std::string_view token_hash) override {
    SharedLock lock(s_.mu);
    auto it = s_.scim_by_hash.find(token_hash);
    if (it == s_.scim_by_hash.end()) return std::optional<ScimToken>();
    return std::optional<ScimToken>(s_.scim_tokens.at(it->second));
  }

  Result<void> revoke(const OrgId& org, Timestamp now) override {
    Lock lock(s_.mu);
    revoke_locked(org, now);
    return ok();
  }

 private:
  void revoke_locked(const OrgId& org, Timestamp now) {
    for (auto& [id, t] : s_.scim_tokens)
      if (t.org == org && !t.revoked_at) t.revoked_at = now;
  }

  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemScimGroupStore final : public ScimGroupStore {
 public:
  explicit MemScimGroupStore(State& s) : s_(s) {}

  Result<ScimGroup> create(const OrgId& org, const ScimGroup& group) override {
    ScimGroup rec = group;
    if (auto r = adopt_org(org, rec); !r) return r.error();
    if (rec.id.empty()) return Error{Errc::bad_request, "missing SCIM group id"};
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return not_found("org");
    if (s_.scim_groups.count(rec.id)) return Error{Errc::conflict, "SCIM group id taken"};
    if (name_taken(org, rec.display_name, rec.id))
      return Error{Errc::conflict, "displayName already exists"};
    if (count_locked(org) >= kMaxGroupsPerOrg)
      return Error{Errc::plan_limit_reached, "too many SCIM groups"};
    s_.scim_groups.emplace(rec.id, rec);
    return rec;
  }

  Result<ScimGroup> get(const OrgId& org, const ScimGroupId& id) override {
    SharedLock lock(s_.mu);
    auto it = s_.scim_groups.find(id);
    if (it == s_.scim_groups.end() || it->second.org != org) return not_found("SCIM group");
    return it->second;
  }

  Result<std::vector<ScimGroup>> list(const OrgId& org) override {
    SharedLock lock(s_.mu);
    std::vector<ScimGroup> out;
    for (const auto& [id, g] : s_.scim_groups)
      if (g.org == org) out.push_back(g);
    return out;
  }

  Result<ScimGroup> update(const OrgId& org, const ScimGroup& group,
                           std::int64_t expected_version) override {
    Lock lock(s_.mu);
    auto it = s_.scim_groups.find(group.id);
    if (it == s_.scim_groups.end() || it->second.org != org) return not_found("SCIM group");
    if (it->second.version != expected_version)
      return Error{Errc::conflict, "SCIM group changed since it was read"};
    if (name_taken(org, group.display_name, group.id))
      return Error{Errc::conflict, "displayName already exists"};
    ScimGroup& g = it->second;
    g.display_name = group.display_name;
    g.external_id = group.external_id;
    g.members = group.members;
    g.version = group.version;
    g.updated_at = group.updated_at;
    return g;
  }

  Result<void> remove(const OrgId& org, const ScimGroupId& id) override {
    Lock lock(s_.mu);
    auto it = s_.scim_groups.find(id);
    if (it == s_.scim_groups.end() || it->second.org != org) return not_found("SCIM group");
    s_.scim_groups.erase(it);
    return ok();
  }

 private:
  static std::string fold(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  bool name_taken(const OrgId& org, std::string_view name, const ScimGroupId& except) const {
    const std::string key = fold(name);
    return std::any_of(s_.scim_groups.begin(), s_.scim_groups.end(), [&](const auto& e) {
      return e.second.org == org && e.first != except && fold(e.second.display_name) == key;
    });
  }
  std::size_t count_locked(const OrgId& org) const {
    return static_cast<std::size_t>(
        std::count_if(s_.scim_groups.begin(), s_.scim_groups.end(),
                      [&](const auto& e) { return e.second.org == org; }));
  }

  State& s_;
};

}  // namespace

std::unique_ptr<OrgStore> make_org_store(State& s) {
  return std::make_unique<MemOrgStore>(s);
}
std::unique_ptr<UserStore> make_user_store(State& s) {
  return std::make_unique<MemUserStore>(s);
}
std::unique_ptr<MembershipStore> make_membership_store(State& s) {
  return std::make_unique<MemMembershipStore>(s);
}
std::unique_ptr<InvitationStore> make_invitation_store(State& s) {
  return std::make_unique<MemInvitationStore>(s);
}
std::unique_ptr<RoleStore> make_role_store(State& s) {
  return std::make_unique<MemRoleStore>(s);
}
std::unique_ptr<WorkspaceStore> make_workspace_store(State& s) {
  return std::make_unique<MemWorkspaceStore>(s);
}
std::unique_ptr<ScimTokenStore> make_scim_token_store(State& s) {
  return std::make_unique<MemScimTokenStore>(s);
}
std::unique_ptr<ScimGroupStore> make_scim_group_store(State& s) {
  return std::make_unique<MemScimGroupStore>(s);
}

}  // namespace tenantkit::storage::memory
