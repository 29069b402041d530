// SPDX-License-Identifier: Apache-2.0
// Namespace aliases and the Asio/Beast includes of the transport (net/*.cpp only: these headers
// are heavy, so nothing outside net/ includes this file).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace tenantkit::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// Completion token of every awaited operation: errors come back as values, never as exceptions.
inline constexpr auto kAwait = net::as_tuple(net::use_awaitable);
}  // namespace tenantkit::server
