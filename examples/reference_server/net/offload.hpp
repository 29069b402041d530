// SPDX-License-Identifier: Apache-2.0
// offload(pool, f): runs blocking `f` on the worker pool; the awaiting coroutine resumes on its
// own executor (its connection's I/O thread), so I/O threads never block (STYLE.md 6.8).
// `f` must not throw (pipeline.cpp's handle() catches); an exception would propagate to the
// awaiting coroutine. The result type must be default-constructible (co_spawn's contract).
#pragma once

#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tenantkit::server {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> offload(boost::asio::thread_pool& pool, F f) {
  using T = std::invoke_result_t<F&>;
  co_return co_await boost::asio::co_spawn(
      pool, [f = std::move(f)]() mutable -> boost::asio::awaitable<T> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace tenantkit::server
