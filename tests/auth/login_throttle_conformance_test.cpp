// SPDX-License-Identifier: Apache-2.0
// The login throttle conformance suite against InProcessLoginThrottle.
#include <tenantkit/testing/conformance/login_throttle.hpp>

namespace tenantkit::testing {

struct InProcessThrottle {
  static std::unique_ptr<auth::LoginThrottle> make(const Clock& clock,
                                                   auth::LoginThrottleOptions options) {
    auto t = auth::InProcessLoginThrottle::create(clock, options);
    if (!t) {
      ADD_FAILURE() << t.error();
      return nullptr;
    }
    return std::move(*t);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, LoginThrottleConformance, InProcessThrottle);

}  // namespace tenantkit::testing
