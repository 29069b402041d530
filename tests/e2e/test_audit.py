# SPDX-License-Identifier: Apache-2.0
"""GET /v1/audit (filters, cursor pages, CSV/JSON export), GET /v1/audit/verify and
POST /v1/scim/token, end to end: plan gates (402), permissions (403), tenant isolation (404).

Plans: one server runs a TK_PLANS_FILE whose `free` plan has audit_log, audit_export and scim
(every org starts entitled), another the default catalogue (free has none of them: 402)."""

from __future__ import annotations

import csv
import io
import json
import unittest
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, assert_problem, register

AUDIT_FIELDS = ["id", "seq", "actor_type", "actor_id", "action", "target_type", "target_id",
                "ip", "user_agent", "request_id", "metadata", "at", "hash"]


ENTITLED_PLANS: list[dict[str, Any]] = [
    {"id": "free", "limits": {"api_calls": 1000, "seats": 10, "workspaces": 3,
                              "ai_tokens": 10000},
     "features": ["audit_log", "audit_export", "scim", "api_key_scopes"]},
    {"id": "pro", "limits": {"api_calls": 100000, "seats": 25, "workspaces": 50,
                             "ai_tokens": 2000000},
     "features": ["audit_log", "api_key_scopes"]}]


class EntitledAuditTest(E2ETestCase):
    plans = ENTITLED_PLANS

    def setUp(self) -> None:
        self.a = register(self.client)
        self.token = self.a["tokens"]["access_token"]
        self.org = self.a["org"]["id"]

    def audit(self, query: str = "", **kw):
        return self.client.get("/v1/audit" + query, token=kw.pop("token", self.token), **kw)

    def create_key(self, name: str, token: str | None = None, org: str | None = None):
        resp = self.client.post("/v1/api-keys", {"name": name}, token=token or self.token,
                                org=org)
        return resp

    def test_entries_of_register_login_and_key_create_are_listed(self) -> None:
        login = self.client.post("/v1/auth/login",
                                 {"email": self.a["email"], "password": self.a["password"]})
        self.assertEqual(login.status, 200, login)
        bad = self.client.post("/v1/auth/login",
                               {"email": self.a["email"], "password": "wrong password 123"})
        self.assertEqual(bad.status, 401, bad)
        key = self.create_key("ci")
        self.assertEqual(key.status, 201, key)

        resp = self.audit()
        self.assertEqual(resp.status, 200, resp)
        doc = resp.json()
        self.assertEqual(set(doc), {"items", "next_cursor"})
        actions = [e["action"] for e in doc["items"]]
        for action in ("auth.register", "api_key.created"):
            self.assertIn(action, actions)
        # Login entries go to the active org of the user when there is one (API.md).
        self.assertIn("auth.login", actions)
        seqs = [e["seq"] for e in doc["items"]]
        self.assertEqual(seqs, sorted(seqs, reverse=True), "newest first")
        created = next(e for e in doc["items"] if e["action"] == "api_key.created")
        self.assertEqual(sorted(created), sorted(AUDIT_FIELDS))
        self.assertEqual(created["actor_type"], "user")
        self.assertEqual(created["actor_id"], self.a["user"]["id"])
        self.assertEqual(created["target_type"], "api_key")
        self.assertEqual(created["target_id"], key.json()["id"])
        self.assertIsInstance(created["metadata"], dict)
        self.assertEqual(created["metadata"]["name"], "ci")
        self.assertRegex(created["hash"], r"^[0-9a-f]{64}$")
        self.assertTrue(created["request_id"])
        self.assertEqual(created["ip"], "127.0.0.1")

    def test_filters(self) -> None:
        for i in range(2):
            self.assertEqual(self.create_key(f"k{i}").status, 201)
        only = self.audit("?action=api_key.created").json()["items"]
        self.assertEqual([e["action"] for e in only], ["api_key.created"] * 2)
        by_type = self.audit("?target_type=api_key").json()["items"]
        self.assertEqual(len(by_type), 2)
        mine = self.audit(f"?actor_id={self.a['user']['id']}").json()["items"]
        self.assertGreaterEqual(len(mine), 3)
        self.assertTrue(all(e["actor_id"] == self.a["user"]["id"] for e in mine))
        self.assertEqual(self.audit("?actor_id=nobody").json()["items"], [])
        newest = only[0]["at"]
        upto = self.audit(f"?action=api_key.created&to={newest}").json()["items"]
        self.assertNotIn(only[0]["id"], [e["id"] for e in upto], "to is exclusive")
        since = self.audit(f"?action=api_key.created&from={newest}").json()["items"]
        self.assertIn(only[0]["id"], [e["id"] for e in since], "from is inclusive")
        self.assertEqual(self.audit("?from=2999-01-01T00:00:00Z").json()["items"], [])

    def test_bad_filters_are_422(self) -> None:
        for query, field in (("?from=yesterday", "from"), ("?to=2024-13-01T00:00:00Z", "to"),
                             ("?format=xml", "format"), ("?limit=0", "limit"),
                             ("?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", "to")):
            doc = assert_problem(self.audit(query), 422, "validation_failed", self)
            self.assertIn(field, [e["field"] for e in doc["errors"]], query)

    def test_cursor_pages_are_stable(self) -> None:
        for i in range(5):
            self.assertEqual(self.create_key(f"p{i}").status, 201)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            query = "?action=api_key.created&limit=2" + (f"&cursor={cursor}" if cursor else "")
            doc = self.audit(query).json()
            seen += [e["id"] for e in doc["items"]]
            pages += 1
            if pages == 1:
                # An entry appended while paging must not shift later pages.
                self.assertEqual(self.create_key("during").status, 201)
            cursor = doc["next_cursor"]
            if cursor is None:
                break
            self.assertLess(pages, 10)
        self.assertEqual(len(seen), 5, "the new entry is above the first page")
        self.assertEqual(len(set(seen)), 5, "no entry twice")

    def test_csv_export(self) -> None:
        self.assertEqual(self.create_key('a,b "quoted"').status, 201)
        evil = self.client.post("/v1/api-keys", {"name": "second"}, token=self.token,
                                headers={"User-Agent": '=HYPERLINK("http://evil")'})
        self.assertEqual(evil.status, 201, evil)
        resp = self.audit("?format=csv&target_type=api_key")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.content_type, "text/csv")
        disposition = resp.headers["Content-Disposition"]
        self.assertRegex(disposition,
                         r'^attachment; filename="audit-' + self.org + r'-\d{4}-\d{2}-\d{2}\.csv"$')
        rows = list(csv.reader(io.StringIO(resp.text)))
        self.assertEqual(rows[0], AUDIT_FIELDS)
        self.assertEqual(len(rows), 3)
        self.assertEqual([r[4] for r in rows[1:]], ["api_key.created"] * 2)
        self.assertLess(int(rows[1][1]), int(rows[2][1]), "oldest first")
        self.assertEqual(json.loads(rows[1][10])["name"], 'a,b "quoted"')
        # A cell a spreadsheet would evaluate as a formula is neutralised with a leading quote.
        self.assertEqual(rows[2][8], '\'=HYPERLINK("http://evil")')

    def test_json_export(self) -> None:
        self.assertEqual(self.create_key("j").status, 201)
        resp = self.audit("?format=json")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.content_type, "application/json")
        self.assertIn("attachment;", resp.headers["Content-Disposition"])
        self.assertTrue(resp.headers["Content-Disposition"].endswith('.json"'))
        entries = resp.json()
        self.assertIsInstance(entries, list)
        self.assertEqual(entries[0]["action"], "auth.register")
        self.assertEqual(entries[-1]["action"], "api_key.created")
        self.assertEqual(sorted(entries[0]), sorted(AUDIT_FIELDS))
        listed = self.audit().json()["items"]
        self.assertEqual([e["id"] for e in entries], [e["id"] for e in reversed(listed)])

    def test_verify_ok(self) -> None:
        for i in range(3):
            self.create_key(f"v{i}")
        resp = self.client.get("/v1/audit/verify", token=self.token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json(), {"ok": True, "checked": 4, "first_broken_id": None})

    def test_member_without_audit_read_is_403(self) -> None:
        # An API key's default scopes (data:read, usage:write) lack audit:read.
        key = self.create_key("reader").json()["secret"]
        assert_problem(self.client.get("/v1/audit", api_key=key), 403, "forbidden", self)
        assert_problem(self.client.get("/v1/audit/verify", api_key=key), 403, "forbidden", self)

    def test_scoped_api_key_reads_the_log(self) -> None:
        resp = self.client.post("/v1/api-keys", {"name": "auditor", "scopes": ["audit:read"]},
                                token=self.token)
        self.assertEqual(resp.status, 201, resp)
        key = resp.json()["secret"]
        listed = self.client.get("/v1/audit", api_key=key)
        self.assertEqual(listed.status, 200, listed)

    def test_unauthenticated_is_401(self) -> None:
        assert_problem(self.client.get("/v1/audit"), 401, "unauthorized", self)
        assert_problem(self.client.get("/v1/audit/verify"), 401, "unauthorized", self)
        assert_problem(self.client.post("/v1/scim/token"), 401, "unauthorized", self)
        assert_problem(self.client.get("/v1/audit", token="not-a-token"), 401, "unauthorized",
                       self)

    def test_cross_tenant(self) -> None:
        b = register(self.client)
        b_token = b["tokens"]["access_token"]
        self.assertEqual(self.client.post("/v1/api-keys", {"name": "b-key"},
                                          token=b_token).status, 201)
        b_before = self.client.get("/v1/audit", token=b_token).json()["items"]
        b_verify = self.client.get("/v1/audit/verify", token=b_token).json()
        for path in ("/v1/audit", "/v1/audit/verify", "/v1/audit?format=csv",
                     "/v1/audit?format=json"):
            assert_problem(self.client.get(path, token=self.token, org=b["org"]["id"]), 404,
                           "not_found", self)
        assert_problem(self.client.post("/v1/scim/token", token=self.token, org=b["org"]["id"]),
                       404, "not_found", self)
        # A's key is bound to A: X-Org-Id of B is ignored, A's own log comes back.
        key = self.client.post("/v1/api-keys", {"name": "a-aud", "scopes": ["audit:read"]},
                               token=self.token).json()["secret"]
        via_key = self.client.get("/v1/audit", api_key=key, org=b["org"]["id"])
        self.assertEqual(via_key.status, 200, via_key)
        a_ids = {e["id"] for e in via_key.json()["items"]}
        self.assertFalse(a_ids & {e["id"] for e in b_before})
        # A's filters naming B's user find nothing in A's log.
        self.assertEqual(self.audit(f"?actor_id={b['user']['id']}").json()["items"], [])
        # B's data is unchanged.
        self.assertEqual(self.client.get("/v1/audit", token=b_token).json()["items"], b_before)
        self.assertEqual(self.client.get("/v1/audit/verify", token=b_token).json(), b_verify)

    def test_scim_token_is_issued_once_and_replaced(self) -> None:
        first = self.client.post("/v1/scim/token", token=self.token)
        self.assertEqual(first.status, 201, first)
        doc = first.json()
        self.assertEqual(set(doc), {"id", "token", "created_at"})
        self.assertRegex(doc["token"], r"^scim_[A-Za-z0-9_-]{43}$")
        self.assertEqual(first.headers["Cache-Control"], "no-store")
        second = self.client.post("/v1/scim/token", token=self.token).json()
        self.assertNotEqual(second["token"], doc["token"])
        self.assertNotEqual(second["id"], doc["id"])
        actions = [e["action"] for e in self.audit("?target_type=scim_token").json()["items"]]
        self.assertEqual(actions, ["scim.token_issued"] * 2)
        # The token itself never reaches the log.
        self.assertNotIn(second["token"], self.server.log_text())
        self.assertNotIn(second["token"], self.audit("?format=json").text)

    def test_scim_token_is_not_replayed_with_idempotency_key(self) -> None:
        # The response holds the token: the idempotency record keeps no body, and a repeat of the
        # same key is 409 (the token was issued once, and is shown only then).
        hdr = {"Idempotency-Key": "scim-once-1"}
        one = self.client.post("/v1/scim/token", token=self.token, headers=hdr)
        two = self.client.post("/v1/scim/token", token=self.token, headers=hdr)
        self.assertEqual(one.status, 201, one)
        assert_problem(two, 409, "conflict", self)
        self.assertNotIn(one.json()["token"], two.text)
        self.assertIsNone(two.headers.get("Idempotent-Replayed"))
        actions = [e["action"] for e in self.audit("?target_type=scim_token").json()["items"]]
        self.assertEqual(actions, ["scim.token_issued"])
        scim = self.client.get("/scim/v2/Users", token=one.json()["token"])
        self.assertEqual(scim.status, 200, scim)

    def test_scim_token_needs_a_user_not_an_api_key(self) -> None:
        key = self.client.post("/v1/api-keys", {"name": "k", "scopes": ["scim:manage"]},
                               token=self.token)
        if key.status == 201:
            assert_problem(self.client.post("/v1/scim/token", api_key=key.json()["secret"]), 403,
                           "forbidden", self)


class FreePlanAuditTest(E2ETestCase):
    """The default catalogue: free has neither audit_log, audit_export nor scim."""

    def test_audit_on_free_plan_is_402(self) -> None:
        a = register(self.client)
        token = a["tokens"]["access_token"]
        for path in ("/v1/audit", "/v1/audit/verify", "/v1/audit?format=csv"):
            assert_problem(self.client.get(path, token=token), 402, "feature_not_in_plan", self)
        assert_problem(self.client.post("/v1/scim/token", token=token), 402,
                       "feature_not_in_plan", self)

    def test_permission_is_checked_before_the_plan(self) -> None:
        a = register(self.client)
        key = self.client.post("/v1/api-keys", {"name": "k"},
                               token=a["tokens"]["access_token"]).json()["secret"]
        assert_problem(self.client.get("/v1/audit", api_key=key), 403, "forbidden", self)


if __name__ == "__main__":
    unittest.main()
