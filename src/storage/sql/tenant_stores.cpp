// SPDX-License-Identifier: Apache-2.0
// Orgs, memberships, invitations, roles, workspaces, SCIM tokens and SCIM groups. Every statement
// filters by org id in code; on PostgreSQL the unit of work is also scoped for row-level security.
#include <algorithm>

// GCC 12 at -O1 (the asan preset) reports -Wmaybe-uninitialized inside std::optional's destructor
// for records holding optionals (a known false positive, GCC PR 105593-style); the code reads no
// uninitialised value.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "query.hpp"
#include "stores.hpp"

namespace tenantkit::storage::sql {
namespace {

bool has_role(const std::vector<std::string>& roles, std::string_view role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::optional<Membership> load_member(Db& db, soci::session& s, const std::string& org,
                                      const std::string& user) {
  return tenant_row<MembershipRow>(db, s, "memberships", "user_id", org, user);
}

// Active owners of `org` other than `user`.
long long other_active_owners(Db& db, soci::session& s, const std::string& org,
                              const std::string& user) {
  long long n = 0;
  MembershipRow r;
  Query(s, select(db, MembershipRow::kCols, "memberships",
                  "WHERE org_id = :o AND user_id <> :u AND active = tk_bool(1)"))
      .in(org)
      .in(user)
      .row(r)
      .each([&] {
        if (has_role(decode_list(r.roles), "owner")) ++n;
      });
  return n;
}

long long pending_invitations(Db& db, soci::session& s, const std::string& org, Timestamp now) {
  long long n = 0;
  Query(s, db.q("SELECT COUNT(*) FROM invitations WHERE org_id = :o AND accepted_at IS NULL AND "
                "revoked_at IS NULL AND expires_at > tk_ts(:now)"))
      .in(org)
      .in(us(now))
      .out(n)
      .one();
  return n;
}

long long member_count(soci::session& s, const std::string& org) {
  long long n = 0;
  Query(s, "SELECT COUNT(*) FROM memberships WHERE org_id = :o").in(org).out(n).one();
  return n;
}

void insert_member(Db& db, soci::session& s, const Membership& m) {
  Query(s, db.q("INSERT INTO memberships (org_id, user_id, roles, active, external_id, joined_at, "
                "scim_profile) VALUES (:o, :u, :r, tk_bool(:a), :e, tk_ts(:j), :p)"))
      .in(m.org.str())
      .in(m.user.str())
      .in(encode_list(m.roles))
      .in(static_cast<int>(m.active))
      .in(m.external_id)
      .in(us(m.joined_at))
      .in(m.scim_profile)
      .exec();
}

Error not_found(std::string_view what) {
  return Error{Errc::not_found, std::string(what) + " not found"};
}

// ----------------------------------------------------------------------------------------------
class SqlOrgStore final : public OrgStore {
 public:
  explicit SqlOrgStore(Db& db) : db_(db) {}

  Result<Org> create(const Org& org, const Membership& owner) override {
    return db_.run<Org>(
        Access::write, Scope::tenant(org.id.str()), [&](soci::session& s) -> Result<Org> {
          if (owner.org != org.id)
            return Error{Errc::validation_failed, "owner.org must equal org.id"};
          std::string existing;
          if (Query(s, "SELECT id FROM orgs WHERE id = :o").in(org.id.str()).out(existing).one())
            return Error{Errc::conflict, "org id taken"};
          Query(s, db_.q("INSERT INTO orgs (id, name, slug, created_at, updated_at) "
                         "VALUES (:i, :n, :s, tk_ts(:c), tk_ts(:u))"))
              .in(org.id.str())
              .in(org.name)
              .in(org.slug)
              .in(us(org.created_at))
              .in(us(org.updated_at))
              .exec();
          insert_member(db_, s, owner);
          return org;
        });
  }

  Result<Org> get(const OrgId& org) override {
    return db_.run<
        Org>(Access::read, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Org> {
      OrgRow r;
      if (!Query(s, select(db_, OrgRow::kCols, "orgs", "WHERE id = :o")).in(org.str()).row(r).one())
        return not_found("org");
      return r.get();
    });
  }

  Result<std::optional<Org>> find_by_slug(std::string_view slug) override {
    return find_unique<OrgRow>(db_, "tenantkit.lookup_slug", "orgs", "WHERE slug = :v",
                               std::string(slug));
  }

  Result<Org> update(const OrgId& org, std::string_view name, std::string_view slug,
                     Timestamp now) override {
    return db_.run<Org>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Org> {
          const auto n =
              Query(s, db_.q("UPDATE orgs SET name = :n, slug = :s, updated_at = tk_ts(:u) "
                             "WHERE id = :o"))
                  .in(std::string(name))
                  .in(std::string(slug))
                  .in(us(now))
                  .in(org.str())
                  .exec();
          if (n == 0) return not_found("org");
          OrgRow r;
          Query(s, select(db_, OrgRow::kCols, "orgs", "WHERE id = :o")).in(org.str()).row(r).one();
          return r.get();
        });
  }

  Result<void> remove(const OrgId& org) override {
    return db_.run<
        void>(Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<void> {
      if (!lock_org(db_, s, org.str())) return not_found("org");
      for (const char* table : {"memberships", "invitations", "api_keys", "roles", "usage_events",
                                "usage_daily", "subscriptions", "audit_events", "audit_heads",
                                "workspaces", "scim_tokens", "scim_groups"})
        Query(s, std::string("DELETE FROM ") + table + " WHERE org_id = :o").in(org.str()).exec();
      Query(s, "DELETE FROM idempotency_records WHERE scope = :s").in("org:" + org.str()).exec();
      Query(s, "DELETE FROM orgs WHERE id = :o").in(org.str()).exec();
      return ok();
    });
  }

  Result<std::int64_t> count() override {
    // The admin count is the one read over every org; its policy exposes only orgs rows, only
    // inside this transaction.
    return db_.run<std::int64_t>(Access::read, Scope::lookup("tenantkit.admin", "count"),
                                 [&](soci::session& s) -> Result<std::int64_t> {
                                   long long n = 0;
                                   Query(s, "SELECT COUNT(*) FROM orgs").out(n).one();
                                   return static_cast<std::int64_t>(n);
                                 });
  }

  Result<std::vector<OrgId>> list_ids(const std::optional<OrgId>& after, int limit) override {
    if (limit < 1 || limit > 1000)
      return Error{Errc::validation_failed, "invalid limit", {{"limit", "must be 1..1000"}}};
    // Same narrow policy as count(): org rows only, only inside this transaction.
    return db_.run<std::vector<OrgId>>(
        Access::read, Scope::lookup("tenantkit.admin", "count"),
        [&](soci::session& s) -> Result<std::vector<OrgId>> {
          std::vector<OrgId> out;
          std::string id;
          Query(s, "SELECT id FROM orgs WHERE id > :a ORDER BY id LIMIT :l")
              .in(after ? after->str() : std::string())
              .in(limit)
              .out(id)
              .each([&] { out.push_back(OrgId::from_trusted(id)); });
          return out;
        });
  }

 private:
  Db& db_;
};

// ----------------------------------------------------------------------------------------------
class SqlMembershipStore final : public MembershipStore {
 public:
  explicit SqlMembershipStore(Db& db) : db_(db) {}

  Result<Membership> add(const OrgId& org, const Membership& m,
                         std::optional<std::int64_t> seat_limit) override {
    return db_.run<Membership>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Membership> {
          if (m.org != org) return Error{Errc::validation_failed, "membership org mismatch"};
          if (!lock_org(db_, s, org.str())) return not_found("org");
          if (load_member(db_, s, org.str(), m.user.str()))
            return Error{Errc::conflict, "already a member"};
          if (seat_limit &&
              member_count(s, org.str()) + pending_invitations(db_, s, org.str(), m.joined_at) >=
                  *seat_limit)
            return Error{Errc::seat_limit_reached, "no seat left"};
          insert_member(db_, s, m);
          return m;
        });
  }

  Result<Membership> get(const OrgId& org, const UserId& user) override {
    return db_.run<Membership>(Access::read, Scope::tenant(org.str()),
                               [&](soci::session& s) -> Result<Membership> {
                                 auto m = load_member(db_, s, org.str(), user.str());
                                 if (!m) return not_found("membership");
                                 return *m;
                               });
  }

  Result<Page<Membership>> list(const OrgId& org, const PageRequest& page) override {
    return tenant_page<MembershipRow, Membership>(db_, org.str(), page, MembershipRow::kCols,
                                                  "memberships", "user_id",
                                                  [](const Membership& x) { return x.user.str(); });
  }

  Result<std::vector<Membership>> list_for_user(const UserId& user) override {
    return db_.run<std::vector<Membership>>(
        Access::read, Scope::lookup("tenantkit.lookup_user", user.str()),
        [&](soci::session& s) -> Result<std::vector<Membership>> {
          std::vector<Membership> out;
          MembershipRow r;
          Query(s, select(db_, MembershipRow::kCols, "memberships",
                          "WHERE user_id = :u ORDER BY org_id"))
              .in(user.str())
              .row(r)
              .each([&] { out.push_back(r.get()); });
          return out;
        });
  }

  Result<Membership> set_roles(const OrgId& org, const UserId& user,
                               const std::vector<std::string>& roles) override {
    return mutate(org, user, [&](soci::session& s, Membership& m) -> Result<void> {
      if (m.active && has_role(m.roles, "owner") && !has_role(roles, "owner") &&
          other_active_owners(db_, s, org.str(), user.str()) == 0)
        return Error{Errc::conflict, "the org would have no active owner"};
      m.roles = roles;
      Query(s, "UPDATE memberships SET roles = :r WHERE org_id = :o AND user_id = :u")
          .in(encode_list(roles))
          .in(org.str())
          .in(user.str())
          .exec();
      return ok();
    });
  }

  Result<Membership> set_active(const OrgId& org, const UserId& user, bool active) override {
    return mutate(org, user, [&](soci::session& s, Membership& m) -> Result<void> {
      if (!active && m.active && has_role(m.roles, "owner") &&
          other_active_owners(db_, s, org.str(), user.str()) == 0)
        return Error{Errc::conflict, "the org would have no active owner"};
      m.active = active;
      Query(s, db_.q("UPDATE memberships SET active = tk_bool(:a) WHERE org_id = :o AND "
                     "user_id = :u"))
          .in(static_cast<int>(active))
          .in(org.str())
          .in(user.str())
          .exec();
      return ok();
    });
  }

  Result<Membership> set_external_id(const OrgId& org, const UserId& user,
                                     std::string_view external_id) override {
    const std::string ext(external_id);
    return mutate(org, user, [&](soci::session& s, Membership& m) -> Result<void> {
      if (external_id_taken(s, org, user, ext))
        return Error{Errc::conflict, "external id taken in this org"};
      m.external_id = ext;
      Query(s, "UPDATE memberships SET external_id = :e WHERE org_id = :o AND user_id = :u")
          .in(ext)
          .in(org.str())
          .in(user.str())
          .exec();
      return ok();
    });
  }

  Result<Membership> set_scim_profile(const OrgId& org, const UserId& user,
                                      std::string_view external_id,
                                      std::string_view profile) override {
    const std::string ext(external_id), prof(profile);
    return mutate(org, user, [&](soci::session& s, Membership& m) -> Result<void> {
      if (external_id_taken(s, org, user, ext))
        return Error{Errc::conflict, "external id taken in this org"};
      m.external_id = ext;
      m.scim_profile = prof;
      Query(s,
            "UPDATE memberships SET external_id = :e, scim_profile = :p WHERE org_id = :o AND "
            "user_id = :u")
          .in(ext)
          .in(prof)
          .in(org.str())
          .in(user.str())
          .exec();
      return ok();
    });
  }

  Result<void> remove(const OrgId& org, const UserId& user) override {
    auto r = mutate(org, user, [&](soci::session& s, Membership& m) -> Result<void> {
      if (m.active && has_role(m.roles, "owner") &&
          other_active_owners(db_, s, org.str(), user.str()) == 0)
        return Error{Errc::conflict, "cannot remove the last active owner"};
      Query(s, "DELETE FROM memberships WHERE org_id = :o AND user_id = :u")
          .in(org.str())
          .in(user.str())
          .exec();
      return ok();
    });
    if (!r) return r.error();
    return ok();
  }

  Result<std::int64_t> count(const OrgId& org) override {
    return db_.run<std::int64_t>(Access::read, Scope::tenant(org.str()),
                                 [&](soci::session& s) -> Result<std::int64_t> {
                                   return static_cast<std::int64_t>(member_count(s, org.str()));
                                 });
  }

  Result<std::int64_t> count_with_role(const OrgId& org, std::string_view role) override {
    return db_.run<std::int64_t>(Access::read, Scope::tenant(org.str()),
                                 [&](soci::session& s) -> Result<std::int64_t> {
                                   std::int64_t n = 0;
                                   std::string roles;
                                   Query(s, "SELECT roles FROM memberships WHERE org_id = :o")
                                       .in(org.str())
                                       .out(roles)
                                       .each([&] {
                                         if (has_role(decode_list(roles), role)) ++n;
                                       });
                                   return n;
                                 });
  }

 private:
  static bool external_id_taken(soci::session& s, const OrgId& org, const UserId& user,
                                const std::string& ext) {
    if (ext.empty()) return false;
    std::string other;
    return Query(s,
                 "SELECT user_id FROM memberships WHERE org_id = :o AND external_id = :e AND "
                 "user_id <> :u")
        .in(org.str())
        .in(ext)
        .in(user.str())
        .out(other)
        .one();
  }

  template <class F>
  Result<Membership> mutate(const OrgId& org, const UserId& user, F&& f) {
    return db_.run<Membership>(Access::write, Scope::tenant(org.str()),
                               [&](soci::session& s) -> Result<Membership> {
                                 if (!lock_org(db_, s, org.str())) return not_found("org");
                                 auto m = load_member(db_, s, org.str(), user.str());
                                 if (!m) return not_found("membership");
                                 auto r = f(s, *m);
                                 if (!r) return r.error();
                                 return *m;
                               });
  }

  Db& db_;
};

// ----------------------------------------------------------------------------------------------
class SqlInvitationStore final : public InvitationStore {
 public:
  explicit SqlInvitationStore(Db& db) : db_(db) {}

  Result<Invitation> create(const OrgId& org, const Invitation& inv,
                            std::optional<std::int64_t> seat_limit, Timestamp now) override {
    return db_.run<Invitation>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Invitation> {
          if (inv.org != org) return Error{Errc::validation_failed, "invitation org mismatch"};
          if (!lock_org(db_, s, org.str())) return not_found("org");
          std::string id;
          if (Query(s, db_.q("SELECT id FROM invitations WHERE org_id = :o AND email = :e AND "
                             "accepted_at IS NULL AND revoked_at IS NULL AND expires_at > "
                             "tk_ts(:now)"))
                  .in(org.str())
                  .in(inv.email)
                  .in(us(now))
                  .out(id)
                  .one())
            return Error{Errc::conflict, "a pending invitation exists for this email"};
          if (Query(s,
                    "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id "
                    "WHERE m.org_id = :o AND u.email = :e")
                  .in(org.str())
                  .in(inv.email)
                  .out(id)
                  .one())
            return Error{Errc::conflict, "already a member"};
          if (seat_limit &&
              member_count(s, org.str()) + pending_invitations(db_, s, org.str(), now) >=
                  *seat_limit)
            return Error{Errc::seat_limit_reached, "no seat left"};
          OptTsIn acc(inv.accepted_at), rev(inv.revoked_at);
          Query(s, db_.q("INSERT INTO invitations (org_id, id, email, role, token_hash, "
                         "invited_by, created_at, expires_at, accepted_at, revoked_at) VALUES "
                         "(:o, :i, :e, :r, :t, :b, tk_ts(:c), tk_ts(:x), tk_ts(:a), tk_ts(:v))"))
              .in(org.str())
              .in(inv.id.str())
              .in(inv.email)
              .in(inv.role)
              .in(inv.token_hash)
              .in(inv.invited_by.str())
              .in(us(inv.created_at))
              .in(us(inv.expires_at))
              .in(acc)
              .in(rev)
              .exec();
          return inv;
        });
  }

  Result<Invitation> get(const OrgId& org, const InvitationId& id) override {
    return db_.run<Invitation>(Access::read, Scope::tenant(org.str()),
                               [&](soci::session& s) -> Result<Invitation> {
                                 auto inv = load(s, org.str(), id.str(), false);
                                 if (!inv) return not_found("invitation");
                                 return *inv;
                               });
  }

  Result<std::optional<Invitation>> find_by_token_hash(std::string_view token_hash) override {
    return find_unique<InvitationRow>(db_, "tenantkit.lookup_token", "invitations",
                                      "WHERE token_hash = :v", std::string(token_hash));
  }

  Result<Page<Invitation>> list_pending(const OrgId& org, const PageRequest& page,
                                        Timestamp now) override {
    const auto now_us = us(now);
    return tenant_page<InvitationRow, Invitation>(
        db_, org.str(), page, InvitationRow::kCols, "invitations", "id",
        [](const Invitation& x) { return x.id.str(); },
        " AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > tk_ts(:now)",
        [&](Query& q) { q.in(now_us); });
  }

  Result<Invitation> revoke(const OrgId& org, const InvitationId& id, Timestamp now) override {
    return db_.run<Invitation>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Invitation> {
          auto inv = load(s, org.str(), id.str(), true);
          if (!inv) return not_found("invitation");
          if (inv->accepted_at || inv->revoked_at)
            return Error{Errc::gone, "invitation already accepted or revoked"};
          Query(s, db_.q("UPDATE invitations SET revoked_at = tk_ts(:n) WHERE org_id = :o AND "
                         "id = :i"))
              .in(us(now))
              .in(org.str())
              .in(id.str())
              .exec();
          inv->revoked_at = now;
          return *inv;
        });
  }

  Result<Membership> accept(const OrgId& org, const InvitationId& id, const Membership& member,
                            Timestamp now) override {
    return db_.run<Membership>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Membership> {
          if (member.org != org) return Error{Errc::validation_failed, "membership org mismatch"};
          // The org lock orders this against seat-limited adds and invitations of the org.
          if (!lock_org(db_, s, org.str())) return not_found("org");
          auto inv = load(s, org.str(), id.str(), true);
          if (!inv) return not_found("invitation");
          if (!inv->is_pending(now)) return Error{Errc::gone, "invitation is no longer pending"};
          if (load_member(db_, s, org.str(), member.user.str()))
            return Error{Errc::conflict, "already a member"};
          insert_member(db_, s, member);
          Query(s, db_.q("UPDATE invitations SET accepted_at = tk_ts(:n) WHERE org_id = :o AND "
                         "id = :i"))
              .in(us(now))
              .in(org.str())
              .in(id.str())
              .exec();
          return member;
        });
  }

 private:
  std::optional<Invitation> load(soci::session& s, const std::string& org, const std::string& id,
                                 bool lock) {
    return tenant_row<InvitationRow>(db_, s, "invitations", "id", org, id, lock);
  }

  Db& db_;
};

// ----------------------------------------------------------------------------------------------
class SqlRoleStore final : public RoleStore {
 public:
  explicit SqlRoleStore(Db& db) : db_(db) {}

  Result<Role> create(const OrgId& org, const Role& role) override {
    return db_.run<Role>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Role> {
          if (!lock_org(db_, s, org.str())) return not_found("org");
          if (load(s, org.str(), role.name)) return Error{Errc::conflict, "role name taken"};
          Role stored = role;
          stored.org = org;
          Query(s,
                db_.q("INSERT INTO roles (org_id, name, description, permissions, deny, inherits, "
                      "created_at, updated_at) VALUES (:o, :n, :d, :p, :x, :i, tk_ts(:c), "
                      "tk_ts(:u))"))
              .in(org.str())
              .in(role.name)
              .in(role.description)
              .in(encode_list(role.permissions))
              .in(encode_list(role.deny))
              .in(encode_list(role.inherits))
              .in(us(role.created_at))
              .in(us(role.updated_at))
              .exec();
          return stored;
        });
  }

  Result<Role> get(const OrgId& org, std::string_view name) override {
    const std::string n(name);
    return db_.run<Role>(Access::read, Scope::tenant(org.str()),
                         [&](soci::session& s) -> Result<Role> {
                           auto r = load(s, org.str(), n);
                           if (!r) return not_found("role");
                           return *r;
                         });
  }

  Result<std::vector<Role>> list(const OrgId& org) override {
    return db_.run<std::vector<Role>>(
        Access::read, Scope::tenant(org.str()), [&](soci::session& s) -> Result<std::vector<Role>> {
          std::vector<Role> out;
          RoleRow r;
          Query(s, select(db_, RoleRow::kCols, "roles", "WHERE org_id = :o ORDER BY name"))
              .in(org.str())
              .row(r)
              .each([&] { out.push_back(r.get()); });
          return out;
        });
  }

  Result<Role> update(const OrgId& org, const Role& role) override {
    return db_.run<Role>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Role> {
          const auto n =
              Query(s, db_.q("UPDATE roles SET description = :d, permissions = :p, deny = "
                             ":x, inherits = :i, updated_at = tk_ts(:u) WHERE org_id = :o "
                             "AND name = :n"))
                  .in(role.description)
                  .in(encode_list(role.permissions))
                  .in(encode_list(role.deny))
                  .in(encode_list(role.inherits))
                  .in(us(role.updated_at))
                  .in(org.str())
                  .in(role.name)
                  .exec();
          if (n == 0) return not_found("role");
          return *load(s, org.str(), role.name);
        });
  }

  Result<void> remove(const OrgId& org, std::string_view name) override {
    const std::string n(name);
    return db_.run<void>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<void> {
          // MembershipStore::set_roles locks the org too: no member can be given the role
          // between the check below and the delete.
          if (!lock_org(db_, s, org.str())) return not_found("role");
          if (!load(s, org.str(), n)) return not_found("role");
          bool held = false;
          std::string roles;
          Query(s, "SELECT roles FROM memberships WHERE org_id = :o")
              .in(org.str())
              .out(roles)
              .each([&] {
                if (has_role(decode_list(roles), n)) held = true;
              });
          if (held) return Error{Errc::conflict, "a member holds this role"};
          Query(s, "DELETE FROM roles WHERE org_id = :o AND name = :n").in(org.str()).in(n).exec();
          return ok();
        });
  }

 private:
  std::optional<Role> load(soci::session& s, const std::string& org, const std::string& name) {
    RoleRow r;
    if (!Query(s, select(db_, RoleRow::kCols, "roles", "WHERE org_id = :o AND name = :n"))
             .in(org)
             .in(name)
             .row(r)
             .one())
      return std::nullopt;
    return r.get();
  }

  Db& db_;
};

// ----------------------------------------------------------------------------------------------
class SqlWorkspaceStore final : public WorkspaceStore {
 public:
  explicit SqlWorkspaceStore(Db& db) : db_(db) {}

  Result<Workspace> create(const OrgId& org, const Workspace& ws,
                           std::optional<std::int64_t> max_count) override {
    return db_.run<Workspace>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Workspace> {
          if (!lock_org(db_, s, org.str())) return not_found("org");
          if (load(s, org.str(), ws.id.str())) return Error{Errc::conflict, "workspace id taken"};
          if (max_count && count_in(s, org.str()) >= *max_count)
            return Error{Errc::plan_limit_reached, "workspace limit reached"};
          Workspace stored = ws;
          stored.org = org;
          Query(s, db_.q("INSERT INTO workspaces (org_id, id, name, description, created_at, "
                         "updated_at) VALUES (:o, :i, :n, :d, tk_ts(:c), tk_ts(:u))"))
              .in(org.str())
              .in(ws.id.str())
              .in(ws.name)
              .in(ws.description)
              .in(us(ws.created_at))
              .in(us(ws.updated_at))
              .exec();
          return stored;
        });
  }

  Result<Workspace> get(const OrgId& org, const WorkspaceId& id) override {
    return db_.run<Workspace>(Access::read, Scope::tenant(org.str()),
                              [&](soci::session& s) -> Result<Workspace> {
                                auto w = load(s, org.str(), id.str());
                                if (!w) return not_found("workspace");
                                return *w;
                              });
  }

  Result<Page<Workspace>> list(const OrgId& org, const PageRequest& page) override {
    return tenant_page<WorkspaceRow, Workspace>(db_, org.str(), page, WorkspaceRow::kCols,
                                                "workspaces", "id",
                                                [](const Workspace& x) { return x.id.str(); });
  }

  Result<Workspace> update(const OrgId& org, const Workspace& ws) override {
    return db_.run<Workspace>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Workspace> {
          const auto n = Query(s, db_.q("UPDATE workspaces SET name = :n, description = :d, "
                                        "updated_at = tk_ts(:u) WHERE org_id = :o AND id = :i"))
                             .in(ws.name)
                             .in(ws.description)
                             .in(us(ws.updated_at))
                             .in(org.str())
                             .in(ws.id.str())
                             .exec();
          if (n == 0) return not_found("workspace");
          return *load(s, org.str(), ws.id.str());
        });
  }

  Result<void> remove(const OrgId& org, const WorkspaceId& id) override {
    return db_.run<void>(Access::write, Scope::tenant(org.str()),
                         [&](soci::session& s) -> Result<void> {
                           if (Query(s, "DELETE FROM workspaces WHERE org_id = :o AND id = :i")
                                   .in(org.str())
                                   .in(id.str())
                                   .exec() == 0)
                             return not_found("workspace");
                           return ok();
                         });
  }

  Result<std::int64_t> count(const OrgId& org) override {
    return db_.run<std::int64_t>(Access::read, Scope::tenant(org.str()),
                                 [&](soci::session& s) -> Result<std::int64_t> {
                                   return static_cast<std::int64_t>(count_in(s, org.str()));
                                 });
  }

 private:
  long long count_in(soci::session& s, const std::string& org) {
    long long n = 0;
    Query(s, "SELECT COUNT(*) FROM workspaces WHERE org_id = :o").in(org).out(n).one();
    return n;
  }
  std::optional<Workspace> load(soci::session& s, const std::string& org, const std::string& id) {
    return tenant_row<WorkspaceRow>(db_, s, "workspaces", "id", org, id);
  }

  Db& db_;
};

// ----------------------------------------------------------------------------------------------
class SqlScimTokenStore final : public ScimTokenStore {
 public:
  explicit SqlScimTokenStore(Db& db) : db_(db) {}

  Result<ScimToken> replace(const OrgId& org, const ScimToken& token) override {
    return db_.run<ScimToken>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<ScimToken> {
          if (!lock_org(db_, s, org.str())) return not_found("org");
          Query(s, db_.q("UPDATE scim_tokens SET revoked_at = tk_ts(:n) WHERE org_id = :o AND "
                         "revoked_at IS NULL"))
              .in(us(token.created_at))
              .in(org.str())
              .exec();
          ScimToken stored = token;
          stored.org = org;
          OptTsIn rev(token.revoked_at);
          Query(s, db_.q("INSERT INTO scim_tokens (org_id, id, token_hash, created_at, "
                         "revoked_at) VALUES (:o, :i, :h, tk_ts(:c), tk_ts(:r))"))
              .in(org.str())
              .in(token.id.str())
              .in(token.token_hash)
              .in(us(token.created_at))
              .in(rev)
              .exec();
          return stored;
        });
  }

  Result<std::optional<ScimToken>> find_by_hash(std::string_view token_hash) override {
    return find_unique<ScimRow>(db_, "tenantkit.lookup_token", "scim_tokens",
                                "WHERE token_hash = :v", std::string(token_hash));
  }

  Result<void> revoke(const OrgId& org, Timestamp now) override {
    return db_.run<void>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<void> {
          Query(s, db_.q("UPDATE scim_tokens SET revoked_at = tk_ts(:n) WHERE org_id = :o AND "
                         "revoked_at IS NULL"))
              .in(us(now))
              .in(org.str())
              .exec();
          return ok();
        });
  }

 private:
  Db& db_;
};

// ----------------------------------------------------------------------------------------------
struct ScimGroupRow {
  static constexpr const char* kCols =
      "id, org_id, display_name, external_id, members, version, tk_us(created_at), "
      "tk_us(updated_at)";
  std::string id, org, display_name, external_id, members;
  long long version = 0, created = 0, updated = 0;
  void bind(Query& q) {
    q.out(id)
        .out(org)
        .out(display_name)
        .out(external_id)
        .out(members)
        .out(version)
        .out(created)
        .out(updated);
  }
  ScimGroup get() const {
    ScimGroup g{ScimGroupId::from_trusted(id),
                OrgId::from_trusted(org),
                display_name,
                external_id,
                {},
                version,
                ts(created),
                ts(updated)};
    for (const std::string& m : decode_list(members)) g.members.push_back(UserId::from_trusted(m));
    return g;
  }
};

std::string display_key(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string member_list(const ScimGroup& g) {
  std::vector<std::string> ids;
  ids.reserve(g.members.size());
  for (const UserId& u : g.members) ids.push_back(u.str());
  return encode_list(ids);
}

class SqlScimGroupStore final : public ScimGroupStore {
 public:
  explicit SqlScimGroupStore(Db& db) : db_(db) {}

  Result<ScimGroup> create(const OrgId& org, const ScimGroup& group) override {
    return db_.run<ScimGroup>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<ScimGroup> {
          if (!lock_org(db_, s, org.str())) return not_found("org");
          if (load(s, org.str(), group.id.str()))
            return Error{Errc::conflict, "SCIM group id taken"};
          if (name_taken(s, org.str(), group.display_name, group.id.str()))
            return Error{Errc::conflict, "displayName already exists"};
          long long n = 0;
          Query(s, "SELECT COUNT(*) FROM scim_groups WHERE org_id = :o").in(org.str()).out(n).one();
          if (n >= static_cast<long long>(kMaxGroupsPerOrg))
            return Error{Errc::plan_limit_reached, "too many SCIM groups"};
          ScimGroup stored = group;
          stored.org = org;
          const long long version = group.version;
          Query(s, db_.q("INSERT INTO scim_groups (org_id, id, display_name, display_key, "
                         "external_id, members, version, created_at, updated_at) VALUES (:o, :i, "
                         ":n, :k, :e, :m, :v, tk_ts(:c), tk_ts(:u))"))
              .in(org.str())
              .in(group.id.str())
              .in(group.display_name)
              .in(display_key(group.display_name))
              .in(group.external_id)
              .in(member_list(group))
              .in(version)
              .in(us(group.created_at))
              .in(us(group.updated_at))
              .exec();
          return stored;
        });
  }

  Result<ScimGroup> get(const OrgId& org, const ScimGroupId& id) override {
    return db_.run<ScimGroup>(Access::read, Scope::tenant(org.str()),
                              [&](soci::session& s) -> Result<ScimGroup> {
                                auto g = load(s, org.str(), id.str());
                                if (!g) return not_found("SCIM group");
                                return *g;
                              });
  }

  Result<std::vector<ScimGroup>> list(const OrgId& org) override {
    return db_.run<std::vector<ScimGroup>>(
        Access::read, Scope::tenant(org.str()),
        [&](soci::session& s) -> Result<std::vector<ScimGroup>> {
          std::vector<ScimGroup> out;
          ScimGroupRow r;
          Query(s, select(db_, ScimGroupRow::kCols, "scim_groups", "WHERE org_id = :o ORDER BY id"))
              .in(org.str())
              .row(r)
              .each([&] { out.push_back(r.get()); });
          return out;
        });
  }

  Result<ScimGroup> update(const OrgId& org, const ScimGroup& group,
                           std::int64_t expected_version) override {
    return db_.run<ScimGroup>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<ScimGroup> {
          auto stored = load(s, org.str(), group.id.str(), true);
          if (!stored) return not_found("SCIM group");
          if (stored->version != expected_version)
            return Error{Errc::conflict, "SCIM group changed since it was read"};
          if (name_taken(s, org.str(), group.display_name, group.id.str()))
            return Error{Errc::conflict, "displayName already exists"};
          const long long version = group.version, expected = expected_version;
          // The row is locked (PostgreSQL) or the transaction exclusive (SQLite); the version
          // condition still makes the compare-and-set hold on its own.
          if (Query(s, db_.q("UPDATE scim_groups SET display_name = :n, display_key = :k, "
                             "external_id = :e, members = :m, version = :v, updated_at = "
                             "tk_ts(:u) WHERE org_id = :o AND id = :i AND version = :x"))
                  .in(group.display_name)
                  .in(display_key(group.display_name))
                  .in(group.external_id)
                  .in(member_list(group))
                  .in(version)
                  .in(us(group.updated_at))
                  .in(org.str())
                  .in(group.id.str())
                  .in(expected)
                  .exec() == 0)
            return Error{Errc::conflict, "SCIM group changed since it was read"};
          return *load(s, org.str(), group.id.str());
        });
  }

  Result<void> remove(const OrgId& org, const ScimGroupId& id) override {
    return db_.run<void>(Access::write, Scope::tenant(org.str()),
                         [&](soci::session& s) -> Result<void> {
                           if (Query(s, "DELETE FROM scim_groups WHERE org_id = :o AND id = :i")
                                   .in(org.str())
                                   .in(id.str())
                                   .exec() == 0)
                             return not_found("SCIM group");
                           return ok();
                         });
  }

 private:
  bool name_taken(soci::session& s, const std::string& org, std::string_view name,
                  const std::string& except) {
    std::string id;
    return Query(s,
                 "SELECT id FROM scim_groups WHERE org_id = :o AND display_key = :k AND "
                 "id <> :i")
        .in(org)
        .in(display_key(name))
        .in(except)
        .out(id)
        .one();
  }
  std::optional<ScimGroup> load(soci::session& s, const std::string& org, const std::string& id,
                                bool lock = false) {
    return tenant_row<ScimGroupRow>(db_, s, "scim_groups", "id", org, id, lock);
  }

  Db& db_;
};

}  // namespace

std::unique_ptr<OrgStore> make_org_store(Db& db) {
  return std::make_unique<SqlOrgStore>(db);
}
std::unique_ptr<MembershipStore> make_membership_store(Db& db) {
  return std::make_unique<SqlMembershipStore>(db);
}
std::unique_ptr<InvitationStore> make_invitation_store(Db& db) {
  return std::make_unique<SqlInvitationStore>(db);
}
std::unique_ptr<RoleStore> make_role_store(Db& db) {
  return std::make_unique<SqlRoleStore>(db);
}
std::unique_ptr<WorkspaceStore> make_workspace_store(Db& db) {
  return std::make_unique<SqlWorkspaceStore>(db);
}
std::unique_ptr<ScimTokenStore> make_scim_token_store(Db& db) {
  return std::make_unique<SqlScimTokenStore>(db);
}
std::unique_ptr<ScimGroupStore> make_scim_group_store(Db& db) {
  return std::make_unique<SqlScimGroupStore>(db);
}

}  // namespace tenantkit::storage::sql
