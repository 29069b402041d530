// SPDX-License-Identifier: Apache-2.0
// Every storage conformance suite, and TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE to run them all
// against one backend. Test-only (target tenantkit::testing). A backend must pass every suite
// unchanged; tests/storage/memory_conformance_test.cpp is the compiled example:
//
//   #include <tenantkit/testing/conformance/all.hpp>
//   namespace tenantkit::testing {
//   struct Mine {  // make(): a FRESH, EMPTY Storage for every test
//     static std::unique_ptr<storage::Storage> make() { return open_mine(...); }
//   };
//   TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Mine, Mine);
//   }  // namespace tenantkit::testing
#pragma once

#include <tenantkit/testing/conformance/api_key_store.hpp>
#include <tenantkit/testing/conformance/audit_store.hpp>
#include <tenantkit/testing/conformance/billing_store.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/conformance/idempotency_store.hpp>
#include <tenantkit/testing/conformance/invitation_store.hpp>
#include <tenantkit/testing/conformance/membership_store.hpp>
#include <tenantkit/testing/conformance/org_store.hpp>
#include <tenantkit/testing/conformance/role_store.hpp>
#include <tenantkit/testing/conformance/scim_group_store.hpp>
#include <tenantkit/testing/conformance/scim_token_store.hpp>
#include <tenantkit/testing/conformance/session_store.hpp>
#include <tenantkit/testing/conformance/usage_store.hpp>
#include <tenantkit/testing/conformance/user_store.hpp>
#include <tenantkit/testing/conformance/workspace_store.hpp>

/// Instantiates every storage suite as `Prefix/<Suite>/0.<Test>` for `Backend`. Use it inside
/// namespace tenantkit::testing (GoogleTest requires the suites' namespace). To run only some
/// suites, write the INSTANTIATE_TYPED_TEST_SUITE_P lines you need instead.
#define TENANTKIT_INSTANTIATE_STORAGE_CONFORMANCE(Prefix, Backend)               \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, OrgStoreConformance, Backend);          \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, UserStoreConformance, Backend);         \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, MembershipStoreConformance, Backend);   \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, InvitationStoreConformance, Backend);   \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, SessionStoreConformance, Backend);      \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, ApiKeyStoreConformance, Backend);       \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, RoleStoreConformance, Backend);         \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, UsageStoreConformance, Backend);        \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, SubscriptionStoreConformance, Backend); \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, WebhookEventStoreConformance, Backend); \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, AuditStoreConformance, Backend);        \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, WorkspaceStoreConformance, Backend);    \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, ScimTokenStoreConformance, Backend);    \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, ScimGroupStoreConformance, Backend);    \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, IdempotencyStoreConformance, Backend)
