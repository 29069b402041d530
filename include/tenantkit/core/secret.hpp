// SPDX-License-Identifier: Apache-2.0
// Secret strings (tokens, keys, passwords) and constant-time comparison.
// A Secret prints as "***", is wiped from memory when destroyed, and compares in constant time.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace tenantkit {

/// Compares without an early exit on the first differing byte. The length of the inputs is not
/// secret (it leaks through timing); the content is.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// Overwrites `s`'s bytes with zeros in a way the compiler does not elide (sodium_memzero).
void secure_wipe(std::string& s) noexcept;

/// A string that must not be logged or compared naively.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& o) : value_(o.value_) {}
  Secret(Secret&& o) noexcept : value_(std::move(o.value_)) { secure_wipe(o.value_); }
  Secret& operator=(const Secret& o) {
    if (this != &o) {
      secure_wipe(value_);
      value_ = o.value_;
    }
    return *this;
  }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      secure_wipe(value_);
      value_ = std::move(o.value_);
      secure_wipe(o.value_);
    }
    return *this;
  }
  ~Secret() { secure_wipe(value_); }

  /// The clear text. Name the call site's reason to see it in review.
  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  /// Constant-time comparison with clear text.
  bool equals(std::string_view other) const noexcept { return constant_time_equal(value_, other); }
  friend bool operator==(const Secret& a, const Secret& b) noexcept {
    return constant_time_equal(a.value_, b.value_);
  }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "***"; }

 private:
  std::string value_;
};

}  // namespace tenantkit
