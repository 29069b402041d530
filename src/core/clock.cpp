// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/core/clock.hpp>

namespace tenantkit {

Clock::~Clock() = default;

Clock& system_clock() noexcept {
  static SystemClock clock;
  return clock;
}

}  // namespace tenantkit
