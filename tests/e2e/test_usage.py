# SPDX-License-Identifier: Apache-2.0
"""Usage: POST /v1/usage/events (idempotent per idempotency_key), GET /v1/usage (per meter:
used, limit, remaining, period, percent, warning, exceeded), GET /v1/usage/daily, and the
metered /v1/data quota (free: 1000 calls, then 429 quota_exceeded with Retry-After and the
RateLimit headers; a smaller plan from TK_PLANS_FILE)."""

from __future__ import annotations

import datetime as dt
import http.client
import json
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, assert_problem, register


def token_of(owner: dict[str, Any]) -> str:
    return owner["tokens"]["access_token"]


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


class UsageEventsTest(E2ETestCase):
    def setUp(self) -> None:
        self.owner = register(self.client)
        self.token = token_of(self.owner)

    def post(self, body: dict[str, Any], **kw: Any) -> Any:
        if "token" not in kw and "api_key" not in kw:
            kw["token"] = self.token
        return self.client.post("/v1/usage/events", json=body, **kw)

    def usage(self, token: str | None = None) -> dict[str, dict[str, Any]]:
        resp = self.client.get("/v1/usage", token=token or self.token)
        self.assertEqual(resp.status, 200, resp)
        doc = resp.json()
        self.assertIsNone(doc["next_cursor"])
        return {item["meter"]: item for item in doc["items"]}

    def test_same_idempotency_key_counts_once(self) -> None:
        body = {"meter": "ai_tokens", "quantity": 250, "idempotency_key": "job-1"}
        first = self.post(body)
        self.assertEqual(first.status, 202, first)
        self.assertFalse(first.json()["duplicate"])
        again = self.post(body)
        self.assertEqual(again.status, 202, again)
        self.assertEqual(again.json(), {"id": first.json()["id"], "duplicate": True})
        # Same key, other quantity: still the first event, nothing counted.
        third = self.post({**body, "quantity": 999})
        self.assertEqual(third.json(), {"id": first.json()["id"], "duplicate": True})
        self.assertEqual(self.usage()["ai_tokens"]["used"], 250)

    def test_api_key_with_default_scopes_reports_usage(self) -> None:
        key = self.client.post("/v1/api-keys", json={"name": "k"}, token=self.token).json()
        resp = self.post({"meter": "ai_tokens", "quantity": 5, "idempotency_key": "k-1"},
                         api_key=key["secret"])
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.usage()["ai_tokens"]["used"], 5)
        # usage:read is not a default scope.
        assert_problem(self.client.get("/v1/usage", api_key=key["secret"]), 403, "forbidden",
                       self)

    def test_summary_fields_warning_and_exceeded(self) -> None:
        u = self.usage()
        self.assertEqual(set(u), {"api_calls", "ai_tokens"})
        ai = u["ai_tokens"]
        self.assertEqual((ai["used"], ai["limit"], ai["remaining"]), (0, 10000, 10000))
        self.assertEqual((ai["percent"], ai["warning"], ai["exceeded"]), (0, False, False))
        start = dt.datetime.fromisoformat(ai["period_start"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(ai["period_end"].replace("Z", "+00:00"))
        self.assertEqual(end - start, dt.timedelta(days=30))
        self.assertLessEqual(start, dt.datetime.now(dt.timezone.utc))

        self.assertEqual(self.post({"meter": "ai_tokens", "quantity": 7999,
                                    "idempotency_key": "a"}).status, 202)
        ai = self.usage()["ai_tokens"]
        self.assertFalse(ai["warning"])
        self.post({"meter": "ai_tokens", "quantity": 1, "idempotency_key": "b"})
        ai = self.usage()["ai_tokens"]
        self.assertEqual((ai["used"], ai["remaining"], ai["percent"]), (8000, 2000, 80))
        # Plain decimal numbers on the wire (no exponent form).
        self.assertIn('"percent":80,', self.client.get("/v1/usage", token=self.token).text)
        self.post({"meter": "ai_tokens", "quantity": 25, "idempotency_key": "b2"})
        self.assertIn('"percent":80.25,', self.client.get("/v1/usage", token=self.token).text)
        self.assertTrue(ai["warning"])
        self.assertFalse(ai["exceeded"])
        # Events report what already happened: counted past the limit, flagged exceeded.
        self.post({"meter": "ai_tokens", "quantity": 2475, "idempotency_key": "c"})
        ai = self.usage()["ai_tokens"]
        self.assertEqual((ai["used"], ai["remaining"]), (10500, 0))
        self.assertTrue(ai["exceeded"])
        self.assertTrue(ai["warning"])

    def test_validation(self) -> None:
        cases = [
            ({"quantity": 1, "idempotency_key": "k"}, "meter"),
            ({"meter": "bogus_meter", "quantity": 1, "idempotency_key": "k"}, "meter"),
            ({"meter": "seats", "quantity": 1, "idempotency_key": "k"}, "meter"),
            ({"meter": "ai_tokens", "quantity": -1, "idempotency_key": "k"}, "quantity"),
            ({"meter": "ai_tokens", "quantity": "3", "idempotency_key": "k"}, "quantity"),
            ({"meter": "ai_tokens", "quantity": 1}, "idempotency_key"),
            ({"meter": "ai_tokens", "quantity": 1, "idempotency_key": ""}, "idempotency_key"),
            ({"meter": "ai_tokens", "quantity": 1, "idempotency_key": "k",
              "timestamp": "yesterday"}, "timestamp"),
            ({"meter": "ai_tokens", "quantity": 1, "idempotency_key": "k",
              "timestamp": "2999-01-01T00:00:00Z"}, "timestamp"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                doc = assert_problem(self.post(body), 422, "validation_failed", self)
                self.assertIn(field, [e["field"] for e in doc["errors"]], doc)
        self.assertEqual(self.usage()["ai_tokens"]["used"], 0)
        assert_problem(self.client.post("/v1/usage/events", body="[1", token=self.token,
                                        headers={"Content-Type": "application/json"}),
                       400, "bad_request", self)
        assert_problem(self.client.post("/v1/usage/events", json={}), 401, "unauthorized", self)

    def test_daily_rollups(self) -> None:
        self.post({"meter": "ai_tokens", "quantity": 3, "idempotency_key": "d1"})
        self.post({"meter": "ai_tokens", "quantity": 4, "idempotency_key": "d2"})
        self.post({"meter": "ai_tokens", "quantity": 4, "idempotency_key": "d2"})  # duplicate
        self.post({"meter": "api_calls", "quantity": 2, "idempotency_key": "d3"})
        past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).replace(microsecond=0)
        past_iso = past.isoformat().replace("+00:00", "Z")
        self.post({"meter": "ai_tokens", "quantity": 10, "idempotency_key": "d4",
                   "timestamp": past_iso})
        day = today()
        frm = past.date().isoformat()
        resp = self.client.get(f"/v1/usage/daily?meter=ai_tokens&from={frm}&to={day}",
                               token=self.token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json(), {"items": [
            {"date": frm, "meter": "ai_tokens", "quantity": 10},
            {"date": day, "meter": "ai_tokens", "quantity": 7}], "next_cursor": None})
        every = self.client.get(f"/v1/usage/daily?from={day}&to={day}", token=self.token).json()
        self.assertEqual(sorted((i["meter"], i["quantity"]) for i in every["items"]),
                         [("ai_tokens", 7), ("api_calls", 2)])
        for query in ("from=2024-13-01&to=2024-12-31", "from=2024-02-30&to=2024-03-01",
                      "from=yesterday&to=2024-01-01", "from=2024-05-02&to=2024-05-01",
                      "from=2020-01-01&to=2024-01-01"):
            with self.subTest(query=query):
                assert_problem(self.client.get(f"/v1/usage/daily?{query}", token=self.token),
                               422, "validation_failed", self)

    def test_another_orgs_usage_is_out_of_reach(self) -> None:
        other = register(self.client)
        resp = self.post({"meter": "ai_tokens", "quantity": 9, "idempotency_key": "x"},
                         org=other["org"]["id"])
        assert_problem(resp, 404, "not_found", self)
        assert_problem(self.client.get("/v1/usage", token=self.token, org=other["org"]["id"]),
                       404, "not_found", self)
        assert_problem(self.client.get("/v1/usage/daily", token=self.token,
                                       org=other["org"]["id"]), 404, "not_found", self)
        self.assertEqual(self.usage(token_of(other))["ai_tokens"]["used"], 0)
        # Idempotency keys are per org: the same key in another org is a new event.
        body = {"meter": "ai_tokens", "quantity": 1, "idempotency_key": "shared"}
        a = self.post(body).json()
        b = self.post(body, token=token_of(other)).json()
        self.assertFalse(b["duplicate"])
        self.assertNotEqual(a["id"], b["id"])


def keep_alive_get(host: str, port: int, path: str, key: str, n: int) -> list[Any]:
    """n GETs on one keep-alive connection; returns (status, headers, body) of each."""
    conn = http.client.HTTPConnection(host, port, timeout=15)
    out = []
    try:
        for _ in range(n):
            conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            r = conn.getresponse()
            out.append((r.status, r.headers, r.read()))
    finally:
        conn.close()
    return out


class DataQuotaFreePlanTest(E2ETestCase):
    def test_free_plan_allows_1000_calls_then_429(self) -> None:
        owner = register(self.client)
        key = self.client.post("/v1/api-keys", json={"name": "k"},
                               token=token_of(owner)).json()["secret"]
        results = keep_alive_get(self.server.host, self.server.port, "/v1/data", key, 1001)
        statuses = [r[0] for r in results]
        self.assertEqual(statuses[:1000], [200] * 1000)
        self.assertEqual(statuses[1000], 429)
        _, headers, body = results[1000]
        doc = json.loads(body)
        self.assertEqual(doc["code"], "quota_exceeded")
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        self.assertEqual(headers["RateLimit-Policy"], '"api_calls";q=1000;w=2592000')
        self.assertTrue(headers["RateLimit"].startswith('"api_calls";r=0;t='), headers["RateLimit"])
        self.assertTrue(results[0][1]["RateLimit"].startswith('"api_calls";r=999;'))
        u = {i["meter"]: i for i in self.client.get("/v1/usage", token=token_of(owner))
             .json()["items"]}
        self.assertEqual((u["api_calls"]["used"], u["api_calls"]["limit"]), (1000, 1000))
        self.assertTrue(u["api_calls"]["exceeded"])


class DataQuotaCustomPlanTest(E2ETestCase):
    plans = [{"id": "free", "name": "Tiny", "limits": {"api_calls": 5, "seats": 3,
                                                       "workspaces": 1, "ai_tokens": 100}}]

    def test_small_limit_from_the_plans_file(self) -> None:
        owner = register(self.client)
        token = token_of(owner)
        for i in range(5):
            resp = self.client.get("/v1/data", token=token)
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.headers["RateLimit-Policy"], '"api_calls";q=5;w=2592000')
            self.assertTrue(resp.headers["RateLimit"].startswith(f'"api_calls";r={4 - i};'))
        resp = self.client.get("/v1/data", token=token)
        assert_problem(resp, 429, "quota_exceeded", self)
        self.assertGreaterEqual(int(resp.headers["Retry-After"]), 1)
        self.assertTrue(resp.headers["RateLimit"].startswith('"api_calls";r=0;'))
        # Another org has its own counter.
        other = register(self.client)
        self.assertEqual(self.client.get("/v1/data", token=token_of(other)).status, 200)
        # Usage events count toward the same limit as metered calls.
        u = {i["meter"]: i for i in self.client.get("/v1/usage", token=token).json()["items"]}
        self.assertEqual((u["api_calls"]["used"], u["api_calls"]["remaining"]), (5, 0))
        self.assertEqual(u["ai_tokens"]["limit"], 100)
