// SPDX-License-Identifier: Apache-2.0
// Plans: meters, features, limits, the plan catalogue (built-in free/pro/enterprise of API.md, or
// a JSON file named by TK_PLANS_FILE) and the PlanPolicy interface that turns a tenant's
// subscription into its entitlements. A PlanCatalogue is immutable after construction and safe
// to share between threads.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/billing/money.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit {
struct Config;
}

namespace tenantkit::billing {

/// Something a plan limits. Wire spelling = enumerator name.
enum class Meter : std::uint8_t {
  api_calls,   ///< Metered API calls per billing period (month).
  seats,       ///< Members plus pending invitations.
  workspaces,  ///< Workspaces that exist at once.
  ai_tokens,   ///< AI tokens per billing period (month).
};
inline constexpr std::size_t kMeterCount = 4;
inline constexpr std::array<Meter, kMeterCount> kAllMeters = {Meter::api_calls, Meter::seats,
                                                              Meter::workspaces, Meter::ai_tokens};

/// A boolean capability a plan grants. Wire spelling = enumerator name.
enum class Feature : std::uint8_t {
  audit_log,       ///< GET /v1/audit and /v1/audit/verify.
  api_key_scopes,  ///< Choosing API key scopes (default scopes are always allowed).
  custom_roles,    ///< Per-org custom roles.
  scim,            ///< SCIM provisioning.
  audit_export,    ///< CSV/JSON export of the audit log.
};
inline constexpr std::size_t kFeatureCount = 5;
inline constexpr std::array<Feature, kFeatureCount> kAllFeatures = {
    Feature::audit_log, Feature::api_key_scopes, Feature::custom_roles, Feature::scim,
    Feature::audit_export};

/// "api_calls", "seats", ...
std::string_view to_string(Meter m) noexcept;
/// "audit_log", ...
std::string_view to_string(Feature f) noexcept;
/// Parses a wire spelling; nullopt when unknown.
std::optional<Meter> parse_meter(std::string_view text) noexcept;
std::optional<Feature> parse_feature(std::string_view text) noexcept;

/// A count limit: a non-negative number, or unlimited.
class Limit {
 public:
  /// Zero (nothing allowed).
  constexpr Limit() = default;
  /// `value` must be >= 0.
  static constexpr Limit of(std::int64_t value) noexcept { return Limit(value); }
  static constexpr Limit unlimited() noexcept { return Limit(-1); }

  constexpr bool is_unlimited() const noexcept { return value_ < 0; }
  /// The number; meaningless when unlimited.
  constexpr std::int64_t value() const noexcept { return value_; }
  /// True when holding `count` stays within the limit (count <= value).
  constexpr bool allows(std::int64_t count) const noexcept {
    return is_unlimited() || count <= value_;
  }
  friend constexpr bool operator==(Limit, Limit) = default;

 private:
  constexpr explicit Limit(std::int64_t v) noexcept : value_(v) {}
  std::int64_t value_ = 0;
};

/// A set of features (a bitmask; no allocation).
class FeatureSet {
 public:
  constexpr FeatureSet() = default;
  constexpr FeatureSet(std::initializer_list<Feature> fs) noexcept {
    for (Feature f : fs) add(f);
  }
  constexpr bool has(Feature f) const noexcept { return (bits_ & bit(f)) != 0; }
  constexpr void add(Feature f) noexcept { bits_ |= bit(f); }
  constexpr void remove(Feature f) noexcept { bits_ &= ~bit(f); }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr bool operator==(FeatureSet, FeatureSet) = default;

 private:
  static constexpr std::uint32_t bit(Feature f) noexcept {
    return std::uint32_t{1} << static_cast<unsigned>(f);
  }
  std::uint32_t bits_ = 0;
};

/// A plan's recurring price.
struct Price {
  Money amount{};                  ///< Per interval.
  std::string interval = "month";  ///< "month" or "year".
  friend bool operator==(const Price&, const Price&) = default;
};

/// One plan of the catalogue.
struct Plan {
  std::string id{};                         ///< "free", "pro", ...: [a-z0-9_-], 1..64.
  std::string name{};                       ///< Display name.
  std::array<Limit, kMeterCount> limits{};  ///< Indexed by Meter.
  FeatureSet features{};                    ///< Granted features.
  int trial_days = 0;                       ///< Trial offered at checkout; 0 = none.
  /// Audit entries older than this many days are deleted by retention (1..36500); nullopt =
  /// kept forever.
  std::optional<int> audit_retention_days{};
  std::optional<Price> price{};  ///< nullopt = free of charge.
  std::map<std::string, std::string>
      price_ids{};  ///< Provider -> price id ("stripe" -> "price_…").

  Limit limit(Meter m) const noexcept { return limits[static_cast<std::size_t>(m)]; }
  bool has_feature(Feature f) const noexcept { return features.has(f); }
};

/// The id of the plan every tenant falls back to.
inline constexpr std::string_view kFreePlan = "free";

/// An ordered, validated set of plans that always contains kFreePlan. Immutable; thread-safe.
class PlanCatalogue {
 public:
  /// Validates `plans` (non-empty, unique valid ids, one is "free", trial_days 0..730,
  /// audit_retention_days 1..36500 when set).
  /// Errors: validation_failed, with a field per problem ("plans[1].id").
  static Result<PlanCatalogue> create(std::vector<Plan> plans);

  /// The built-in catalogue of API.md: free, pro (49.00 USD), enterprise (499.00 USD).
  static const PlanCatalogue& builtin();

  /// The plan with this id, or nullptr.
  const Plan* find(std::string_view id) const noexcept;
  /// Errors: not_found ("unknown plan <id>").
  Result<Plan> get(std::string_view id) const;
  /// The plan whose price_ids[provider] equals `price_id`, or nullptr. Empty ids never match.
  const Plan* find_by_price_id(std::string_view provider, std::string_view price_id) const noexcept;
  /// The "free" plan (always present).
  const Plan& free() const noexcept;
  const std::vector<Plan>& plans() const noexcept { return plans_; }

  /// A copy whose plan `plan_id` has price_ids[provider] = price_id (TK_STRIPE_PRICE_PRO, ...).
  /// An empty `price_id` leaves the catalogue unchanged. Errors: not_found (no such plan).
  Result<PlanCatalogue> with_price_id(std::string_view plan_id, std::string_view provider,
                                      std::string_view price_id) const;

 private:
  explicit PlanCatalogue(std::vector<Plan> plans) : plans_(std::move(plans)) {}
  std::vector<Plan> plans_{};
  std::size_t free_index_ = 0;
};

/// Parses a JSON catalogue:
/// `{"plans": [{"id": "pro", "name": "Pro", "limits": {"api_calls": 100000, "seats": null, ...},
///   "features": ["audit_log"], "trial_days": 14,
///   "price": {"amount": "49.00", "currency": "USD", "interval": "month"},
///   "price_ids": {"stripe": "price_123"}}]}`.
/// A limit is a non-negative integer, or null / "unlimited"; a meter left out is 0.
/// Errors: bad_request (not JSON), validation_failed (each field names its JSON path, e.g.
/// "plans[1].limits.seats").
Result<PlanCatalogue> parse_catalogue(std::string_view json);

/// Reads and parses `path`. Errors: not_found (cannot open), as parse_catalogue.
Result<PlanCatalogue> load_catalogue_file(const std::string& path);

/// The catalogue a service runs with: TK_PLANS_FILE (or the built-in one when unset), with
/// TK_STRIPE_PRICE_PRO / TK_STRIPE_PRICE_ENTERPRISE set as the "stripe" price ids of pro and
/// enterprise. Errors: as load_catalogue_file; not_found when a price is configured for a plan
/// the file lacks.
Result<PlanCatalogue> catalogue_from_config(const Config& config);

/// Per-tenant exceptions to the plan (a negotiated seat count, a feature granted by hand).
struct TenantOverrides {
  std::array<std::optional<Limit>, kMeterCount> limits{};  ///< Set entries replace the plan's.
  FeatureSet granted{};                                    ///< Added to the plan's features.
  FeatureSet revoked{};                                    ///< Removed (wins over granted).
  bool empty() const noexcept;
};

}  // namespace tenantkit::billing
