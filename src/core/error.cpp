// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <ostream>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <tenantkit/core/error.hpp>

namespace tenantkit {
namespace {

constexpr std::array<std::string_view, 16> kNames = {
    "bad_request",
    "validation_failed",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "gone",
    "payload_too_large",
    "rate_limited",
    "quota_exceeded",
    "seat_limit_reached",
    "feature_not_in_plan",
    "plan_limit_reached",
    "invalid_signature",
    "unavailable",
    "internal",
};

class Category final : public boost::system::error_category {
 public:
  // A fixed id makes codes from two shared objects compare equal (Boost.System docs).
  constexpr Category() noexcept : error_category(0x7e4a47c1b2d35e01ULL) {}
  const char* name() const noexcept override { return "tenantkit"; }
  std::string message(int ev) const override {
    return std::string(to_string(static_cast<Errc>(ev)));
  }
};

}  // namespace

std::string_view to_string(Errc code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  if (i == 0 || i > kNames.size()) return "internal";
  return kNames[i - 1];
}

bool parse_errc(std::string_view text, Errc& out) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) {
      out = static_cast<Errc>(i + 1);
      return true;
    }
  }
  return false;
}

std::ostream& operator<<(std::ostream& os, Errc e) {
  return os << to_string(e);
}

std::ostream& operator<<(std::ostream& os, const Error& e) {
  os << to_string(e.code);
  if (!e.detail.empty()) os << ": " << e.detail;
  for (const auto& f : e.fields) os << " [" << f.field << ": " << f.message << "]";
  return os;
}

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

void throw_exception_from_error(const Error& e, const boost::source_location& loc) {
  boost::throw_exception(boost::system::system_error(make_error_code(e.code), e.detail), loc);
}

}  // namespace tenantkit
