# SPDX-License-Identifier: Apache-2.0
"""/v1/workspaces: CRUD, validation, the plan's count limit (free: 3, the 4th is 402
plan_limit_reached), API-key scopes, Idempotency-Key, and the cross-tenant attempts (another
org's id in the path or in X-Org-Id is 404, before any permission check; its data unchanged)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, assert_problem, register

MISSING_ID = "0190a0b0-0000-7000-8000-000000000000"


def token_of(owner: dict[str, Any]) -> str:
    return owner["tokens"]["access_token"]


class WorkspacesTest(E2ETestCase):
    def setUp(self) -> None:
        self.owner = register(self.client)
        self.token = token_of(self.owner)

    def create(self, name: str, token: str | None = None, **kw: Any) -> Any:
        return self.client.post("/v1/workspaces", json={"name": name, **kw},
                                token=token or self.token)

    def test_crud(self) -> None:
        c = self.client
        resp = self.create("Docs", description="team docs")
        self.assertEqual(resp.status, 201, resp)
        ws = resp.json()
        self.assertEqual((ws["name"], ws["description"]), ("Docs", "team docs"))
        self.assertEqual(ws["org_id"], self.owner["org"]["id"])
        for k in ("id", "created_at", "updated_at"):
            self.assertTrue(ws[k])
        path = f"/v1/workspaces/{ws['id']}"

        listed = c.get("/v1/workspaces", token=self.token).json()
        self.assertEqual([w["id"] for w in listed["items"]], [ws["id"]])
        self.assertIsNone(listed["next_cursor"])
        self.assertEqual(c.get(path, token=self.token).json(), ws)

        resp = c.patch(path, json={"name": "Handbook"}, token=self.token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual((resp.json()["name"], resp.json()["description"]),
                         ("Handbook", "team docs"))
        resp = c.patch(path, json={"description": ""}, token=self.token)
        self.assertEqual(resp.json()["description"], "")
        self.assertEqual(c.get(path, token=self.token).json()["name"], "Handbook")

        resp = c.delete(path, token=self.token)
        self.assertEqual(resp.status, 204, resp)
        assert_problem(c.get(path, token=self.token), 404, "not_found", self)
        assert_problem(c.delete(path, token=self.token), 404, "not_found", self)
        self.assertEqual(c.get("/v1/workspaces", token=self.token).json()["items"], [])

    def test_paging(self) -> None:
        for name in ("a", "b", "c"):
            self.assertEqual(self.create(name).status, 201)
        first = self.client.get("/v1/workspaces?limit=2", token=self.token).json()
        self.assertEqual(len(first["items"]), 2)
        self.assertTrue(first["next_cursor"])
        cursor = urllib.parse.quote(first["next_cursor"], safe="")
        rest = self.client.get(f"/v1/workspaces?limit=2&cursor={cursor}", token=self.token).json()
        self.assertEqual(sorted(w["name"] for w in first["items"] + rest["items"]),
                         ["a", "b", "c"])
        self.assertIsNone(rest["next_cursor"])
        assert_problem(self.client.get("/v1/workspaces?limit=0", token=self.token), 422,
                       "validation_failed", self)

    def test_validation(self) -> None:
        c = self.client
        for body, fields in (({}, ["name"]), ({"name": ""}, ["name"]),
                             ({"name": "x" * 101}, ["name"]),
                             ({"name": 5, "description": 7}, ["description", "name"])):
            doc = assert_problem(c.post("/v1/workspaces", json=body, token=self.token), 422,
                                 "validation_failed", self)
            self.assertEqual(sorted(e["field"] for e in doc["errors"]), fields, doc)
        assert_problem(c.post("/v1/workspaces", body="{nope", token=self.token,
                              headers={"Content-Type": "application/json"}),
                       400, "bad_request", self)
        ws = self.create("ok").json()
        doc = assert_problem(c.patch(f"/v1/workspaces/{ws['id']}", json={"name": ""},
                                     token=self.token), 422, "validation_failed", self)
        self.assertEqual(doc["errors"][0]["field"], "name")
        assert_problem(c.get("/v1/workspaces/not-an-id", token=self.token), 404, "not_found",
                       self)
        assert_problem(c.get(f"/v1/workspaces/{MISSING_ID}", token=self.token), 404,
                       "not_found", self)

    def test_free_plan_allows_three(self) -> None:
        ids = []
        for i in range(3):
            resp = self.create(f"w{i}")
            self.assertEqual(resp.status, 201, resp)
            ids.append(resp.json()["id"])
        assert_problem(self.create("w3"), 402, "plan_limit_reached", self)
        self.assertEqual(len(self.client.get("/v1/workspaces", token=self.token)
                             .json()["items"]), 3)
        # Room again after a delete.
        self.assertEqual(self.client.delete(f"/v1/workspaces/{ids[0]}", token=self.token)
                         .status, 204)
        self.assertEqual(self.create("w4").status, 201)
        assert_problem(self.create("w5"), 402, "plan_limit_reached", self)

    def test_credentials_and_scopes(self) -> None:
        c = self.client
        assert_problem(c.get("/v1/workspaces"), 401, "unauthorized", self)
        assert_problem(c.post("/v1/workspaces", json={"name": "x"}), 401, "unauthorized", self)
        ws = self.create("mine").json()
        # An API key with the default scopes (data:read, usage:write) holds no workspace
        # permission: 403 on its own org's workspaces.
        key = c.post("/v1/api-keys", json={"name": "k"}, token=self.token).json()["secret"]
        assert_problem(c.get("/v1/workspaces", api_key=key), 403, "forbidden", self)
        assert_problem(c.post("/v1/workspaces", json={"name": "k"}, api_key=key), 403,
                       "forbidden", self)
        assert_problem(c.get(f"/v1/workspaces/{ws['id']}", api_key=key), 403, "forbidden",
                       self)
        assert_problem(c.delete(f"/v1/workspaces/{ws['id']}", api_key=key), 403, "forbidden",
                       self)
        assert_problem(c.get(f"/v1/workspaces/{MISSING_ID}", api_key=key), 404, "not_found",
                       self)

    def test_idempotency_key_replays_the_create(self) -> None:
        headers = {"Idempotency-Key": "ws-create-1"}
        first = self.client.post("/v1/workspaces", json={"name": "once"}, token=self.token,
                                 headers=headers)
        self.assertEqual(first.status, 201, first)
        again = self.client.post("/v1/workspaces", json={"name": "once"}, token=self.token,
                                 headers=headers)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        assert_problem(self.client.post("/v1/workspaces", json={"name": "other"},
                                        token=self.token, headers=headers),
                       409, "conflict", self)
        self.assertEqual(len(self.client.get("/v1/workspaces", token=self.token)
                             .json()["items"]), 1)


class WorkspacesCrossTenantTest(E2ETestCase):
    def test_another_orgs_workspace_is_404_and_unchanged(self) -> None:
        c = self.client
        a, b = register(c), register(c)
        ta, tb = token_of(a), token_of(b)
        ws_b = c.post("/v1/workspaces", json={"name": "B secret", "description": "b"},
                      token=tb).json()
        path = f"/v1/workspaces/{ws_b['id']}"
        key_a = c.post("/v1/api-keys", json={"name": "k"}, token=ta).json()["secret"]

        # B's id in the path, with A's token, A's API key, and A's token naming B's org.
        assert_problem(c.get(path, token=ta), 404, "not_found", self)
        assert_problem(c.patch(path, json={"name": "pwned"}, token=ta), 404, "not_found", self)
        assert_problem(c.delete(path, token=ta), 404, "not_found", self)
        # The key's scopes lack workspaces:*: still 404 (tenant before permission), not 403.
        assert_problem(c.get(path, api_key=key_a), 404, "not_found", self)
        assert_problem(c.delete(path, api_key=key_a), 404, "not_found", self)
        # X-Org-Id of an org A does not belong to.
        assert_problem(c.get("/v1/workspaces", token=ta, org=b["org"]["id"]), 404, "not_found",
                       self)
        assert_problem(c.post("/v1/workspaces", json={"name": "x"}, token=ta,
                              org=b["org"]["id"]), 404, "not_found", self)
        assert_problem(c.get(path, token=ta, org=b["org"]["id"]), 404, "not_found", self)
        # An API key's org is the tenant whatever X-Org-Id says: B's id stays unreachable.
        assert_problem(c.get(path, api_key=key_a, org=b["org"]["id"]), 404, "not_found", self)
        # A body naming B's org does not move the workspace there.
        resp = c.post("/v1/workspaces", json={"name": "a", "org_id": b["org"]["id"]}, token=ta)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.json()["org_id"], a["org"]["id"])

        # B's data is unchanged; A's list never shows it.
        self.assertEqual(c.get(path, token=tb).json(), ws_b)
        self.assertEqual([w["id"] for w in c.get("/v1/workspaces", token=tb).json()["items"]],
                         [ws_b["id"]])
        self.assertNotIn(ws_b["id"],
                         [w["id"] for w in c.get("/v1/workspaces", token=ta).json()["items"]])
