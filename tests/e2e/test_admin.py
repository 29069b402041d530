# SPDX-License-Identifier: Apache-2.0
"""GET /admin/orgs/{id}/summary end to end: the admin token (constant-time compared), 404 for
every /admin route when TK_ADMIN_TOKEN is unset, and the summary's fields."""

from __future__ import annotations

import unittest

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, assert_problem, register

ABSENT_ORG = "01900000-0000-7000-8000-000000000000"


class AdminSummaryTest(E2ETestCase):
    def summary(self, org: str, token: str | None = None):
        return self.client.get(f"/admin/orgs/{org}/summary",
                               token=self.server.admin_token if token is None else token)

    def test_summary_fields(self) -> None:
        a = register(self.client)
        org = a["org"]["id"]
        token = a["tokens"]["access_token"]
        for _ in range(3):
            self.assertEqual(self.client.get("/v1/data", token=token).status, 200)
        resp = self.summary(org)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.content_type, "application/json")
        doc = resp.json()
        self.assertEqual(set(doc), {"org", "plan", "status", "member_count", "usage",
                                    "last_activity"})
        self.assertEqual(doc["org"], {"id": org, "name": a["org"]["name"],
                                      "slug": a["org"]["slug"],
                                      "created_at": a["org"]["created_at"]})
        self.assertEqual(doc["plan"], "free")
        self.assertEqual(doc["status"], "none")
        self.assertEqual(doc["member_count"], 1)
        self.assertEqual(doc["usage"]["api_calls"], {"used": 3, "limit": 1000})
        self.assertEqual(doc["usage"]["seats"], {"used": 1, "limit": 3})
        self.assertEqual(doc["usage"]["workspaces"]["limit"], 3)
        self.assertEqual(doc["usage"]["ai_tokens"], {"used": 0, "limit": 10000})
        self.assertRegex(doc["last_activity"], r"^\d{4}-\d{2}-\d{2}T")

    def test_last_activity_follows_the_audit_log(self) -> None:
        a = register(self.client)
        before = self.summary(a["org"]["id"]).json()["last_activity"]
        self.assertEqual(self.client.post("/v1/api-keys", {"name": "k"},
                                          token=a["tokens"]["access_token"]).status, 201)
        after = self.summary(a["org"]["id"]).json()["last_activity"]
        self.assertGreaterEqual(after, before)

    def test_wrong_or_missing_token_is_401(self) -> None:
        a = register(self.client)
        org = a["org"]["id"]
        assert_problem(self.client.get(f"/admin/orgs/{org}/summary"), 401, "unauthorized", self)
        assert_problem(self.summary(org, "wrong"), 401, "unauthorized", self)
        assert_problem(self.summary(org, self.server.admin_token[:-1]), 401, "unauthorized",
                       self)
        assert_problem(self.summary(org, self.server.admin_token + "x"), 401, "unauthorized",
                       self)
        # A user's access token is not the admin token, not even the org owner's.
        assert_problem(self.summary(org, a["tokens"]["access_token"]), 401, "unauthorized", self)
        resp = self.client.get(f"/admin/orgs/{org}/summary",
                               headers={"Authorization": f"Basic {self.server.admin_token}"})
        assert_problem(resp, 401, "unauthorized", self)

    def test_unknown_org_is_404(self) -> None:
        assert_problem(self.summary(ABSENT_ORG), 404, "not_found", self)
        assert_problem(self.summary("not-an-id"), 404, "not_found", self)


class AdminDisabledTest(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_ADMIN_TOKEN": ""}

    def test_every_admin_route_is_404(self) -> None:
        a = register(self.client)
        for token in (None, "anything", self.server.admin_token):
            resp = self.client.get(f"/admin/orgs/{a['org']['id']}/summary", token=token)
            assert_problem(resp, 404, "not_found", self)


if __name__ == "__main__":
    unittest.main()
