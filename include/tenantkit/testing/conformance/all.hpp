// SPDX-License-Identifier: Apache-2.0
// Every storage conformance suite, and TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE to run them all
// against one backend. Test-only (target tenantkit::testing).
//
//   // tests/storage/my_backend_test.cpp
//   #include <tenantkit/testing/conformance/all.hpp>
//   namespace tenantkit::testing {
//   struct Mine {  // make(): a FRESH, EMPTY Storage per test
//     static std::unique_ptr<storage::Storage> make() { return open_mine(...); }
//   };
//   TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Mine, Mine);
//   }  // namespace tenantkit::testing
#pragma once

#include <tenantkit/testing/conformance/api_key_store.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/conformance/invitation_store.hpp>
#include <tenantkit/testing/conformance/membership_store.hpp>
#include <tenantkit/testing/conformance/org_store.hpp>
#include <tenantkit/testing/conformance/role_store.hpp>
#include <tenantkit/testing/conformance/session_store.hpp>
#include <tenantkit/testing/conformance/user_store.hpp>

/// Instantiates every storage suite as `Prefix/<Suite>/...` for `Backend`. Use it inside
/// namespace tenantkit::testing (GoogleTest requires the suites' namespace).
#define TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Prefix, Backend)             \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, OrgStoreConformance, Backend);        \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, UserStoreConformance, Backend);       \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, MembershipStoreConformance, Backend); \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, InvitationStoreConformance, Backend); \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, SessionStoreConformance, Backend);    \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, ApiKeyStoreConformance, Backend);     \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, RoleStoreConformance, Backend)
