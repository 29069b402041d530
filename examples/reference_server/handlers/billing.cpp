// SPDX-License-Identifier: Apache-2.0
// /v1/plans, /v1/billing/* and the offline provider's pages (/v1/billing/local/*).
#include "handlers/billing.hpp"

#include <optional>
#include <string>
#include <utility>

#include <boost/json/serialize.hpp>

#include <tenantkit/billing/local/local_provider.hpp>
#include <tenantkit/billing/money.hpp>
#include <tenantkit/storage/billing_store.hpp>
#include <tenantkit/storage/user_store.hpp>

#include "app.hpp"
#include "handlers/common.hpp"
#include "handlers/orgs_common.hpp"
#include "steps/auth.hpp"

namespace tenantkit::server::handlers {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// --- JSON shapes

json::value limit_json(billing::Limit limit) {
  return limit.is_unlimited() ? json::value(nullptr) : json::value(limit.value());
}

template <class Limits>
json::object limits_json(const Limits& limits) {
  json::object out;
  for (const billing::Meter m : billing::kAllMeters)
    out[billing::to_string(m)] = limit_json(limits[static_cast<std::size_t>(m)]);
  return out;
}

json::array features_json(billing::FeatureSet features) {
  json::array out;
  for (const billing::Feature f : billing::kAllFeatures)
    if (features.has(f)) out.emplace_back(billing::to_string(f));
  return out;
}

json::object plan_json(const billing::Plan& p) {
  json::array prices;
  if (p.price)
    prices.push_back(json::object{{"currency", p.price->amount.currency},
                                  {"amount", billing::format_amount(p.price->amount)},
                                  {"interval", p.price->interval}});
  return {{"id", p.id},
          {"name", p.name},
          {"limits", limits_json(p.limits)},
          {"features", features_json(p.features)},
          {"prices", std::move(prices)},
          {"trial_days", p.trial_days}};
}

std::string public_base(const Services& s) {
  std::string base = s.app.config().effective_public_url();
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// Where the provider sends the browser back to. The reference server has no front end, so
// both land on the subscription resource (a browser with the session cookie sees its state).
std::string success_url(const Services& s) {
  return public_base(s) + "/v1/billing/subscription?checkout=success";
}
std::string cancel_url(const Services& s) {
  return public_base(s) + "/v1/billing/subscription?checkout=canceled";
}
std::string return_url(const Services& s) {
  return public_base(s) + "/v1/billing/subscription";
}

bool is_live(std::string_view status) {
  return status == "active" || status == "trialing" || status == "past_due";
}

// --- Downgrades (the dry-run of billing::simulate_plan_change against what the org has now)

// The entitlements `org` would have on `plan_id`, active, without overrides.
Result<billing::Entitlements> plan_entitlements(Services& s, const OrgId& org,
                                                const std::string& plan_id) {
  billing::Subscription sub;
  sub.tenant = org;
  sub.plan_id = plan_id;
  sub.state = billing::SubscriptionState::active;
  return s.plan_policy->entitlements(org, sub, billing::TenantOverrides{}, s.app.clock().now());
}

// What `org` has now that `target` does not allow; empty when it fits.
Result<std::vector<billing::Overage>> overages(Services& s, const OrgId& org,
                                               const billing::Entitlements& target) {
  billing::UsageCounts u;
  auto members = s.db.memberships().count(org);
  if (!members) return members.error();
  auto pending = pending_invitations(s, org);
  if (!pending) return pending.error();
  u.seats = *members + *pending;
  auto workspaces = s.db.workspaces().count(org);
  if (!workspaces) return workspaces.error();
  u.workspaces = *workspaces;
  // Only keys created with chosen scopes store any (api_keys.cpp): those need api_key_scopes.
  const Timestamp now = s.app.clock().now();
  PageRequest page{.limit = PageRequest::kMaxLimit, .cursor = {}};
  for (;;) {
    auto batch = s.db.api_keys().list(org, page);
    if (!batch) return batch.error();
    for (const auto& key : batch->items)
      if (!key.scopes.empty() && key.is_usable(now)) ++u.api_keys_with_scopes;
    if (!batch->next_cursor) break;
    page.cursor = *batch->next_cursor;
  }
  auto roles = s.db.roles().list(org);
  if (!roles) return roles.error();
  u.custom_roles = static_cast<std::int64_t>(roles->size());
  for (const auto& [meter, used] :
       {std::pair{billing::Meter::api_calls, &u.api_calls_this_period},
        std::pair{billing::Meter::ai_tokens, &u.ai_tokens_this_period}}) {
    // Cost 0 reads the period's counter without spending anything.
    auto state = s.quota->decide(org.str(), billing::to_string(meter), 0);
    if (!state) return state.error();
    *used = state->used;
  }
  return billing::simulate_plan_change(u, target);
}

std::string overage_text(const std::vector<billing::Overage>& over) {
  std::string text;
  for (const auto& o : over) {
    if (!text.empty()) text += "; ";
    text += o.message;
  }
  return text;
}

json::array overages_json(const std::vector<billing::Overage>& over) {
  json::array out;
  for (const auto& o : over)
    out.push_back(json::object{
        {"what", o.what}, {"current", o.current}, {"allowed", o.allowed}, {"message", o.message}});
  return out;
}

// TK_DOWNGRADE_POLICY=refuse: a plan change this server starts (checkout, the offline portal)
// is refused while the org has more than the target plan allows, instead of leaving the org
// over its limits. `grace` lets it through; the subscription then lists the overages.
Result<void> check_downgrade(Services& s, const OrgId& org, const std::string& plan_id) {
  if (s.app.config().downgrade_policy != "refuse") return ok();
  auto target = plan_entitlements(s, org, plan_id);
  if (!target) return target.error();
  auto over = overages(s, org, *target);
  if (!over) return over.error();
  if (over->empty()) return ok();
  return Error{Errc::plan_limit_reached,
               "the org has more than the " + plan_id + " plan allows: " + overage_text(*over)};
}

// After the provider moved the org to another plan or status (cancel, a failed payment past its
// grace, a portal downgrade), the server cannot refuse: it records that the org is over its
// limits. Existing data stays; creating more of what is over the limit answers 402 until the
// org is back within it.
void note_over_limit(Services& s, const RequestContext& ctx, const OrgId& org) {
  auto ent = s.entitlements->entitlements(org);
  if (!ent) return;
  auto over = overages(s, org, *ent);
  if (!over || over->empty()) return;
  s.app.logger().warn(
      "org over its plan's limits",
      {{"org", org.str()}, {"plan", ent->plan_id}, {"overages", overage_text(*over)}});
  audit(s, ctx, org,
        {.action = "billing.over_limit",
         .target_type = "subscription",
         .target_id = org.str(),
         .metadata = {{"plan", ent->plan_id}, {"overages", overages_json(*over)}}});
}

void audit_effect(Services& s, const RequestContext& ctx, const TenantId& org,
                  const billing::WebhookOutcome& out, const billing::AuditEffect& effect) {
  storage::AuditEvent e;
  e.id = AuditEventId::generate(s.app.random(), s.app.clock());
  e.org = org;
  e.actor_type = "provider";
  e.actor_id = s.local_billing ? "local" : "stripe";
  e.action = effect.action;
  e.target_type = "subscription";
  e.target_id = out.subscription && !out.subscription->subscription_id.empty()
                    ? out.subscription->subscription_id
                    : org.str();
  e.ip = ctx.client_ip;
  e.user_agent = ctx.user_agent.substr(0, 512);
  e.request_id = ctx.request_id;
  e.metadata_json = json::serialize(json::object{{"before", effect.before},
                                                 {"after", effect.after},
                                                 {"event_id", out.event_id},
                                                 {"event_type", out.type}});
  e.at = s.app.clock().now();
  if (auto appended = s.db.audit().append(org, e); !appended)
    s.app.logger().error("audit append failed", {{"action", e.action},
                                                 {"org", org.str()},
                                                 {"request_id", ctx.request_id},
                                                 {"error", appended.error().detail}});
}

}  // namespace

Step member_or_scope(Services& s, std::string_view permission) {
  return [&s, permission](RequestContext& ctx) -> Result<void> {
    if (ctx.tenant.principal.kind != PrincipalKind::api_key) return ok();
    return steps::check_permission(s, ctx, permission);
  };
}

Result<billing::WebhookOutcome> deliver_webhook(Services& s, const RequestContext& ctx,
                                                std::string_view signature_header,
                                                std::string_view body) {
  if (!s.webhooks) {
    s.app.logger().error("billing webhook refused: TK_STRIPE_WEBHOOK_SECRET is not set");
    return Error{Errc::unavailable, "billing webhooks are not configured"};
  }
  auto out = s.webhooks->handle(signature_header, body);
  if (!out) {
    if (out.error().code == Errc::invalid_signature) s.app.metrics().webhook_event(6);
    s.app.logger().warn("billing webhook refused",
                        {{"error", out.error().detail}, {"request_id", ctx.request_id}});
    return out.error();
  }
  s.app.metrics().webhook_event(static_cast<std::size_t>(out->disposition));
  const std::string_view result = billing::to_string(out->disposition);
  const std::string org = out->tenant ? out->tenant->str() : std::string();
  if (out->disposition == billing::WebhookDisposition::rejected ||
      out->disposition == billing::WebhookDisposition::unmapped) {
    s.app.logger().warn("billing webhook not applied", {{"event_id", out->event_id},
                                                        {"type", out->type},
                                                        {"result", result},
                                                        {"org", org},
                                                        {"note", out->note}});
  } else {
    s.app.logger().info(
        "billing webhook",
        {{"event_id", out->event_id}, {"type", out->type}, {"result", result}, {"org", org}});
  }
  if (out->disposition == billing::WebhookDisposition::applied && out->tenant) {
    // No quota call needed: the handler invalidated the org's entitlements, which moves the
    // PlanLimitSource's version, so the next metered request already sees the new plan.
    bool changed = false;
    for (const auto& effect : out->effects) {
      audit_effect(s, ctx, *out->tenant, *out, effect);
      changed = changed || effect.action == "billing.plan_changed" ||
                effect.action == "billing.status_changed";
    }
    if (changed) note_over_limit(s, ctx, *out->tenant);
  }
  return out;
}

Handler list_plans(Services& s) {
  // The catalogue is immutable: serialise it once.
  json::array items;
  for (const auto& p : s.catalogue.plans()) items.push_back(plan_json(p));
  const std::string body = json::serialize(envelope(std::move(items), std::nullopt));
  return [body](RequestContext&) -> Result<Response> {
    return make_response(http::status::ok, "application/json", body);
  };
}

Handler get_subscription(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto sub = s.db.subscriptions().get(org);
    if (!sub) return sub.error();
    auto ent = s.entitlements->entitlements(org);
    if (!ent) return ent.error();
    auto over = overages(s, org, *ent);
    if (!over) return over.error();
    return json_response(
        http::status::ok,
        json::object{{"plan", sub->plan},
                     {"status", sub->status},
                     {"current_period_end", time_json(sub->current_period_end)},
                     {"cancel_at_period_end", sub->cancel_at_period_end},
                     {"trial_end", time_json(sub->trial_end)},
                     {"entitlements", json::object{{"plan", ent->plan_id},
                                                   {"limits", limits_json(ent->limits)},
                                                   {"features", features_json(ent->features)}}},
                     {"overages", overages_json(*over)}});
  };
}

Handler create_checkout(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto obj = body_object(ctx);
    if (!obj) return obj.error();
    FieldReader in(*obj);
    const std::string plan_id = in.required_string("plan", 1, 64);
    const billing::Plan* plan = nullptr;
    if (!plan_id.empty()) {
      plan = s.catalogue.find(plan_id);
      if (!plan)
        in.invalid("plan", "unknown plan");
      else if (!plan->price)
        in.invalid("plan", "plan " + plan_id + " has no price: it needs no checkout");
    }
    if (auto done = in.finish(); !done) return done.error();
    const OrgId& org = ctx.tenant.tenant;
    auto sub = s.db.subscriptions().get(org);
    if (!sub) return sub.error();
    if (sub->plan == plan->id && is_live(sub->status))
      return Error{Errc::conflict,
                   "the org is already subscribed to " + plan->id + ": use the billing portal"};
    if (auto fits = check_downgrade(s, org, plan->id); !fits) return fits.error();
    billing::CheckoutRequest req{.tenant = org,
                                 .plan_id = plan->id,
                                 .customer_id = sub->customer_id,
                                 .customer_email = {},
                                 .success_url = success_url(s),
                                 .cancel_url = cancel_url(s)};
    if (sub->customer_id.empty() && ctx.tenant.principal.kind == PrincipalKind::user) {
      auto user = s.db.users().get(ctx.tenant.principal.user);
      if (user) req.customer_email = user->email;
    }
    auto session = s.provider->create_checkout_session(req);
    if (!session) {
      if (session.error().code == Errc::not_found ||
          session.error().code == Errc::validation_failed)
        return Error{Errc::validation_failed,
                     "the billing provider refused this plan",
                     {{"plan", session.error().detail}}};
      return session.error();
    }
    return json_response(http::status::ok, json::object{{"url", session->url}});
  };
}

Handler create_portal(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const OrgId& org = ctx.tenant.tenant;
    auto sub = s.db.subscriptions().get(org);
    if (!sub) return sub.error();
    if (sub->customer_id.empty())
      return Error{Errc::conflict,
                   "the org has no billing customer yet: complete a checkout first"};
    auto portal = s.provider->create_portal_session(
        {.tenant = org, .customer_id = sub->customer_id, .return_url = return_url(s)});
    if (!portal) {
      if (portal.error().code == Errc::not_found || portal.error().code == Errc::validation_failed)
        return Error{Errc::conflict, "the billing provider does not know this org's customer"};
      return portal.error();
    }
    return json_response(http::status::ok, json::object{{"url", portal->url}});
  };
}

Handler webhook(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    auto out = deliver_webhook(s, ctx, ctx.header("Stripe-Signature"), ctx.request.body());
    if (!out) return out.error();
    return json_response(
        http::status::ok,
        json::object{{"received", true}, {"result", billing::to_string(out->disposition)}});
  };
}

// --- The offline provider's pages

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Response html_page(http::status status, std::string_view title, const std::string& body) {
  std::string html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  html += html_escape(title);
  html +=
      " - tenantkit offline billing</title><style>body{font-family:system-ui,sans-serif;"
      "max-width:36rem;margin:3rem auto;padding:0 1rem}form{display:inline-block;margin:.25rem}"
      ".note{color:#555}</style></head><body>\n";
  html += body;
  html +=
      "<p class=\"note\">This page belongs to tenantkit's offline billing provider: no card is "
      "charged. Each action sends the same signed events Stripe would, through the server's "
      "webhook handler.</p>\n</body></html>\n";
  Response res = make_response(status, "text/html; charset=utf-8", std::move(html));
  // The page only needs its inline style and to post its forms to this server.
  res.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
          "frame-ancestors 'none'");
  res.set(http::field::cache_control, "no-store");
  return res;
}

std::string price_text(const billing::Plan& plan) {
  if (!plan.price) return "free of charge";
  std::string text = billing::format_amount(plan.price->amount) + " " +
                     plan.price->amount.currency + " per " + plan.price->interval;
  if (plan.trial_days > 0) text += ", " + std::to_string(plan.trial_days) + "-day trial";
  return text;
}

// An HTML form posts application/x-www-form-urlencoded: answer it like a browser expects (a
// redirect); any other caller gets JSON.
bool is_form_post(const RequestContext& ctx) {
  return ctx.header("Content-Type").starts_with("application/x-www-form-urlencoded");
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte.
std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_digit(in[i + 1]);
      const int lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// `name` from a form body ("a=1&plan=pro") or a JSON object body; nullopt when absent.
// Errors: bad_request (malformed body), validation_failed (not a string).
Result<std::optional<std::string>> body_field(const RequestContext& ctx, std::string_view name) {
  const std::string& body = ctx.request.body();
  if (is_form_post(ctx)) {
    std::string_view rest = body;
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      const auto eq = pair.find('=');
      auto key = form_decode(pair.substr(0, eq));
      auto value =
          form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
      if (!key || !value) return Error{Errc::bad_request, "malformed form body"};
      if (*key == name) return std::optional<std::string>(std::move(*value));
    }
    return std::optional<std::string>();
  }
  if (body.empty()) return std::optional<std::string>();
  auto obj = body_object(ctx);
  if (!obj) return obj.error();
  const auto* v = obj->if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string())
    return Error{
        Errc::validation_failed, "invalid request body", {{std::string(name), "must be a string"}}};
  return std::optional<std::string>(std::string(v->as_string()));
}

// Feeds every signed event of a provider action through the webhook path; returns the last
// outcome (the subscription after all of them).
Result<billing::WebhookOutcome> deliver_all(Services& s, const RequestContext& ctx,
                                            const std::vector<billing::SignedEvent>& events) {
  billing::WebhookOutcome last;
  for (const auto& ev : events) {
    auto out = deliver_webhook(s, ctx, ev.signature_header, ev.body);
    if (!out) return out.error();
    last = std::move(*out);
  }
  return last;
}

Response see_other(const std::string& location) {
  Response res = empty_response(http::status::see_other);
  res.set(http::field::location, location);
  res.set(http::field::cache_control, "no-store");
  return res;
}

Handler local_checkout_page(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const std::string id(ctx.param("id"));
    auto info = s.local_billing->checkout_info(id);
    if (!info) return info.error();
    const billing::Plan* plan = s.catalogue.find(info->plan_id);
    if (!plan) return Error{Errc::not_found, "unknown plan " + info->plan_id};
    std::string body = "<h1>Subscribe to " + html_escape(plan->name) + "</h1>\n<p>" +
                       html_escape(price_text(*plan)) + "</p>\n<p>Organization <code>" +
                       html_escape(info->tenant.str()) + "</code></p>\n";
    if (info->completed) {
      body += "<p><strong>This checkout is complete.</strong> <a href=\"" +
              html_escape(success_url(s)) + "\">Back</a></p>\n";
    } else {
      body += "<form method=\"post\" action=\"" +
              html_escape(std::string(billing::kLocalCheckoutPath) + id) +
              "/complete\"><button type=\"submit\">Pay</button></form>\n<a href=\"" +
              html_escape(cancel_url(s)) + "\">Cancel</a>\n";
    }
    return html_page(http::status::ok, "Checkout", body);
  };
}

Handler local_checkout_complete(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const std::string_view id = ctx.param("id");
    auto events = s.local_billing->complete_checkout(id);
    if (!events) return events.error();
    auto last = deliver_all(s, ctx, *events);
    if (!last) return last.error();
    if (is_form_post(ctx)) return see_other(success_url(s));
    json::object out{{"status", "completed"}};
    if (last->subscription) {
      out["plan"] = last->subscription->plan_id;
      out["subscription_status"] = billing::to_string(last->subscription->state);
    }
    return json_response(http::status::ok, out);
  };
}

Handler local_portal_page(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const std::string id(ctx.param("id"));
    auto info = s.local_billing->portal_info(id);
    if (!info) return info.error();
    const std::string action_base = std::string(billing::kLocalPortalPath) + id + "/";
    std::string body = "<h1>Billing portal</h1>\n<p>Organization <code>" +
                       html_escape(info->tenant.str()) + "</code></p>\n";
    if (!info->live) {
      body += "<p>No live subscription.</p>\n";
    } else {
      const auto plan_it = info->live->metadata.find("plan");
      const std::string current = plan_it != info->live->metadata.end() ? plan_it->second : "";
      body += "<p>Plan <strong>" + html_escape(current) + "</strong>, status <strong>" +
              std::string(billing::to_string(info->live->status)) + "</strong></p>\n";
      const auto button = [&](std::string_view action, std::string_view label) {
        return "<form method=\"post\" action=\"" + html_escape(action_base) + std::string(action) +
               "\"><button type=\"submit\">" + std::string(label) + "</button></form>\n";
      };
      body += button("cancel", "Cancel subscription");
      body += button("payment_failed", "Simulate a failed payment");
      body += button("payment_paid", "Simulate a paid invoice");
      body += "<form method=\"post\" action=\"" + html_escape(action_base) +
              "change_plan\"><select name=\"plan\">";
      for (const auto& p : s.catalogue.plans()) {
        if (!p.price) continue;
        body += "<option value=\"" + html_escape(p.id) + "\"" +
                (p.id == current ? " selected" : "") + ">" + html_escape(p.name) + " (" +
                html_escape(price_text(p)) + ")</option>";
      }
      body += "</select> <button type=\"submit\">Change plan</button></form>\n";
    }
    body += "<p><a href=\"" + html_escape(return_url(s)) + "\">Back</a></p>\n";
    return html_page(http::status::ok, "Billing portal", body);
  };
}

Handler local_portal_action(Services& s) {
  return [&s](RequestContext& ctx) -> Result<Response> {
    const std::string_view id = ctx.param("id");
    const std::string_view name = ctx.param("action");
    billing::PortalAction action{};
    if (name == "cancel")
      action = billing::PortalAction::cancel;
    else if (name == "change_plan")
      action = billing::PortalAction::change_plan;
    else if (name == "payment_failed")
      action = billing::PortalAction::payment_failed;
    else if (name == "payment_paid")
      action = billing::PortalAction::payment_paid;
    else
      return Error{Errc::not_found, "no such portal action"};
    std::string plan_id;
    if (action == billing::PortalAction::change_plan) {
      auto plan = body_field(ctx, "plan");
      if (!plan) return plan.error();
      if (!*plan || (*plan)->empty())
        return Error{Errc::validation_failed, "invalid request body", {{"plan", "is required"}}};
      const billing::Plan* p = s.catalogue.find(**plan);
      if (!p)
        return Error{Errc::validation_failed, "invalid request body", {{"plan", "unknown plan"}}};
      if (!p->price)
        return Error{Errc::validation_failed,
                     "invalid request body",
                     {{"plan", "has no price: cancel the subscription instead"}}};
      plan_id = std::move(**plan);
      auto info = s.local_billing->portal_info(std::string(id));
      if (!info) return info.error();
      if (auto fits = check_downgrade(s, info->tenant, plan_id); !fits) return fits.error();
    }
    auto events = s.local_billing->portal_action(id, action, plan_id);
    if (!events) return events.error();
    auto last = deliver_all(s, ctx, *events);
    if (!last) return last.error();
    if (is_form_post(ctx))
      return see_other(public_base(s) + std::string(billing::kLocalPortalPath) + std::string(id));
    json::object out{{"action", std::string(name)}};
    if (last->subscription) {
      out["plan"] = last->subscription->plan_id;
      out["status"] = billing::to_string(last->subscription->state);
    }
    return json_response(http::status::ok, out);
  };
}

}  // namespace

std::vector<Route> billing_routes(Services& s) {
  using boost::beast::http::verb;
  using steps::Callers;
  const auto org = [&s](std::vector<Step> extra) {
    std::vector<Step> v{steps::authenticate(s, Callers::users_and_keys), steps::csrf(),
                        steps::resolve_tenant(s)};
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  std::vector<Route> routes{
      {verb::get, "/v1/plans", {}, list_plans(s)},
      {verb::get, "/v1/billing/subscription", org({member_or_scope(s, "billing:read")}),
       get_subscription(s)},
      {verb::post, "/v1/billing/checkout", org({steps::require(s, "billing:manage")}),
       idempotent(s, create_checkout(s))},
      {verb::post, "/v1/billing/portal", org({steps::require(s, "billing:manage")}),
       idempotent(s, create_portal(s))},
      // The provider signs the raw body; its event ids make redeliveries harmless, so no
      // Idempotency-Key wrapper (and no credentials: the signature is the credential).
      {verb::post, "/v1/billing/webhook", {}, webhook(s)},
  };
  if (s.local_billing) {
    // The session ids in these paths are unguessable capabilities, as a hosted Stripe page's
    // URL is: whoever holds the URL may pay (offline: nothing is charged) or manage it.
    const std::string checkout(billing::kLocalCheckoutPath);
    const std::string portal(billing::kLocalPortalPath);
    routes.push_back({verb::get, checkout + "{id}", {}, local_checkout_page(s)});
    routes.push_back({verb::post, checkout + "{id}/complete", {}, local_checkout_complete(s)});
    routes.push_back({verb::get, portal + "{id}", {}, local_portal_page(s)});
    routes.push_back({verb::post, portal + "{id}/{action}", {}, local_portal_action(s)});
  }
  return routes;
}

}  // namespace tenantkit::server::handlers
