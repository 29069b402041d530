// SPDX-License-Identifier: Apache-2.0
// docs/storage.md, "Implementing a backend": how a backend of your own runs the conformance
// suites. The in-memory storage stands in for it here (tests/storage runs every suite on it);
// this file instantiates two suites under the prefix the page uses.
// [snippet conformance]
#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/conformance/api_key_store.hpp>  // all.hpp: every suite
#include <tenantkit/testing/conformance/audit_store.hpp>

namespace tenantkit::testing {

struct MyBackend {
  // A FRESH, EMPTY storage per test: SQL backends create a schema or database per call.
  static std::unique_ptr<storage::Storage> make() { return storage::open_memory(); }
};

// With all.hpp: TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(MyBackend, MyBackend);
// or one line per suite included:
INSTANTIATE_TYPED_TEST_SUITE_P(MyBackend, ApiKeyStoreConformance, MyBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(MyBackend, AuditStoreConformance, MyBackend);

}  // namespace tenantkit::testing
// [end conformance]
