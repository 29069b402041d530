// SPDX-License-Identifier: Apache-2.0
// The quota backend conformance suite against InProcessBackend, with and without leasing stripes.
#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/testing/conformance/quota_backend.hpp>

namespace tenantkit::testing {

struct InProcess {
  static std::unique_ptr<quota::QuotaBackend> make(const quota::LimitSource& limits,
                                                   const Clock& clock) {
    return std::make_unique<quota::InProcessBackend>(limits, clock);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, QuotaBackendConformance, InProcess);

// Many stripes and small chunks: leased units change hands on nearly every decision.
struct InProcessStriped {
  static std::unique_ptr<quota::QuotaBackend> make(const quota::LimitSource& limits,
                                                   const Clock& clock) {
    return std::make_unique<quota::InProcessBackend>(
        limits, clock, quota::InProcessOptions{.stripes = 8, .max_chunk = 4});
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(InProcessStriped, QuotaBackendConformance, InProcessStriped);

struct InProcessSingleWord {
  static std::unique_ptr<quota::QuotaBackend> make(const quota::LimitSource& limits,
                                                   const Clock& clock) {
    return std::make_unique<quota::InProcessBackend>(limits, clock,
                                                     quota::InProcessOptions{.stripes = 1});
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(InProcessSingleWord, QuotaBackendConformance, InProcessSingleWord);

}  // namespace tenantkit::testing
