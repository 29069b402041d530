// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include <tenantkit/billing/plan.hpp>
#include <tenantkit/core/config.hpp>

namespace tenantkit::billing {

namespace json = boost::json;

std::string_view to_string(Meter m) noexcept {
  switch (m) {
    case Meter::api_calls:
      return "api_calls";
    case Meter::seats:
      return "seats";
    case Meter::workspaces:
      return "workspaces";
    case Meter::ai_tokens:
      return "ai_tokens";
    default:
      return "unknown";
  }
}

std::string_view to_string(Feature f) noexcept {
  switch (f) {
    case Feature::audit_log:
      return "audit_log";
    case Feature::api_key_scopes:
      return "api_key_scopes";
    case Feature::custom_roles:
      return "custom_roles";
    case Feature::scim:
      return "scim";
    case Feature::audit_export:
      return "audit_export";
    default:
      return "unknown";
  }
}

std::optional<Meter> parse_meter(std::string_view text) noexcept {
  for (Meter m : kAllMeters)
    if (to_string(m) == text) return m;
  return std::nullopt;
}

std::optional<Feature> parse_feature(std::string_view text) noexcept {
  for (Feature f : kAllFeatures)
    if (to_string(f) == text) return f;
  return std::nullopt;
}

bool TenantOverrides::empty() const noexcept {
  for (const auto& l : limits)
    if (l) return false;
  return granted.empty() && revoked.empty();
}

namespace {

constexpr int kMaxRetentionDays = 36500;

bool valid_plan_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

Plan make_plan(std::string id, std::string name, std::array<Limit, kMeterCount> limits,
               FeatureSet features, int trial_days, std::optional<Price> price) {
  Plan p;
  p.id = std::move(id);
  p.name = std::move(name);
  p.limits = limits;
  p.features = features;
  p.trial_days = trial_days;
  p.price = std::move(price);
  return p;
}

Price usd(std::int64_t cents) {
  return Price{Money{cents, "USD"}, "month"};
}

}  // namespace

Result<PlanCatalogue> PlanCatalogue::create(std::vector<Plan> plans) {
  std::vector<FieldError> errors;
  if (plans.empty()) errors.push_back({"plans", "must list at least one plan"});
  std::set<std::string, std::less<>> seen;
  std::size_t free_index = plans.size();
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const std::string at = "plans[" + std::to_string(i) + "]";
    const Plan& p = plans[i];
    if (!valid_plan_id(p.id))
      errors.push_back({at + ".id", "must be 1..64 characters of [a-z0-9_-]"});
    else if (!seen.insert(p.id).second)
      errors.push_back({at + ".id", "duplicate plan id \"" + p.id + "\""});
    if (p.id == kFreePlan) free_index = i;
    if (p.trial_days < 0 || p.trial_days > 730)
      errors.push_back({at + ".trial_days", "must be between 0 and 730"});
    if (p.audit_retention_days &&
        (*p.audit_retention_days < 1 || *p.audit_retention_days > kMaxRetentionDays))
      errors.push_back({at + ".audit_retention_days", "must be between 1 and 36500"});
    for (Meter m : kAllMeters) {
      const Limit l = p.limit(m);
      if (!l.is_unlimited() && l.value() < 0)
        errors.push_back({at + ".limits." + std::string(to_string(m)), "must be >= 0"});
    }
    if (p.price && p.price->interval != "month" && p.price->interval != "year")
      errors.push_back({at + ".price.interval", "must be \"month\" or \"year\""});
  }
  if (!plans.empty() && free_index == plans.size())
    errors.push_back({"plans", "must contain the plan \"free\" (the fallback plan)"});
  if (!errors.empty()) {
    std::string detail =
        "invalid plan catalogue: " + errors.front().field + " " + errors.front().message;
    return Error{Errc::validation_failed, std::move(detail), std::move(errors)};
  }
  PlanCatalogue c(std::move(plans));
  c.free_index_ = free_index;
  return c;
}

const PlanCatalogue& PlanCatalogue::builtin() {
  static const PlanCatalogue catalogue = [] {
    using F = Feature;
    std::vector<Plan> plans;
    plans.push_back(make_plan("free", "Free",
                              {Limit::of(1000), Limit::of(3), Limit::of(3), Limit::of(10000)}, {},
                              0, std::nullopt));
    plans.push_back(make_plan("pro", "Pro",
                              {Limit::of(100000), Limit::of(25), Limit::of(50), Limit::of(2000000)},
                              {F::audit_log, F::api_key_scopes}, 14, usd(4900)));
    plans.push_back(
        make_plan("enterprise", "Enterprise",
                  {Limit::unlimited(), Limit::unlimited(), Limit::unlimited(), Limit::unlimited()},
                  {F::audit_log, F::api_key_scopes, F::custom_roles, F::scim, F::audit_export}, 0,
                  usd(49900)));
    plans[0].audit_retention_days = 30;   // free
    plans[1].audit_retention_days = 365;  // pro; enterprise keeps everything
    auto r = PlanCatalogue::create(std::move(plans));
    return std::move(*r);
  }();
  return catalogue;
}

const Plan* PlanCatalogue::find(std::string_view id) const noexcept {
  for (const Plan& p : plans_)
    if (p.id == id) return &p;
  return nullptr;
}

Result<Plan> PlanCatalogue::get(std::string_view id) const {
  if (const Plan* p = find(id)) return *p;
  return Error{Errc::not_found, "unknown plan " + std::string(id)};
}

const Plan* PlanCatalogue::find_by_price_id(std::string_view provider,
                                            std::string_view price_id) const noexcept {
  if (price_id.empty()) return nullptr;
  for (const Plan& p : plans_) {
    auto it = p.price_ids.find(std::string(provider));
    if (it != p.price_ids.end() && it->second == price_id) return &p;
  }
  return nullptr;
}

const Plan& PlanCatalogue::free() const noexcept {
  return plans_[free_index_];
}

Result<PlanCatalogue> PlanCatalogue::with_price_id(std::string_view plan_id,
                                                   std::string_view provider,
                                                   std::string_view price_id) const {
  if (!find(plan_id)) return Error{Errc::not_found, "unknown plan " + std::string(plan_id)};
  PlanCatalogue copy = *this;
  if (price_id.empty()) return copy;
  for (Plan& p : copy.plans_)
    if (p.id == plan_id) p.price_ids[std::string(provider)] = std::string(price_id);
  return copy;
}

namespace {

// Collects every problem of a catalogue file, each named by its JSON path.
class Reader {
 public:
  std::vector<FieldError> errors;

  void fail(std::string path, std::string message) {
    errors.push_back({std::move(path), std::move(message)});
  }

  std::optional<Limit> limit(const json::value& v, const std::string& path) {
    if (v.is_null()) return Limit::unlimited();
    if (v.is_string() && v.get_string() == "unlimited") return Limit::unlimited();
    if (v.is_int64() && v.get_int64() >= 0) return Limit::of(v.get_int64());
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      return Limit::of(static_cast<std::int64_t>(v.get_uint64()));
    fail(path, "must be a non-negative integer, null or \"unlimited\"");
    return std::nullopt;
  }

  std::optional<std::string> string(const json::object& o, std::string_view key,
                                    const std::string& path, bool required) {
    const json::value* v = o.if_contains(key);
    if (!v) {
      if (required) fail(path + "." + std::string(key), "is required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      fail(path + "." + std::string(key), "must be a string");
      return std::nullopt;
    }
    return std::string(v->get_string());
  }

  std::optional<Plan> plan(const json::value& v, const std::string& at) {
    if (!v.is_object()) {
      fail(at, "must be an object");
      return std::nullopt;
    }
    const json::object& o = v.get_object();
    const std::size_t before = errors.size();
    Plan p;
    if (auto id = string(o, "id", at, true)) p.id = *id;
    p.name = string(o, "name", at, false).value_or(p.id);

    if (const json::value* limits = o.if_contains("limits")) {
      if (!limits->is_object()) {
        fail(at + ".limits", "must be an object");
      } else {
        for (const auto& kv : limits->get_object()) {
          const std::string path = at + ".limits." + std::string(kv.key());
          auto meter = parse_meter(kv.key());
          if (!meter) {
            fail(path, "unknown meter");
            continue;
          }
          if (auto l = limit(kv.value(), path)) p.limits[static_cast<std::size_t>(*meter)] = *l;
        }
      }
    }
    if (const json::value* features = o.if_contains("features")) {
      if (!features->is_array()) {
        fail(at + ".features", "must be an array of feature names");
      } else {
        const json::array& a = features->get_array();
        for (std::size_t i = 0; i < a.size(); ++i) {
          const std::string path = at + ".features[" + std::to_string(i) + "]";
          auto f = a[i].is_string() ? parse_feature(a[i].get_string()) : std::nullopt;
          if (!f)
            fail(path, "unknown feature");
          else
            p.features.add(*f);
        }
      }
    }
    if (const json::value* trial = o.if_contains("trial_days")) {
      if (!trial->is_int64() || trial->get_int64() < 0 || trial->get_int64() > 730)
        fail(at + ".trial_days", "must be an integer between 0 and 730");
      else
        p.trial_days = static_cast<int>(trial->get_int64());
    }
    if (const json::value* days = o.if_contains("audit_retention_days"); days && !days->is_null()) {
      if (!days->is_int64() || days->get_int64() < 1 || days->get_int64() > kMaxRetentionDays)
        fail(at + ".audit_retention_days", "must be null or an integer between 1 and 36500");
      else
        p.audit_retention_days = static_cast<int>(days->get_int64());
    }
    if (const json::value* price = o.if_contains("price"); price && !price->is_null()) {
      const std::string path = at + ".price";
      if (!price->is_object()) {
        fail(path, "must be an object or null");
      } else {
        const json::object& po = price->get_object();
        auto amount = string(po, "amount", path, true);
        auto currency = string(po, "currency", path, true);
        auto interval = string(po, "interval", path, false).value_or("month");
        if (interval != "month" && interval != "year")
          fail(path + ".interval", "must be \"month\" or \"year\"");
        if (amount && currency) {
          auto money = parse_money(*amount, *currency);
          if (!money) {
            const auto& f = money.error().fields;
            fail(path + "." + (f.empty() ? std::string("amount") : f.front().field),
                 f.empty() ? money.error().detail : f.front().message);
          } else {
            p.price = Price{std::move(*money), interval};
          }
        }
      }
    }
    if (const json::value* ids = o.if_contains("price_ids")) {
      if (!ids->is_object()) {
        fail(at + ".price_ids", "must be an object of provider -> price id");
      } else {
        for (const auto& kv : ids->get_object()) {
          if (!kv.value().is_string())
            fail(at + ".price_ids." + std::string(kv.key()), "must be a string");
          else
            p.price_ids[std::string(kv.key())] = std::string(kv.value().get_string());
        }
      }
    }
    if (errors.size() != before) return std::nullopt;
    return p;
  }
};

}  // namespace

Result<PlanCatalogue> parse_catalogue(std::string_view text) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return Error{Errc::bad_request, "plan catalogue is not valid JSON: " + ec.message()};
  Reader r;
  std::vector<Plan> plans;
  const json::value* list = root.is_object() ? root.get_object().if_contains("plans") : nullptr;
  if (!root.is_object()) {
    r.fail("$", "must be an object with a \"plans\" array");
  } else if (!list || !list->is_array()) {
    r.fail("plans", "is required and must be an array");
  } else {
    const json::array& a = list->get_array();
    for (std::size_t i = 0; i < a.size(); ++i)
      if (auto p = r.plan(a[i], "plans[" + std::to_string(i) + "]")) plans.push_back(std::move(*p));
  }
  if (!r.errors.empty()) {
    std::string detail =
        "invalid plan catalogue: " + r.errors.front().field + " " + r.errors.front().message;
    return Error{Errc::validation_failed, std::move(detail), std::move(r.errors)};
  }
  return PlanCatalogue::create(std::move(plans));
}

Result<PlanCatalogue> load_catalogue_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::not_found, "cannot open plan catalogue " + path};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_catalogue(text.str());
}

Result<PlanCatalogue> catalogue_from_config(const Config& config) {
  auto catalogue = config.plans_file.empty() ? Result<PlanCatalogue>(PlanCatalogue::builtin())
                                             : load_catalogue_file(config.plans_file);
  if (!catalogue) return catalogue.error();
  if (!config.stripe_price_pro.empty()) {
    catalogue = catalogue->with_price_id("pro", "stripe", config.stripe_price_pro);
    if (!catalogue) return catalogue.error();
  }
  if (!config.stripe_price_enterprise.empty()) {
    catalogue = catalogue->with_price_id("enterprise", "stripe", config.stripe_price_enterprise);
    if (!catalogue) return catalogue.error();
  }
  return catalogue;
}

}  // namespace tenantkit::billing
