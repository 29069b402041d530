// SPDX-License-Identifier: Apache-2.0
// GoogleTest matchers for Result<T>: IsOk(), IsOkAndHolds(m), HasError(Errc).
// There is no NotOk(): assert the specific error you expect (absl status_matchers).
#pragma once

#include <ostream>
#include <type_traits>

#include <gmock/gmock.h>

#include <tenantkit/core/result.hpp>

namespace tenantkit::testing {

/// Matches a successful Result of any type.
MATCHER(IsOk, "is a success") {
  if (arg.has_value()) return true;
  *result_listener << "which failed with " << arg.error();
  return false;
}

/// Matches a successful Result whose value matches `inner`.
MATCHER_P(IsOkAndHolds, inner, "is a success holding a matching value") {
  if (!arg.has_value()) {
    *result_listener << "which failed with " << arg.error();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

/// Matches a failed Result with exactly this code.
MATCHER_P(HasError, code, std::string("fails with ") + std::string(::tenantkit::to_string(code))) {
  if (arg.has_value()) {
    *result_listener << "which succeeded";
    return false;
  }
  if (arg.error().code == code) return true;
  *result_listener << "which failed with " << arg.error();
  return false;
}

}  // namespace tenantkit::testing

namespace tenantkit {

/// GoogleTest printer for Result<T>: the value through gtest's own printer (so any T prints), or
/// the Error. Found by ADL; boost::system::result's operator<< needs an ostream-printable T.
template <class T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  if (!r) {
    *os << "error " << r.error();
  } else if constexpr (std::is_void_v<T>) {
    *os << "ok";
  } else {
    *os << "value " << ::testing::PrintToString(*r);
  }
}

}  // namespace tenantkit
