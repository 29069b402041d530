// SPDX-License-Identifier: Apache-2.0
// Counts heap allocations in the benchmark binary (operator new is replaced in main.cpp), so
// the hot path's "no allocation per decision" is measured, not assumed.
#pragma once

#include <cstdint>

namespace tenantkit::bench {
std::uint64_t allocations() noexcept;
}
