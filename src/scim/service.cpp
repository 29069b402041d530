// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cctype>

#include <tenantkit/core/encoding.hpp>
#include <tenantkit/rbac/role.hpp>
#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/patch.hpp>
#include <tenantkit/scim/service.hpp>

#include "json_model.hpp"

namespace tenantkit::scim {
namespace json = boost::json;
using detail::iequals;

namespace {

constexpr std::string_view kTokenPrefix = "scim_";
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenLength = 5 + 43;  // prefix + base64url(32 bytes), unpadded
constexpr std::size_t kMaxUserName = 254;     // longest email address (RFC 5321 path limit)

Error not_found_user() {
  return Error{Errc::not_found, "Resource not found"};
}

// userName is the user's login email (storage::User::email): trimmed, lower-cased, and shaped
// like an address, since password resets and invitations go to it.
Result<std::string> normalize_user_name(std::string_view raw) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front())))
    raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  const auto at = raw.find('@');
  bool valid = !raw.empty() && raw.size() <= kMaxUserName && at != std::string_view::npos &&
               at > 0 && at + 1 < raw.size() && raw.find('@', at + 1) == std::string_view::npos;
  for (char c : raw)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) valid = false;
  if (!valid)
    return make_error(Errc::bad_request, scim_type::invalid_value,
                      "userName must be the user's email address");
  return detail::lower(raw);
}

// What the rest of tenantkit shows as the person's name.
std::string display_name_of(const UserResource& r) {
  if (!r.display_name.empty()) return r.display_name;
  if (!r.name.formatted.empty()) return r.name.formatted;
  std::string n = r.name.given_name;
  if (!r.name.family_name.empty()) n += (n.empty() ? "" : " ") + r.name.family_name;
  return n;
}

// Membership::scim_profile: the directory's attributes (userName as sent; active and externalId
// live in their own columns), the version behind the ETag and lastModified.
std::string profile_json(const UserResource& r) {
  json::object attrs = detail::attributes_object(r);
  detail::erase_ci(attrs, "active");
  detail::erase_ci(attrs, "externalId");
  json::object p;
  p["attributes"] = std::move(attrs);
  p["version"] = r.meta.version;
  p["lastModified"] = format_rfc3339(r.meta.last_modified);
  return json::serialize(p);
}

UserResource resource_from(const storage::User& u, const storage::Membership& m) {
  UserResource r;
  bool from_profile = false;
  if (!m.scim_profile.empty()) {
    auto p = detail::parse_json(m.scim_profile);
    if (p && p->is_object()) {
      const json::object& po = p->get_object();
      const json::value* attrs = po.if_contains("attributes");
      if (attrs && attrs->is_object()) {
        json::object a = attrs->get_object();
        const json::value* un = detail::find_ci(a, "userName");
        // The directory's spelling of userName, as long as it still names the login email.
        if (!un || !un->is_string() || !iequals(un->get_string(), u.email)) {
          detail::erase_ci(a, "userName");
          a["userName"] = u.email;
        }
        if (auto parsed = detail::user_from_object(a)) {
          r = std::move(*parsed);
          from_profile = true;
        }
      }
      if (const json::value* v = po.if_contains("version"); v && v->is_int64())
        r.meta.version = v->get_int64();
      if (const json::value* lm = po.if_contains("lastModified"); lm && lm->is_string())
        if (auto t = parse_rfc3339(lm->get_string())) r.meta.last_modified = *t;
    }
  }
  if (!from_profile) {
    // A member who joined outside SCIM: what tenantkit knows about them.
    r.user_name = u.email;
    r.display_name = u.name;
    r.name.formatted = u.name;
    r.emails.push_back(Email{u.email, "work", "", true});
    r.meta.version = 1;
    r.meta.last_modified = m.joined_at;
  }
  r.id = u.id.str();
  r.active = m.active;
  r.external_id = m.external_id;
  r.meta.created = m.joined_at;
  if (r.meta.last_modified < r.meta.created) r.meta.last_modified = r.meta.created;
  return r;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool is_builtin_role(std::string_view r) {
  return r == rbac::role::owner || r == rbac::role::admin || r == rbac::role::member ||
         r == rbac::role::billing || r == rbac::role::readonly || r == rbac::role::viewer;
}

// Pages through every membership of `org`.
template <class F>
Result<void> for_each_member(storage::MembershipStore& store, const OrgId& org, F&& f) {
  PageRequest page;
  page.limit = PageRequest::kMaxLimit;
  for (;;) {
    auto batch = store.list(org, page);
    if (!batch) return batch.error();
    for (const storage::Membership& m : batch->items)
      if (auto r = f(m); !r) return r;
    if (!batch->next_cursor) return ok();
    page.cursor = *batch->next_cursor;
  }
}

}  // namespace

struct ScimService::Loaded {
  storage::User user;
  storage::Membership membership;
  UserResource resource;
};

ScimService::ScimService(storage::Storage& storage, const apikey::KeyHasher& hasher, Random& random,
                         const Clock& clock, ScimOptions options)
    : storage_(storage),
      hasher_(hasher),
      random_(random),
      clock_(clock),
      options_(std::move(options)) {
  if (options_.max_results < 1) options_.max_results = 1;
}

// ---------------------------------------------------------------------------------------------
// Tokens

Result<IssuedToken> ScimService::issue_token(const OrgId& org) {
  std::string raw(kTokenBytes, '\0');
  random_.fill(std::as_writable_bytes(std::span(raw.data(), raw.size())));
  Secret token(std::string(kTokenPrefix) + base64url_encode(raw));
  secure_wipe(raw);
  storage::ScimToken rec;
  rec.id = ScimTokenId::generate(random_, clock_);
  rec.org = org;
  rec.token_hash = apikey::hash_to_hex(hasher_.hash(token.reveal()));
  rec.created_at = clock_.now();
  auto stored = storage_.scim_tokens().replace(org, rec);
  if (!stored) return stored.error();
  return IssuedToken{stored->id, std::move(token), stored->created_at};
}

Result<ScimCaller> ScimService::authenticate(std::string_view token) {
  const Error refused{Errc::unauthorized, "invalid SCIM token"};
  if (token.size() != kTokenLength || token.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return refused;
  // Tokens are stored under the pepper current when they were issued; try each configured one
  // so a pepper rotation does not cut directories off.
  for (std::uint32_t version : hasher_.versions()) {
    auto h = hasher_.hash(token, version);
    if (!h) continue;
    auto found = storage_.scim_tokens().find_by_hash(apikey::hash_to_hex(*h));
    if (!found) return found.error();
    if (!*found) continue;
    if ((*found)->revoked_at) return refused;
    return ScimCaller{(*found)->org, (*found)->id.str(), {}, {}, {}};
  }
  return refused;
}

// ---------------------------------------------------------------------------------------------
// Users

Result<ScimService::Loaded> ScimService::load(const OrgId& org, std::string_view id) {
  auto uid = UserId::parse(id);
  if (!uid) return not_found_user();
  auto m = storage_.memberships().get(org, *uid);
  if (!m) return m.error().code == Errc::not_found ? not_found_user() : m.error();
  auto u = storage_.users().get(*uid);
  if (!u) return u.error().code == Errc::not_found ? not_found_user() : u.error();
  UserResource r = resource_from(*u, *m);
  return Loaded{std::move(*u), std::move(*m), std::move(r)};
}

Result<void> ScimService::audit(const ScimCaller& caller, std::string_view action,
                                const UserId& user, std::string metadata_json) {
  return audit_event(caller, action, "user", user.str(), std::move(metadata_json));
}

Result<void> ScimService::audit_event(const ScimCaller& caller, std::string_view action,
                                      std::string_view target_type, std::string target_id,
                                      std::string metadata_json) {
  storage::AuditEvent e;
  e.id = AuditEventId::generate(random_, clock_);
  e.org = caller.org;
  e.actor_type = "scim";
  e.actor_id = caller.token_id;
  e.action = std::string(action);
  e.target_type = std::string(target_type);
  e.target_id = std::move(target_id);
  e.ip = caller.ip;
  e.user_agent = caller.user_agent;
  e.request_id = caller.request_id;
  e.metadata_json = std::move(metadata_json);
  e.at = clock_.now();
  auto r = storage_.audit().append(caller.org, e);
  if (!r) return r.error();
  return ok();
}

Result<UserResource> ScimService::create_user(const ScimCaller& caller, std::string_view body) {
  auto res = user_from_json(body);
  if (!res) return res.error();
  auto email = normalize_user_name(res->user_name);
  if (!email) return email.error();
  const Timestamp now = clock_.now();

  auto existing = storage_.users().find_by_email(*email);
  if (!existing) return existing.error();
  storage::User user;
  const bool linked = existing->has_value();
  if (linked) {
    // The person already has an account: link it. Its global fields (name, email) are left
    // alone; they may be shared with other orgs and are not this directory's to change.
    user = **existing;
    auto m = storage_.memberships().get(caller.org, user.id);
    if (m) return make_error(Errc::conflict, scim_type::uniqueness, "userName already exists");
    if (m.error().code != Errc::not_found) return m.error();
  } else {
    user.id = UserId::generate(random_, clock_);
    user.email = *email;
    user.name = display_name_of(*res);
    user.active = true;
    user.created_at = now;
    user.updated_at = now;
    auto created = storage_.users().create(user);
    if (!created) {
      if (created.error().code == Errc::conflict)
        return make_error(Errc::conflict, scim_type::uniqueness, "userName already exists");
      return created.error();
    }
  }

  std::optional<std::int64_t> seats;
  if (options_.seat_limit) {
    auto s = options_.seat_limit(caller.org);
    if (!s) return s.error();
    seats = *s;
  }
  storage::Membership m;
  m.org = caller.org;
  m.user = user.id;
  m.roles = {options_.default_role};
  m.active = res->active;
  m.joined_at = now;
  auto added = storage_.memberships().add(caller.org, m, seats);
  if (!added) {
    if (added.error().code == Errc::conflict)
      return make_error(Errc::conflict, scim_type::uniqueness, "userName already exists");
    return added.error();
  }
  res->id = user.id.str();
  res->meta.version = 1;
  res->meta.created = now;
  res->meta.last_modified = now;
  auto profiled = storage_.memberships().set_scim_profile(caller.org, user.id, res->external_id,
                                                          profile_json(*res));
  if (!profiled) {
    // Undo the membership so that a retry with another externalId starts clean.
    (void)storage_.memberships().remove(caller.org, user.id);
    if (profiled.error().code == Errc::conflict)
      return make_error(Errc::conflict, scim_type::uniqueness, "externalId already exists");
    return profiled.error();
  }
  json::object meta;
  meta["userName"] = user.email;
  meta["externalId"] = res->external_id;
  meta["active"] = res->active;
  meta["linked_existing_user"] = linked;
  if (auto a = audit(caller, "scim.user_created", user.id, json::serialize(meta)); !a)
    return a.error();
  return resource_from(user, *profiled);
}

Result<UserResource> ScimService::get_user(const ScimCaller& caller, std::string_view id) {
  auto l = load(caller.org, id);
  if (!l) return l.error();
  return std::move(l->resource);
}

Result<ListResponse> ScimService::list_users(const ScimCaller& caller, const ListQuery& q) {
  std::optional<Filter> filter;
  if (!q.filter.empty()) {
    auto f = parse_filter(q.filter);
    if (!f) return f.error();
    if (auto c = check_user_filter(*f); !c) return c.error();
    filter = std::move(*f);
  }
  ListResponse out;
  out.start_index = std::max<std::int64_t>(1, q.start_index);
  const std::int64_t count =
      std::clamp<std::int64_t>(q.count.value_or(options_.max_results), 0, options_.max_results);
  const std::int64_t first = out.start_index - 1;

  auto consider = [&](const UserResource& r) -> Result<void> {
    if (filter) {
      auto m = detail::evaluate(*filter, filter->root, detail::resource_object(r, ""));
      if (!m) return m.error();
      if (!*m) return ok();
    }
    const std::int64_t position = out.total_results++;
    if (position >= first && position < first + count) out.resources.push_back(r);
    return ok();
  };

  // `userName eq "..."` is what Okta and Entra ID send before every create: answer it from the
  // email index instead of scanning the org.
  if (filter) {
    const FilterNode& root = filter->nodes.at(static_cast<std::size_t>(filter->root));
    if (root.kind == FilterNode::Kind::compare && root.op == CompareOp::eq &&
        root.path.sub.empty() && iequals(root.path.attr, "userName") &&
        root.value.kind == Literal::Kind::string) {
      auto email = normalize_user_name(root.value.string);
      if (!email) return out;  // not an address: no user can have it
      auto u = storage_.users().find_by_email(*email);
      if (!u) return u.error();
      if (!*u) return out;
      auto m = storage_.memberships().get(caller.org, (*u)->id);
      if (!m) return m.error().code == Errc::not_found ? Result<ListResponse>(out) : m.error();
      if (auto r = consider(resource_from(**u, *m)); !r) return r.error();
      return out;
    }
  }

  auto scanned = for_each_member(storage_.memberships(), caller.org,
                                 [&](const storage::Membership& m) -> Result<void> {
                                   auto u = storage_.users().get(m.user);
                                   if (!u) {
                                     if (u.error().code == Errc::not_found) return ok();
                                     return u.error();
                                   }
                                   return consider(resource_from(*u, m));
                                 });
  if (!scanned) return scanned.error();
  return out;
}

Result<UserResource> ScimService::store(const ScimCaller& caller, const Loaded& cur,
                                        UserResource next) {
  auto email = normalize_user_name(next.user_name);
  if (!email) return email.error();
  const Timestamp now = clock_.now();
  const UserId& uid = cur.user.id;

  auto orgs = storage_.memberships().list_for_user(uid);
  if (!orgs) return orgs.error();
  // The directory owns the global account only when the person belongs to this org alone.
  const bool shared = orgs->size() > 1;
  storage::User user = cur.user;
  bool user_changed = false;
  if (*email != user.email) {
    if (shared)
      return make_error(Errc::bad_request, scim_type::mutability,
                        "userName of a user who belongs to other organizations cannot change");
    auto taken = storage_.users().find_by_email(*email);
    if (!taken) return taken.error();
    if (*taken) return make_error(Errc::conflict, scim_type::uniqueness, "userName already exists");
    user.email = *email;
    user_changed = true;
  }
  if (!shared) {
    const std::string name = display_name_of(next);
    if (!name.empty() && name != user.name) {
      user.name = name;
      user_changed = true;
    }
  }

  const bool was_active = cur.membership.active;
  if (was_active != next.active) {
    auto set = storage_.memberships().set_active(caller.org, uid, next.active);
    if (!set) {
      if (set.error().code == Errc::conflict)
        return make_error(Errc::conflict, scim_type::mutability,
                          "the organization's last active owner cannot be deactivated");
      return set.error();
    }
  }
  if (user_changed) {
    user.updated_at = now;
    auto updated = storage_.users().update(user);
    if (!updated) {
      if (updated.error().code == Errc::conflict)
        return make_error(Errc::conflict, scim_type::uniqueness, "userName already exists");
      return updated.error();
    }
  }
  next.id = uid.str();
  next.meta.created = cur.resource.meta.created;
  next.meta.version = cur.resource.meta.version + 1;
  next.meta.last_modified = now;
  auto profiled = storage_.memberships().set_scim_profile(caller.org, uid, next.external_id,
                                                          profile_json(next));
  if (!profiled) {
    if (profiled.error().code == Errc::conflict)
      return make_error(Errc::conflict, scim_type::uniqueness, "externalId already exists");
    return profiled.error();
  }
  std::int64_t revoked = 0;
  const bool deactivated = was_active && !next.active;
  if (deactivated) {
    // A directory deactivation must end access now, not when access tokens expire.
    auto r = storage_.sessions().revoke_all(uid, now);
    if (!r) return r.error();
    revoked = *r;
  }
  json::object meta;
  meta["active"] = next.active;
  meta["deactivated"] = deactivated;
  meta["reactivated"] = !was_active && next.active;
  meta["sessions_revoked"] = revoked;
  if (*email != cur.user.email) {
    meta["userName_before"] = cur.user.email;
    meta["userName_after"] = *email;
  }
  if (auto a = audit(caller, "scim.user_updated", uid, json::serialize(meta)); !a) return a.error();
  return resource_from(user, *profiled);
}

Result<UserResource> ScimService::replace_user(const ScimCaller& caller, std::string_view id,
                                               std::string_view body) {
  auto cur = load(caller.org, id);
  if (!cur) return cur.error();
  auto next = user_from_json(body);
  if (!next) return next.error();
  return store(caller, *cur, std::move(*next));
}

Result<UserResource> ScimService::patch_user(const ScimCaller& caller, std::string_view id,
                                             std::string_view body) {
  auto cur = load(caller.org, id);
  if (!cur) return cur.error();
  auto patch = parse_patch(body);
  if (!patch) return patch.error();
  auto next = apply_patch(cur->resource, *patch);
  if (!next) return next.error();
  return store(caller, *cur, std::move(*next));
}

namespace {

// Group writes are read-modify-writes checked by the store's version compare-and-set; a write
// that lost the race reads again, up to kGroupAttempts times.
constexpr int kGroupAttempts = 5;
constexpr std::string_view kGroupChanged = "the group changed while it was being updated";

bool group_changed(const Error& e) {
  return e.code == Errc::conflict && e.detail == kGroupChanged;
}

Error group_kept_changing() {
  return Error{Errc::unavailable, "the group kept changing concurrently; retry"};
}

}  // namespace

Result<void> ScimService::delete_user(const ScimCaller& caller, std::string_view id) {
  auto cur = load(caller.org, id);
  if (!cur) return cur.error();
  const UserId& uid = cur->user.id;
  if (auto r = storage_.memberships().remove(caller.org, uid); !r) {
    if (r.error().code == Errc::conflict)
      return make_error(Errc::conflict, scim_type::mutability,
                        "the organization's last active owner cannot be deleted");
    return r.error();
  }
  // A deleted user leaves the org's groups too, so that no group lists a stranger. Each group is
  // a read-modify-write: when another write got in between (the store's version check), the
  // group is read again.
  auto groups = storage_.scim_groups().list(caller.org);
  if (!groups) return groups.error();
  for (storage::ScimGroup g : *groups) {
    for (int attempt = 1;; ++attempt) {
      if (std::erase(g.members, uid) == 0) break;
      const std::int64_t read_version = g.version;
      g.version += 1;
      g.updated_at = clock_.now();
      auto u = storage_.scim_groups().update(caller.org, g, read_version);
      if (u) break;
      if (u.error().code != Errc::conflict || attempt == kGroupAttempts) return u.error();
      auto fresh = storage_.scim_groups().get(caller.org, g.id);
      if (!fresh) {
        if (fresh.error().code == Errc::not_found) break;  // deleted meanwhile
        return fresh.error();
      }
      g = std::move(*fresh);
    }
  }
  auto revoked = storage_.sessions().revoke_all(uid, clock_.now());
  if (!revoked) return revoked.error();
  json::object meta;
  meta["userName"] = cur->user.email;
  meta["externalId"] = cur->membership.external_id;
  meta["sessions_revoked"] = *revoked;
  return audit(caller, "scim.user_deleted", uid, json::serialize(meta));
}

// ---------------------------------------------------------------------------------------------
// Groups mapped to roles

Result<std::vector<RoleChange>> ScimService::plan_group_mapping(
    const OrgId& org, const GroupMapping& mapping, const std::vector<DirectoryGroup>& groups) {
  for (const GroupRole& e : mapping.entries) {
    if (e.role == rbac::role::owner)
      return Error{Errc::validation_failed,
                   "a directory group cannot grant owner",
                   {{"mapping", "group \"" + e.group + "\" maps to owner"}}};
    if (is_builtin_role(e.role)) continue;
    auto role = storage_.roles().get(org, e.role);
    if (!role) {
      if (role.error().code != Errc::not_found) return role.error();
      return Error{
          Errc::validation_failed,
          "unknown role",
          {{"mapping", "group \"" + e.group + "\" maps to unknown role \"" + e.role + "\""}}};
    }
  }
  std::vector<RoleChange> out;
  auto scanned = for_each_member(
      storage_.memberships(), org, [&](const storage::Membership& m) -> Result<void> {
        if (m.scim_profile.empty()) return ok();  // not the directory's to manage
        std::vector<std::string> to;
        for (const DirectoryGroup& g : groups) {
          if (std::find(g.members.begin(), g.members.end(), m.user) == g.members.end()) continue;
          for (const GroupRole& e : mapping.entries)
            if (iequals(e.group, g.display_name)) to.push_back(e.role);
        }
        if (to.empty()) to.push_back(options_.default_role);
        if (std::find(m.roles.begin(), m.roles.end(), rbac::role::owner) != m.roles.end())
          to.emplace_back(rbac::role::owner);
        to = sorted(std::move(to));
        if (to != sorted(m.roles)) out.push_back(RoleChange{m.user, m.roles, std::move(to)});
        return ok();
      });
  if (!scanned) return scanned.error();
  return out;
}

Result<std::vector<RoleChange>> ScimService::apply_group_mapping(
    const ScimCaller& caller, const GroupMapping& mapping,
    const std::vector<DirectoryGroup>& groups) {
  auto plan = plan_group_mapping(caller.org, mapping, groups);
  if (!plan) return plan.error();
  for (const RoleChange& c : *plan) {
    auto set = storage_.memberships().set_roles(caller.org, c.user, c.to_roles);
    if (!set) return set.error();
    json::object meta;
    json::array before, after;
    for (const auto& r : c.from_roles) before.emplace_back(r);
    for (const auto& r : c.to_roles) after.emplace_back(r);
    meta["before"] = std::move(before);
    meta["after"] = std::move(after);
    meta["source"] = "scim_group_mapping";
    if (auto a = audit(caller, "member.role_changed", c.user, json::serialize(meta)); !a)
      return a.error();
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Groups

namespace {

Error not_found_group() {
  return Error{Errc::not_found, "Resource not found"};
}

GroupResource group_resource_from(const storage::ScimGroup& g) {
  GroupResource r;
  r.id = g.id.str();
  r.external_id = g.external_id;
  r.display_name = g.display_name;
  for (const UserId& u : g.members) r.members.push_back(GroupMember{u.str(), {}});
  r.meta.created = g.created_at;
  r.meta.last_modified = g.updated_at;
  r.meta.version = g.version;
  return r;
}

bool contains(const std::vector<UserId>& v, const UserId& u) {
  return std::find(v.begin(), v.end(), u) != v.end();
}

json::array json_strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& x : v) a.emplace_back(x);
  return a;
}

}  // namespace

Result<storage::ScimGroup> ScimService::load_group(const OrgId& org, std::string_view id) {
  auto gid = ScimGroupId::parse(id);
  if (!gid) return not_found_group();
  auto g = storage_.scim_groups().get(org, *gid);
  if (!g) return g.error().code == Errc::not_found ? not_found_group() : g.error();
  return std::move(*g);
}

// Members are referenced by user id and must belong to the caller's org: a directory can never
// put another tenant's user (or a made-up id) into a group.
Result<std::vector<UserId>> ScimService::group_members(const OrgId& org,
                                                       const GroupResource& group) {
  std::vector<UserId> out;
  out.reserve(group.members.size());
  for (const GroupMember& m : group.members) {
    auto uid = UserId::parse(m.value);
    const Error refused =
        make_error(Errc::bad_request, scim_type::invalid_value,
                   "member \"" + m.value.substr(0, 64) + "\" is not a user of this organization");
    if (!uid) return refused;
    auto mem = storage_.memberships().get(org, *uid);
    if (!mem) return mem.error().code == Errc::not_found ? refused : mem.error();
    if (!contains(out, *uid)) out.push_back(*uid);
  }
  return out;
}

// The roles a set of groups grants a user under the org's mapping.
namespace {
Result<std::vector<std::string>> granted_roles(storage::RoleStore& roles, const OrgId& org,
                                               const GroupMapping& mapping,
                                               const std::vector<storage::ScimGroup>& groups,
                                               const UserId& user) {
  std::vector<std::string> out;
  for (const storage::ScimGroup& g : groups) {
    if (!contains(g.members, user)) continue;
    bool mapped = false;
    for (const GroupRole& e : mapping.entries)
      if (iequals(e.group, g.display_name) && e.role != rbac::role::owner) {
        out.push_back(e.role);
        mapped = true;
      }
    if (mapped) continue;
    const std::string name = detail::lower(g.display_name);
    if (name == rbac::role::owner) continue;  // a directory never grants owner
    if (is_builtin_role(name)) {
      out.push_back(name);
      continue;
    }
    auto custom = roles.get(org, g.display_name);
    if (custom) {
      out.push_back(g.display_name);
      continue;
    }
    if (custom.error().code != Errc::not_found) return custom.error();
  }
  return sorted(std::move(out));
}
}  // namespace

Result<void> ScimService::sync_roles(const ScimCaller& caller,
                                     const std::vector<storage::ScimGroup>& before,
                                     const std::vector<storage::ScimGroup>& after,
                                     const std::vector<UserId>& users) {
  GroupMapping mapping;
  if (options_.group_mapping) {
    auto m = options_.group_mapping(caller.org);
    if (!m) return m.error();
    mapping = std::move(*m);
  }
  for (const UserId& user : users) {
    auto was = granted_roles(storage_.roles(), caller.org, mapping, before, user);
    if (!was) return was.error();
    auto now = granted_roles(storage_.roles(), caller.org, mapping, after, user);
    if (!now) return now.error();
    if (*was == *now) continue;
    auto m = storage_.memberships().get(caller.org, user);
    if (!m) {
      if (m.error().code == Errc::not_found) continue;  // left the org meanwhile
      return m.error();
    }
    // Roles the groups granted before are taken away, the ones they grant now added; roles
    // given by hand (and owner) stay. A member left with nothing gets the default role.
    std::vector<std::string> to;
    for (const std::string& r : m->roles)
      if (std::find(was->begin(), was->end(), r) == was->end()) to.push_back(r);
    if (!now->empty()) std::erase(to, options_.default_role);
    to.insert(to.end(), now->begin(), now->end());
    if (to.empty()) to.push_back(options_.default_role);
    to = sorted(std::move(to));
    if (to == sorted(m->roles)) continue;
    auto set = storage_.memberships().set_roles(caller.org, user, to);
    if (!set) {
      if (set.error().code == Errc::conflict)
        return make_error(Errc::conflict, scim_type::mutability,
                          "the organization must keep an active owner");
      return set.error();
    }
    json::object meta;
    meta["before"] = json_strings(m->roles);
    meta["after"] = json_strings(to);
    meta["source"] = "scim_group";
    if (auto a = audit(caller, "member.role_changed", user, json::serialize(meta)); !a)
      return a.error();
  }
  return ok();
}

Result<GroupResource> ScimService::create_group(const ScimCaller& caller, std::string_view body) {
  auto res = group_from_json(body);
  if (!res) return res.error();
  auto members = group_members(caller.org, *res);
  if (!members) return members.error();
  auto before = storage_.scim_groups().list(caller.org);
  if (!before) return before.error();
  const Timestamp now = clock_.now();
  storage::ScimGroup g;
  g.id = ScimGroupId::generate(random_, clock_);
  g.org = caller.org;
  g.display_name = res->display_name;
  g.external_id = res->external_id;
  g.members = *members;
  g.version = 1;
  g.created_at = now;
  g.updated_at = now;
  auto created = storage_.scim_groups().create(caller.org, g);
  if (!created) {
    if (created.error().code == Errc::conflict)
      return make_error(Errc::conflict, scim_type::uniqueness, "displayName already exists");
    return created.error();
  }
  std::vector<storage::ScimGroup> after = *before;
  after.push_back(*created);
  if (auto r = sync_roles(caller, *before, after, *members); !r) return r.error();
  json::object meta;
  meta["displayName"] = g.display_name;
  meta["externalId"] = g.external_id;
  meta["members"] = static_cast<std::int64_t>(members->size());
  if (auto a =
          audit_event(caller, "scim.group_created", "group", g.id.str(), json::serialize(meta));
      !a)
    return a.error();
  return group_resource_from(*created);
}

Result<GroupResource> ScimService::get_group(const ScimCaller& caller, std::string_view id) {
  auto g = load_group(caller.org, id);
  if (!g) return g.error();
  return group_resource_from(*g);
}

Result<GroupListResponse> ScimService::list_groups(const ScimCaller& caller, const ListQuery& q) {
  std::optional<Filter> filter;
  if (!q.filter.empty()) {
    auto f = parse_filter(q.filter);
    if (!f) return f.error();
    if (auto c = check_group_filter(*f); !c) return c.error();
    filter = std::move(*f);
  }
  GroupListResponse out;
  out.start_index = std::max<std::int64_t>(1, q.start_index);
  const std::int64_t count =
      std::clamp<std::int64_t>(q.count.value_or(options_.max_results), 0, options_.max_results);
  const std::int64_t first = out.start_index - 1;
  auto groups = storage_.scim_groups().list(caller.org);
  if (!groups) return groups.error();
  for (const storage::ScimGroup& g : *groups) {
    GroupResource r = group_resource_from(g);
    if (filter) {
      auto m = matches(*filter, r);
      if (!m) return m.error();
      if (!*m) continue;
    }
    const std::int64_t position = out.total_results++;
    if (position >= first && position < first + count) out.resources.push_back(std::move(r));
  }
  return out;
}

Result<GroupResource> ScimService::store_group(const ScimCaller& caller,
                                               const storage::ScimGroup& cur, GroupResource next) {
  auto members = group_members(caller.org, next);
  if (!members) return members.error();
  auto before = storage_.scim_groups().list(caller.org);
  if (!before) return before.error();
  storage::ScimGroup g = cur;
  g.display_name = next.display_name;
  g.external_id = next.external_id;
  g.members = *members;
  g.version = cur.version + 1;
  g.updated_at = clock_.now();
  auto updated = storage_.scim_groups().update(caller.org, g, cur.version);
  if (!updated) {
    if (updated.error().code != Errc::conflict) return updated.error();
    // Either the displayName is taken or the group changed since `cur` was read.
    auto now = storage_.scim_groups().get(caller.org, cur.id);
    if (!now) return now.error().code == Errc::not_found ? not_found_group() : now.error();
    if (now->version != cur.version) return Error{Errc::conflict, std::string(kGroupChanged)};
    return make_error(Errc::conflict, scim_type::uniqueness, "displayName already exists");
  }
  std::vector<storage::ScimGroup> after = *before;
  for (storage::ScimGroup& x : after)
    if (x.id == g.id) x = *updated;
  // Everyone who was or is a member: a rename can change the role of those who stayed too.
  std::vector<UserId> touched = cur.members;
  for (const UserId& u : *members)
    if (!contains(touched, u)) touched.push_back(u);
  if (auto r = sync_roles(caller, *before, after, touched); !r) return r.error();
  json::array added, removed;
  for (const UserId& u : *members)
    if (!contains(cur.members, u)) added.emplace_back(u.str());
  for (const UserId& u : cur.members)
    if (!contains(*members, u)) removed.emplace_back(u.str());
  json::object meta;
  meta["displayName"] = g.display_name;
  if (g.display_name != cur.display_name) meta["displayName_before"] = cur.display_name;
  meta["members_added"] = std::move(added);
  meta["members_removed"] = std::move(removed);
  if (auto a =
          audit_event(caller, "scim.group_updated", "group", g.id.str(), json::serialize(meta));
      !a)
    return a.error();
  return group_resource_from(*updated);
}

Result<GroupResource> ScimService::rewrite_group(
    const ScimCaller& caller, std::string_view id,
    const std::function<Result<GroupResource>(const storage::ScimGroup&)>& next_of) {
  for (int attempt = 1;; ++attempt) {
    auto cur = load_group(caller.org, id);
    if (!cur) return cur.error();
    auto next = next_of(*cur);
    if (!next) return next.error();
    auto r = store_group(caller, *cur, std::move(*next));
    if (r || !group_changed(r.error())) return r;
    if (attempt == kGroupAttempts) return group_kept_changing();
  }
}

Result<GroupResource> ScimService::replace_group(const ScimCaller& caller, std::string_view id,
                                                 std::string_view body) {
  // Parsed once, after the first read (an unknown group is 404 before a bad body's 400).
  std::optional<Result<GroupResource>> next;
  return rewrite_group(caller, id, [&](const storage::ScimGroup&) {
    if (!next) next = group_from_json(body);
    return *next;
  });
}

Result<GroupResource> ScimService::patch_group(const ScimCaller& caller, std::string_view id,
                                               std::string_view body) {
  // Parsed once, after the first read (404 before 400); applied to a fresh read on every
  // attempt, so a concurrent PATCH's change is kept.
  std::optional<Result<PatchRequest>> patch;
  return rewrite_group(caller, id, [&](const storage::ScimGroup& cur) -> Result<GroupResource> {
    if (!patch) patch = parse_patch(body);
    if (!*patch) return patch->error();
    return apply_group_patch(group_resource_from(cur), **patch);
  });
}

Result<void> ScimService::delete_group(const ScimCaller& caller, std::string_view id) {
  auto cur = load_group(caller.org, id);
  if (!cur) return cur.error();
  auto before = storage_.scim_groups().list(caller.org);
  if (!before) return before.error();
  if (auto r = storage_.scim_groups().remove(caller.org, cur->id); !r)
    return r.error().code == Errc::not_found ? Result<void>(not_found_group()) : r;
  std::vector<storage::ScimGroup> after = *before;
  std::erase_if(after, [&](const storage::ScimGroup& g) { return g.id == cur->id; });
  if (auto r = sync_roles(caller, *before, after, cur->members); !r) return r.error();
  json::object meta;
  meta["displayName"] = cur->display_name;
  meta["members"] = static_cast<std::int64_t>(cur->members.size());
  return audit_event(caller, "scim.group_deleted", "group", cur->id.str(), json::serialize(meta));
}

Result<std::vector<RoleChange>> ScimService::plan_stored_group_mapping(
    const OrgId& org, const GroupMapping& mapping) {
  auto groups = storage_.scim_groups().list(org);
  if (!groups) return groups.error();
  std::vector<DirectoryGroup> dir;
  dir.reserve(groups->size());
  for (const storage::ScimGroup& g : *groups)
    dir.push_back(DirectoryGroup{g.display_name, g.members});
  return plan_group_mapping(org, mapping, dir);
}

std::string ScimService::group_json(const GroupResource& group) const {
  return to_json(group, options_.base_url);
}

std::string ScimService::group_list_json(const GroupListResponse& list) const {
  json::object o;
  o["schemas"] = json::array{json::string(kListResponseSchema)};
  o["totalResults"] = list.total_results;
  o["itemsPerPage"] = static_cast<std::int64_t>(list.resources.size());
  o["startIndex"] = list.start_index;
  json::array items;
  for (const GroupResource& r : list.resources) {
    auto v = detail::parse_json(to_json(r, options_.base_url));
    if (v) items.push_back(std::move(*v));
  }
  o["Resources"] = std::move(items);
  return json::serialize(o);
}

// ---------------------------------------------------------------------------------------------
// JSON

std::string ScimService::user_json(const UserResource& user) const {
  return to_json(user, options_.base_url);
}

std::string ScimService::list_json(const ListResponse& list) const {
  json::object o;
  o["schemas"] = json::array{json::string(kListResponseSchema)};
  o["totalResults"] = list.total_results;
  o["itemsPerPage"] = static_cast<std::int64_t>(list.resources.size());
  o["startIndex"] = list.start_index;
  json::array items;
  for (const UserResource& r : list.resources)
    items.push_back(detail::resource_object(r, options_.base_url));
  o["Resources"] = std::move(items);
  return json::serialize(o);
}

}  // namespace tenantkit::scim
