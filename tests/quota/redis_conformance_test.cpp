// SPDX-License-Identifier: Apache-2.0
// The quota backend conformance suite against RedisBackend (TK_TEST_REDIS_URL; skipped only when
// it is unset). Each backend gets its own key prefix, so tests never see each other's keys.
#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

#include <tenantkit/quota/redis/backend.hpp>
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

}  // namespace tenantkit::testing
