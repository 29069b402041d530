// SPDX-License-Identifier: Apache-2.0
#include <boost/json.hpp>

#include <tenantkit/billing/event.hpp>

namespace tenantkit::billing {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

Error bad(std::string detail) {
  return Error{Errc::bad_request, std::move(detail)};
}

std::string str(const json::object* o, std::string_view key) {
  if (!o) return {};
  const json::value* v = o->if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Stripe sends an id, or the object itself when the field was expanded.
std::string id_of(const json::object* o, std::string_view key) {
  if (!o) return {};
  const json::value* v = o->if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_object()) return str(&v->get_object(), "id");
  return {};
}

const json::object* obj(const json::object* o, std::string_view key) {
  if (!o) return nullptr;
  const json::value* v = o->if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<Timestamp> unix_time(const json::object* o, std::string_view key) {
  if (!o) return std::nullopt;
  const json::value* v = o->if_contains(key);
  // Bounded to years 1970..9999 so the conversion to microseconds cannot overflow.
  if (v && v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= kMaxUnixSeconds)
    return from_unix_seconds(v->get_int64());
  return std::nullopt;
}

const json::object* first_item(const json::object* sub) {
  const json::object* items = obj(sub, "items");
  const json::value* data = items ? items->if_contains("data") : nullptr;
  if (!data || !data->is_array() || data->get_array().empty()) return nullptr;
  const json::value& first = data->get_array()[0];
  return first.is_object() ? &first.get_object() : nullptr;
}

ProviderEventType kind_of(std::string_view type) {
  if (type == "checkout.session.completed") return ProviderEventType::checkout_completed;
  if (type == "customer.subscription.created") return ProviderEventType::subscription_created;
  if (type == "customer.subscription.updated") return ProviderEventType::subscription_updated;
  if (type == "customer.subscription.deleted") return ProviderEventType::subscription_deleted;
  if (type == "invoice.paid") return ProviderEventType::invoice_paid;
  if (type == "invoice.payment_failed") return ProviderEventType::invoice_payment_failed;
  return ProviderEventType::unknown;
}

}  // namespace

Result<ProviderEvent> parse_stripe_event(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return bad("webhook body is not a JSON object");
  const json::object& e = root.get_object();
  ProviderEvent ev;
  ev.id = str(&e, "id");
  ev.type = str(&e, "type");
  if (ev.id.empty()) return bad("event has no id");
  if (ev.type.empty()) return bad("event has no type");
  auto created = unix_time(&e, "created");
  if (!created) return bad("event has no integer created");
  ev.created = *created;
  ev.kind = kind_of(ev.type);
  if (ev.kind == ProviderEventType::unknown) return ev;

  const json::object* object = obj(obj(&e, "data"), "object");
  if (!object) return bad("event has no data.object");
  ev.customer_id = id_of(object, "customer");
  const json::object* metadata = obj(object, "metadata");

  switch (ev.kind) {
    case ProviderEventType::checkout_completed:
      ev.client_reference_id = str(object, "client_reference_id");
      ev.subscription_id = id_of(object, "subscription");
      break;
    case ProviderEventType::subscription_created:
    case ProviderEventType::subscription_updated:
    case ProviderEventType::subscription_deleted: {
      ev.subscription_id = str(object, "id");
      ev.status = parse_subscription_state(str(object, "status"));
      if (!ev.status || *ev.status == SubscriptionState::none)
        return bad("subscription event without a known status");
      const json::object* item = first_item(object);
      ev.price_id = id_of(item, "price");
      // Since API version 2025-03-31 the period lives on the items, before on the subscription.
      ev.current_period_end = unix_time(object, "current_period_end");
      if (!ev.current_period_end) ev.current_period_end = unix_time(item, "current_period_end");
      ev.trial_end = unix_time(object, "trial_end");
      const json::value* cape = object->if_contains("cancel_at_period_end");
      ev.cancel_at_period_end = cape && cape->is_bool() && cape->get_bool();
      break;
    }
    case ProviderEventType::invoice_paid:
    case ProviderEventType::invoice_payment_failed: {
      ev.subscription_id = id_of(object, "subscription");
      const json::object* details = obj(object, "subscription_details");
      if (const json::object* parent = obj(object, "parent"); parent && !details) {
        details = obj(parent, "subscription_details");
        if (ev.subscription_id.empty()) ev.subscription_id = id_of(details, "subscription");
      }
      if (const json::object* m = obj(details, "metadata")) metadata = m;
      break;
    }
    default:
      break;
  }
  ev.org_id = str(metadata, "org_id");
  ev.plan = str(metadata, "plan");
  return ev;
}

std::optional<TenantId> named_tenant(const ProviderEvent& event) {
  for (const std::string* s : {&event.org_id, &event.client_reference_id}) {
    if (s->empty()) continue;
    auto id = TenantId::parse(*s);
    if (id) return *id;
    return std::nullopt;
  }
  return std::nullopt;
}

namespace {

SubscriptionEvent machine_event(const ProviderEvent& ev) {
  switch (ev.kind) {
    case ProviderEventType::checkout_completed:
      return {SubscriptionEventKind::checkout_completed};
    case ProviderEventType::subscription_deleted:
      return {SubscriptionEventKind::deleted};
    case ProviderEventType::invoice_paid:
      return {SubscriptionEventKind::invoice_paid};
    case ProviderEventType::invoice_payment_failed:
      return {SubscriptionEventKind::payment_failed};
    default:
      return {SubscriptionEventKind::status_reported, *ev.status};
  }
}

ApplyOutcome unchanged(const Subscription& current, ApplyDisposition d, std::string reason) {
  return ApplyOutcome{d, current, {}, std::move(reason)};
}

}  // namespace

ApplyOutcome apply(const Subscription& current, const ProviderEvent& ev,
                   const EventMapping& mapping) {
  if (ev.kind == ProviderEventType::unknown)
    return unchanged(current, ApplyDisposition::ignored, "event type not handled: " + ev.type);
  if (current.last_event_at && ev.created < *current.last_event_at)
    return unchanged(current, ApplyDisposition::stale, "older than the last applied event");

  Subscription base = current;
  const bool other_subscription = !ev.subscription_id.empty() && !current.subscription_id.empty() &&
                                  ev.subscription_id != current.subscription_id;
  if (other_subscription) {
    const bool current_ended =
        current.state == SubscriptionState::none || is_terminal(current.state);
    const bool starts_new = ev.kind == ProviderEventType::checkout_completed ||
                            ((ev.kind == ProviderEventType::subscription_created ||
                              ev.kind == ProviderEventType::subscription_updated) &&
                             !is_terminal(*ev.status));
    if (!current_ended && !starts_new)
      return unchanged(current, ApplyDisposition::ignored,
                       "event about " + ev.subscription_id + ", not the current subscription");
    // A new subscription object: its lifecycle starts from scratch.
    base.state = SubscriptionState::none;
    base.plan_id = std::string(kFreePlan);
    base.current_period_end.reset();
    base.trial_end.reset();
    base.cancel_at_period_end = false;
    base.past_due_since.reset();
  }

  const Transition t = transition(base.state, machine_event(ev));
  if (!t.allowed)
    return unchanged(
        current, ApplyDisposition::rejected,
        std::string(to_string(base.state)) + " x " + ev.type + ": " + std::string(t.reason));

  Subscription next = base;
  next.state = t.to;
  if (!ev.customer_id.empty()) next.customer_id = ev.customer_id;
  if (!ev.subscription_id.empty()) next.subscription_id = ev.subscription_id;
  next.last_event_at = ev.created;

  const bool subscription_object = ev.kind == ProviderEventType::subscription_created ||
                                   ev.kind == ProviderEventType::subscription_updated ||
                                   ev.kind == ProviderEventType::subscription_deleted;
  if (subscription_object) {
    next.current_period_end = ev.current_period_end;
    next.trial_end = ev.trial_end;
    next.cancel_at_period_end = ev.cancel_at_period_end;
  }
  if (ev.kind == ProviderEventType::subscription_deleted) {
    next.plan_id = std::string(kFreePlan);
    next.cancel_at_period_end = false;
  } else if (subscription_object || ev.kind == ProviderEventType::checkout_completed) {
    const Plan* plan = mapping.catalogue->find_by_price_id(mapping.provider, ev.price_id);
    if (!plan && !ev.plan.empty()) plan = mapping.catalogue->find(ev.plan);
    if (plan) next.plan_id = plan->id;
  } else if (base.state == SubscriptionState::none && !ev.plan.empty()) {
    // An invoice seen first: its subscription metadata is all we know of the plan.
    if (const Plan* plan = mapping.catalogue->find(ev.plan)) next.plan_id = plan->id;
  }

  if (next.state == SubscriptionState::past_due) {
    if (base.state != SubscriptionState::past_due || !base.past_due_since)
      next.past_due_since = ev.created;
  } else {
    next.past_due_since.reset();
  }

  ApplyOutcome out{ApplyDisposition::applied, std::move(next), {}, {}};
  if (out.next.plan_id != current.plan_id)
    out.effects.push_back({"billing.plan_changed", current.plan_id, out.next.plan_id});
  if (out.next.state != current.state)
    out.effects.push_back({"billing.status_changed", std::string(to_string(current.state)),
                           std::string(to_string(out.next.state))});
  return out;
}

}  // namespace tenantkit::billing
