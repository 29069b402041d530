# SPDX-License-Identifier: Apache-2.0
"""POST /v1/api-keys and POST /v1/api-keys/{id}/rotate: the secret is shown once and never stored
(not even as an Idempotency-Key replay: a repeat of the same key and body is 409, and the key is
scoped to its caller, so another member of the org never receives it), and the order of checks
for chosen scopes (a scope the creator lacks is 403 before the plan's 402)."""

from __future__ import annotations

import contextlib
import glob
import sqlite3
import uuid

from harness import setUpModule  # noqa: F401 - skips the module on an unavailable flavour
from harness import E2ETestCase, assert_problem, register
from members_support import join, org_of, token_of


class ApiKeySecretTest(E2ETestCase):
    def setUp(self) -> None:
        self.owner = register(self.client)
        self.org = org_of(self.owner)

    def create(self, user, body, **kw):
        return self.client.post("/v1/api-keys", json=body, token=token_of(user), org=self.org,
                                **kw)

    def assert_not_stored(self, secret: str) -> None:
        """``secret`` is in no idempotency record and, on SQLite, nowhere in the database files
        (main file, WAL, journal): only its keyed hash is stored (API.md)."""
        sql = "SELECT body FROM idempotency_records"
        if self.server.database is not None:
            self.assertNotIn(secret, self.server.database.query(sql))
            return
        path = self.server.database_url[len("sqlite:"):]
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
            bodies = [row[0] for row in conn.execute(sql)]
        self.assertFalse([b for b in bodies if secret in b], "secret in a stored reply")
        files = glob.glob(glob.escape(path) + "*")
        self.assertIn(path, files)
        for name in files:
            with open(name, "rb") as f:
                self.assertNotIn(secret.encode(), f.read(), name)

    def test_an_idempotent_create_stores_no_secret_and_never_replays_it(self) -> None:
        admin = join(self.server, self.client, self.owner, self.org, role="admin")
        headers = {"Idempotency-Key": f"key-{uuid.uuid4().hex}"}
        body = {"name": "ci"}
        first = self.create(self.owner, body, headers=headers)
        self.assertEqual(first.status, 201, first)
        secret = first.json()["secret"]
        # The same caller repeating it: done already, and the secret is not shown again.
        again = self.create(self.owner, body, headers=headers)
        assert_problem(again, 409, "conflict", self)
        self.assertNotIn(secret, again.text)
        self.assertIsNone(again.headers.get("Idempotent-Replayed"))
        # Another member of the org sending the same key and body makes their own key.
        other = self.create(admin, body, headers=headers)
        self.assertEqual(other.status, 201, other)
        self.assertIsNone(other.headers.get("Idempotent-Replayed"))
        self.assertNotEqual(other.json()["secret"], secret)
        self.assertNotEqual(other.json()["id"], first.json()["id"])
        keys = self.client.get("/v1/api-keys", token=token_of(self.owner), org=self.org)
        self.assertEqual(sorted(k["id"] for k in keys.json()["items"]),
                         sorted([first.json()["id"], other.json()["id"]]))
        self.assert_not_stored(secret)
        self.assert_not_stored(other.json()["secret"])
        self.assertEqual(self.client.get("/v1/data", api_key=secret).status, 200)

    def test_an_idempotent_rotate_stores_no_secret_and_never_replays_it(self) -> None:
        key = self.create(self.owner, {"name": "to rotate"})
        self.assertEqual(key.status, 201, key)
        headers = {"Idempotency-Key": f"rotate-{uuid.uuid4().hex}"}
        path = f"/v1/api-keys/{key.json()['id']}/rotate"
        first = self.client.post(path, json={}, token=token_of(self.owner), org=self.org,
                                 headers=headers)
        self.assertEqual(first.status, 201, first)
        successor = first.json()["secret"]
        again = self.client.post(path, json={}, token=token_of(self.owner), org=self.org,
                                 headers=headers)
        assert_problem(again, 409, "conflict", self)
        self.assertNotIn(successor, again.text)
        self.assert_not_stored(successor)
        self.assertEqual(self.client.get("/v1/data", api_key=successor).status, 200)

    # -- Order of checks for chosen scopes (free plan: no api_key_scopes)

    def test_a_scope_the_creator_lacks_is_403_before_the_plans_402(self) -> None:
        admin = join(self.server, self.client, self.owner, self.org, role="admin")
        # org:delete is the owner's alone: 403 whatever the plan.
        assert_problem(self.create(admin, {"name": "k", "scopes": ["org:delete"]}), 403,
                       "forbidden", self)
        assert_problem(self.create(admin, {"name": "k", "scopes": ["data:read", "org:delete"]}),
                       403, "forbidden", self)
        # A scope the admin holds: the plan's answer.
        assert_problem(self.create(admin, {"name": "k", "scopes": ["data:read"]}), 402,
                       "feature_not_in_plan", self)
        assert_problem(self.create(self.owner, {"name": "k", "scopes": ["org:delete"]}), 402,
                       "feature_not_in_plan", self)
        # A malformed scope is the body's fault, before either.
        resp = self.create(admin, {"name": "k", "scopes": ["not a scope"]})
        assert_problem(resp, 422, "validation_failed", self)
        self.assertEqual([e["field"] for e in resp.json()["errors"]], ["scopes"])
        keys = self.client.get("/v1/api-keys", token=token_of(self.owner), org=self.org)
        self.assertEqual(keys.json()["items"], [])
