// SPDX-License-Identifier: Apache-2.0
// C ABI over billing::PlanCatalogue (entitlements of a plan) and the Stripe-scheme webhook
// signature verifier.
#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/webhook.hpp>

#include "c/common.hpp"

struct tk_plans {
  tenantkit::billing::PlanCatalogue catalogue;
};

using namespace tenantkit;
using namespace tenantkit::c;

namespace {

Result<const billing::Plan*> plan_of(const tk_plans& plans, std::string_view id) {
  const billing::Plan* plan = plans.catalogue.find(id);
  if (plan == nullptr) return Error{Errc::not_found, "unknown plan " + std::string(id)};
  return plan;
}

}  // namespace

extern "C" {

tk_status tk_plans_builtin(tk_plans** out, tk_error** error) {
  return guard(error, [&] {
    if (out == nullptr) return null_argument(error, "out");
    *out = new tk_plans{billing::PlanCatalogue::builtin()};
    return TK_OK;
  });
}

tk_status tk_plans_parse(const char* json, size_t len, tk_plans** out, tk_error** error) {
  return guard(error, [&] {
    if (json == nullptr) return null_argument(error, "json");
    if (out == nullptr) return null_argument(error, "out");
    auto catalogue = billing::parse_catalogue(view(json, len));
    if (!catalogue) return fail(error, catalogue.error());
    *out = new tk_plans{std::move(*catalogue)};
    return TK_OK;
  });
}

void tk_plans_destroy(tk_plans* plans) {
  delete plans;
}

tk_status tk_plans_ids(const tk_plans* plans, tk_strings** out, tk_error** error) {
  return guard(error, [&] {
    if (plans == nullptr) return null_argument(error, "plans");
    if (out == nullptr) return null_argument(error, "out");
    std::vector<std::string> ids;
    for (const billing::Plan& p : plans->catalogue.plans()) ids.push_back(p.id);
    *out = strings_out(std::move(ids)).release();
    return TK_OK;
  });
}

tk_status tk_plans_has_feature(const tk_plans* plans, const char* plan, const char* feature,
                               bool* has, tk_error** error) {
  return guard(error, [&] {
    if (plans == nullptr) return null_argument(error, "plans");
    if (plan == nullptr) return null_argument(error, "plan");
    if (feature == nullptr) return null_argument(error, "feature");
    if (has == nullptr) return null_argument(error, "has");
    auto p = plan_of(*plans, plan);
    if (!p) return fail(error, p.error());
    auto f = billing::parse_feature(feature);
    if (!f)
      return fail(error, Error{Errc::validation_failed,
                               "unknown feature " + std::string(feature),
                               {{"feature", "unknown"}}});
    *has = (*p)->has_feature(*f);
    return TK_OK;
  });
}

tk_status tk_plans_limit(const tk_plans* plans, const char* plan, const char* meter, int64_t* limit,
                         tk_error** error) {
  return guard(error, [&] {
    if (plans == nullptr) return null_argument(error, "plans");
    if (plan == nullptr) return null_argument(error, "plan");
    if (meter == nullptr) return null_argument(error, "meter");
    if (limit == nullptr) return null_argument(error, "limit");
    auto p = plan_of(*plans, plan);
    if (!p) return fail(error, p.error());
    auto m = billing::parse_meter(meter);
    if (!m)
      return fail(error, Error{Errc::validation_failed,
                               "unknown meter " + std::string(meter),
                               {{"meter", "unknown"}}});
    const billing::Limit l = (*p)->limit(*m);
    *limit = l.is_unlimited() ? TK_UNLIMITED : l.value();
    return TK_OK;
  });
}

tk_status tk_webhook_verify(const char* const* secrets, size_t secret_count, const char* header,
                            size_t header_len, const char* body, size_t body_len, int64_t now,
                            int64_t tolerance_seconds, int64_t* signed_at, tk_error** error) {
  return guard(error, [&] {
    if (header == nullptr && header_len != 0) return null_argument(error, "header");
    if (body == nullptr && body_len != 0) return null_argument(error, "body");
    auto list = strings_in(secrets, secret_count, "secrets");
    if (!list) return fail(error, list.error());
    billing::WebhookVerifierOptions options;
    for (std::string& s : *list) options.secrets.emplace_back(std::move(s));
    if (tolerance_seconds != 0) options.tolerance = std::chrono::seconds{tolerance_seconds};
    // A fixed clock for this one call: the caller names "now" (0: the system time).
    ManualClock at(now == 0 ? system_clock().now() : from_unix(now));
    auto verifier = billing::WebhookVerifier::create(std::move(options), at);
    if (!verifier) return fail(error, verifier.error());
    auto t = verifier->verify(view(header, header_len), view(body, body_len));
    if (!t) return fail(error, t.error());
    if (signed_at != nullptr) *signed_at = to_unix(*t);
    return TK_OK;
  });
}

tk_status tk_webhook_sign(const char* secret, int64_t at, const char* body, size_t body_len,
                          char** header, tk_error** error) {
  return guard(error, [&] {
    if (secret == nullptr) return null_argument(error, "secret");
    if (body == nullptr && body_len != 0) return null_argument(error, "body");
    if (header == nullptr) return null_argument(error, "header");
    if (*secret == '\0')
      return fail(error, Error{Errc::validation_failed, "empty secret", {{"secret", "empty"}}});
    auto h =
        string_out(billing::sign_webhook({Secret(secret)}, from_unix(at), view(body, body_len)));
    give(header, h);
    return TK_OK;
  });
}

}  // extern "C"
