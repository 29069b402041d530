// SPDX-License-Identifier: Apache-2.0
// API key scopes: which permissions a key acts with. A scope is a permission (`resource:action`)
// or a pattern with `*` for the resource, the action, or both (`*` alone). Pure functions; no
// allocation; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tenantkit::apikey {

/// True when scope or permission pattern `pattern` covers permission `permission`.
bool scope_covers(std::string_view pattern, std::string_view permission) noexcept;

/// True when `scope` is `resource:action` of [a-z0-9_] (1..64 each; either may be `*`), or `*`.
bool valid_scope(std::string_view scope) noexcept;

/// True when some entry of `scopes` covers `permission`.
bool scopes_allow(std::span<const std::string> scopes, std::string_view permission) noexcept;

/// True when holding `permissions` entitles one to hand out `scope`: some permission is at least as
/// wide. A wildcard scope (`data:*`) needs an equally wide permission (`data:*` or `*`); holding
/// `data:read` alone does not cover it.
bool permissions_cover_scope(std::span<const std::string> permissions,
                             std::string_view scope) noexcept;

}  // namespace tenantkit::apikey
