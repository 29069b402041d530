// SPDX-License-Identifier: Apache-2.0
// One coroutine per connection (Beast advanced_server's http_session, top to bottom): a fresh
// parser per message with header_limit (-> 431) and body_limit (-> 413), the read timeout over
// the whole read of one request, the idle timeout between keep-alive requests, a write timeout,
// the route run on the worker pool or inline (App::run_inline / try_inline), Connection: close on
// errors that leave the stream unusable.
#pragma once

#include <chrono>
#include <memory>

#include "net/listener.hpp"

namespace tenantkit::server {

/// Time allowed to write one response.
inline constexpr std::chrono::seconds kWriteTimeout{30};

/// Serves `conn` until the peer closes, a limit or timeout ends it, or the listener drains.
net::awaitable<void> run_http_session(Listener& listener, std::shared_ptr<Connection> conn);

}  // namespace tenantkit::server
