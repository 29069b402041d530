# SPDX-License-Identifier: Apache-2.0
"""/v1/orgs end to end: list, create (slug rules, conflicts, idempotency), read, update, delete,
roles (403 below admin / owner), and the cross-tenant attempts (another org's id: 404, its data
unchanged)."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, Response, assert_problem, register

ORG_FIELDS = {"id", "name", "slug", "plan", "status", "created_at", "roles"}


def field_names(doc: dict[str, Any]) -> set[str]:
    return {e["field"] for e in doc.get("errors", [])}


def unique_slug(tag: str = "org") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}"


class OrgsTestCase(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_LOGIN_MAX_ATTEMPTS": "1000", "TK_LOG_LEVEL": "warn"}

    def create(self, token: str, **body: Any) -> Response:
        return self.client.post("/v1/orgs", json=body, token=token)

    def get_org(self, token: str, org_id: str) -> Response:
        return self.client.get(f"/v1/orgs/{org_id}", token=token)

    def member_of(self, owner: dict[str, Any], role: str) -> str:
        """A new user who is a `role` member of owner's org; their access token with that org
        active. The membership row is written straight into the database: joining goes through
        invitations, another route group, and this test is about orgs."""
        invited = register(self.client)
        add_membership(self.server, owner["org"]["id"], invited["user"]["id"], role)
        switched = self.client.post("/v1/auth/switch-org", json={"org_id": owner["org"]["id"]},
                                    token=invited["tokens"]["access_token"])
        self.assertEqual(switched.status, 200, switched)
        return switched.json()["access_token"]


def audit_actions(server: Any, org_id: str) -> list[tuple[str, str]]:
    """(action, metadata_json) of an org's audit log, oldest first, from the database."""
    sql = "SELECT action, metadata_json FROM audit_events WHERE org_id = '{}' ORDER BY seq"
    if server.database is not None:
        out = server.database.query(sql.format(org_id))
        return [tuple(line.split("|", 1)) for line in out.splitlines() if line]
    with sqlite3.connect(server.database_url.removeprefix("sqlite:"), timeout=10) as db:
        return list(db.execute(sql.replace("'{}'", "?"), (org_id,)))


def add_membership(server: Any, org_id: str, user_id: str, role: str) -> None:
    """Inserts an active membership (schema: src/storage/sql/migrations.cpp; roles are a JSON
    list; timestamps are integer microseconds on SQLite, timestamptz on PostgreSQL)."""
    roles = json.dumps([role])
    if server.database is not None:
        server.database.query(
            "INSERT INTO memberships (org_id, user_id, roles, active, external_id, joined_at) "
            f"VALUES ('{org_id}', '{user_id}', '{roles}', true, '', now())")
        return
    path = server.database_url.removeprefix("sqlite:")
    with sqlite3.connect(path, timeout=10) as db:
        db.execute(
            "INSERT INTO memberships (org_id, user_id, roles, active, external_id, joined_at) "
            "VALUES (?, ?, ?, 1, '', ?)", (org_id, user_id, roles, int(time.time() * 1e6)))


class OrgCrudTest(OrgsTestCase):
    def test_list_after_register_has_the_owned_org(self) -> None:
        acct = register(self.client)
        res = self.client.get("/v1/orgs", token=acct["tokens"]["access_token"])
        self.assertEqual(res.status, 200, res)
        doc = res.json()
        self.assertIsNone(doc["next_cursor"])
        self.assertEqual(len(doc["items"]), 1)
        org = doc["items"][0]
        self.assertEqual(set(org), ORG_FIELDS)
        self.assertEqual(org["id"], acct["org"]["id"])
        self.assertEqual((org["plan"], org["status"], org["roles"]), ("free", "none", ["owner"]))
        assert_problem(self.client.get("/v1/orgs"), 401, "unauthorized", self)

    def test_create_get_update(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        slug = unique_slug()
        res = self.create(token, name="Acme Labs", slug=slug)
        self.assertEqual(res.status, 201, res)
        org = res.json()
        self.assertEqual(set(org), ORG_FIELDS)
        self.assertEqual((org["name"], org["slug"], org["roles"]), ("Acme Labs", slug, ["owner"]))
        self.assertEqual((org["plan"], org["status"]), ("free", "none"))

        derived = self.create(token, name="Derived Slug Inc.")
        self.assertEqual(derived.status, 201, derived)
        self.assertTrue(derived.json()["slug"].startswith("derived-slug-inc"), derived.json())

        listed = self.client.get("/v1/orgs", token=token).json()["items"]
        self.assertEqual({o["id"] for o in listed},
                         {acct["org"]["id"], org["id"], derived.json()["id"]})

        got = self.get_org(token, org["id"])
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json(), org)

        new_slug = unique_slug("renamed")
        patched = self.client.patch(f"/v1/orgs/{org['id']}", token=token,
                                    json={"name": "Acme Research", "slug": new_slug})
        self.assertEqual(patched.status, 200, patched)
        self.assertEqual((patched.json()["name"], patched.json()["slug"]),
                         ("Acme Research", new_slug))
        only_name = self.client.patch(f"/v1/orgs/{org['id']}", token=token, json={"name": "Acme"})
        self.assertEqual((only_name.json()["name"], only_name.json()["slug"]), ("Acme", new_slug))
        self.assertEqual(self.get_org(token, org["id"]).json()["name"], "Acme")
        updates = [json.loads(m) for a, m in audit_actions(self.server, org["id"])
                   if a == "org.updated"]
        self.assertEqual(updates, [
            {"before": {"name": "Acme Labs", "slug": slug},
             "after": {"name": "Acme Research", "slug": new_slug}},
            {"before": {"name": "Acme Research", "slug": new_slug},
             "after": {"name": "Acme", "slug": new_slug}}])
        # The old slug is free again.
        self.assertEqual(self.create(token, name="Reuse", slug=slug).status, 201)

    def test_create_and_update_reject_bad_input(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        taken = acct["org"]["slug"]
        assert_problem(self.create(token, name="Clash", slug=taken), 409, "conflict", self)
        for bad in ("Upper", "-dash", "dash-", "sp ace", "x" * 64, ""):
            with self.subTest(slug=bad):
                res = self.create(token, name="Bad", slug=bad)
                self.assertIn("slug", field_names(assert_problem(res, 422, "validation_failed",
                                                                 self)))
        missing = self.create(token)
        self.assertIn("name", field_names(assert_problem(missing, 422, "validation_failed", self)))
        long_name = self.create(token, name="n" * 101)
        self.assertIn("name", field_names(assert_problem(long_name, 422, "validation_failed",
                                                         self)))
        typed = self.create(token, name=7)
        self.assertIn("name", field_names(assert_problem(typed, 422, "validation_failed", self)))
        malformed = self.client.post("/v1/orgs", body=b"[1,", token=token,
                                     headers={"Content-Type": "application/json"})
        assert_problem(malformed, 400, "bad_request", self)

        other = self.create(token, name="Other", slug=unique_slug()).json()
        path = f"/v1/orgs/{other['id']}"
        assert_problem(self.client.patch(path, token=token, json={"slug": taken}), 409,
                       "conflict", self)
        res = self.client.patch(path, token=token, json={"slug": "Bad Slug", "name": ""})
        self.assertEqual(field_names(assert_problem(res, 422, "validation_failed", self)),
                         {"slug", "name"})
        self.assertEqual(self.get_org(token, other["id"]).json()["slug"], other["slug"])

    def test_create_is_idempotent_with_a_key(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"name": "Once", "slug": unique_slug("once")}
        first = self.client.post("/v1/orgs", json=body, token=token, headers=key)
        self.assertEqual(first.status, 201, first)
        again = self.client.post("/v1/orgs", json=body, token=token, headers=key)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        changed = self.client.post("/v1/orgs", json={**body, "name": "Twice"}, token=token,
                                   headers=key)
        assert_problem(changed, 409, "conflict", self)
        names = [o["name"] for o in self.client.get("/v1/orgs", token=token).json()["items"]]
        self.assertEqual(names.count("Once"), 1)

    def test_api_keys_cannot_manage_orgs(self) -> None:
        acct = register(self.client)
        key = self.client.post("/v1/api-keys", json={"name": "k"},
                               token=acct["tokens"]["access_token"]).json()["secret"]
        assert_problem(self.client.get("/v1/orgs", api_key=key), 403, "forbidden", self)
        assert_problem(self.client.post("/v1/orgs", json={"name": "K"}, api_key=key), 403,
                       "forbidden", self)
        assert_problem(self.client.delete(f"/v1/orgs/{acct['org']['id']}", api_key=key), 403,
                       "forbidden", self)


class OrgDeleteTest(OrgsTestCase):
    def test_owner_deletes_the_org_and_its_data(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        org_id = acct["org"]["id"]
        key = self.client.post("/v1/api-keys", json={"name": "k"}, token=token)
        self.assertEqual(key.status, 201, key)
        self.assertEqual(self.client.get("/v1/data", api_key=key.json()["secret"]).status, 200)
        other = self.create(token, name="Survivor").json()

        res = self.client.delete(f"/v1/orgs/{org_id}", token=token)
        self.assertEqual(res.status, 204, res)
        assert_problem(self.get_org(token, org_id), 404, "not_found", self)
        assert_problem(self.client.delete(f"/v1/orgs/{org_id}", token=token), 404, "not_found",
                       self)
        self.assertEqual([o["id"] for o in self.client.get("/v1/orgs", token=token).json()["items"]],
                         [other["id"]])
        # Its API keys died with it; the token whose active org it was has no active org now.
        assert_problem(self.client.get("/v1/data", api_key=key.json()["secret"]), 401,
                       "unauthorized", self)
        me = self.client.get("/v1/auth/me", token=token).json()
        self.assertIsNone(me["active_org_id"])
        self.assertEqual([m["org_id"] for m in me["memberships"]], [other["id"]])
        assert_problem(self.client.get("/v1/api-keys", token=token), 404, "not_found", self)
        # The org's audit log went with it: org.deleted is in the server log.
        log = self.server.log_text()
        self.assertIn('"action":"org.deleted"', log)
        self.assertIn(org_id, log)
        # Its slug is free again.
        self.assertEqual(self.create(token, name="Again", slug=acct["org"]["slug"]).status, 201)

    def test_roles_below_owner_cannot_delete_and_below_admin_cannot_update(self) -> None:
        owner = register(self.client)
        org_id = owner["org"]["id"]
        path = f"/v1/orgs/{org_id}"
        member = self.member_of(owner, "member")
        admin = self.member_of(owner, "admin")
        got = self.get_org(member, org_id)
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json()["roles"], ["member"])
        assert_problem(self.client.patch(path, token=member, json={"name": "Mine"}), 403,
                       "forbidden", self)
        assert_problem(self.client.delete(path, token=member), 403, "forbidden", self)
        renamed = self.client.patch(path, token=admin, json={"name": "Admin Was Here"})
        self.assertEqual(renamed.status, 200, renamed)
        assert_problem(self.client.delete(path, token=admin), 403, "forbidden", self)
        self.assertEqual(self.get_org(owner["tokens"]["access_token"], org_id).json()["name"],
                         "Admin Was Here")


class OrgCrossTenantTest(OrgsTestCase):
    def test_another_orgs_id_is_404_and_it_stays_unchanged(self) -> None:
        alice = register(self.client)
        bob = register(self.client)
        a_token = alice["tokens"]["access_token"]
        b_token = bob["tokens"]["access_token"]
        b_org = bob["org"]["id"]
        before = self.get_org(b_token, b_org).json()
        path = f"/v1/orgs/{b_org}"
        attempts = {
            "GET": lambda **kw: self.client.get(path, token=a_token, **kw),
            "PATCH": lambda **kw: self.client.patch(path, token=a_token,
                                                    json={"name": "pwned", "slug": "pwned"}, **kw),
            "DELETE": lambda **kw: self.client.delete(path, token=a_token, **kw),
        }
        for method, call in attempts.items():
            for org_header in (None, b_org, alice["org"]["id"]):
                with self.subTest(method=method, x_org_id=org_header):
                    assert_problem(call(org=org_header), 404, "not_found", self)
        # A's own owner key cannot reach B either.
        key = self.client.post("/v1/api-keys", json={"name": "k"}, token=a_token).json()["secret"]
        self.assertEqual(self.client.get(path, api_key=key).status, 403)
        # Malformed and unknown ids are 404 too.
        for bad in ("nope", str(uuid.uuid4())):
            assert_problem(self.get_org(a_token, bad), 404, "not_found", self)
            assert_problem(self.client.delete(f"/v1/orgs/{bad}", token=a_token), 404,
                           "not_found", self)
        after = self.get_org(b_token, b_org)
        self.assertEqual(after.status, 200, after)
        self.assertEqual(after.json(), before)
        self.assertEqual([o["id"] for o in self.client.get("/v1/orgs", token=a_token).json()["items"]],
                         [alice["org"]["id"]])
