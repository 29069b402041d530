// SPDX-License-Identifier: Apache-2.0
// The quota backend conformance suite against RedisBackend (TK_TEST_REDIS_URL; skipped only when
// it is unset). Each backend gets its own key prefix, so tests never see each other's keys.
#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

#include <tenantkit/quota/redis/backend.hpp>
#include <tenantkit/quota/redis/leased.hpp>
#include <tenantkit/testing/conformance/quota_backend.hpp>

namespace tenantkit::testing {

std::string unique_prefix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "tkt:" + std::to_string(rd()) + ":" + std::to_string(counter.fetch_add(1)) + ":";
}

struct Redis {
  static std::unique_ptr<quota::QuotaBackend> make(const quota::LimitSource& limits,
                                                   const Clock& clock) {
    const char* url = std::getenv("TK_TEST_REDIS_URL");
    if (url == nullptr || *url == '\0') return nullptr;
    auto r = quota::redis::open_backend({.url = url, .key_prefix = unique_prefix()}, limits, clock);
    if (!r) {
      ADD_FAILURE() << "TK_TEST_REDIS_URL is set but Redis is unusable: " << r.error();
      return nullptr;
    }
    return std::move(*r);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, QuotaBackendConformance, Redis);

// LeasedBackend over its own RedisBackend (this wrapper owns both).
class OwningLeased final : public quota::QuotaBackend {
 public:
  OwningLeased(std::unique_ptr<quota::redis::RedisBackend> redis, const quota::LimitSource& limits,
               const Clock& clock)
      : redis_(std::move(redis)), leased_(*redis_, limits, clock) {}
  Result<quota::Outcome> decide(std::string_view t, std::string_view m, std::int64_t c) override {
    return leased_.decide(t, m, c);
  }
  Result<quota::Outcome> add(std::string_view t, std::string_view m, std::int64_t a) override {
    return leased_.add(t, m, a);
  }
  Result<void> set_gauge(std::string_view t, std::string_view m, std::int64_t v) override {
    return leased_.set_gauge(t, m, v);
  }
  Result<quota::Reservation> reserve(std::string_view t, std::string_view m, std::int64_t a,
                                     std::chrono::seconds ttl) override {
    return leased_.reserve(t, m, a, ttl);
  }
  Result<quota::Outcome> commit(const quota::Reservation& r, std::int64_t a) override {
    return leased_.commit(r, a);
  }
  Result<void> release(const quota::Reservation& r) override { return leased_.release(r); }

 private:
  std::unique_ptr<quota::redis::RedisBackend> redis_;
  quota::redis::LeasedBackend leased_;
};

struct Leased {
  static std::unique_ptr<quota::QuotaBackend> make(const quota::LimitSource& limits,
                                                   const Clock& clock) {
    auto redis = Redis::make(limits, clock);
    if (!redis) return nullptr;
    return std::make_unique<OwningLeased>(
        std::unique_ptr<quota::redis::RedisBackend>(
            static_cast<quota::redis::RedisBackend*>(redis.release())),
        limits, clock);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Leased, QuotaBackendConformance, Leased);

}  // namespace tenantkit::testing
