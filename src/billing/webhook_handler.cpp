// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/billing/webhook_handler.hpp>
#include <tenantkit/storage/billing_store.hpp>

#include "billing/storage_mapping.hpp"

namespace tenantkit::billing {

std::string_view to_string(WebhookDisposition d) noexcept {
  switch (d) {
    case WebhookDisposition::applied:
      return "applied";
    case WebhookDisposition::duplicate:
      return "duplicate";
    case WebhookDisposition::stale:
      return "stale";
    case WebhookDisposition::ignored:
      return "ignored";
    case WebhookDisposition::rejected:
      return "rejected";
    case WebhookDisposition::unmapped:
      return "unmapped";
    default:
      return "unknown";
  }
}

WebhookHandler::WebhookHandler(WebhookVerifier verifier, storage::SubscriptionStore& subscriptions,
                               storage::WebhookEventStore& events, EventMapping mapping,
                               const Clock& clock, EntitlementCache* cache)
    : verifier_(std::move(verifier)),
      subscriptions_(subscriptions),
      events_(events),
      mapping_(std::move(mapping)),
      clock_(clock),
      cache_(cache) {}

namespace {

WebhookDisposition disposition_of(ApplyDisposition d) {
  switch (d) {
    case ApplyDisposition::applied:
      return WebhookDisposition::applied;
    case ApplyDisposition::stale:
      return WebhookDisposition::stale;
    case ApplyDisposition::rejected:
      return WebhookDisposition::rejected;
    default:
      return WebhookDisposition::ignored;
  }
}

}  // namespace

Result<WebhookOutcome> WebhookHandler::handle(std::string_view signature_header,
                                              std::string_view body) {
  auto signed_at = verifier_.verify(signature_header, body);
  if (!signed_at) return signed_at.error();
  auto parsed = parse_stripe_event(body);
  if (!parsed) return parsed.error();
  const ProviderEvent& ev = *parsed;

  WebhookOutcome out;
  out.event_id = ev.id;
  out.type = ev.type;

  // The event id is recorded only after the state is written: if storage fails in between,
  // the provider's retry is applied again, and apply() is idempotent for a repeated event.
  auto record = [&]() -> Result<bool> {
    return events_.insert_if_new(storage::WebhookEvent{ev.id, ev.type, clock_.now(), out.tenant});
  };

  if (ev.kind == ProviderEventType::unknown) {
    auto fresh = record();
    if (!fresh) return fresh.error();
    out.disposition = *fresh ? WebhookDisposition::ignored : WebhookDisposition::duplicate;
    out.note = "event type not handled";
    return out;
  }

  std::optional<TenantId> tenant = named_tenant(ev);
  if (!tenant && !ev.customer_id.empty()) {
    auto found = subscriptions_.find_by_customer(ev.customer_id);
    if (!found) return found.error();
    tenant = *found;
  }
  std::optional<storage::Subscription> stored;
  if (tenant) {
    auto got = subscriptions_.get(*tenant);
    if (got) {
      stored = std::move(*got);
    } else if (got.error().code != Errc::not_found) {
      return got.error();
    }
  }
  if (!stored) {
    auto fresh = record();
    if (!fresh) return fresh.error();
    out.disposition = *fresh ? WebhookDisposition::unmapped : WebhookDisposition::duplicate;
    out.note = "no org for this event";
    return out;
  }
  out.tenant = tenant;

  Subscription current = from_storage(*stored);
  current.tenant = *tenant;
  ApplyOutcome applied = apply(current, ev, mapping_);
  bool written = false;
  if (applied.disposition == ApplyDisposition::applied) {
    auto put = subscriptions_.put_if_newer(*tenant, to_storage(applied.next, clock_.now()));
    if (!put) return put.error();
    written = *put;
    if (!written) {  // a newer event was stored concurrently
      applied.disposition = ApplyDisposition::stale;
      applied.effects.clear();
      applied.reason = "a newer event was applied concurrently";
    }
  }
  if (written && cache_) cache_->invalidate(*tenant);

  auto fresh = record();
  if (!fresh) return fresh.error();
  if (!*fresh) {
    out.disposition = WebhookDisposition::duplicate;
    out.subscription = written ? applied.next : current;
    out.note = "event already processed";
    return out;
  }
  out.disposition = disposition_of(applied.disposition);
  out.effects = std::move(applied.effects);
  out.subscription = written ? std::move(applied.next) : std::move(current);
  out.note = std::move(applied.reason);
  return out;
}

}  // namespace tenantkit::billing
