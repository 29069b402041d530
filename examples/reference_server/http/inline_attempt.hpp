// SPDX-License-Identifier: Apache-2.0
// Inline attempts (docs/server.md, "Threading"): a route marked App::try_inline runs on the I/O
// thread that read it until one of its steps reaches a point that would block (SQL, Redis,
// Argon2id). Every such point on those routes asks blocking_allowed() first: inside an
// InlineAttempt it answers false and records that the request needs the worker pool; the step
// then gives up with needs_pool() (before any side effect), and the connection resumes the
// request on the pool from that step. Outside an attempt (on the pool) it answers true.
// The state is thread-local: an attempt never leaves its thread, so nothing is shared.
#pragma once

#include <tenantkit/core/error.hpp>

namespace tenantkit::server {

/// Marks the current thread as answering one request inline for its lifetime. Not nestable.
class InlineAttempt {
 public:
  InlineAttempt() noexcept;
  ~InlineAttempt();
  InlineAttempt(const InlineAttempt&) = delete;
  InlineAttempt& operator=(const InlineAttempt&) = delete;

  /// True once a step of this attempt reached a blocking point.
  bool needs_pool() const noexcept;
};

/// Asked before every blocking call on a try-inline route's path. False inside an InlineAttempt
/// (and the attempt then needs the pool); true elsewhere.
[[nodiscard]] bool blocking_allowed() noexcept;

/// What a step returns when blocking_allowed() said no. Never reaches a client: the request is
/// resumed on the pool, where the step runs again.
Error needs_pool();

}  // namespace tenantkit::server
