// SPDX-License-Identifier: Apache-2.0
// Runs every storage conformance suite against storage::open_memory().
#include <tenantkit/testing/conformance/all.hpp>

namespace tenantkit::testing {

struct Memory {
  static std::unique_ptr<storage::Storage> make() { return storage::open_memory(); }
};

TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Memory, Memory);

}  // namespace tenantkit::testing
