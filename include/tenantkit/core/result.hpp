// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an Error. Every fallible tenantkit call returns one.
// A deny (RBAC, quota) is a value, not an error: an Error means "could not decide".
#pragma once

#include <utility>

#include <boost/system/result.hpp>

#include <tenantkit/core/error.hpp>

namespace tenantkit {

/// A value or an Error. [[nodiscard]] because boost::system::result (1.81) is not.
/// Propagate explicitly: `auto r = f(); if (!r) return r.error();`.
template <class T>
class [[nodiscard]] Result : public boost::system::result<T, Error> {
 public:
  using boost::system::result<T, Error>::result;
  Result(const boost::system::result<T, Error>& r) : boost::system::result<T, Error>(r) {}
  Result(boost::system::result<T, Error>&& r) : boost::system::result<T, Error>(std::move(r)) {}
};

/// Success of a Result<void>: `return ok();`.
inline Result<void> ok() {
  return {};
}

}  // namespace tenantkit
