// SPDX-License-Identifier: Apache-2.0
#include "http/inline_attempt.hpp"

namespace tenantkit::server {
namespace {

struct State {
  bool active = false;
  bool needs_pool = false;
};
thread_local State state;

}  // namespace

InlineAttempt::InlineAttempt() noexcept {
  state = State{.active = true, .needs_pool = false};
}

InlineAttempt::~InlineAttempt() {
  state = State{};
}

bool InlineAttempt::needs_pool() const noexcept {
  return state.needs_pool;
}

bool blocking_allowed() noexcept {
  if (!state.active) return true;
  state.needs_pool = true;
  return false;
}

Error needs_pool() {
  return Error{Errc::unavailable, "needs the worker pool"};
}

}  // namespace tenantkit::server
