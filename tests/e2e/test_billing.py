# SPDX-License-Identifier: Apache-2.0
"""Plans and billing: GET /v1/plans, /v1/billing/subscription, checkout, portal, the
Stripe-signed webhook (signatures, duplicates, out-of-order events) and the full offline flow
free -> checkout -> pro (limits and features change at once) -> portal -> cancel -> free."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
import urllib.parse
import uuid
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, Server, assert_problem, register, route_missing

WEBHOOK_SECRET = "whsec_e2e_" + "5f0c7a1e9b3d4c2a8e6f"
LOCAL_CHECKOUT = "/v1/billing/local/checkout/"
LOCAL_PORTAL = "/v1/billing/local/portal/"


# -- helpers


def token_of(owner: dict[str, Any]) -> str:
    return owner["tokens"]["access_token"]


def org_of(owner: dict[str, Any]) -> str:
    return owner["org"]["id"]


def create_key(tc: E2ETestCase, token: str, scopes: list[str] | None = None) -> str:
    body: dict[str, Any] = {"name": "e2e"}
    if scopes is not None:
        body["scopes"] = scopes
    resp = tc.client.post("/v1/api-keys", json=body, token=token)
    tc.assertEqual(resp.status, 201, resp)
    return resp.json()["secret"]


def path_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def sign(body: bytes, secret: str = WEBHOOK_SECRET, t: int | None = None) -> str:
    """Stripe-Signature: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def subscription_event(type_: str, org_id: str | None, sub_id: str, status: str, plan: str,
                       created: int, customer: str | None = None,
                       event_id: str | None = None) -> dict[str, Any]:
    customer = customer or f"cus_e2e_{sub_id}"
    metadata = {"plan": plan}
    if org_id is not None:
        metadata["org_id"] = org_id
    return {
        "id": event_id or f"evt_e2e_{uuid.uuid4().hex}",
        "object": "event",
        "type": type_,
        "created": created,
        "data": {"object": {
            "id": sub_id, "object": "subscription", "customer": customer, "status": status,
            "cancel_at_period_end": False, "current_period_end": created + 30 * 86400,
            "metadata": metadata,
            "items": {"object": "list", "data": [
                {"id": "si_e2e", "price": {"id": f"price_e2e_{plan}"}}]},
        }},
    }


def audit_rows(server: Server, org_id: str, action_prefix: str) -> list[tuple[str, str, str]]:
    """(action, actor_type, metadata_json) of the org's audit entries, read from the database
    (independent of the /v1/audit route)."""
    sql = ("SELECT action, actor_type, metadata_json FROM audit_events WHERE org_id = "
           f"'{org_id}' AND action LIKE '{action_prefix}%' ORDER BY seq")
    if server.database is not None:
        out = server.database.query(sql)
        return [tuple(line.split("|", 2)) for line in out.splitlines() if line]  # type: ignore
    path = server.database_url.removeprefix("sqlite:")
    with sqlite3.connect(path) as db:
        return list(db.execute(sql))


def policy_quota(resp: Any) -> int:
    """q= of the RateLimit-Policy header."""
    policy = resp.headers["RateLimit-Policy"]
    for part in policy.split(";"):
        if part.startswith("q="):
            return int(part[2:])
    raise AssertionError(policy)


# -- tests


class PlansTest(E2ETestCase):
    def test_catalogue_is_public_with_limits_features_prices(self) -> None:
        resp = self.client.get("/v1/plans")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.content_type, "application/json")
        doc = resp.json()
        self.assertIsNone(doc["next_cursor"])
        plans = {p["id"]: p for p in doc["items"]}
        self.assertEqual([p["id"] for p in doc["items"]], ["free", "pro", "enterprise"])
        free, pro, ent = plans["free"], plans["pro"], plans["enterprise"]
        self.assertEqual(free["limits"], {"api_calls": 1000, "seats": 3, "workspaces": 3,
                                          "ai_tokens": 10000})
        self.assertEqual(free["features"], [])
        self.assertEqual(free["prices"], [])
        self.assertEqual(pro["limits"], {"api_calls": 100000, "seats": 25, "workspaces": 50,
                                         "ai_tokens": 2000000})
        self.assertEqual(pro["features"], ["audit_log", "api_key_scopes"])
        self.assertEqual(pro["prices"], [{"currency": "USD", "amount": "49.00",
                                          "interval": "month"}])
        self.assertEqual(ent["limits"], {"api_calls": None, "seats": None, "workspaces": None,
                                         "ai_tokens": None})
        self.assertEqual(set(ent["features"]), {"audit_log", "api_key_scopes", "custom_roles",
                                                "scim", "audit_export"})
        for p in doc["items"]:
            self.assertIsInstance(p["name"], str)
            self.assertIsInstance(p["trial_days"], int)


class CustomPlansFileTest(E2ETestCase):
    """TK_PLANS_FILE replaces the catalogue the routes serve."""

    plans = [
        {"id": "free", "name": "Starter", "limits": {"api_calls": 7, "seats": 2,
                                                     "workspaces": 1, "ai_tokens": 0}},
        {"id": "team", "name": "Team", "limits": {"api_calls": None, "seats": 10,
                                                  "workspaces": 5, "ai_tokens": 500},
         "features": ["audit_log"], "trial_days": 0,
         "price": {"amount": "1000", "currency": "JPY", "interval": "year"}},
    ]

    def test_served_catalogue_follows_the_file(self) -> None:
        doc = self.client.get("/v1/plans").json()
        self.assertEqual([p["id"] for p in doc["items"]], ["free", "team"])
        team = doc["items"][1]
        self.assertEqual(team["limits"]["api_calls"], None)
        self.assertEqual(team["prices"], [{"currency": "JPY", "amount": "1000",
                                           "interval": "year"}])
        owner = register(self.client)
        sub = self.client.get("/v1/billing/subscription", token=token_of(owner)).json()
        self.assertEqual(sub["entitlements"]["limits"]["api_calls"], 7)
        resp = self.client.post("/v1/billing/checkout", json={"plan": "pro"},
                                token=token_of(owner))
        doc = assert_problem(resp, 422, "validation_failed", self)
        self.assertEqual(doc["errors"][0]["field"], "plan")


class SubscriptionAndCheckoutErrorsTest(E2ETestCase):
    def setUp(self) -> None:
        self.owner = register(self.client)
        self.token = token_of(self.owner)

    def test_never_subscribed_is_free_none(self) -> None:
        resp = self.client.get("/v1/billing/subscription", token=self.token)
        self.assertEqual(resp.status, 200, resp)
        doc = resp.json()
        self.assertEqual(doc["plan"], "free")
        self.assertEqual(doc["status"], "none")
        self.assertIsNone(doc["current_period_end"])
        self.assertIsNone(doc["trial_end"])
        self.assertFalse(doc["cancel_at_period_end"])
        self.assertEqual(doc["entitlements"]["limits"], {"api_calls": 1000, "seats": 3,
                                                         "workspaces": 3, "ai_tokens": 10000})
        self.assertEqual(doc["entitlements"]["features"], [])

    def test_credentials_required(self) -> None:
        assert_problem(self.client.get("/v1/billing/subscription"), 401, "unauthorized", self)
        assert_problem(self.client.post("/v1/billing/checkout", json={"plan": "pro"}), 401,
                       "unauthorized", self)
        assert_problem(self.client.post("/v1/billing/portal", json={}), 401, "unauthorized",
                       self)

    def test_api_key_without_billing_scopes_is_forbidden(self) -> None:
        key = create_key(self, self.token)  # default scopes: data:read, usage:write
        assert_problem(self.client.get("/v1/billing/subscription", api_key=key), 403,
                       "forbidden", self)
        assert_problem(self.client.post("/v1/billing/checkout", json={"plan": "pro"},
                                        api_key=key), 403, "forbidden", self)
        assert_problem(self.client.post("/v1/billing/portal", json={}, api_key=key), 403,
                       "forbidden", self)

    def test_checkout_validation(self) -> None:
        for body, field in (({"plan": "gold"}, "plan"), ({"plan": "free"}, "plan"),
                            ({}, "plan"), ({"plan": 3}, "plan")):
            resp = self.client.post("/v1/billing/checkout", json=body, token=self.token)
            doc = assert_problem(resp, 422, "validation_failed", self)
            self.assertEqual([e["field"] for e in doc["errors"]], [field], doc)
        assert_problem(self.client.post("/v1/billing/checkout", body="{", token=self.token,
                                        headers={"Content-Type": "application/json"}),
                       400, "bad_request", self)

    def test_portal_without_customer_is_conflict(self) -> None:
        assert_problem(self.client.post("/v1/billing/portal", json={}, token=self.token), 409,
                       "conflict", self)

    def test_another_orgs_id_in_x_org_id_is_404(self) -> None:
        other = register(self.client)
        for method, path, body in (("GET", "/v1/billing/subscription", None),
                                   ("POST", "/v1/billing/checkout", {"plan": "pro"}),
                                   ("POST", "/v1/billing/portal", {})):
            resp = self.client.request(method, path, json=body, token=self.token,
                                       org=org_of(other))
            assert_problem(resp, 404, "not_found", self)
        # B is untouched.
        sub = self.client.get("/v1/billing/subscription", token=token_of(other)).json()
        self.assertEqual((sub["plan"], sub["status"]), ("free", "none"))

    def test_unknown_local_sessions_are_404(self) -> None:
        for method, path in (("GET", LOCAL_CHECKOUT + "cs_local_nope"),
                             ("POST", LOCAL_CHECKOUT + "cs_local_nope/complete"),
                             ("GET", LOCAL_PORTAL + "bps_local_nope"),
                             ("POST", LOCAL_PORTAL + "bps_local_nope/cancel"),
                             ("POST", LOCAL_PORTAL + "bps_local_nope/explode")):
            assert_problem(self.client.request(method, path), 404, "not_found", self)


class OfflineBillingFlowTest(E2ETestCase):
    """The whole offline flow through the local provider's pages and the webhook path."""

    def test_free_checkout_pro_portal_cancel_free(self) -> None:
        c = self.client
        owner = register(c)
        token, org = token_of(owner), org_of(owner)
        key = create_key(self, token)

        # Free: api_calls 1000, no audit_log, no api_key_scopes.
        resp = c.get("/v1/data", api_key=key)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(policy_quota(resp), 1000)
        assert_problem(c.post("/v1/api-keys", json={"name": "s", "scopes": ["data:read"]},
                              token=token), 402, "feature_not_in_plan", self)
        audit = c.get("/v1/audit", token=token)
        has_audit_route = not route_missing(audit)
        if has_audit_route:
            assert_problem(audit, 402, "feature_not_in_plan", self)

        # Checkout: a URL served by this server (path from LocalBillingProvider).
        resp = c.post("/v1/billing/checkout", json={"plan": "pro"}, token=token)
        self.assertEqual(resp.status, 200, resp)
        checkout = path_of(resp.json()["url"])
        self.assertTrue(checkout.startswith(LOCAL_CHECKOUT), checkout)
        page = c.get(checkout)
        self.assertEqual(page.status, 200, page)
        self.assertEqual(page.content_type, "text/html")
        self.assertIn("Pay", page.text)
        self.assertIn("Pro", page.text)
        self.assertIn(f'action="{checkout}/complete"', page.text)
        self.assertIn("default-src 'none'", page.headers["Content-Security-Policy"])
        # Nothing changes before paying.
        self.assertEqual(c.get("/v1/billing/subscription", token=token).json()["status"], "none")

        done = c.post(checkout + "/complete")
        self.assertEqual(done.status, 200, done)
        self.assertEqual(done.json(), {"status": "completed", "plan": "pro",
                                       "subscription_status": "trialing"})
        assert_problem(c.post(checkout + "/complete"), 410, "gone", self)
        self.assertIn("This checkout is complete", c.get(checkout).text)

        # Pro (14-day trial): limits and features follow at once.
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual((sub["plan"], sub["status"]), ("pro", "trialing"))
        self.assertIsNotNone(sub["trial_end"])
        self.assertIsNotNone(sub["current_period_end"])
        self.assertEqual(sub["entitlements"]["limits"]["api_calls"], 100000)
        self.assertEqual(sub["entitlements"]["features"], ["audit_log", "api_key_scopes"])
        resp = c.get("/v1/data", api_key=key)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(policy_quota(resp), 100000)
        resp = c.post("/v1/api-keys", json={"name": "s", "scopes": ["data:read"]}, token=token)
        self.assertEqual(resp.status, 201, resp)
        if has_audit_route:
            self.assertEqual(c.get("/v1/audit", token=token).status, 200)
        assert_problem(c.post("/v1/billing/checkout", json={"plan": "pro"}, token=token), 409,
                       "conflict", self)
        rows = audit_rows(self.server, org, "billing.")
        self.assertIn(("billing.plan_changed", "provider"), [(r[0], r[1]) for r in rows])
        self.assertIn(("billing.status_changed", "provider"), [(r[0], r[1]) for r in rows])
        changed = [json.loads(r[2]) for r in rows if r[0] == "billing.plan_changed"]
        self.assertEqual((changed[0]["before"], changed[0]["after"]), ("free", "pro"))

        # Portal: change plan (JSON caller), then cancel (HTML form caller).
        resp = c.post("/v1/billing/portal", json={}, token=token)
        self.assertEqual(resp.status, 200, resp)
        portal = path_of(resp.json()["url"])
        self.assertTrue(portal.startswith(LOCAL_PORTAL), portal)
        page = c.get(portal)
        self.assertEqual(page.status, 200, page)
        self.assertIn("trialing", page.text)
        self.assertIn(f'action="{portal}/cancel"', page.text)
        resp = c.post(portal + "/change_plan", json={"plan": "enterprise"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json(), {"action": "change_plan", "plan": "enterprise",
                                       "status": "trialing"})
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual(sub["plan"], "enterprise")
        self.assertIsNone(sub["entitlements"]["limits"]["api_calls"])
        self.assertIn("scim", sub["entitlements"]["features"])
        resp = c.get("/v1/data", api_key=key)
        self.assertEqual(resp.status, 200, resp)
        self.assertNotIn("RateLimit-Policy", resp.headers)  # unlimited: nothing to advertise
        for body, field in (({}, "plan"), ({"plan": "free"}, "plan"), ({"plan": "gold"}, "plan")):
            doc = assert_problem(c.post(portal + "/change_plan", json=body), 422,
                                 "validation_failed", self)
            self.assertEqual(doc["errors"][0]["field"], field)

        resp = c.post(portal + "/cancel", body="",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 303, resp)
        self.assertTrue(resp.headers["Location"].endswith(portal), resp.headers["Location"])

        # Free again, with free limits and features.
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual((sub["plan"], sub["status"]), ("free", "canceled"))
        self.assertEqual(sub["entitlements"]["limits"]["api_calls"], 1000)
        self.assertEqual(sub["entitlements"]["features"], [])
        resp = c.get("/v1/data", api_key=key)
        self.assertEqual(policy_quota(resp), 1000)
        assert_problem(c.post("/v1/api-keys", json={"name": "s2", "scopes": ["data:read"]},
                              token=token), 402, "feature_not_in_plan", self)
        self.assertIn("No live subscription", c.get(portal).text)
        assert_problem(c.post(portal + "/cancel"), 404, "not_found", self)

        # Subscribing again after a cancel starts a new subscription.
        resp = c.post("/v1/billing/checkout", json={"plan": "enterprise"}, token=token)
        self.assertEqual(resp.status, 200, resp)
        again = path_of(resp.json()["url"])
        resp = c.post(again + "/complete", body="pay=1",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 303, resp)
        self.assertIn("/v1/billing/subscription", resp.headers["Location"])
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual((sub["plan"], sub["status"]), ("enterprise", "active"))

        metrics = c.get("/metrics").text
        self.assertRegex(metrics, r'tenantkit_webhook_events_total\{result="applied"\} [1-9]')

    def test_checkout_page_form_payment_with_the_portal_buttons(self) -> None:
        c = self.client
        owner = register(c)
        token = token_of(owner)
        checkout = path_of(c.post("/v1/billing/checkout", json={"plan": "enterprise"},
                                  token=token).json()["url"])
        resp = c.post(checkout + "/complete", body="",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 303, resp)
        portal = path_of(c.post("/v1/billing/portal", json={}, token=token).json()["url"])
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        self.assertEqual(c.post(portal + "/payment_failed", body="", headers=form).status, 303)
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual((sub["plan"], sub["status"]), ("enterprise", "past_due"))
        # Within the grace period the paid plan still applies.
        self.assertIn("scim", sub["entitlements"]["features"])
        self.assertEqual(c.post(portal + "/payment_paid", body="", headers=form).status, 303)
        self.assertEqual(c.get("/v1/billing/subscription", token=token).json()["status"],
                         "active")
        resp = c.post(portal + "/change_plan", body="plan=pro", headers=form)
        self.assertEqual(resp.status, 303, resp)
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual(sub["plan"], "pro")
        self.assertEqual(sub["entitlements"]["limits"]["workspaces"], 50)


class WebhookTest(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}

    def post_event(self, event: dict[str, Any] | bytes, signature: str | None = None,
                   **sign_kw: Any) -> Any:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers = {"Content-Type": "application/json"}
        sig = sign(body, **sign_kw) if signature is None else signature
        if sig:
            headers["Stripe-Signature"] = sig
        return self.client.post("/v1/billing/webhook", body=body, headers=headers)

    def subscription(self, owner: dict[str, Any]) -> dict[str, Any]:
        resp = self.client.get("/v1/billing/subscription", token=token_of(owner))
        self.assertEqual(resp.status, 200, resp)
        return resp.json()

    def assert_result(self, resp: Any, result: str) -> None:
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json(), {"received": True, "result": result})

    def test_signed_event_applies_and_audits(self) -> None:
        owner = register(self.client)
        org = org_of(owner)
        now = int(time.time())
        ev = subscription_event("customer.subscription.created", org, "sub_e2e_a", "active",
                                "enterprise", now - 5)
        self.assert_result(self.post_event(ev), "applied")
        sub = self.subscription(owner)
        self.assertEqual((sub["plan"], sub["status"]), ("enterprise", "active"))
        self.assertIn("scim", sub["entitlements"]["features"])
        rows = audit_rows(self.server, org, "billing.")
        self.assertEqual(sorted((r[0], r[1]) for r in rows),
                         [("billing.plan_changed", "provider"),
                          ("billing.status_changed", "provider")])
        # A redelivery has no effect, and writes nothing.
        self.assert_result(self.post_event(ev), "duplicate")
        self.assertEqual(len(audit_rows(self.server, org, "billing.")), 2)
        # Several v1 entries (secret rotation): one matching is enough.
        body = json.dumps(subscription_event("customer.subscription.updated", org, "sub_e2e_a",
                                             "active", "enterprise", now - 4)).encode()
        good = sign(body)
        t, v1 = good.split(",")
        self.assert_result(self.post_event(body, signature=f"{t},v1={'0' * 64},{v1}"),
                           "applied")

    def test_signature_failures_are_400_invalid_signature(self) -> None:
        owner = register(self.client)
        now = int(time.time())
        ev = subscription_event("customer.subscription.created", org_of(owner), "sub_e2e_b",
                                "active", "pro", now)
        body = json.dumps(ev).encode()
        cases = {
            "missing": self.post_event(body, signature=""),
            "malformed": self.post_event(body, signature="garbage"),
            "wrong secret": self.post_event(body, secret="whsec_wrong"),
            "tampered": self.post_event(body.replace(b'"pro"', b'"enterprise"'),
                                        signature=sign(body)),
            "stale": self.post_event(body, t=now - 400),
            "future": self.post_event(body, t=now + 400),
        }
        for name, resp in cases.items():
            with self.subTest(name):
                assert_problem(resp, 400, "invalid_signature", self)
        sub = self.subscription(owner)
        self.assertEqual((sub["plan"], sub["status"]), ("free", "none"))
        # Within the 300 s tolerance both ways.
        self.assert_result(self.post_event(body, t=now - 200), "applied")
        metrics = self.client.get("/metrics").text
        self.assertRegex(metrics,
                         r'tenantkit_webhook_events_total\{result="invalid_signature"\} [1-9]')

    def test_signed_garbage_is_bad_request(self) -> None:
        assert_problem(self.post_event(b"not json"), 400, "bad_request", self)
        assert_problem(self.post_event({"id": "evt_x"}), 400, "bad_request", self)

    def test_unknown_type_ignored_and_unknown_customer_unmapped(self) -> None:
        ev = {"id": f"evt_e2e_{uuid.uuid4().hex}", "object": "event", "type": "customer.created",
              "created": int(time.time()), "data": {"object": {"id": "cus_x"}}}
        self.assert_result(self.post_event(ev), "ignored")
        self.assert_result(self.post_event(ev), "duplicate")
        ev = subscription_event("customer.subscription.updated", None, "sub_e2e_u", "active",
                                "pro", int(time.time()), customer=f"cus_{uuid.uuid4().hex}")
        self.assert_result(self.post_event(ev), "unmapped")

    def test_out_of_order_events_end_right(self) -> None:
        owner = register(self.client)
        org = org_of(owner)
        t0 = int(time.time()) - 100
        created = subscription_event("customer.subscription.created", org, "sub_e2e_o",
                                     "trialing", "pro", t0)
        updated = subscription_event("customer.subscription.updated", org, "sub_e2e_o",
                                     "active", "pro", t0 + 10)
        # updated arrives before created: the older created must not move the state back.
        self.assert_result(self.post_event(updated), "applied")
        self.assert_result(self.post_event(created), "stale")
        sub = self.subscription(owner)
        self.assertEqual((sub["plan"], sub["status"]), ("pro", "active"))
        # An older delete has no effect either; a newer one cancels.
        old_delete = subscription_event("customer.subscription.deleted", org, "sub_e2e_o",
                                        "canceled", "pro", t0 + 5)
        self.assert_result(self.post_event(old_delete), "stale")
        self.assertEqual(self.subscription(owner)["status"], "active")
        new_delete = subscription_event("customer.subscription.deleted", org, "sub_e2e_o",
                                        "canceled", "pro", t0 + 20)
        self.assert_result(self.post_event(new_delete), "applied")
        sub = self.subscription(owner)
        self.assertEqual((sub["plan"], sub["status"]), ("free", "canceled"))
        self.assertEqual(sub["entitlements"]["limits"]["api_calls"], 1000)

    def test_event_for_one_org_never_touches_another(self) -> None:
        a, b = register(self.client), register(self.client)
        ev = subscription_event("customer.subscription.created", org_of(a), "sub_e2e_x",
                                "active", "enterprise", int(time.time()),
                                customer=f"cus_{uuid.uuid4().hex}")
        self.assert_result(self.post_event(ev), "applied")
        self.assertEqual(self.subscription(a)["plan"], "enterprise")
        sub_b = self.subscription(b)
        self.assertEqual((sub_b["plan"], sub_b["status"]), ("free", "none"))


def subscribe(tc: E2ETestCase, token: str, plan: str) -> None:
    """Offline checkout of `plan`, paid at once."""
    resp = tc.client.post("/v1/billing/checkout", json={"plan": plan}, token=token)
    tc.assertEqual(resp.status, 200, resp)
    done = tc.client.post(path_of(resp.json()["url"]) + "/complete")
    tc.assertEqual(done.status, 200, done)


def portal_of(tc: E2ETestCase, token: str) -> str:
    resp = tc.client.post("/v1/billing/portal", json={}, token=token)
    tc.assertEqual(resp.status, 200, resp)
    return path_of(resp.json()["url"])


class DowngradeRefusedTest(E2ETestCase):
    """TK_DOWNGRADE_POLICY=refuse (the default): a plan change the server starts is refused
    while the org has more than the target plan allows; a change the provider makes (cancel)
    cannot be refused, so the org is marked over its limits instead."""

    def test_refused_until_the_org_fits_then_over_limit_after_cancel(self) -> None:
        c = self.client
        owner = register(c)
        token, org = token_of(owner), org_of(owner)
        subscribe(self, token, "enterprise")
        resp = c.post("/v1/roles", json={"name": "auditor", "permissions": ["audit:read"]},
                      token=token)
        self.assertEqual(resp.status, 201, resp)
        for i in range(4):  # free allows 3
            resp = c.post("/v1/workspaces", json={"name": f"ws{i}"}, token=token)
            self.assertEqual(resp.status, 201, resp)
        self.assertEqual(c.get("/v1/billing/subscription", token=token).json()["overages"], [])

        # pro has no custom_roles: the portal's plan change is refused, nothing changes.
        portal = portal_of(self, token)
        doc = assert_problem(c.post(portal + "/change_plan", json={"plan": "pro"}), 402,
                             "plan_limit_reached", self)
        self.assertIn("custom role", doc["detail"])
        self.assertEqual(c.get("/v1/billing/subscription", token=token).json()["plan"],
                         "enterprise")
        # Without the custom role it fits.
        self.assertEqual(c.delete("/v1/roles/auditor", token=token).status, 204)
        resp = c.post(portal + "/change_plan", json={"plan": "pro"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["plan"], "pro")

        # The provider cancels (free: 3 workspaces): the org keeps its data, is over its limit,
        # says so, audits it, and cannot create more.
        resp = c.post(portal + "/cancel")
        self.assertEqual(resp.status, 200, resp)
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual(sub["plan"], "free")
        self.assertEqual([(o["what"], o["current"], o["allowed"]) for o in sub["overages"]],
                         [("workspaces", 4, 3)])
        self.assertEqual(len(c.get("/v1/workspaces", token=token).json()["items"]), 4)
        assert_problem(c.post("/v1/workspaces", json={"name": "ws5"}, token=token), 402,
                       "plan_limit_reached", self)
        rows = audit_rows(self.server, org, "billing.over_limit")
        self.assertGreaterEqual(len(rows), 1, rows)
        meta = json.loads(rows[0][2])
        self.assertEqual(meta["plan"], "free")
        self.assertEqual(meta["overages"][0]["what"], "workspaces")

        # Checkout to a plan the org exceeds is refused the same way (free has no price, so
        # use a second org on enterprise with a custom role and ask for pro).
        other = register(c)
        subscribe(self, token_of(other), "enterprise")
        self.assertEqual(c.post("/v1/roles", json={"name": "auditor",
                                                   "permissions": ["audit:read"]},
                                token=token_of(other)).status, 201)
        c.post(portal_of(self, token_of(other)) + "/cancel")
        doc = assert_problem(c.post("/v1/billing/checkout", json={"plan": "pro"},
                                    token=token_of(other)), 402, "plan_limit_reached", self)
        self.assertIn("custom role", doc["detail"])
        # The first org is untouched by the second's refusal.
        self.assertEqual(c.get("/v1/billing/subscription", token=token).json()["plan"], "free")


class DowngradeGraceTest(E2ETestCase):
    """TK_DOWNGRADE_POLICY=grace: the change goes through and the subscription lists what is
    over the new plan."""

    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_DOWNGRADE_POLICY": "grace"}

    def test_change_goes_through_and_overages_are_listed(self) -> None:
        c = self.client
        owner = register(c)
        token = token_of(owner)
        subscribe(self, token, "enterprise")
        resp = c.post("/v1/roles", json={"name": "auditor", "permissions": ["audit:read"]},
                      token=token)
        self.assertEqual(resp.status, 201, resp)
        resp = c.post(portal_of(self, token) + "/change_plan", json={"plan": "pro"})
        self.assertEqual(resp.status, 200, resp)
        sub = c.get("/v1/billing/subscription", token=token).json()
        self.assertEqual(sub["plan"], "pro")
        self.assertEqual([(o["what"], o["current"], o["allowed"]) for o in sub["overages"]],
                         [("custom_roles", 1, 0)])
