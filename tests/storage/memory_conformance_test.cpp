// SPDX-License-Identifier: Apache-2.0
// Runs every storage conformance suite against storage::open_memory().
#include <tenantkit/testing/conformance/org_store.hpp>

namespace tenantkit::testing {

struct Memory {
  static std::unique_ptr<storage::Storage> make() { return storage::open_memory(); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, OrgStoreConformance, Memory);

}  // namespace tenantkit::testing
