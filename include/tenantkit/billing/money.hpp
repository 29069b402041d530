// SPDX-License-Identifier: Apache-2.0
// Money: an amount in integer minor units with its ISO 4217 currency. Never floating point.
// parse_money("49.00", "USD") checks the digits against the currency's minor-unit exponent.
// Plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tenantkit/core/result.hpp>

namespace tenantkit::billing {

/// An amount of one currency, e.g. 4900 minor units of "USD" = 49.00 USD.
struct Money {
  std::int64_t minor_units = 0;  ///< Cents for USD/EUR, yen for JPY, fils for KWD.
  std::string currency{};        ///< Upper-case ISO 4217 alphabetic code, e.g. "EUR".

  friend bool operator==(const Money&, const Money&) = default;
};

/// Decimal places of `currency` (ISO 4217 minor unit): 0 for JPY/KRW/..., 3 for BHD/KWD/...,
/// 2 otherwise. `currency` must already be a valid code.
int currency_exponent(std::string_view currency) noexcept;

/// Parses a non-negative decimal amount ("49", "49.5", "49.00") in `currency` (three letters,
/// any case; stored upper-case). At most currency_exponent() fraction digits; no sign, exponent,
/// grouping or spaces. Errors: validation_failed (bad currency code, bad digits, too many
/// decimals for the currency, or an amount that overflows 64 bits).
Result<Money> parse_money(std::string_view amount, std::string_view currency);

/// The amount with exactly currency_exponent() decimals: "49.00", "500" (JPY), "1.250" (KWD).
std::string format_amount(const Money& m);

}  // namespace tenantkit::billing
