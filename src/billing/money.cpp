// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <limits>

#include <tenantkit/billing/money.hpp>

namespace tenantkit::billing {

namespace {

// ISO 4217 currencies whose minor unit is not 2 decimals (the list Stripe also documents as
// zero-decimal / three-decimal currencies).
constexpr std::array<std::string_view, 17> kZeroDecimal = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                           "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                           "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::array<std::string_view, 7> kThreeDecimal = {"BHD", "IQD", "JOD", "KWD",
                                                           "LYD", "OMR", "TND"};

Error invalid(std::string message) {
  return Error{Errc::validation_failed, message, {{"amount", message}}};
}

}  // namespace

int currency_exponent(std::string_view currency) noexcept {
  if (std::find(kZeroDecimal.begin(), kZeroDecimal.end(), currency) != kZeroDecimal.end()) return 0;
  if (std::find(kThreeDecimal.begin(), kThreeDecimal.end(), currency) != kThreeDecimal.end())
    return 3;
  return 2;
}

Result<Money> parse_money(std::string_view amount, std::string_view currency) {
  if (currency.size() != 3)
    return Error{Errc::validation_failed,
                 "currency must be a three-letter ISO 4217 code",
                 {{"currency", "must be a three-letter ISO 4217 code"}}};
  std::string code;
  for (char c : currency) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
      return Error{Errc::validation_failed,
                   "currency must be a three-letter ISO 4217 code",
                   {{"currency", "must be a three-letter ISO 4217 code"}}};
    code.push_back(static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c));
  }
  const int exponent = currency_exponent(code);

  const auto dot = amount.find('.');
  const std::string_view whole = amount.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : amount.substr(dot + 1);
  if (whole.empty()) return invalid("amount must start with a digit");
  if (dot != std::string_view::npos && frac.empty())
    return invalid("amount has a decimal point without digits after it");
  if (static_cast<int>(frac.size()) > exponent)
    return invalid("amount has more decimals than " + code + " allows (" +
                   std::to_string(exponent) + ")");

  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = 0;
  auto push = [&](char c) -> bool {
    if (c < '0' || c > '9') return false;
    const int d = c - '0';
    if (value > (kMax - d) / 10) return false;
    value = value * 10 + d;
    return true;
  };
  for (char c : whole)
    if (!push(c)) return invalid("amount must be a plain decimal number within range");
  for (char c : frac)
    if (!push(c)) return invalid("amount must be a plain decimal number within range");
  for (int i = static_cast<int>(frac.size()); i < exponent; ++i)
    if (!push('0')) return invalid("amount is out of range");
  return Money{value, std::move(code)};
}

std::string format_amount(const Money& m) {
  const int exponent = currency_exponent(m.currency);
  // Through unsigned so that the magnitude of INT64_MIN is representable.
  const std::uint64_t magnitude = m.minor_units < 0 ? 0 - static_cast<std::uint64_t>(m.minor_units)
                                                    : static_cast<std::uint64_t>(m.minor_units);
  std::string digits = std::to_string(magnitude);
  if (exponent > 0) {
    if (digits.size() <= static_cast<std::size_t>(exponent))
      digits.insert(0, static_cast<std::size_t>(exponent) + 1 - digits.size(), '0');
    digits.insert(digits.size() - static_cast<std::size_t>(exponent), 1, '.');
  }
  return m.minor_units < 0 ? "-" + digits : digits;
}

}  // namespace tenantkit::billing
