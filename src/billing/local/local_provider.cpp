// SPDX-License-Identifier: Apache-2.0
#include <map>
#include <mutex>

#include <boost/json.hpp>

#include <tenantkit/billing/local/local_provider.hpp>
#include <tenantkit/billing/webhook.hpp>
#include <tenantkit/core/encoding.hpp>

namespace tenantkit::billing {

namespace json = boost::json;

namespace {

constexpr std::int64_t kPeriodSeconds = 30 * 24 * 3600;

std::string price_of(const Plan& plan) {
  auto it = plan.price_ids.find("local");
  return it != plan.price_ids.end() ? it->second : "price_local_" + plan.id;
}

}  // namespace

struct LocalBillingProvider::State {
  struct Checkout {
    TenantId tenant;
    std::string plan_id;
    std::string customer_id;
    bool completed = false;
  };
  struct Portal {
    TenantId tenant;
    std::string customer_id;
  };
  std::mutex mu;
  std::map<std::string, Checkout, std::less<>> checkouts;
  std::map<std::string, Portal, std::less<>> portals;
  std::map<std::string, ProviderSubscription, std::less<>> subscriptions;
  std::map<std::string, std::string, std::less<>> live_by_customer;  // customer -> subscription
};

LocalBillingProvider::LocalBillingProvider(LocalProviderOptions options, const Clock& clock,
                                           Random& random)
    : options_(std::move(options)),
      clock_(clock),
      random_(random),
      state_(std::make_unique<State>()) {}

LocalBillingProvider::~LocalBillingProvider() = default;

Result<std::unique_ptr<LocalBillingProvider>> LocalBillingProvider::create(
    LocalProviderOptions options, const Clock& clock, Random& random) {
  if (options.public_url.empty())
    return Error{Errc::validation_failed,
                 "local billing: public_url is required",
                 {{"public_url", "is required"}}};
  if (options.webhook_secrets.empty() || options.webhook_secrets.front().empty())
    return Error{Errc::validation_failed,
                 "local billing: a webhook secret is required",
                 {{"webhook_secrets", "is required"}}};
  if (!options.catalogue) options.catalogue = &PlanCatalogue::builtin();
  while (!options.public_url.empty() && options.public_url.back() == '/')
    options.public_url.pop_back();
  return std::unique_ptr<LocalBillingProvider>(
      new LocalBillingProvider(std::move(options), clock, random));
}

namespace {

std::string new_id(Random& random, std::string_view prefix) {
  std::byte bytes[12];
  random.fill(bytes);
  return std::string(prefix) + hex_encode(std::span<const std::byte>(bytes));
}

json::value subscription_json(const ProviderSubscription& s) {
  json::object metadata;
  for (const auto& [k, v] : s.metadata) metadata[k] = v;
  auto ts = [](const std::optional<Timestamp>& t) -> json::value {
    return t ? json::value(to_unix_seconds(*t)) : json::value(nullptr);
  };
  json::object item{{"id", "si_" + s.id.substr(s.id.find('_') + 1)},
                    {"object", "subscription_item"},
                    {"price", json::object{{"id", s.price_id}, {"object", "price"}}},
                    {"current_period_end", ts(s.current_period_end)}};
  return json::object{{"id", s.id},
                      {"object", "subscription"},
                      {"customer", s.customer_id},
                      {"status", std::string(to_string(s.status))},
                      {"cancel_at_period_end", s.cancel_at_period_end},
                      {"current_period_end", ts(s.current_period_end)},
                      {"trial_end", ts(s.trial_end)},
                      {"metadata", std::move(metadata)},
                      {"items", json::object{{"object", "list"}, {"data", json::array{item}}}}};
}

json::value invoice_json(Random& random, const ProviderSubscription& s, bool paid) {
  json::object metadata;
  for (const auto& [k, v] : s.metadata) metadata[k] = v;
  return json::object{{"id", new_id(random, "in_local_")},
                      {"object", "invoice"},
                      {"customer", s.customer_id},
                      {"subscription", s.id},
                      {"status", paid ? "paid" : "open"},
                      {"subscription_details", json::object{{"metadata", std::move(metadata)}}}};
}

}  // namespace

Result<CheckoutSession> LocalBillingProvider::create_checkout_session(
    const CheckoutRequest& request) {
  const Plan* plan = options_.catalogue->find(request.plan_id);
  if (!plan) return Error{Errc::not_found, "unknown plan " + request.plan_id};
  if (!plan->price)
    return Error{
        Errc::validation_failed, "plan " + plan->id + " has no price", {{"plan", "has no price"}}};
  if (!request.tenant)
    return Error{Errc::validation_failed, "tenant is required", {{"tenant", "is required"}}};
  State::Checkout c{
      request.tenant, plan->id,
      request.customer_id.empty() ? new_id(random_, "cus_local_") : request.customer_id, false};
  const std::string id = new_id(random_, "cs_local_");
  {
    std::lock_guard lock(state_->mu);
    state_->checkouts.emplace(id, std::move(c));
  }
  return CheckoutSession{id, options_.public_url + std::string(kLocalCheckoutPath) + id};
}

Result<PortalSession> LocalBillingProvider::create_portal_session(const PortalRequest& request) {
  if (request.customer_id.empty())
    return Error{Errc::validation_failed,
                 "the org has no billing customer yet",
                 {{"customer_id", "is required"}}};
  const std::string id = new_id(random_, "bps_local_");
  {
    std::lock_guard lock(state_->mu);
    state_->portals.emplace(id, State::Portal{request.tenant, request.customer_id});
  }
  return PortalSession{options_.public_url + std::string(kLocalPortalPath) + id};
}

Result<ProviderSubscription> LocalBillingProvider::fetch_subscription(
    std::string_view subscription_id) {
  std::lock_guard lock(state_->mu);
  auto it = state_->subscriptions.find(subscription_id);
  if (it == state_->subscriptions.end())
    return Error{Errc::not_found, "unknown subscription " + std::string(subscription_id)};
  return it->second;
}

namespace {

class Emitter {
 public:
  Emitter(Random& random, const std::vector<Secret>& secrets, Timestamp now)
      : random_(random), secrets_(secrets), now_(now) {}

  void emit(std::string type, json::value object) {
    json::object ev{{"id", new_id(random_, "evt_local_")},
                    {"object", "event"},
                    {"api_version", "2024-06-20"},
                    {"type", type},
                    {"created", to_unix_seconds(now_)},
                    {"livemode", false},
                    {"data", json::object{{"object", std::move(object)}}}};
    std::string body = json::serialize(ev);
    std::string header = sign_webhook(secrets_, now_, body);
    events.push_back(SignedEvent{std::move(type), std::move(body), std::move(header)});
  }
  std::vector<SignedEvent> events;

 private:
  Random& random_;
  const std::vector<Secret>& secrets_;
  Timestamp now_;
};

}  // namespace

Result<std::vector<SignedEvent>> LocalBillingProvider::complete_checkout(
    std::string_view session_id) {
  const Timestamp now = clock_.now();
  std::lock_guard lock(state_->mu);
  auto it = state_->checkouts.find(session_id);
  if (it == state_->checkouts.end()) return Error{Errc::not_found, "unknown checkout session"};
  State::Checkout& c = it->second;
  if (c.completed) return Error{Errc::gone, "checkout session already completed"};
  const Plan* plan = options_.catalogue->find(c.plan_id);
  if (!plan) return Error{Errc::not_found, "unknown plan " + c.plan_id};
  c.completed = true;

  ProviderSubscription sub;
  sub.id = new_id(random_, "sub_local_");
  sub.customer_id = c.customer_id;
  sub.price_id = price_of(*plan);
  sub.metadata = {{"org_id", c.tenant.str()}, {"plan", plan->id}};
  if (plan->trial_days > 0) {
    sub.status = SubscriptionState::trialing;
    sub.trial_end = now + std::chrono::hours(24 * plan->trial_days);
    sub.current_period_end = sub.trial_end;
  } else {
    sub.status = SubscriptionState::active;
    sub.current_period_end = now + std::chrono::seconds(kPeriodSeconds);
  }
  // A new subscription replaces the customer's live one, as a plan switch through a second
  // checkout would; the old one is canceled first.
  Emitter out(random_, options_.webhook_secrets, now);
  if (auto live = state_->live_by_customer.find(c.customer_id);
      live != state_->live_by_customer.end()) {
    ProviderSubscription& old = state_->subscriptions[live->second];
    old.status = SubscriptionState::canceled;
    out.emit("customer.subscription.deleted", subscription_json(old));
  }
  state_->subscriptions[sub.id] = sub;
  state_->live_by_customer[c.customer_id] = sub.id;

  out.emit(
      "checkout.session.completed",
      json::object{{"id", std::string(session_id)},
                   {"object", "checkout.session"},
                   {"mode", "subscription"},
                   {"status", "complete"},
                   {"payment_status", plan->trial_days > 0 ? "no_payment_required" : "paid"},
                   {"client_reference_id", c.tenant.str()},
                   {"customer", c.customer_id},
                   {"subscription", sub.id},
                   {"metadata", json::object{{"org_id", c.tenant.str()}, {"plan", plan->id}}}});
  out.emit("customer.subscription.created", subscription_json(sub));
  if (plan->trial_days == 0) out.emit("invoice.paid", invoice_json(random_, sub, true));
  return std::move(out.events);
}

Result<std::vector<SignedEvent>> LocalBillingProvider::portal_action(
    std::string_view portal_session_id, PortalAction action, std::string_view plan_id) {
  const Timestamp now = clock_.now();
  std::lock_guard lock(state_->mu);
  auto p = state_->portals.find(portal_session_id);
  if (p == state_->portals.end()) return Error{Errc::not_found, "unknown portal session"};
  auto live = state_->live_by_customer.find(p->second.customer_id);
  if (live == state_->live_by_customer.end())
    return Error{Errc::not_found, "no live subscription for this customer"};
  ProviderSubscription& sub = state_->subscriptions[live->second];
  Emitter out(random_, options_.webhook_secrets, now);
  switch (action) {
    case PortalAction::cancel:
      sub.status = SubscriptionState::canceled;
      sub.cancel_at_period_end = false;
      out.emit("customer.subscription.deleted", subscription_json(sub));
      state_->live_by_customer.erase(live);
      break;
    case PortalAction::change_plan: {
      const Plan* plan = options_.catalogue->find(plan_id);
      if (!plan) return Error{Errc::not_found, "unknown plan " + std::string(plan_id)};
      if (!plan->price)
        return Error{Errc::validation_failed,
                     "plan " + plan->id + " has no price",
                     {{"plan", "has no price"}}};
      sub.price_id = price_of(*plan);
      sub.metadata["plan"] = plan->id;
      out.emit("customer.subscription.updated", subscription_json(sub));
      break;
    }
    case PortalAction::payment_failed:
      sub.status = SubscriptionState::past_due;
      out.emit("invoice.payment_failed", invoice_json(random_, sub, false));
      out.emit("customer.subscription.updated", subscription_json(sub));
      break;
    case PortalAction::payment_paid:
      sub.status = SubscriptionState::active;
      out.emit("invoice.paid", invoice_json(random_, sub, true));
      out.emit("customer.subscription.updated", subscription_json(sub));
      break;
    default:
      return Error{Errc::bad_request, "unknown portal action"};
  }
  return std::move(out.events);
}

Result<LocalCheckoutInfo> LocalBillingProvider::checkout_info(std::string_view session_id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->checkouts.find(session_id);
  if (it == state_->checkouts.end()) return Error{Errc::not_found, "unknown checkout session"};
  return LocalCheckoutInfo{it->second.tenant, it->second.plan_id, it->second.completed};
}

Result<LocalPortalInfo> LocalBillingProvider::portal_info(
    std::string_view portal_session_id) const {
  std::lock_guard lock(state_->mu);
  auto p = state_->portals.find(portal_session_id);
  if (p == state_->portals.end()) return Error{Errc::not_found, "unknown portal session"};
  LocalPortalInfo info{p->second.tenant, p->second.customer_id, std::nullopt};
  if (auto live = state_->live_by_customer.find(p->second.customer_id);
      live != state_->live_by_customer.end()) {
    if (auto sub = state_->subscriptions.find(live->second); sub != state_->subscriptions.end())
      info.live = sub->second;
  }
  return info;
}

}  // namespace tenantkit::billing
