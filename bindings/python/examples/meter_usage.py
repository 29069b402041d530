# SPDX-License-Identifier: Apache-2.0
"""Meter usage: per-period quota with rate-limit headers, a reservation, idempotent events."""
# [snippet example]
import tenantkit as tk

with tk.Quota() as quota:
    quota.set_limit("api_calls", 3, window=3600)
    for i in range(4):
        outcome = quota.decide("org_1", "api_calls")
        print(f"call {i + 1}: allowed={outcome.allowed} remaining={outcome.remaining}",
              outcome.headers("api_calls"))
    assert not outcome and outcome.deny_code == tk.Status.QUOTA_EXCEEDED

    # Reserve the worst case before an expensive call, then commit what it really used.
    quota.set_limit("ai_tokens", 10_000, window=86_400)
    with quota.reserve("org_1", "ai_tokens", 2_000, ttl=60) as reservation:
        assert reservation.outcome.allowed
        settled = reservation.commit(1_250)
    print(f"ai_tokens used={settled.used} remaining={settled.remaining}")

with tk.Storage.memory() as storage:
    owner = storage.create_user("billing@example.com")
    org = storage.create_org("Acme", "acme", owner)
    first = storage.record_usage(org, "ai_tokens", 1_250, idempotency_key="req-42")
    again = storage.record_usage(org, "ai_tokens", 1_250, idempotency_key="req-42")
    print(f"usage event duplicate? first={first} retry={again}")
    assert (first, again) == (False, True)
# [end example]
