// SPDX-License-Identifier: Apache-2.0
// Request ids (API.md): an incoming X-Request-Id of 1-128 characters from [A-Za-z0-9._:-] is
// kept; anything else (absent, empty, too long, other bytes) is replaced by a new UUIDv7.
// Runs first, before routing, so every response, 404 included, carries X-Request-Id.
#pragma once

#include <string_view>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>

#include "http/context.hpp"

namespace tenantkit::server {

/// The longest X-Request-Id echoed back.
inline constexpr std::size_t kMaxRequestIdLength = 128;

/// True for 1..128 characters of [A-Za-z0-9._:-].
bool is_valid_request_id(std::string_view id) noexcept;

/// Sets ctx.request_id and ctx.tenant.request_id from X-Request-Id or a new UUIDv7.
void assign_request_id(RequestContext& ctx, Random& random, const Clock& clock);

}  // namespace tenantkit::server
