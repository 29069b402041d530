// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <functional>
#include <mutex>
#include <utility>

#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/tenant/context.hpp>

#include "rbac/hash.hpp"
#include "rbac/perfect_index.hpp"
#include "rbac/read_domain.hpp"
#include "rbac/string_index.hpp"
#include "rbac/user_table.hpp"

namespace tenantkit::rbac {
namespace {

using detail::GrantBits;
using detail::StringIndex;
using detail::UserTable;

// --- Compiled state ----------------------------------------------------------------------

// Everything that depends only on the catalogue and the policy. Replaced when the catalogue
// grows; role ids below builtins.size() are built-in roles in every tenant snapshot.
struct Globals {
  Catalogue catalogue;
  detail::PerfectIndex permissions;  // ordinal == PermissionId
  std::vector<BuiltinRole> builtins;
  StringIndex builtin_names;  // names and aliases -> builtins index
  std::uint32_t owner = 0;

  std::uint32_t builtin_id(std::string_view name) const noexcept {
    return builtin_names.find(name);
  }
};

// A custom role as its definition says it; wildcards and parents are resolved at compile time
// so that a catalogue change or a parent's change reaches it.
struct Rule {
  enum class Kind : std::uint8_t { allow, deny, inherit };
  Kind kind;
  std::string text;
};
struct RoleExtra {
  PermissionSet deny_exact;
  std::vector<Rule> rules;
};
struct CustomRole {
  PermissionSet allow_exact;
  // Denies, wildcards and parents are rare: kept out of line (and shared between snapshots)
  // so that a role of exact allows costs 48 bytes.
  std::shared_ptr<const RoleExtra> extra;

  PermissionSet deny_exact() const noexcept { return extra ? extra->deny_exact : PermissionSet{}; }
  std::span<const Rule> rules() const noexcept {
    return extra ? std::span<const Rule>(extra->rules) : std::span<const Rule>();
  }
};

// The distinct role combinations of a tenant's users: most users share one of a few, so the
// per-user cost is one slot. The grants' bits live in the users' block (the check path); which
// roles each combination holds stays here.
struct GrantRoles {
  std::uint32_t begin = 0, end = 0;  // into TenantSnapshot::grant_roles
};

struct TenantSnapshot {
  std::string tenant;
  UserTable users;         // user id -> grant; its header points back here
  StringIndex role_names;  // custom role -> ordinal; role id = builtins.size() + ordinal
  std::vector<CustomRole> roles;
  std::vector<std::uint32_t> grant_roles;
  std::vector<GrantRoles> grant_ranges;  // per grant index

  std::vector<std::string_view> role_list() const {
    std::vector<std::string_view> out;
    for (const auto& entry : role_names.entries()) out.push_back(entry.first);
    return out;
  }
};

// Insert-only open addressing: a slot, once filled, keeps its tenant until the table is
// replaced, so readers probe without locks; publishing a tenant swaps its slot's word. Growing
// or removing a tenant builds a new table (the writer holds the mutex).
// The slot holds the tenant's UserTable word (block address and slot count), so a check
// computes the address of the user's slot without another load; a tenant id of up to 15 bytes
// sits in the slot too, so the check compares it without touching the tenant's block header
// (one cache line fewer per check). Longer ids are compared in the header, fetched at the same
// time as the key slot. The snapshot is reached through the header on the cold paths.
const TenantSnapshot* snapshot_of(std::uintptr_t word) noexcept {
  return static_cast<const TenantSnapshot*>(UserTable::owner(word));
}
struct alignas(32) DirSlot {
  static constexpr std::size_t kInlineName = 15;
  static constexpr unsigned char kLongName = 0xFF;

  std::atomic<std::uint64_t> hash{0};
  std::atomic<std::uintptr_t> word{0};
  // The tenant id, zero-padded, when it fits; its length (or kLongName) in the last byte.
  // Written before `hash` is published (release), never changed while the slot is in use.
  char name[kInlineName + 1] = {};

  const TenantSnapshot* snapshot() const noexcept {
    return snapshot_of(word.load(std::memory_order_acquire));
  }
  [[gnu::always_inline]] bool names(std::uintptr_t w, std::string_view tenant) const noexcept {
    const auto length = static_cast<unsigned char>(name[kInlineName]);
    if (length == kLongName) [[unlikely]]
      return UserTable::is_for(w, tenant);
    return length == tenant.size() && detail::short_equal(name, tenant.data(), tenant.size());
  }
};
static_assert(sizeof(DirSlot) == 32);

struct Directory {
  // Two slots per cache line; a tenant's home is the first slot of a line and the check reads
  // both slots of that line at once, so a tenant displaced by one collision costs neither a
  // second load nor a mispredicted probe loop (most lookups never leave the home line).
  struct alignas(64) Line {
    DirSlot slot[2];
  };

  explicit Directory(std::size_t capacity)
      : mask(capacity - 1), lines(std::make_unique<Line[]>(capacity / 2)) {}
  std::size_t mask;                   // capacity - 1; capacity is a power of two >= 2
  std::atomic<std::size_t> count{0};  // read by tenant_count() while a writer inserts
  std::unique_ptr<Line[]> lines;

  DirSlot& at(std::size_t i) const noexcept { return lines[i >> 1].slot[i & 1]; }
  std::size_t home(std::uint64_t h) const noexcept { return h & mask & ~std::size_t{1}; }

  DirSlot* find(std::string_view name, std::uint64_t h) const noexcept {
    for (std::size_t i = home(h);; i = (i + 1) & mask) {
      DirSlot& s = at(i);
      const std::uint64_t sh = s.hash.load(std::memory_order_acquire);
      if (sh == 0) return nullptr;
      if (sh == h && s.names(s.word.load(std::memory_order_acquire), name)) return &s;
    }
  }
  // The word of `name`'s table, 0 when absent: the check path.
  [[gnu::always_inline]] std::uintptr_t find_word(std::string_view name,
                                                  std::uint64_t h) const noexcept {
    const Line& line = lines[home(h) >> 1];
    const std::uint64_t h0 = line.slot[0].hash.load(std::memory_order_acquire);
    const std::uint64_t h1 = line.slot[1].hash.load(std::memory_order_acquire);
    const DirSlot& s = line.slot[h0 == h ? 0 : 1];
    if ((h0 == h) | (h1 == h)) [[likely]] {
      const std::uintptr_t w = s.word.load(std::memory_order_acquire);
      if (s.names(w, name)) [[likely]]
        return w;
    }
    const DirSlot* found = find(name, h);
    return found == nullptr ? 0 : found->word.load(std::memory_order_acquire);
  }
  DirSlot* insert(std::uint64_t h, std::uintptr_t word, std::string_view name) noexcept {
    std::size_t i = home(h);
    while (at(i).hash.load(std::memory_order_relaxed) != 0) i = (i + 1) & mask;
    DirSlot& s = at(i);
    if (name.size() <= DirSlot::kInlineName) {
      if (!name.empty()) std::memcpy(s.name, name.data(), name.size());
      s.name[DirSlot::kInlineName] = static_cast<char>(name.size());
    } else {
      s.name[DirSlot::kInlineName] = static_cast<char>(DirSlot::kLongName);
    }
    s.word.store(word, std::memory_order_relaxed);
    s.hash.store(h, std::memory_order_release);
    count.fetch_add(1, std::memory_order_relaxed);
    return &s;
  }
  // Re-inserts `from` (a slot of another table) when the table is rebuilt.
  void insert(const DirSlot& from) noexcept {
    const std::uintptr_t w = from.word.load(std::memory_order_relaxed);
    insert(from.hash.load(std::memory_order_relaxed), w, snapshot_of(w)->tenant);
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i <= mask; ++i)
      if (at(i).hash.load(std::memory_order_relaxed) != 0) f(&at(i));
  }
};

// std::atomic<T*> whose loads are always inlined: GCC 12 emits a call for
// std::atomic<T*>::load in this translation unit (it is not always_inline in libstdc++ 12),
// which on the check path costs more than the load itself and spills registers around it.
template <class T>
class AtomicPtr {
 public:
  [[gnu::always_inline]] T* load(
      std::memory_order order = std::memory_order_seq_cst) const noexcept {
    return order == std::memory_order_seq_cst ? __atomic_load_n(&p_, __ATOMIC_SEQ_CST)
                                              : __atomic_load_n(&p_, __ATOMIC_ACQUIRE);
  }
  void store(T* p, std::memory_order = std::memory_order_seq_cst) noexcept {
    __atomic_store_n(&p_, p, __ATOMIC_SEQ_CST);
  }

 private:
  T* p_ = nullptr;
};

// --- Writer-side model of one tenant -----------------------------------------------------

struct Model {
  std::vector<std::string> role_names;
  std::vector<CustomRole> roles;
  std::vector<std::string> users;
  std::vector<std::vector<std::string>> user_roles;  // canonical names, sorted

  bool empty() const noexcept { return roles.empty() && users.empty(); }
  // Room for `more_roles` and `more_users` (at most: a step may replace an existing one).
  void reserve(std::size_t more_roles, std::size_t more_users) {
    role_names.reserve(role_names.size() + more_roles);
    roles.reserve(roles.size() + more_roles);
    users.reserve(users.size() + more_users);
    user_roles.reserve(user_roles.size() + more_users);
  }
  std::optional<std::size_t> role_index(std::string_view name) const {
    for (std::size_t i = 0; i < role_names.size(); ++i)
      if (role_names[i] == name) return i;
    return std::nullopt;
  }
};

Error role_error(Errc code, std::string_view role, std::string_view why) {
  return Error{code, "role '" + std::string(role) + "': " + std::string(why)};
}

Error field_error(std::string_view field, std::string message) {
  std::string detail = message;
  return Error{
      Errc::validation_failed, std::move(detail), {{std::string(field), std::move(message)}}};
}

using Sets = std::pair<PermissionSet, PermissionSet>;  // allow, deny

// Resolves role names to ids and computes each role's allow/deny sets, following inheritance.
// Works over a snapshot (queries) and over a model (compilation) through `custom_id`.
class Resolver {
 public:
  Resolver(const Globals& g, std::span<const CustomRole> roles,
           std::function<std::uint32_t(std::string_view)> custom_id)
      : g_(g),
        roles_(roles),
        custom_id_(std::move(custom_id)),
        state_(roles.size(), 0),
        memo_(roles.size()) {}

  std::uint32_t id(std::string_view name) const {
    const auto b = g_.builtin_id(name);
    if (b != StringIndex::npos) return b;
    const auto c = custom_id_(name);
    return c == StringIndex::npos ? c : static_cast<std::uint32_t>(g_.builtins.size()) + c;
  }

  Result<Sets> sets(std::uint32_t id, std::string_view name) {
    if (id < g_.builtins.size()) return Sets{g_.builtins[id].permissions, {}};
    const std::size_t j = id - g_.builtins.size();
    if (state_[j] == 2) return memo_[j];
    if (state_[j] == 1) return role_error(Errc::validation_failed, name, "inheritance cycle");
    state_[j] = 1;
    const CustomRole& role = roles_[j];
    Sets out{role.allow_exact, role.deny_exact()};
    for (const Rule& rule : role.rules()) {
      if (rule.kind == Rule::Kind::inherit) {
        const auto parent = id_of_parent(rule.text, name);
        if (!parent) return parent.error();
        auto p = sets(*parent, rule.text);
        if (!p) return p.error();
        out.first |= p->first;
        out.second |= p->second;
      } else {
        auto matched = g_.catalogue.match(rule.text);
        if (!matched) return matched.error();
        (rule.kind == Rule::Kind::allow ? out.first : out.second) |= *matched;
      }
    }
    state_[j] = 2;
    memo_[j] = out;
    return out;
  }

 private:
  Result<std::uint32_t> id_of_parent(std::string_view parent, std::string_view child) const {
    const auto pid = id(parent);
    if (pid == StringIndex::npos)
      return role_error(Errc::validation_failed, child,
                        "inherits unknown role '" + std::string(parent) + "'");
    if (pid == g_.owner)
      return role_error(Errc::validation_failed, child,
                        "custom roles cannot inherit the owner role");
    return pid;
  }

  const Globals& g_;
  std::span<const CustomRole> roles_;
  std::function<std::uint32_t(std::string_view)> custom_id_;
  std::vector<std::uint8_t> state_;  // 0 new, 1 visiting, 2 done
  std::vector<Sets> memo_;
};

Resolver resolver_of(const Globals& g, const TenantSnapshot* snap) {
  if (snap == nullptr) return Resolver(g, {}, [](std::string_view) { return StringIndex::npos; });
  return Resolver(g, snap->roles, [snap](std::string_view n) { return snap->role_names.find(n); });
}

Result<std::unique_ptr<TenantSnapshot>> compile(std::string_view tenant, const Model& m,
                                                const Globals& g) {
  auto snap = std::make_unique<TenantSnapshot>();
  snap->tenant = std::string(tenant);
  std::vector<std::uint32_t> ordinals(m.role_names.size());
  for (std::size_t i = 0; i < ordinals.size(); ++i) ordinals[i] = static_cast<std::uint32_t>(i);
  snap->role_names = StringIndex(m.role_names, ordinals);
  // The snapshot's own role index resolves the custom names (no second map to build).
  Resolver resolver(g, m.roles,
                    [&index = snap->role_names](std::string_view n) { return index.find(n); });
  for (std::size_t i = 0; i < m.roles.size(); ++i) {
    auto s = resolver.sets(static_cast<std::uint32_t>(g.builtins.size() + i), m.role_names[i]);
    if (!s) return s.error();
  }
  snap->roles = m.roles;

  // Members holding the same role set share one grant. Distinct sets are found by open
  // addressing over the set's hash, and compared in snap->grant_roles, where each grant's
  // role ids already sit: one allocation for the whole index, however many sets.
  std::vector<GrantBits> grants;
  std::vector<std::uint32_t> user_grant;
  user_grant.reserve(m.users.size());
  const std::size_t cap = std::bit_ceil(std::max<std::size_t>(4, m.users.size() * 2));
  std::vector<std::uint32_t> grant_slots(cap, 0);  // grant index + 1; 0: empty
  std::vector<std::uint32_t> ids;
  for (std::size_t u = 0; u < m.users.size(); ++u) {
    ids.clear();
    for (const std::string& name : m.user_roles[u]) {
      const auto id = resolver.id(name);
      if (id == StringIndex::npos) return field_error("roles", "unknown role '" + name + "'");
      ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const std::span<const std::uint32_t> set(ids);
    // hash_bytes() sets bit 0 (never 0): the slot comes from the bits above it.
    std::size_t i =
        (detail::hash_bytes({reinterpret_cast<const char*>(ids.data()), set.size_bytes()}) >> 1) &
        (cap - 1);
    for (; grant_slots[i] != 0; i = (i + 1) & (cap - 1)) {
      const GrantRoles& r = snap->grant_ranges[grant_slots[i] - 1];
      const std::span<const std::uint32_t> held(snap->grant_roles.data() + r.begin,
                                                r.end - r.begin);
      if (std::equal(held.begin(), held.end(), set.begin(), set.end())) break;
    }
    if (grant_slots[i] == 0) {
      GrantBits grant;
      GrantRoles range;
      range.begin = static_cast<std::uint32_t>(snap->grant_roles.size());
      for (std::uint32_t id : ids) {
        auto s = resolver.sets(id, {});
        if (!s) return s.error();
        grant.allow |= s->first;
        grant.deny |= s->second;
        snap->grant_roles.push_back(id);
      }
      grant.allow -= grant.deny;
      range.end = static_cast<std::uint32_t>(snap->grant_roles.size());
      grants.push_back(grant);
      snap->grant_ranges.push_back(range);
      grant_slots[i] = static_cast<std::uint32_t>(grants.size());
    }
    user_grant.push_back(grant_slots[i] - 1);
  }
  snap->users = UserTable(tenant, snap.get(), m.users, user_grant, grants, g.catalogue.size());
  snap->grant_roles.shrink_to_fit();
  return snap;
}

std::string role_name(const Globals& g, std::span<const std::string_view> custom,
                      std::uint32_t id) {
  if (id < g.builtins.size()) return g.builtins[id].name;
  return std::string(custom[id - g.builtins.size()]);
}

Model decode(const TenantSnapshot* snap, const Globals& g) {
  Model m;
  if (snap == nullptr) return m;
  const std::vector<std::string_view> custom = snap->role_list();
  m.role_names.assign(custom.begin(), custom.end());
  m.roles = snap->roles;
  m.users.reserve(snap->users.size());
  m.user_roles.reserve(snap->users.size());
  for (const auto& [user, grant_index] : snap->users.entries()) {
    m.users.emplace_back(user);
    const GrantRoles& range = snap->grant_ranges[grant_index];
    std::vector<std::string> names;
    for (auto i = range.begin; i < range.end; ++i)
      names.push_back(role_name(g, custom, snap->grant_roles[i]));
    std::sort(names.begin(), names.end());
    m.user_roles.push_back(std::move(names));
  }
  return m;
}

Result<CustomRole> parse_role(const Globals& g, const RoleDefinition& def) {
  if (auto r = validate_role_name(def.name); !r) return r.error();
  CustomRole role;
  RoleExtra extra;
  auto add = [&](const std::vector<std::string>& patterns, PermissionSet& exact,
                 Rule::Kind kind) -> Result<void> {
    const char* field = kind == Rule::Kind::allow ? "allow" : "deny";
    for (const std::string& text : patterns) {
      // Exact names, the common case, cost one lookup in the catalogue index.
      if (const auto id = g.permissions.find(text); id != StringIndex::npos) {
        exact.insert(static_cast<PermissionId>(id));
        continue;
      }
      auto matched = g.catalogue.match(text);  // says why: bad syntax, unknown, matches nothing
      if (!matched) return field_error(field, matched.error().detail);
      if (std::none_of(extra.rules.begin(), extra.rules.end(),
                       [&](const Rule& r) { return r.kind == kind && r.text == text; }))
        extra.rules.push_back({kind, text});
    }
    return ok();
  };
  if (auto r = add(def.allow, role.allow_exact, Rule::Kind::allow); !r) return r.error();
  if (auto r = add(def.deny, extra.deny_exact, Rule::Kind::deny); !r) return r.error();
  for (const std::string& parent : def.inherits) {
    if (!validate_role_name(parent))
      return field_error("inherits", "invalid role name '" + parent + "'");
    extra.rules.push_back({Rule::Kind::inherit, parent});
  }
  if (!extra.deny_exact.empty() || !extra.rules.empty())
    role.extra = std::make_shared<const RoleExtra>(std::move(extra));
  return role;
}

RoleDefinition definition_of(const Globals& g, std::string_view name, const CustomRole& role) {
  RoleDefinition def;
  def.name = std::string(name);
  def.allow = g.catalogue.names(role.allow_exact);
  def.deny = g.catalogue.names(role.deny_exact());
  for (const Rule& rule : role.rules()) {
    switch (rule.kind) {
      case Rule::Kind::allow:
        def.allow.push_back(rule.text);
        break;
      case Rule::Kind::deny:
        def.deny.push_back(rule.text);
        break;
      case Rule::Kind::inherit:
        def.inherits.push_back(rule.text);
        break;
      default:
        break;
    }
  }
  return def;
}

Result<std::unique_ptr<Globals>> make_globals(const RolePolicy& policy, Catalogue catalogue) {
  auto g = std::make_unique<Globals>();
  g->catalogue = std::move(catalogue);
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < g->catalogue.size(); ++i)
    names.push_back(g->catalogue.name(static_cast<PermissionId>(i)));
  std::vector<std::uint32_t> values(names.size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint32_t>(i);
  g->permissions = detail::PerfectIndex(names, values);
  g->builtins = policy.builtin_roles(g->catalogue);
  names.clear();
  values.clear();
  std::size_t owners = 0;
  for (std::size_t i = 0; i < g->builtins.size(); ++i) {
    const BuiltinRole& b = g->builtins[i];
    if (b.is_owner) {
      ++owners;
      g->owner = static_cast<std::uint32_t>(i);
    }
    // The compiled tables hold one bit per catalogue entry: a permission outside the catalogue
    // (an id the policy hard-coded before registering it) has no place in them.
    if (!b.permissions.is_subset_of(g->catalogue.all()))
      return role_error(Errc::validation_failed, b.name,
                        "policy: a built-in role holds a permission outside the catalogue");
    names.push_back(b.name);
    values.push_back(static_cast<std::uint32_t>(i));
    for (const std::string& alias : b.aliases) {
      names.push_back(alias);
      values.push_back(static_cast<std::uint32_t>(i));
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!validate_role_name(names[i]))
      return role_error(Errc::validation_failed, names[i], "policy: invalid built-in role name");
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i))
      return role_error(Errc::validation_failed, names[i], "policy: built-in role name repeated");
  }
  if (owners != 1)
    return Error{Errc::validation_failed, "policy: exactly one built-in role must be the owner"};
  g->builtin_names = StringIndex(names, values);
  return g;
}

bool valid_id(std::string_view id) {
  return tenantkit::detail::valid_id_syntax(id);
}

}  // namespace

// --- TenantEdit --------------------------------------------------------------------------

namespace {
// An edit usually carries a tenant's roles and members at once: room for 16 steps up front
// instead of five reallocations (each moving every step so far) on the way there.
template <class Op>
void append(std::vector<Op>& ops, Op&& op) {
  if (ops.capacity() == 0) ops.reserve(16);
  ops.push_back(std::move(op));
}
}  // namespace

TenantEdit& TenantEdit::create_role(RoleDefinition role) {
  append(ops_, Op{Kind::create_role, std::move(role), {}, {}});
  return *this;
}
TenantEdit& TenantEdit::update_role(RoleDefinition role) {
  append(ops_, Op{Kind::update_role, std::move(role), {}, {}});
  return *this;
}
TenantEdit& TenantEdit::delete_role(std::string name) {
  RoleDefinition role;
  role.name = std::move(name);
  append(ops_, Op{Kind::delete_role, std::move(role), {}, {}});
  return *this;
}
TenantEdit& TenantEdit::set_user_roles(std::string user, std::vector<std::string> roles) {
  append(ops_, Op{Kind::set_user, {}, std::move(user), std::move(roles)});
  return *this;
}
TenantEdit& TenantEdit::remove_user(std::string user) {
  append(ops_, Op{Kind::remove_user, {}, std::move(user), {}});
  return *this;
}

// --- Engine ------------------------------------------------------------------------------

struct Engine::Impl {
  std::shared_ptr<const RolePolicy> policy;
  bool conditions = false;
  detail::ReadDomain domain;
  AtomicPtr<const Globals> globals;
  AtomicPtr<Directory> directory;
  std::mutex write_mutex;  // writers only; readers never take it

  ~Impl() {
    if (Directory* d = directory.load()) {
      d->for_each([](DirSlot* s) { delete s->snapshot(); });
      delete d;
    }
    delete globals.load();
  }

  const TenantSnapshot* snapshot(std::string_view tenant) const noexcept {
    const Directory* d = directory.load(std::memory_order_seq_cst);
    const std::uintptr_t w = d->find_word(tenant, detail::hash_bytes(tenant));
    return w == 0 ? nullptr : snapshot_of(w);
  }

  // The hot path, under a ReadDomain::Guard.
  // Inlined into each check: a call with a dozen arguments costs as much as the lookups.
  [[gnu::always_inline]] Decision decide(const Globals& g, std::string_view tenant,
                                         std::string_view user, PermissionId id,
                                         const PermissionSet* scopes,
                                         std::span<const Attribute> attributes) const noexcept {
    // Also keeps the bit-matrix read in range: every published table was built for this
    // catalogue or a later one (register_permission publishes the catalogue last).
    if (static_cast<std::size_t>(id) >= g.catalogue.size())
      return Decision::deny(DenyReason::unknown_permission);
    // Both hashes before any load, so the directory and user slot misses start early.
    const std::uint64_t tenant_hash = detail::hash_bytes(tenant);
    const std::uint64_t user_hash = detail::hash_bytes(user);
    const std::uintptr_t w =
        directory.load(std::memory_order_acquire)->find_word(tenant, tenant_hash);
    if (w == 0) return Decision::deny(DenyReason::not_a_member);
    const UserTable::Bits bits = UserTable::lookup(w, user, user_hash, static_cast<unsigned>(id));
    // Branch-free from here (without scopes and conditions): the answer depends on the key
    // slot's cache miss and is unpredictable (allowed or not), so a branch on it would cost a
    // pipeline flush on top of the miss, and throw away the next check's work the CPU has
    // already started. DenyReason's order: not_a_member 2, not_granted 3, explicit_deny 4.
    static_assert(static_cast<unsigned>(DenyReason::not_a_member) == 2 &&
                  static_cast<unsigned>(DenyReason::not_granted) == 3 &&
                  static_cast<unsigned>(DenyReason::explicit_deny) == 4 &&
                  static_cast<unsigned>(DenyReason::outside_scope) == 5);
    unsigned allowed = bits.allowed, denied = bits.denied;
    const unsigned found = bits.found;
    // Opaque to the optimizer, which would otherwise turn the selects below back into branches.
    asm("" : "+r"(allowed), "+r"(denied));
    unsigned reason = (3U + denied) & (allowed - 1U);  // none when allowed
    reason -= found ^ 1U;                              // unknown user: 3 - 1
    if (scopes != nullptr) {
      const unsigned outside = scopes->contains(id) ? 0U : 1U;
      reason += (static_cast<unsigned>(DenyReason::outside_scope) & -(outside & allowed));
    }
    if (conditions && reason == 0) {
      const UserTable& users = snapshot_of(w)->users;
      return policy->refine(CheckRequest{tenant, user, id, g.catalogue.name(id),
                                         users.grant_bits(users.find(user)).allow, attributes});
    }
    static constexpr Decision kByReason[] = {Decision::allow(),
                                             Decision::deny(DenyReason::unknown_permission),
                                             Decision::deny(DenyReason::not_a_member),
                                             Decision::deny(DenyReason::not_granted),
                                             Decision::deny(DenyReason::explicit_deny),
                                             Decision::deny(DenyReason::outside_scope)};
    return kByReason[reason];
  }

  PermissionSet user_permissions(std::string_view tenant, std::string_view user) const {
    const TenantSnapshot* snap = snapshot(tenant);
    if (snap == nullptr) return {};
    const std::uint32_t slot = snap->users.find(user);
    return slot == UserTable::npos ? PermissionSet{} : snap->users.grant_bits(slot).allow;
  }

  Result<Holder> holder(std::string_view tenant, std::span<const std::string> roles) const {
    const Globals& g = *globals.load();
    Resolver r = resolver_of(g, snapshot(tenant));
    Holder h;
    PermissionSet deny;
    for (const std::string& name : roles) {
      const auto id = r.id(name);
      if (id == StringIndex::npos) return field_error("roles", "unknown role '" + name + "'");
      auto s = r.sets(id, name);
      if (!s) return s.error();
      h.permissions |= s->first;
      deny |= s->second;
      h.is_owner = h.is_owner || id == g.owner;
    }
    h.permissions -= deny;
    return h;
  }

  // Writers (hold write_mutex) -------------------------------------------------------------

  DirSlot* find_state(std::string_view tenant) const noexcept {
    return directory.load()->find(tenant, detail::hash_bytes(tenant));
  }

  // Makes room for one more tenant: a bigger table once half full.
  void reserve_one() {
    Directory* d = directory.load();
    if ((d->count.load() + 1) * 2 <= d->mask + 1) return;
    auto bigger = std::make_unique<Directory>((d->mask + 1) * 2);
    d->for_each([&](DirSlot* s) { bigger->insert(*s); });
    directory.store(bigger.release(), std::memory_order_seq_cst);
    domain.synchronize();
    delete d;
  }

  void drop_state(DirSlot* victim) {
    Directory* d = directory.load();
    auto rebuilt = std::make_unique<Directory>(d->mask + 1);
    d->for_each([&](DirSlot* s) {
      if (s != victim) rebuilt->insert(*s);
    });
    const TenantSnapshot* gone = victim->snapshot();
    directory.store(rebuilt.release(), std::memory_order_seq_cst);
    domain.synchronize();
    delete d;
    delete gone;
  }

  Result<void> apply_op(Model& m, const TenantEdit::Op& op, const Globals& g) const {
    using Kind = TenantEdit::Kind;
    switch (op.kind) {
      case Kind::create_role:
      case Kind::update_role: {
        const std::string& name = op.role.name;
        if (g.builtin_id(name) != StringIndex::npos)
          return role_error(Errc::conflict, name, "built-in roles cannot be created or changed");
        const auto at = m.role_index(name);
        if (op.kind == Kind::create_role && at)
          return role_error(Errc::conflict, name, "already exists");
        if (op.kind == Kind::update_role && !at)
          return role_error(Errc::not_found, name, "no such role");
        auto role = parse_role(g, op.role);
        if (!role) return role.error();
        if (at) {
          m.roles[*at] = std::move(*role);
        } else {
          m.role_names.push_back(name);
          m.roles.push_back(std::move(*role));
        }
        return ok();
      }
      case Kind::delete_role: {
        const std::string& name = op.role.name;
        if (g.builtin_id(name) != StringIndex::npos)
          return role_error(Errc::conflict, name, "built-in roles cannot be deleted");
        const auto at = m.role_index(name);
        if (!at) return role_error(Errc::not_found, name, "no such role");
        for (const auto& roles : m.user_roles)
          if (std::binary_search(roles.begin(), roles.end(), name))
            return role_error(Errc::conflict, name, "the role is assigned to members");
        for (const CustomRole& other : m.roles)
          for (const Rule& rule : other.rules())
            if (rule.kind == Rule::Kind::inherit && rule.text == name)
              return role_error(Errc::conflict, name, "another role inherits it");
        m.role_names.erase(m.role_names.begin() + static_cast<std::ptrdiff_t>(*at));
        m.roles.erase(m.roles.begin() + static_cast<std::ptrdiff_t>(*at));
        return ok();
      }
      case Kind::set_user: {
        if (!valid_id(op.user)) return field_error("user", "malformed user id");
        std::vector<std::string> roles;
        roles.reserve(op.roles.size());
        for (const std::string& name : op.roles) {
          const auto b = g.builtin_id(name);
          if (b != StringIndex::npos) {
            roles.push_back(g.builtins[b].name);
          } else if (m.role_index(name)) {
            roles.push_back(name);
          } else {
            return field_error("roles", "unknown role '" + name + "'");
          }
        }
        std::sort(roles.begin(), roles.end());
        roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
        auto it = std::find(m.users.begin(), m.users.end(), op.user);
        if (it == m.users.end()) {
          m.users.push_back(op.user);
          m.user_roles.push_back(std::move(roles));
        } else {
          m.user_roles[static_cast<std::size_t>(it - m.users.begin())] = std::move(roles);
        }
        return ok();
      }
      case Kind::remove_user: {
        auto it = std::find(m.users.begin(), m.users.end(), op.user);
        if (it != m.users.end()) {
          const auto i = static_cast<std::size_t>(it - m.users.begin());
          m.users.erase(it);
          m.user_roles.erase(m.user_roles.begin() + static_cast<std::ptrdiff_t>(i));
        }
        return ok();
      }
      default:
        return Error{Errc::internal, "unknown tenant edit step"};
    }
  }

  // Publishes `next` for `tenant` (null: the tenant is empty and forgotten).
  void publish(std::string_view tenant, DirSlot* state, std::unique_ptr<TenantSnapshot> next) {
    if (next == nullptr) {
      if (state != nullptr) drop_state(state);
      return;
    }
    if (state == nullptr) {
      reserve_one();
      directory.load()->insert(detail::hash_bytes(tenant), next.release()->users.word(), tenant);
      return;
    }
    const std::uintptr_t old_word =
        state->word.exchange(next.release()->users.word(), std::memory_order_seq_cst);
    const TenantSnapshot* old = old_word == 0 ? nullptr : snapshot_of(old_word);
    if (old != nullptr) {
      domain.synchronize();
      delete old;
    }
  }
};

// The default policy's roles are well-formed, so create() cannot fail here.
Engine::Engine() : impl_(std::move(create({}).value()->impl_)) {}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Engine>> Engine::create(EngineOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->policy = options.policy ? std::move(options.policy) : default_role_policy();
  impl->conditions = impl->policy->has_conditions();
  auto g = make_globals(*impl->policy, Catalogue{});
  if (!g) return g.error();
  impl->globals.store(g.value().release());
  impl->directory.store(new Directory(64));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::~Engine() = default;

Result<PermissionId> Engine::register_permission(std::string_view name) {
  std::lock_guard lock(impl_->write_mutex);
  const Globals* old = impl_->globals.load();
  if (auto id = old->catalogue.find(name)) return *id;
  Catalogue catalogue = old->catalogue;
  auto id = catalogue.add(name);
  if (!id) return id.error();
  auto next = make_globals(*impl_->policy, std::move(catalogue));
  if (!next) return next.error();

  // Recompile every tenant against the new catalogue first, so a failure changes nothing.
  std::vector<std::pair<DirSlot*, std::unique_ptr<TenantSnapshot>>> rebuilt;
  Result<void> failed = ok();
  impl_->directory.load()->for_each([&](DirSlot* s) {
    if (!failed) return;
    const TenantSnapshot* current = s->snapshot();
    auto snap = compile(current->tenant, decode(current, *old), *next.value());
    if (!snap) {
      failed = Error{snap.error().code, "tenant " + current->tenant + ": " + snap.error().detail};
      return;
    }
    rebuilt.emplace_back(s, std::move(*snap));
  });
  if (!failed) return failed.error();

  // Tenants first, then the catalogue: a check that sees the new catalogue sees the tables
  // built for it, and one that sees the old catalogue asks only ids both have (a table's
  // permission rows cover the catalogue it was built with, no more).
  std::vector<const TenantSnapshot*> retired;
  for (auto& [state, snap] : rebuilt)
    retired.push_back(
        snapshot_of(state->word.exchange(snap.release()->users.word(), std::memory_order_seq_cst)));
  impl_->globals.store(next.value().release(), std::memory_order_seq_cst);
  impl_->domain.synchronize();
  for (const TenantSnapshot* s : retired) delete s;
  delete old;
  return id.value();
}

std::optional<PermissionId> Engine::find_permission(std::string_view name) const noexcept {
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals* g = impl_->globals.load(std::memory_order_acquire);
  const auto i = g->permissions.find(name);
  if (i == StringIndex::npos) return std::nullopt;
  return static_cast<PermissionId>(i);
}

Catalogue Engine::catalogue() const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->globals.load()->catalogue;
}

std::vector<std::string> Engine::names(const PermissionSet& set) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->globals.load()->catalogue.names(set);
}

Result<PermissionSet> Engine::parse_permissions(std::span<const std::string> patterns) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->globals.load()->catalogue.match_all(patterns);
}

Result<void> Engine::apply(std::string_view tenant, const TenantEdit& edit) {
  if (!valid_id(tenant)) return field_error("tenant", "malformed tenant id");
  std::lock_guard lock(impl_->write_mutex);
  const Globals& g = *impl_->globals.load();
  DirSlot* state = impl_->find_state(tenant);
  Model m = decode(state ? state->snapshot() : nullptr, g);
  std::size_t new_roles = 0, set_users = 0;
  for (const TenantEdit::Op& op : edit.ops_) {
    new_roles += op.kind == TenantEdit::Kind::create_role ? 1 : 0;
    set_users += op.kind == TenantEdit::Kind::set_user ? 1 : 0;
  }
  m.reserve(new_roles, set_users);
  for (const TenantEdit::Op& op : edit.ops_)
    if (auto r = impl_->apply_op(m, op, g); !r) return r;
  std::unique_ptr<TenantSnapshot> next;
  if (!m.empty()) {
    auto compiled = compile(tenant, m, g);
    if (!compiled) return compiled.error();
    next = std::move(*compiled);
  }
  impl_->publish(tenant, state, std::move(next));
  return ok();
}

Result<void> Engine::create_role(std::string_view tenant, RoleDefinition role) {
  return apply(tenant, TenantEdit().create_role(std::move(role)));
}
Result<void> Engine::update_role(std::string_view tenant, RoleDefinition role) {
  return apply(tenant, TenantEdit().update_role(std::move(role)));
}
Result<void> Engine::delete_role(std::string_view tenant, std::string_view name) {
  return apply(tenant, TenantEdit().delete_role(std::string(name)));
}
Result<void> Engine::set_user_roles(std::string_view tenant, std::string_view user,
                                    std::span<const std::string> roles) {
  return apply(tenant,
               TenantEdit().set_user_roles(std::string(user),
                                           std::vector<std::string>(roles.begin(), roles.end())));
}
Result<void> Engine::remove_user(std::string_view tenant, std::string_view user) {
  return apply(tenant, TenantEdit().remove_user(std::string(user)));
}

void Engine::remove_tenant(std::string_view tenant) {
  std::lock_guard lock(impl_->write_mutex);
  if (DirSlot* s = impl_->find_state(tenant)) impl_->drop_state(s);
}

Decision Engine::check(std::string_view tenant, std::string_view user, std::string_view permission,
                       std::span<const Attribute> attributes) const noexcept {
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load(std::memory_order_acquire);
  const auto id = g.permissions.find(permission);
  if (id == StringIndex::npos) return Decision::deny(DenyReason::unknown_permission);
  return impl_->decide(g, tenant, user, static_cast<PermissionId>(id), nullptr, attributes);
}

Decision Engine::check(std::string_view tenant, std::string_view user, PermissionId permission,
                       std::span<const Attribute> attributes) const noexcept {
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load(std::memory_order_acquire);
  return impl_->decide(g, tenant, user, permission, nullptr, attributes);
}

Decision Engine::check_scoped(std::string_view tenant, std::string_view user,
                              std::string_view permission, const PermissionSet& scopes,
                              std::span<const Attribute> attributes) const noexcept {
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load(std::memory_order_acquire);
  const auto id = g.permissions.find(permission);
  if (id == StringIndex::npos) return Decision::deny(DenyReason::unknown_permission);
  return impl_->decide(g, tenant, user, static_cast<PermissionId>(id), &scopes, attributes);
}

Decision Engine::check(const TenantContext& ctx, std::string_view permission,
                       std::span<const Attribute> attributes) const noexcept {
  const Principal& p = ctx.principal;
  if (p.kind == PrincipalKind::user)
    return check(ctx.tenant.str(), p.user.str(), permission, attributes);
  if (p.kind != PrincipalKind::api_key) return Decision::deny(DenyReason::not_a_member);
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load(std::memory_order_acquire);
  const auto id = g.permissions.find(permission);
  if (id == StringIndex::npos) return Decision::deny(DenyReason::unknown_permission);
  PermissionSet scopes;
  for (const std::string& scope : p.scopes) {
    const auto s = g.permissions.find(scope);
    if (s != StringIndex::npos) scopes.insert(static_cast<PermissionId>(s));
  }
  return impl_->decide(g, ctx.tenant.str(), p.user.str(), static_cast<PermissionId>(id), &scopes,
                       attributes);
}

PermissionSet Engine::user_permissions(std::string_view tenant, std::string_view user) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->user_permissions(tenant, user);
}

PermissionSet Engine::scoped_permissions(std::string_view tenant, std::string_view user,
                                         const PermissionSet& scopes) const {
  return user_permissions(tenant, user) & scopes;
}

std::optional<std::vector<std::string>> Engine::user_roles(std::string_view tenant,
                                                           std::string_view user) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load();
  const TenantSnapshot* snap = impl_->snapshot(tenant);
  if (snap == nullptr) return std::nullopt;
  const std::uint32_t slot = snap->users.find(user);
  if (slot == UserTable::npos) return std::nullopt;
  const GrantRoles& range = snap->grant_ranges[snap->users.grant(slot)];
  const std::vector<std::string_view> custom = snap->role_list();
  std::vector<std::string> out;
  for (auto i = range.begin; i < range.end; ++i)
    out.push_back(role_name(g, custom, snap->grant_roles[i]));
  std::sort(out.begin(), out.end());
  return out;
}

Result<PermissionSet> Engine::permissions_of(std::string_view tenant,
                                             std::span<const std::string> roles) const {
  auto h = holder(tenant, roles);
  if (!h) return h.error();
  return h->permissions;
}

Result<Holder> Engine::holder(std::string_view tenant, std::span<const std::string> roles) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->holder(tenant, roles);
}

std::vector<RoleInfo> Engine::roles(std::string_view tenant) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load();
  std::vector<RoleInfo> out;
  for (const BuiltinRole& b : g.builtins) {
    RoleInfo info{
        b.name, true, {b.name, g.catalogue.names(b.permissions), {}, {}}, b.permissions, {}};
    out.push_back(std::move(info));
  }
  const TenantSnapshot* snap = impl_->snapshot(tenant);
  if (snap == nullptr) return out;
  Resolver r = resolver_of(g, snap);
  const std::vector<std::string_view> custom = snap->role_list();
  for (std::uint32_t i = 0; i < snap->roles.size(); ++i) {
    const std::string_view name = custom[i];
    auto sets = r.sets(static_cast<std::uint32_t>(g.builtins.size() + i), name);
    RoleInfo info{std::string(name), false, definition_of(g, name, snap->roles[i]), {}, {}};
    if (sets) {
      info.permissions = sets->first - sets->second;
      info.denied = sets->second;
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<RoleInfo> Engine::get_role(std::string_view tenant, std::string_view name) const {
  std::string canonical(name);
  {
    detail::ReadDomain::Guard guard(impl_->domain);
    const Globals& g = *impl_->globals.load();
    const auto b = g.builtin_id(name);
    if (b != StringIndex::npos) canonical = g.builtins[b].name;
  }
  for (RoleInfo& info : roles(tenant))
    if (info.name == canonical) return std::move(info);
  return role_error(Errc::not_found, name, "no such role");
}

bool Engine::is_builtin_role(std::string_view name) const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->globals.load()->builtin_id(name) != StringIndex::npos;
}

std::size_t Engine::tenant_count() const {
  detail::ReadDomain::Guard guard(impl_->domain);
  return impl_->directory.load()->count.load();
}

Result<void> Engine::check_role_change(std::string_view tenant,
                                       std::span<const std::string> granter,
                                       std::span<const std::string> before,
                                       std::span<const std::string> after,
                                       std::size_t owners_count) const {
  auto g = holder(tenant, granter);
  if (!g) return g.error();
  auto b = holder(tenant, before);
  if (!b) return b.error();
  auto a = holder(tenant, after);
  if (!a) return a.error();
  return rbac::check_role_change(*g, *b, *a, owners_count);
}

Result<void> Engine::check_member_removal(std::string_view tenant,
                                          std::span<const std::string> remover,
                                          std::span<const std::string> target,
                                          std::size_t owners_count) const {
  auto r = holder(tenant, remover);
  if (!r) return r.error();
  auto t = holder(tenant, target);
  if (!t) return t.error();
  return rbac::check_member_removal(*r, *t, owners_count);
}

Result<void> Engine::check_role_definition(std::string_view tenant,
                                           std::span<const std::string> granter,
                                           const RoleDefinition& role) const {
  auto h = holder(tenant, granter);
  if (!h) return h.error();
  // Compile the tenant as it would be with the role (created or replaced), without publishing.
  detail::ReadDomain::Guard guard(impl_->domain);
  const Globals& g = *impl_->globals.load();
  const TenantSnapshot* snap = impl_->snapshot(tenant);
  Model m = decode(snap, g);
  const bool exists = m.role_index(role.name).has_value();
  const TenantEdit::Op op{
      exists ? TenantEdit::Kind::update_role : TenantEdit::Kind::create_role, role, {}, {}};
  if (auto r = impl_->apply_op(m, op, g); !r) return r;
  auto compiled = compile(tenant, m, g);
  if (!compiled) return compiled.error();
  const TenantSnapshot* next = compiled->get();
  Resolver r = resolver_of(g, next);
  auto sets = r.sets(r.id(role.name), role.name);
  if (!sets) return sets.error();
  if (auto ok_role = check_role_grant(*h, sets->first - sets->second); !ok_role) return ok_role;
  // The edit also changes what reaches others: a deny dropped from a role, or an allow added to
  // a role that others inherit, gives permissions to the members holding them and to the roles
  // inheriting it. Nothing anyone gains may lie outside the granter's own permissions.
  if (snap == nullptr) return ok();
  Resolver before = resolver_of(g, snap);
  for (const std::string_view name : snap->role_list()) {
    auto was = before.sets(before.id(name), name);
    if (!was) return was.error();
    auto now = r.sets(r.id(name), name);
    if (!now) return now.error();
    const PermissionSet gained = (now->first - now->second) - (was->first - was->second);
    if (!gained.is_subset_of(h->permissions))
      return Error{Errc::forbidden,
                   "the change gives role '" + std::string(name) + "' permissions you lack"};
  }
  for (const auto& [user, grant_index] : next->users.entries()) {
    const std::uint32_t old_slot = snap->users.find(user);
    if (old_slot == UserTable::npos) continue;
    const PermissionSet gained =
        next->users.grant_set(grant_index).allow - snap->users.grant_bits(old_slot).allow;
    if (!gained.is_subset_of(h->permissions))
      return Error{Errc::forbidden, "the change gives members permissions you lack"};
  }
  return ok();
}

Result<PermissionSet> Engine::check_scopes(std::string_view tenant,
                                           std::span<const std::string> creator,
                                           std::span<const std::string> scopes) const {
  auto h = holder(tenant, creator);
  if (!h) return h.error();
  auto set = parse_permissions(scopes);
  if (!set) return set.error();
  if (auto r = rbac::check_scopes(h.value(), set.value()); !r) return r.error();
  return set.value();
}

}  // namespace tenantkit::rbac
