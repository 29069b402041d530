// SPDX-License-Identifier: Apache-2.0
// Counts heap allocations in a benchmark binary (alloc_counter.cpp replaces the global operator
// new; link the tenantkit_bench_alloc target), so "no allocation on the hot path" is measured.
#pragma once

#include <cstdint>

namespace tenantkit::bench {
/// Allocations by any thread since the program started.
std::uint64_t allocations() noexcept;
/// Allocations by the calling thread since it started.
std::uint64_t thread_allocations() noexcept;
}  // namespace tenantkit::bench
