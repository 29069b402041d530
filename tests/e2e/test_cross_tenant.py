# SPDX-License-Identifier: Apache-2.0
"""One table over every route that names an object or an org: the owner of org B, with every
permission and every plan feature in B, tries each against org A's objects, both from B (A's ids
in the path) and naming A in X-Org-Id. Every attempt answers 404 not_found (API.md: "404 for
everything of another tenant"), and afterwards each of A's objects is checked unchanged through
A's own owner."""

from __future__ import annotations

import urllib.parse
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, assert_problem, register, unique_email
from members_support import join


def token_of(owner: dict[str, Any]) -> str:
    return owner["tokens"]["access_token"]


def org_of(owner: dict[str, Any]) -> str:
    return owner["org"]["id"]


class CrossTenantTableTest(E2ETestCase):
    def enterprise(self, owner: dict[str, Any]) -> None:
        """Offline checkout of enterprise, paid at once: every feature, no limits."""
        resp = self.client.post("/v1/billing/checkout", json={"plan": "enterprise"},
                                token=token_of(owner))
        self.assertEqual(resp.status, 200, resp)
        path = urllib.parse.urlsplit(resp.json()["url"]).path
        self.assertEqual(self.client.post(path + "/complete").status, 200)

    def created(self, resp: Any) -> dict[str, Any]:
        self.assertEqual(resp.status, 201, resp)
        return resp.json()

    def test_every_route_answers_404_for_another_orgs_objects(self) -> None:
        c = self.client
        victim, attacker = register(c), register(c)
        self.enterprise(victim)
        self.enterprise(attacker)
        vt, at = token_of(victim), token_of(attacker)
        a_org, b_org = org_of(victim), org_of(attacker)
        a_user = victim["user"]["id"]

        # Org A's objects.
        key = self.created(c.post("/v1/api-keys", json={"name": "victim"}, token=vt))
        workspace = self.created(c.post("/v1/workspaces", json={"name": "victim ws"}, token=vt))
        invitation = self.created(c.post("/v1/invitations",
                                         json={"email": unique_email("invitee"),
                                               "role": "member"}, token=vt))
        role = self.created(c.post("/v1/roles", json={"name": "victim-auditor",
                                                      "permissions": ["audit:read"]}, token=vt))
        sessions = c.get("/v1/auth/sessions", token=vt)
        self.assertEqual(sessions.status, 200, sessions)
        session_id = sessions.json()["items"][0]["id"]
        b_key = self.created(c.post("/v1/api-keys", json={"name": "attacker"}, token=at))["secret"]

        # (method, path, body): A's ids in the path, the attacker acting in its own org B.
        by_id: list[tuple[str, str, Any]] = [
            ("GET", f"/v1/orgs/{a_org}", None),
            ("PATCH", f"/v1/orgs/{a_org}", {"name": "pwned"}),
            ("DELETE", f"/v1/orgs/{a_org}", None),
            ("PATCH", f"/v1/members/{a_user}", {"role": "readonly"}),
            ("DELETE", f"/v1/members/{a_user}", None),
            ("DELETE", f"/v1/invitations/{invitation['id']}", None),
            ("PATCH", f"/v1/roles/{role['name']}", {"permissions": ["members:read"]}),
            ("DELETE", f"/v1/roles/{role['name']}", None),
            ("DELETE", f"/v1/api-keys/{key['id']}", None),
            ("POST", f"/v1/api-keys/{key['id']}/rotate", {}),
            ("GET", f"/v1/workspaces/{workspace['id']}", None),
            ("PATCH", f"/v1/workspaces/{workspace['id']}", {"name": "pwned"}),
            ("DELETE", f"/v1/workspaces/{workspace['id']}", None),
            ("DELETE", f"/v1/auth/sessions/{session_id}", None),
        ]
        # Every org-scoped route, naming org A in X-Org-Id (the attacker is not a member).
        as_org_a: list[tuple[str, str, Any]] = [
            ("GET", "/v1/members", None),
            ("GET", "/v1/invitations", None),
            ("POST", "/v1/invitations", {"email": unique_email("x"), "role": "member"}),
            ("GET", "/v1/roles", None),
            ("POST", "/v1/roles", {"name": "planted", "permissions": ["audit:read"]}),
            ("GET", "/v1/api-keys", None),
            ("POST", "/v1/api-keys", {"name": "planted"}),
            ("GET", "/v1/data", None),
            ("POST", "/v1/usage/events", {"meter": "api_calls", "quantity": 1,
                                          "idempotency_key": "x-tenant-1"}),
            ("GET", "/v1/usage", None),
            ("GET", "/v1/usage/daily", None),
            ("GET", "/v1/workspaces", None),
            ("POST", "/v1/workspaces", {"name": "planted"}),
            ("GET", "/v1/billing/subscription", None),
            ("POST", "/v1/billing/checkout", {"plan": "pro"}),
            ("POST", "/v1/billing/portal", {}),
            ("GET", "/v1/audit", None),
            ("GET", "/v1/audit/verify", None),
            ("POST", "/v1/scim/token", {}),
        ] + by_id

        attempts = 0
        for method, path, body in by_id:
            with self.subTest(method=method, path=path, org="own"):
                resp = c.request(method, path, json=body, token=at)
                assert_problem(resp, 404, "not_found", self)
                attempts += 1
        for method, path, body in as_org_a:
            with self.subTest(method=method, path=path, org="victim's X-Org-Id"):
                resp = c.request(method, path, json=body, token=at, org=a_org)
                assert_problem(resp, 404, "not_found", self)
                attempts += 1
        self.assertEqual(attempts, len(by_id) + len(as_org_a))

        # An API key is bound to its org: X-Org-Id naming another org does not move it there.
        resp = c.get("/v1/data", api_key=b_key, org=a_org)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["org_id"], b_org)

        # Org A is unchanged, seen by its own owner.
        org = c.get(f"/v1/orgs/{a_org}", token=vt)
        self.assertEqual(org.status, 200, org)
        self.assertEqual(org.json()["name"], victim["org"]["name"])
        members = c.get("/v1/members", token=vt).json()["items"]
        self.assertEqual([(m["user_id"], m["roles"]) for m in members], [(a_user, ["owner"])])
        pending = c.get("/v1/invitations", token=vt).json()["items"]
        self.assertEqual([i["id"] for i in pending], [invitation["id"]])
        roles = {r["name"]: r for r in c.get("/v1/roles", token=vt).json()["items"]}
        self.assertEqual(roles[role["name"]]["allow"], ["audit:read"])
        self.assertNotIn("planted", roles)
        self.assertEqual(c.get("/v1/data", api_key=key["secret"]).status, 200)
        keys = c.get("/v1/api-keys", token=vt).json()["items"]
        self.assertEqual([k["id"] for k in keys], [key["id"]])
        ws = c.get(f"/v1/workspaces/{workspace['id']}", token=vt)
        self.assertEqual(ws.status, 200, ws)
        self.assertEqual(ws.json()["name"], "victim ws")
        self.assertEqual(len(c.get("/v1/workspaces", token=vt).json()["items"]), 1)
        self.assertEqual(c.get("/v1/auth/me", token=vt).status, 200)  # session not revoked
        self.assertEqual(c.get("/v1/billing/subscription", token=vt).json()["plan"], "enterprise")
        self.assertEqual(org_of(attacker), b_org)

    def test_api_key_routes_answer_404_before_403(self) -> None:
        """Revoke and rotate load the key in the caller's org before checking api_keys:write: a
        caller who lacks it gets 404 for another org's key (not 403, which would confirm the id
        exists), and 403 only for a key of its own org."""
        c = self.client
        victim, b_owner = register(c), register(c)
        vt, b_org = token_of(victim), org_of(b_owner)
        a_key = self.created(c.post("/v1/api-keys", json={"name": "victim"}, token=vt))
        b_key = self.created(c.post("/v1/api-keys", json={"name": "b's own"},
                                    token=token_of(b_owner)))
        member = join(self.server, c, b_owner, b_org, role="member")
        readonly = join(self.server, c, b_owner, b_org, role="readonly")
        # A key of B with the default scopes (data:read, usage:write): no api_keys:write either.
        scoped = {"api_key": b_key["secret"]}
        callers = [("member", {"token": token_of(member), "org": b_org}),
                   ("readonly", {"token": token_of(readonly), "org": b_org}),
                   ("key without api_keys:write", scoped)]
        for who, auth in callers:
            for method, suffix in (("DELETE", ""), ("POST", "/rotate")):
                with self.subTest(who=who, method=method, key="org A's"):
                    resp = c.request(method, f"/v1/api-keys/{a_key['id']}{suffix}", json={},
                                     **auth)
                    assert_problem(resp, 404, "not_found", self)
                with self.subTest(who=who, method=method, key="org B's own"):
                    resp = c.request(method, f"/v1/api-keys/{b_key['id']}{suffix}", json={},
                                     **auth)
                    assert_problem(resp, 403, "forbidden", self)
        # Neither key was touched: both still answer, and neither was rotated.
        self.assertEqual(c.get("/v1/data", api_key=a_key["secret"]).status, 200)
        self.assertEqual(c.get("/v1/data", api_key=b_key["secret"]).status, 200)
        a_keys = c.get("/v1/api-keys", token=vt).json()["items"]
        self.assertEqual([(k["id"], k["revoked_at"]) for k in a_keys], [(a_key["id"], None)])
