// SPDX-License-Identifier: Apache-2.0
#include "services.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <span>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <tenantkit/auth/redis/login_throttle.hpp>
#include <tenantkit/billing/stripe/stripe_provider.hpp>
#include <tenantkit/billing/webhook.hpp>
#include <tenantkit/core/encoding.hpp>
#include <tenantkit/core/secret.hpp>
#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/quota/redis/backend.hpp>

#include "app.hpp"
#include "http/inline_attempt.hpp"
#include <sys/stat.h>

namespace tenantkit::server {

// --- RoleSync

namespace {

rbac::RoleDefinition definition_of(const storage::Role& r) {
  return {.name = r.name, .allow = r.permissions, .deny = r.deny, .inherits = r.inherits};
}

// Roles ordered so that each comes after the custom roles it inherits (the engine validates
// `inherits` at creation). Cycles cannot be stored (the engine refused them when they were
// written); a leftover one is appended last and its creation fails loudly.
std::vector<const storage::Role*> parents_first(const std::vector<storage::Role>& roles) {
  std::vector<const storage::Role*> out;
  std::set<std::string, std::less<>> placed;
  std::set<std::string, std::less<>> custom;
  for (const auto& r : roles) custom.insert(r.name);
  while (out.size() < roles.size()) {
    bool progressed = false;
    for (const auto& r : roles) {
      if (placed.contains(r.name)) continue;
      const bool ready = std::all_of(r.inherits.begin(), r.inherits.end(), [&](const auto& p) {
        return !custom.contains(p) || placed.contains(p);
      });
      if (!ready) continue;
      out.push_back(&r);
      placed.insert(r.name);
      progressed = true;
    }
    if (!progressed) {
      for (const auto& r : roles)
        if (!placed.contains(r.name)) out.push_back(&r);
      break;
    }
  }
  return out;
}

}  // namespace

std::uint64_t RoleSync::next_instance() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

RoleSync::Entry* RoleSync::find_loaded(const std::string& org) {
  struct Slot {
    const std::string* key = nullptr;  // the node's key: compared, so a slot never aliases
    Entry* entry = nullptr;
  };
  struct Memo {
    std::uint64_t instance = 0;
    std::uint64_t erasures = 0;
    std::array<Slot, 1024> slots{};
  };
  thread_local Memo memo;
  const std::uint64_t erasures = erasures_.load(std::memory_order_relaxed);
  if (memo.instance != instance_ || memo.erasures != erasures) {
    memo.slots.fill(Slot{});
    memo.instance = instance_;
    memo.erasures = erasures;
  }
  // Org ids are UUIDv7: their last characters are random, a fine slot index once mixed.
  std::uint64_t h = 0;
  const std::size_t tail = std::min<std::size_t>(org.size(), 8);
  std::memcpy(&h, org.data() + org.size() - tail, tail);
  h ^= h >> 29;
  h *= 0x9e3779b97f4a7c15ULL;
  Slot& slot = memo.slots[(h >> 32) % memo.slots.size()];
  if (slot.key != nullptr && *slot.key == org) return slot.entry;
  auto it = loaded_.find(org);
  if (it == loaded_.end()) return nullptr;
  slot = Slot{&it->first, &it->second};
  return &it->second;
}

Result<void> RoleSync::ensure(const OrgId& org) {
  const Timestamp now = clock_.now();
  {
    std::shared_lock lock(mutex_);
    Entry* found = find_loaded(org.str());
    if (found != nullptr && now - found->loaded_at < kStaleAfter) {
      Entry& e = *found;
      if (refresher_ && now - e.loaded_at >= kRefreshAfter &&
          !e.refresh_asked.exchange(true, std::memory_order_relaxed)) {
        refresher_([this, org] { (void)reload(org, clock_.now(), true); });
      }
      return ok();
    }
  }
  if (!blocking_allowed()) return needs_pool();
  return reload(org, now, false);
}

Result<void> RoleSync::reload(const OrgId& org, Timestamp now, bool only_if_known) {
  auto fresh = store_.list(org);
  if (!fresh) return fresh.error();
  std::lock_guard lock(mutex_);
  if (only_if_known && !loaded_.contains(org.str())) return ok();
  auto& entry = loaded_[org.str()];
  // A reload that read storage before the one already applied must not roll it back.
  if (entry.loaded_at > now) return ok();
  if (entry.roles != *fresh) {
    // One edit: drop the old definitions (children first), create the new ones (parents first),
    // so readers see the old set or the new one, never a mix.
    rbac::TenantEdit edit;
    auto old_order = parents_first(entry.roles);
    for (auto it = old_order.rbegin(); it != old_order.rend(); ++it) edit.delete_role((*it)->name);
    for (const auto* r : parents_first(*fresh)) edit.create_role(definition_of(*r));
    if (auto applied = engine_.apply(org.str(), edit); !applied) return applied.error();
    entry.roles = std::move(*fresh);
  }
  entry.loaded_at = now;
  entry.refresh_asked.store(false, std::memory_order_relaxed);
  return ok();
}

void RoleSync::invalidate(const OrgId& org) {
  std::lock_guard lock(mutex_);
  auto it = loaded_.find(org.str());
  if (it != loaded_.end()) it->second.loaded_at = Timestamp{};
}

void RoleSync::forget(const OrgId& org) {
  std::lock_guard lock(mutex_);
  // Under the exclusive lock: a reader holding the shared lock sees either the old count with
  // the node still there, or the new count (and drops its memo).
  erasures_.fetch_add(1, std::memory_order_relaxed);
  loaded_.erase(org.str());
  engine_.remove_tenant(org.str());
}

// --- Services

namespace {

namespace fs = std::filesystem;

// The pepper of keyed hashes (API keys, refresh, reset, invitation and SCIM tokens):
// TK_API_KEY_PEPPER, else a 32-byte random file next to the other server state, created 0600 on
// first start. Several instances must share it (set TK_API_KEY_PEPPER, docs/configuration.md).
Result<Secret> load_pepper(const Config& config, Random& random) {
  if (!config.api_key_pepper.empty()) return config.api_key_pepper;
  const fs::path path = fs::path("var") / "pepper";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      return Error{Errc::validation_failed, path.string() + " must not be readable by others"};
    std::ifstream in(path, std::ios::binary);
    std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    auto bytes = hex_decode(hex);
    if (!bytes || bytes->size() < 32)
      return Error{Errc::validation_failed, path.string() + " is not a 32-byte hex pepper"};
    return Secret(std::move(*bytes));
  }
  fs::create_directories(path.parent_path(), ec);
  std::array<std::byte, 32> raw{};
  random.fill(raw);
  const std::string hex = hex_encode(std::span<const std::byte>(raw));
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{Errc::unavailable, "cannot write " + tmp.string()};
    out << hex << '\n';
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) return Error{Errc::unavailable, "cannot create " + path.string() + ": " + ec.message()};
  return Secret(std::string(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

// Every call reads storage: on an I/O thread (an inline attempt) it refuses, and the request
// moves to the pool. Only the verifier reads through it.
class InlineGuardedKeyStore final : public storage::ApiKeyStore {
 public:
  explicit InlineGuardedKeyStore(storage::ApiKeyStore& inner) : inner_(inner) {}

  Result<storage::ApiKey> create(const OrgId& org, const storage::ApiKey& key,
                                 std::optional<std::int64_t> max_keys) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.create(org, key, max_keys);
  }
  Result<storage::ApiKey> get(const OrgId& org, const ApiKeyId& id) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.get(org, id);
  }
  Result<std::optional<storage::ApiKey>> find_by_prefix(std::string_view prefix) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.find_by_prefix(prefix);
  }
  Result<Page<storage::ApiKey>> list(const OrgId& org, const PageRequest& page) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.list(org, page);
  }
  Result<storage::ApiKey> revoke(const OrgId& org, const ApiKeyId& id, Timestamp now) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.revoke(org, id, now);
  }
  Result<storage::ApiKey> rotate(const OrgId& org, const ApiKeyId& old_id,
                                 const storage::ApiKey& successor,
                                 Timestamp old_expires_at) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.rotate(org, old_id, successor, old_expires_at);
  }
  Result<void> record_last_used(const std::vector<std::pair<ApiKeyId, Timestamp>>& uses) override {
    if (!blocking_allowed()) return needs_pool();
    return inner_.record_last_used(uses);
  }

 private:
  storage::ApiKeyStore& inner_;
};

Result<std::unique_ptr<auth::JwtCodec>> make_jwt(const Config& config, Random& random,
                                                 const Clock& clock) {
  auto alg = auth::parse_jwt_alg(config.jwt_alg);
  if (!alg) return alg.error();
  const auth::JwtOptions options{.alg = *alg,
                                 .issuer = config.jwt_issuer,
                                 .audience = config.jwt_audience,
                                 .ttl = config.access_token_ttl};
  if (*alg == auth::JwtAlg::hs256)
    return auth::JwtCodec::hs256(config.jwt_secret, options, random, clock);
  const std::string path =
      config.jwt_key_file.empty() ? std::string("var/jwt-keys.json") : config.jwt_key_file;
  std::error_code ec;
  if (auto parent = fs::path(path).parent_path(); !parent.empty())
    fs::create_directories(parent, ec);
  auto keys = auth::JwtKeySet::load_or_create(path, random, clock.now());
  if (!keys) return keys.error();
  return auth::JwtCodec::eddsa(std::move(*keys), options, random, clock);
}

}  // namespace

Services::Services(App& a, Backends& b, apikey::KeyHasher h, auth::PasswordHasher p,
                   billing::PlanCatalogue c)
    : app(a),
      db(*b.storage),
      backends(b),
      hasher(std::move(h)),
      // Half the workers at most (at least one): the rest keep serving other routes.
      passwords(std::move(p), std::max(1, a.config().worker_threads / 2)),
      catalogue(std::move(c)),
      background_(std::make_unique<boost::asio::thread_pool>(1)),
      refresher_(std::make_unique<boost::asio::thread_pool>(1)) {}

Services::~Services() {
  // Before any member goes: queued tasks use them. Without stop(), join() runs the queue dry.
  refresher_->join();
  background_->join();
}

void Services::refresh_ahead(std::function<void()> task) {
  if (refreshes_.fetch_add(1, std::memory_order_relaxed) >= kMaxRefreshes) {
    refreshes_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  boost::asio::post(*refresher_, [this, task = std::move(task)] {
    task();
    refreshes_.fetch_sub(1, std::memory_order_relaxed);
  });
}

void Services::defer(std::function<void()> task) {
  if (deferred_.fetch_add(1, std::memory_order_relaxed) >= kMaxDeferred) {
    deferred_.fetch_sub(1, std::memory_order_relaxed);
    task();
    return;
  }
  boost::asio::post(*background_, [this, task = std::move(task)] {
    task();
    deferred_.fetch_sub(1, std::memory_order_relaxed);
  });
}

Result<std::unique_ptr<Services>> Services::create(App& app, Backends& backends) {
  const Config& config = app.config();
  Clock& clock = app.clock();
  Random& random = app.random();

  auto pepper = load_pepper(config, random);
  if (!pepper) return pepper.error();
  auto hasher = apikey::KeyHasher::create({apikey::Pepper{.version = 1, .key = *pepper}});
  if (!hasher) return hasher.error();
  auto passwords = auth::PasswordHasher::create();
  if (!passwords) return passwords.error();
  auto catalogue = billing::catalogue_from_config(config);
  if (!catalogue) return catalogue.error();
  std::unique_ptr<Services> s(new Services(app, backends, std::move(*hasher), std::move(*passwords),
                                           std::move(*catalogue)));
  storage::Storage& db = s->db;

  auto jwt = make_jwt(config, random, clock);
  if (!jwt) return jwt.error();
  s->jwt = std::move(*jwt);
  // No reuse grace: API.md's refresh tokens are single-use, so presenting a rotated one again,
  // however soon, revokes its family (401).
  auto sessions = auth::SessionManager::create(
      db.sessions(), s->hasher, random, clock,
      {.refresh_ttl = config.refresh_token_ttl, .reuse_grace = std::chrono::seconds{0}});
  if (!sessions) return sessions.error();
  s->sessions = std::move(*sessions);
  const auth::LoginThrottleOptions throttle_options{.max_attempts = config.login_max_attempts,
                                                    .window = config.login_window};
  // Reset requests are counted apart from login failures (same limits): asking for a reset link
  // must not lock anyone out of logging in. With Redis both are shared by every instance, so a
  // guesser cannot multiply its attempts by the instance count.
  if (config.redis_url.empty()) {
    auto throttle = auth::LoginThrottle::create(clock, throttle_options);
    if (!throttle) return throttle.error();
    s->throttle = std::move(*throttle);
    auto reset_throttle = auth::LoginThrottle::create(clock, throttle_options);
    if (!reset_throttle) return reset_throttle.error();
    s->reset_throttle = std::move(*reset_throttle);
  } else {
    auto throttle =
        auth::redis::open_login_throttle({.url = config.redis_url}, clock, throttle_options);
    if (!throttle) return throttle.error();
    s->throttle = std::move(*throttle);
    auto reset_throttle = auth::redis::open_login_throttle(
        {.url = config.redis_url, .key_prefix = "tk:reset:"}, clock, throttle_options);
    if (!reset_throttle) return reset_throttle.error();
    s->reset_throttle = std::move(*reset_throttle);
  }
  s->one_time = std::make_unique<auth::OneTimeTokens>(db.sessions(), s->hasher, random, clock);

  s->rbac = std::make_unique<rbac::Engine>();
  s->roles = std::make_unique<RoleSync>(*s->rbac, db.roles(), clock);
  Services* self = s.get();
  s->roles->set_refresher(
      [self](std::function<void()> task) { self->refresh_ahead(std::move(task)); });

  s->revocations = std::make_unique<apikey::InProcessRevocationFeed>();
  s->last_used = std::make_unique<apikey::LastUsedRecorder>(db.api_keys(), clock);
  // Without a shared revocation feed, the cache lifetime bounds how long another instance may
  // still accept a revoked key: keep it at 1 s (API.md: "within 1 s").
  s->verifier_store = std::make_unique<InlineGuardedKeyStore>(db.api_keys());
  s->verifier = std::make_unique<apikey::Verifier>(
      *s->verifier_store, s->hasher, *s->revocations, clock, s->last_used.get(),
      apikey::CacheOptions{.ttl = std::chrono::seconds{1},
                           .refresh_ahead = std::chrono::milliseconds{200}});
  // Refresh-ahead: a key in use is reloaded in the background before its entry expires, so it
  // keeps being answered on the I/O thread; the reload reads storage exactly as a miss would,
  // so a revoked key is still refused within the 1 s TTL.
  s->verifier->set_refresh_hook([self](std::string_view presented) {
    self->refresh_ahead([self, secret = Secret(std::string(presented))] {
      (void)self->verifier->reload(secret.reveal());
    });
  });
  s->keys = std::make_unique<apikey::KeyManager>(
      db.api_keys(), s->hasher, *s->revocations, random, clock,
      apikey::ManagerOptions{.rotation_grace = config.api_key_grace});

  s->plan_policy = std::make_unique<billing::CataloguePlanPolicy>(s->catalogue);
  // A cache miss reads storage: on an I/O thread it refuses instead (the entitlement cache keeps
  // no failed load), and the request moves to the pool. Quota limits read through this cache.
  s->entitlements = std::make_unique<billing::EntitlementCache>(
      *s->plan_policy,
      [load = billing::subscription_store_loader(db.subscriptions())](
          const TenantId& tenant) -> Result<billing::TenantBilling> {
        if (!blocking_allowed()) return needs_pool();
        return load(tenant);
      },
      clock);
  s->limits = std::make_unique<billing::PlanLimitSource>(*s->entitlements);

  if (!config.redis_url.empty()) {
    auto redis = quota::redis::open_backend({.url = config.redis_url}, *s->limits, clock);
    if (!redis) return redis.error();
    backends.redis = std::move(*redis);
    quota::redis::RedisBackend* r = backends.redis.get();
    app.add_readiness_check({"redis", [r] { return r->ping(); }});
    s->quota = r;
  } else {
    s->quota_local = std::make_unique<quota::InProcessBackend>(*s->limits, clock);
    s->quota = s->quota_local.get();
  }
  s->usage =
      std::make_unique<quota::UsageRecorder>(db.usage(), *s->quota, *s->limits, random, clock);

  // Billing: Stripe when a secret key is set, else the offline provider whose checkout and portal
  // pages this server serves. Offline events are signed with the configured webhook secrets, or
  // with a per-process random one, and go through the same verifier as Stripe's.
  std::vector<Secret> webhook_secrets = config.stripe_webhook_secrets;
  if (config.stripe_enabled()) {
    auto stripe = billing::open_stripe({.secret_key = config.stripe_secret_key,
                                        .api_base = config.stripe_api_base,
                                        .catalogue = &s->catalogue},
                                       random);
    if (!stripe) return stripe.error();
    s->provider = std::move(*stripe);
  } else {
    if (webhook_secrets.empty()) {
      std::array<std::byte, 24> raw{};
      random.fill(raw);
      webhook_secrets.emplace_back("whsec_local_" + hex_encode(std::span<const std::byte>(raw)));
    }
    auto local = billing::LocalBillingProvider::create({.public_url = config.effective_public_url(),
                                                        .webhook_secrets = webhook_secrets,
                                                        .catalogue = &s->catalogue},
                                                       clock, random);
    if (!local) return local.error();
    s->local_billing = local->get();
    s->provider = std::move(*local);
  }
  if (!webhook_secrets.empty()) {
    auto verifier = billing::WebhookVerifier::create({.secrets = webhook_secrets}, clock);
    if (!verifier) return verifier.error();
    s->webhooks = std::make_unique<billing::WebhookHandler>(
        std::move(*verifier), db.subscriptions(), db.webhook_events(),
        billing::EventMapping{.catalogue = &s->catalogue}, clock, s->entitlements.get());
  }

  const Logger& logger = app.logger();
  auto mailer = mail::OutboxMailer::open(config.outbox_dir, [&logger](std::string_view line) {
    logger.info("mail queued", {{"message", std::string(line)}});
  });
  if (!mailer) return mailer.error();
  s->mailer = std::move(*mailer);

  billing::EntitlementCache* entitlements = s->entitlements.get();
  s->scim = std::make_unique<scim::ScimService>(
      db, s->hasher, random, clock,
      scim::ScimOptions{
          .base_url = config.effective_public_url() + "/scim/v2",
          .seat_limit = [entitlements](const OrgId& org) -> Result<std::optional<std::int64_t>> {
            auto limit = entitlements->limit(org, billing::Meter::seats);
            if (!limit) return limit.error();
            if (limit->is_unlimited()) return std::optional<std::int64_t>{};
            return std::optional<std::int64_t>(limit->value());
          }});
  return s;
}

}  // namespace tenantkit::server
