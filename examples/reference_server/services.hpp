// SPDX-License-Identifier: Apache-2.0
// Services: the library objects the routes share, built once from the Config and the opened
// Backends: key hasher, password hasher, JWT codec, session manager, login throttle, RBAC engine
// (custom roles synced from storage), API-key verifier and manager, plan policy and entitlement
// cache, plan-derived quota limits, quota backend, usage recorder, billing provider and webhook
// handler, mailer. With TK_REDIS_URL, quotas and the login throttle live in Redis (shared by
// every instance). Handlers only call these.
//
// Thread safety: every member is safe to use from many worker threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/last_used.hpp>
#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/apikey/verifier.hpp>
#include <tenantkit/auth/jwt.hpp>
#include <tenantkit/auth/login_throttle.hpp>
#include <tenantkit/auth/one_time_token.hpp>
#include <tenantkit/auth/password.hpp>
#include <tenantkit/auth/session.hpp>
#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/billing/local/local_provider.hpp>
#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/plan_policy.hpp>
#include <tenantkit/billing/provider.hpp>
#include <tenantkit/billing/quota_limits.hpp>
#include <tenantkit/billing/webhook_handler.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/mail/mailer.hpp>
#include <tenantkit/quota/backend.hpp>
#include <tenantkit/quota/limits.hpp>
#include <tenantkit/quota/usage.hpp>
#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/scim/service.hpp>
#include <tenantkit/storage/storage.hpp>

#include "backends.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace tenantkit::server {

class App;

/// Keeps each org's custom roles in the RBAC engine in step with the RoleStore. A role change
/// made through this instance is visible to its next request (invalidate()); one made by another
/// instance within kStaleAfter.
class RoleSync {
 public:
  static constexpr std::chrono::seconds kStaleAfter{1};
  /// Refresh-ahead: an org used when its roles are older than this is reloaded in the background
  /// (set_refresher) while the loaded roles keep answering, so a busy org never goes stale.
  static constexpr std::chrono::milliseconds kRefreshAfter{800};
  /// Runs a task off the request's thread; may drop it (the entry then just goes stale).
  using Refresher = std::function<void(std::function<void()>)>;

  RoleSync(rbac::Engine& engine, storage::RoleStore& store, const Clock& clock)
      : engine_(engine), store_(store), clock_(clock), instance_(next_instance()) {}

  /// Loads `org`'s custom roles into the engine unless loaded less than kStaleAfter ago.
  /// Errors: unavailable (storage).
  Result<void> ensure(const OrgId& org);
  /// Forces the next ensure(org) to reload.
  void invalidate(const OrgId& org);
  /// Forgets the org (deleted).
  void forget(const OrgId& org);
  /// Enables refresh-ahead through `refresher`. Call before the first ensure().
  void set_refresher(Refresher refresher) { refresher_ = std::move(refresher); }

 private:
  struct Entry {
    Timestamp loaded_at;
    std::vector<storage::Role> roles;
    std::atomic<bool> refresh_asked{false};  // one background reload per load
  };
  // Reads storage and applies the roles (loaded_at = `now`, taken before the read). With
  // `only_if_known`, an org forgotten meanwhile is not brought back.
  Result<void> reload(const OrgId& org, Timestamp now, bool only_if_known);
  // loaded_.find(org) through a per-thread memo of node addresses (every API-key request asks,
  // and the table walk was the costliest step of it). REQUIRES: mutex_ held (shared suffices).
  Entry* find_loaded(const std::string& org);
  static std::uint64_t next_instance() noexcept;
  rbac::Engine& engine_;
  storage::RoleStore& store_;
  const Clock& clock_;
  // Shared for the per-request freshness check (every API-key request), exclusive to reload.
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> loaded_;
  Refresher refresher_;
  // Memo validity: the memo of another RoleSync, or one filled before an erase, is dropped.
  // Nodes of loaded_ keep their address until erased (forget() bumps erasures_).
  const std::uint64_t instance_;
  std::atomic<std::uint64_t> erasures_{0};
};

/// The password hasher behind a concurrency limit: Argon2id costs tens of milliseconds of CPU
/// and 19 MiB each, so at most `slots` hashes run at once and a burst of logins leaves the other
/// workers free for every other route. Same calls as auth::PasswordHasher.
class PasswordSlots {
 public:
  PasswordSlots(auth::PasswordHasher hasher, std::ptrdiff_t slots)
      : hasher_(std::move(hasher)), slots_(slots) {}

  Result<std::string> hash(std::string_view password) {
    Slot slot(slots_);
    return hasher_.hash(password);
  }
  Result<auth::PasswordCheck> check(std::string_view encoded, std::string_view password) {
    Slot slot(slots_);
    return hasher_.check(encoded, password);
  }
  bool verify(std::string_view encoded, std::string_view password) {
    Slot slot(slots_);
    return hasher_.verify(encoded, password);
  }
  void verify_dummy(std::string_view password) {
    Slot slot(slots_);
    hasher_.verify_dummy(password);
  }

 private:
  struct Slot {
    explicit Slot(std::counting_semaphore<>& s) : sem(s) { sem.acquire(); }
    ~Slot() { sem.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    std::counting_semaphore<>& sem;
  };
  auth::PasswordHasher hasher_;
  std::counting_semaphore<> slots_;
};

struct Services {
  /// Builds every service. Creates var/ files on first start: the API-key pepper (0600, unless
  /// TK_API_KEY_PEPPER is set) and the Ed25519 key set (TK_JWT_KEY_FILE).
  /// Errors: validation_failed (bad configuration), unavailable (files, Redis).
  static Result<std::unique_ptr<Services>> create(App& app, Backends& backends);
  ~Services();

  App& app;
  storage::Storage& db;
  Backends& backends;

  apikey::KeyHasher hasher;
  PasswordSlots passwords;
  std::unique_ptr<auth::JwtCodec> jwt;
  std::unique_ptr<auth::SessionManager> sessions;
  std::unique_ptr<auth::LoginThrottle> throttle;
  /// POST /v1/auth/password/forgot requests per IP and per email (every request counts), so
  /// nobody can flood an inbox with reset mail. Limits of the login throttle.
  std::unique_ptr<auth::LoginThrottle> reset_throttle;
  std::unique_ptr<auth::OneTimeTokens> one_time;

  std::unique_ptr<rbac::Engine> rbac;
  std::unique_ptr<RoleSync> roles;

  /// db.api_keys() behind blocking_allowed(): the verifier's store, so that a cache miss on an
  /// I/O thread moves the request to the pool instead of reading storage there.
  std::unique_ptr<storage::ApiKeyStore> verifier_store;
  std::unique_ptr<apikey::RevocationFeed> revocations;
  std::unique_ptr<apikey::LastUsedRecorder> last_used;
  std::unique_ptr<apikey::Verifier> verifier;
  std::unique_ptr<apikey::KeyManager> keys;

  billing::PlanCatalogue catalogue;
  std::unique_ptr<billing::PlanPolicy> plan_policy;
  std::unique_ptr<billing::EntitlementCache> entitlements;
  std::unique_ptr<billing::PlanLimitSource> limits;  ///< Follows subscription changes by itself.
  std::unique_ptr<quota::QuotaBackend> quota_local;  ///< In-process backend (no TK_REDIS_URL).
  quota::QuotaBackend* quota = nullptr;              ///< The backend in use (Redis or local).
  std::unique_ptr<quota::UsageRecorder> usage;       ///< Usage events, period and daily queries.
  std::unique_ptr<billing::BillingProvider> provider;
  billing::LocalBillingProvider* local_billing = nullptr;  ///< Set when billing is offline.
  std::unique_ptr<billing::WebhookHandler> webhooks;

  std::unique_ptr<mail::Mailer> mailer;
  std::unique_ptr<scim::ScimService> scim;  ///< /scim/v2: users and memberships of one org.

  /// Runs `task` after the current request, on one background thread, so that its cost does
  /// not show in the response time (the password-reset mail: POST /v1/auth/password/forgot must
  /// answer alike whether or not the account exists). Past kMaxDeferred queued tasks it runs
  /// inline instead of queueing without bound. ~Services waits for queued tasks. `task` must not
  /// throw; it may block (SQL, files).
  void defer(std::function<void()> task);
  static constexpr int kMaxDeferred = 1000;

  /// Runs `task` on the refresh thread: refresh-ahead reloads of the API-key verifier's cache
  /// and of RoleSync, off the I/O threads and the worker pool. Past kMaxRefreshes queued tasks
  /// it drops `task` (a refresh is optional: the entry then expires and a request reloads it).
  /// ~Services waits for queued tasks. `task` must not throw; it may block.
  void refresh_ahead(std::function<void()> task);
  static constexpr int kMaxRefreshes = 4096;

 private:
  Services(App& a, Backends& b, apikey::KeyHasher h, auth::PasswordHasher p,
           billing::PlanCatalogue c);

  std::unique_ptr<boost::asio::thread_pool> background_;
  std::atomic<int> deferred_{0};
  std::unique_ptr<boost::asio::thread_pool> refresher_;
  std::atomic<int> refreshes_{0};
};

}  // namespace tenantkit::server
