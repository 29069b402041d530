// SPDX-License-Identifier: Apache-2.0
// TenantContext: who the tenant and principal of one request are, and what they hold.
//
// A TenantContext is a plain value owned by the request (in the reference server, by the
// request's coroutine frame) and passed explicitly, by reference, to every library call that
// needs it. There is deliberately no thread-local "current tenant": a coroutine may resume on
// another thread, and an ambient tenant is how one request ends up seeing another's data.
// tests/tenant/context_coroutine_test.cpp runs hundreds of interleaved requests on an
// io_context and a thread pool to prove that each one only ever sees its own tenant.
#pragma once

#include <string>
#include <vector>

#include <tenantkit/core/ids.hpp>

namespace tenantkit {

/// The kind of credential that authenticated a request.
enum class PrincipalKind : std::uint8_t {
  anonymous,  ///< No credential (public routes).
  user,       ///< A person, through an access token or session cookie.
  api_key,    ///< An API key: acts only with the key's scopes.
  scim,       ///< An org's SCIM provisioning token.
  admin,      ///< The operator's admin token (no tenant of its own).
};

/// Who is calling.
struct Principal {
  PrincipalKind kind = PrincipalKind::anonymous;
  UserId user;                      ///< Set for `user` (and for `api_key`: the key's creator).
  ApiKeyId api_key;                 ///< Set for `api_key`.
  SessionId session;                ///< Set for `user` when authenticated by a session-bound token.
  std::vector<std::string> scopes;  ///< Permissions an API key is limited to.

  bool is_authenticated() const noexcept { return kind != PrincipalKind::anonymous; }
};

/// Everything the library needs to know about "this request" to scope and authorize it.
struct TenantContext {
  TenantId tenant;  ///< Empty until resolved; tenant-scoped work needs it set.
  Principal principal;
  std::vector<std::string> roles;  ///< The principal's role names in `tenant`.
  std::string plan = "free";       ///< The tenant's plan id.
  RequestId request_id;            ///< For logs and audit entries.

  bool has_tenant() const noexcept { return !tenant.empty(); }
};

}  // namespace tenantkit
