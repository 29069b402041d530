# SPDX-License-Identifier: Apache-2.0
"""/scim/v2 end to end (RFC 7643/7644) over the org's SCIM token, on both flavours (SQLite;
PostgreSQL + Redis): Users list/filter/paging, create, get, replace, patch (active:false suspends
the membership and revokes the user's sessions), delete, discovery, RFC 7644 error bodies, token
replacement; the request sequences Okta's and Microsoft Entra ID's SCIM validators send; Groups
mapped to roles (Okta and Entra PATCH forms); isolation between two orgs' tokens; the audit
events of every change; the plan gate (feature `scim`, 402)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import unittest
from typing import Any
import urllib.parse
import uuid

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import DEFAULT_PASSWORD, E2ETestCase, assert_problem, register, skip_unless_route

SCIM = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
WEBHOOK_SECRET = "whsec_e2e_scim_" + "0b7d9c4e2a1f"


def q(text: str) -> str:
    """A filter as a query-string value."""
    return urllib.parse.quote(text, safe="")


def patch_op(*ops: dict) -> dict:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


ENTITLED_PLANS: list[dict[str, Any]] = [
    {"id": "free", "limits": {"api_calls": 1000, "seats": 20, "workspaces": 3,
                              "ai_tokens": 10000},
     "features": ["audit_log", "scim"]}]


class ScimApiTest(E2ETestCase):
    plans = ENTITLED_PLANS

    def setUp(self) -> None:
        self.a = register(self.client)
        self.owner = self.a["tokens"]["access_token"]
        resp = self.client.post("/v1/scim/token", token=self.owner)
        self.assertEqual(resp.status, 201, resp)
        self.token = resp.json()["token"]
        skip_unless_route(self.client, "GET", "/scim/v2/ServiceProviderConfig", token=self.token)

    def scim(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Content-Type": SCIM} if body is not None else {}
        return self.client.request(method, "/scim/v2" + path,
                                   body=json.dumps(body) if body is not None else None,
                                   headers=headers, token=token or self.token)

    def assert_scim_error(self, resp, status: int, scim_type: str | None = None) -> dict:
        self.assertEqual(resp.status, status, resp)
        self.assertEqual(resp.content_type, SCIM)
        doc = resp.json()
        self.assertIn(ERROR_URN, doc["schemas"])
        self.assertEqual(doc["status"], str(status))
        if scim_type:
            self.assertEqual(doc.get("scimType"), scim_type, doc)
        return doc

    def new_user(self, email: str | None = None, token: str | None = None) -> dict:
        email = email or f"scim-{uuid.uuid4().hex[:10]}@e2e.example.com"
        resp = self.scim("POST", "/Users", {
            "schemas": [USER_URN], "userName": email, "externalId": uuid.uuid4().hex,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": email, "primary": True}], "active": True}, token=token)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.content_type, SCIM)
        doc = resp.json()
        self.assertTrue(resp.headers["Location"].endswith("/scim/v2/Users/" + doc["id"]))
        self.assertTrue(resp.headers["ETag"].startswith('W/"'))
        return doc

    def test_discovery(self) -> None:
        for path in ("/ServiceProviderConfig", "/Schemas", "/ResourceTypes"):
            resp = self.scim("GET", path)
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.content_type, SCIM)
        spc = self.scim("GET", "/ServiceProviderConfig").json()
        self.assertTrue(spc["patch"]["supported"])
        self.assertTrue(spc["filter"]["supported"])
        types = {t["id"]: t for t in self.scim("GET", "/ResourceTypes").json()["Resources"]}
        self.assertEqual(types["User"]["endpoint"], "/Users")
        self.assertEqual(types["Group"]["endpoint"], "/Groups")
        self.assertEqual(types["Group"]["schema"], GROUP_URN)
        schemas = {x["id"] for x in self.scim("GET", "/Schemas").json()["Resources"]}
        self.assertEqual(schemas, {USER_URN, GROUP_URN})

    def test_auth_errors_are_scim_bodies(self) -> None:
        resp = self.client.get("/scim/v2/Users")
        self.assert_scim_error(resp, 401)
        self.assert_scim_error(self.scim("GET", "/Users", token="scim_" + "A" * 43), 401)
        self.assert_scim_error(self.scim("GET", "/Users", token=self.owner), 401)
        # Reissuing the token kills the old one.
        fresh = self.client.post("/v1/scim/token", token=self.owner).json()["token"]
        self.assert_scim_error(self.scim("GET", "/Users"), 401)
        self.assertEqual(self.scim("GET", "/Users", token=fresh).status, 200)
        self.token = fresh

    def test_user_lifecycle(self) -> None:
        user = self.new_user()
        uid = user["id"]
        got = self.scim("GET", f"/Users/{uid}")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json()["userName"], user["userName"])
        listed = self.scim("GET", f'/Users?filter=userName%20eq%20%22{user["userName"]}%22')
        self.assertEqual(listed.status, 200, listed)
        doc = listed.json()
        self.assertEqual(doc["totalResults"], 1)
        self.assertEqual(doc["Resources"][0]["id"], uid)
        replaced = self.scim("PUT", f"/Users/{uid}", {
            "schemas": [USER_URN], "userName": user["userName"],
            "name": {"givenName": "Augusta", "familyName": "King"}, "active": True})
        self.assertEqual(replaced.status, 200, replaced)
        self.assertEqual(replaced.json()["name"]["givenName"], "Augusta")
        patched = self.scim("PATCH", f"/Users/{uid}", {
            "schemas": [PATCH_URN], "Operations": [{"op": "replace", "value": {"active": False}}]})
        self.assertEqual(patched.status, 200, patched)
        self.assertFalse(patched.json()["active"])
        deleted = self.scim("DELETE", f"/Users/{uid}")
        self.assertEqual(deleted.status, 204, deleted)
        self.assert_scim_error(self.scim("GET", f"/Users/{uid}"), 404)
        actions = [e["action"] for e in self.client.get(
            "/v1/audit?target_type=user", token=self.owner).json()["items"]]
        for action in ("scim.user_created", "scim.user_updated", "scim.user_deleted"):
            self.assertIn(action, actions)

    def test_paging_and_bad_input(self) -> None:
        for _ in range(3):
            self.new_user()
        page = self.scim("GET", "/Users?startIndex=2&count=1").json()
        self.assertEqual(page["startIndex"], 2)
        self.assertEqual(len(page["Resources"]), 1)
        self.assertGreaterEqual(page["totalResults"], 3)
        self.assert_scim_error(self.scim("GET", "/Users?filter=userName%20zz%20%22x%22"), 400,
                               "invalidFilter")
        self.assert_scim_error(self.scim("GET", "/Users?count=many"), 400)
        resp = self.client.request("POST", "/scim/v2/Users", body="{not json",
                                   headers={"Content-Type": SCIM}, token=self.token)
        self.assert_scim_error(resp, 400, "invalidSyntax")
        dup = self.new_user()
        again = self.scim("POST", "/Users", {"schemas": [USER_URN], "userName": dup["userName"]})
        self.assert_scim_error(again, 409, "uniqueness")

    def test_other_orgs_token_sees_nothing_of_this_org(self) -> None:
        user = self.new_user()
        b = register(self.client)
        b_token = self.client.post("/v1/scim/token",
                                   token=b["tokens"]["access_token"]).json()["token"]
        self.assert_scim_error(self.scim("GET", f"/Users/{user['id']}", token=b_token), 404)
        self.assert_scim_error(self.scim("PUT", f"/Users/{user['id']}", {
            "schemas": [USER_URN], "userName": user["userName"], "active": False},
            token=b_token), 404)
        self.assert_scim_error(self.scim("DELETE", f"/Users/{user['id']}", token=b_token), 404)
        names = [r["userName"] for r in self.scim("GET", "/Users", token=b_token)
                 .json()["Resources"]]
        self.assertNotIn(user["userName"], names)
        # A's user is unchanged.
        after = self.scim("GET", f"/Users/{user['id']}").json()
        self.assertTrue(after["active"])
        self.assertEqual(after["userName"], user["userName"])


    # -- helpers for the validator sequences

    def audit_actions(self, target_type: str, target_id: str) -> list[str]:
        resp = self.client.get(f"/v1/audit?target_type={target_type}&limit=100", token=self.owner)
        self.assertEqual(resp.status, 200, resp)
        return [e["action"] for e in resp.json()["items"] if e["target_id"] == target_id]

    def roles_of(self, user_id: str) -> list[str]:
        resp = self.client.get("/v1/members", token=self.owner, org=self.a["org"]["id"])
        self.assertEqual(resp.status, 200, resp)
        for m in resp.json()["items"]:
            if m["user_id"] == user_id:
                return sorted(m["roles"])
        self.fail(f"{user_id} is not a member")

    def new_group(self, name: str, members: list[str], token: str | None = None) -> dict:
        resp = self.scim("POST", "/Groups", {
            "schemas": [GROUP_URN], "displayName": name, "externalId": uuid.uuid4().hex,
            "members": [{"value": m} for m in members]}, token=token)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.content_type, SCIM)
        doc = resp.json()
        self.assertTrue(resp.headers["Location"].endswith("/scim/v2/Groups/" + doc["id"]))
        self.assertEqual(resp.headers["ETag"], 'W/"1"')
        return doc

    # -- Okta's validator sequence

    def test_okta_user_sequence(self) -> None:
        email = f"okta-{uuid.uuid4().hex[:10]}@e2e.example.com"
        # Okta checks the userName is free first.
        empty = self.scim("GET", "/Users?filter=" + q(f'userName eq "{email}"') +
                          "&startIndex=1&count=100")
        self.assertEqual(empty.status, 200, empty)
        self.assertEqual(empty.json()["totalResults"], 0)
        self.assertEqual(empty.json()["schemas"], [LIST_URN])
        user = self.new_user(email)
        uid = user["id"]
        found = self.scim("GET", "/Users?filter=" + q(f'userName eq "{email}"')).json()
        self.assertEqual((found["totalResults"], found["Resources"][0]["id"]), (1, uid))
        # Okta deactivates with a no-path replace.
        off = self.scim("PATCH", f"/Users/{uid}",
                        patch_op({"op": "replace", "value": {"active": False}}))
        self.assertEqual(off.status, 200, off)
        self.assertFalse(off.json()["active"])
        self.assertEqual(off.headers["ETag"], 'W/"2"')
        # ... and pushes profile changes with PUT.
        put = self.scim("PUT", f"/Users/{uid}", {
            "schemas": [USER_URN], "id": uid, "userName": email, "active": True,
            "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [{"value": email, "type": "work", "primary": True}]})
        self.assertEqual(put.status, 200, put)
        got = self.scim("GET", f"/Users/{uid}")
        self.assertEqual(got.status, 200, got)
        doc = got.json()
        self.assertTrue(doc["active"])
        self.assertEqual(doc["name"]["givenName"], "Grace")
        self.assertEqual(got.headers["ETag"], 'W/"3"')
        self.assertEqual(self.scim("DELETE", f"/Users/{uid}").status, 204)
        self.assert_scim_error(self.scim("GET", f"/Users/{uid}"), 404)
        self.assert_scim_error(self.scim("DELETE", f"/Users/{uid}"), 404)
        self.assertEqual(self.scim("GET", "/Users?filter=" + q(f'userName eq "{email}"'))
                         .json()["totalResults"], 0)
        # Every change is in the audit log, oldest last.
        actions = self.audit_actions("user", uid)
        self.assertEqual(actions.count("scim.user_created"), 1)
        self.assertEqual(actions.count("scim.user_updated"), 2)
        self.assertEqual(actions.count("scim.user_deleted"), 1)

    def test_okta_duplicates_filters_and_paging(self) -> None:
        user = self.new_user()
        dup = self.scim("POST", "/Users", {"schemas": [USER_URN],
                                           "userName": user["userName"].upper()})
        self.assert_scim_error(dup, 409, "uniqueness")
        self.assert_scim_error(self.scim("GET", "/Users?filter=" + q('favoriteColor eq "red"')),
                               400, "invalidFilter")
        self.assert_scim_error(self.scim("GET", "/Users?filter=" + q('userName eq')), 400,
                               "invalidFilter")
        for _ in range(3):
            self.new_user()
        everyone = self.scim("GET", "/Users?count=200").json()
        ids = [r["id"] for r in everyone["Resources"]]
        self.assertEqual(everyone["totalResults"], len(ids))
        self.assertGreaterEqual(len(ids), 5)  # the owner and four SCIM users
        page = self.scim("GET", "/Users?startIndex=2&count=2").json()
        self.assertEqual((page["startIndex"], page["itemsPerPage"]), (2, 2))
        self.assertEqual([r["id"] for r in page["Resources"]], ids[1:3])
        self.assertEqual(page["totalResults"], len(ids))
        beyond = self.scim("GET", f"/Users?startIndex={len(ids) + 1}&count=5").json()
        self.assertEqual((beyond["Resources"], beyond["totalResults"]), ([], len(ids)))
        none = self.scim("GET", "/Users?count=0").json()
        self.assertEqual((none["Resources"], none["totalResults"]), ([], len(ids)))

    # -- Microsoft Entra ID's validator sequence

    def test_entra_user_sequence(self) -> None:
        local = f"Entra.{uuid.uuid4().hex[:8]}"
        email = f"{local}@E2E.Example.com"
        resp = self.scim("POST", "/Users", {
            "schemas": [USER_URN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": local, "userName": email, "active": "True", "displayName": "Entra User",
            "emails": [{"primary": True, "type": "work", "value": email}],
            "name": {"formatted": "Entra User", "familyName": "User", "givenName": "Entra"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}})
        self.assertEqual(resp.status, 201, resp)
        uid = resp.json()["id"]
        self.assertTrue(resp.json()["active"])
        # Entra looks users up with a different case than it created them with.
        by_name = self.scim("GET", "/Users?filter=" + q(f'userName eq "{email.lower()}"')).json()
        self.assertEqual([r["id"] for r in by_name["Resources"]], [uid])
        by_mail = self.scim("GET", "/Users?filter=" + q(
            f'emails[type eq "work"].value eq "{email.upper()}"')).json()
        self.assertEqual([r["id"] for r in by_mail["Resources"]], [uid])
        by_ext = self.scim("GET", "/Users?filter=" + q(f'externalId eq "{local}"')).json()
        self.assertEqual([r["id"] for r in by_ext["Resources"]], [uid])
        # externalId is caseExact: another case finds nobody.
        self.assertEqual(self.scim("GET", "/Users?filter=" + q(
            f'externalId eq "{local.upper()}"')).json()["totalResults"], 0)
        # Entra's PATCH: capitalised ops, string booleans, value-path targets.
        off = self.scim("PATCH", f"/Users/{uid}", patch_op(
            {"op": "Replace", "path": "active", "value": "False"}))
        self.assertEqual(off.status, 200, off)
        self.assertIs(off.json()["active"], False)
        renamed = self.scim("PATCH", f"/Users/{uid}", patch_op(
            {"op": "Add", "path": "displayName", "value": "Entra Renamed"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": email},
            {"op": "Replace", "path": "name.givenName", "value": "Ent"}))
        self.assertEqual(renamed.status, 200, renamed)
        doc = renamed.json()
        self.assertEqual(doc["displayName"], "Entra Renamed")
        self.assertEqual(doc["name"]["givenName"], "Ent")
        self.assertIs(doc["active"], False)
        on = self.scim("PATCH", f"/Users/{uid}", patch_op(
            {"op": "replace", "path": "ACTIVE", "value": "true"}))
        self.assertIs(on.json()["active"], True)
        self.assert_scim_error(self.scim("PATCH", f"/Users/{uid}", patch_op(
            {"op": "Replace", "path": "active", "value": "maybe"})), 400, "invalidValue")
        self.assert_scim_error(self.scim("PATCH", f"/Users/{uid}", patch_op(
            {"op": "Frobnicate", "path": "active", "value": True})), 400, "invalidValue")
        self.assertEqual(self.scim("DELETE", f"/Users/{uid}").status, 204)
        actions = self.audit_actions("user", uid)
        self.assertEqual(actions.count("scim.user_updated"), 3)
        self.assertIn("scim.user_deleted", actions)

    # -- deactivation ends the person's sessions

    def test_deactivation_revokes_sessions_and_only_this_orgs_access(self) -> None:
        # The person already has an account and an org of their own (B); A's directory links it.
        person = register(self.client)
        b_org = person["org"]["id"]
        access = person["tokens"]["access_token"]
        refresh = person["tokens"]["refresh_token"]
        linked = self.new_user(person["email"])
        self.assertEqual(linked["id"], person["user"]["id"])
        self.assertEqual(self.client.get("/v1/auth/me", token=access).status, 200)
        off = self.scim("PATCH", f"/Users/{linked['id']}", patch_op(
            {"op": "Replace", "path": "active", "value": "False"}))
        self.assertEqual(off.status, 200, off)
        # The user's own tokens are dead at once...
        assert_problem(self.client.get("/v1/auth/me", token=access), 401, "unauthorized", self)
        assert_problem(self.client.post("/v1/auth/refresh", json={"refresh_token": refresh}),
                       401, "unauthorized", self)
        # ... while A's owner is untouched,
        self.assertEqual(self.client.get("/v1/members", token=self.owner).status, 200)
        # and a new login still works in the person's other org, not in A (suspended).
        login = self.client.post("/v1/auth/login", json={"email": person["email"],
                                                          "password": DEFAULT_PASSWORD})
        self.assertEqual(login.status, 200, login)
        fresh = login.json()["access_token"]
        self.assertEqual(self.client.get("/v1/members", token=fresh, org=b_org).status, 200)
        own = self.client.get("/v1/members", token=fresh, org=b_org).json()["items"]
        self.assertEqual([m["roles"] for m in own], [["owner"]])
        refused = self.client.get("/v1/members", token=fresh, org=self.a["org"]["id"])
        assert_problem(refused, 404, "not_found", self)
        meta = [e for e in self.client.get("/v1/audit?target_type=user&limit=100",
                                           token=self.owner).json()["items"]
                if e["target_id"] == linked["id"] and e["action"] == "scim.user_updated"]
        self.assertTrue(meta, "no scim.user_updated event")

    # -- Groups mapped to roles

    def test_groups_map_roles_okta_and_entra_forms(self) -> None:
        u1, u2 = self.new_user()["id"], self.new_user()["id"]
        self.assertEqual(self.roles_of(u1), ["member"])
        group = self.new_group("Admin", [u1, u2])
        gid = group["id"]
        self.assertEqual(sorted(m["value"] for m in group["members"]), sorted([u1, u2]))
        self.assertEqual(self.roles_of(u1), ["admin"])
        self.assertEqual(self.roles_of(u2), ["admin"])
        got = self.scim("GET", f"/Groups/{gid}")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json()["displayName"], "Admin")
        listed = self.scim("GET", "/Groups?filter=" + q('displayName eq "admin"')).json()
        self.assertEqual([g["id"] for g in listed["Resources"]], [gid])
        # Entra looks groups up without their members.
        slim = self.scim("GET", "/Groups?excludedAttributes=members&filter=" +
                         q('displayName eq "Admin"')).json()
        self.assertNotIn("members", slim["Resources"][0])
        self.assertEqual(slim["Resources"][0]["displayName"], "Admin")
        self.assertNotIn("members", self.scim("GET", f"/Groups/{gid}?excludedAttributes=members")
                         .json())
        by_member = self.scim("GET", "/Groups?filter=" + q(f'members[value eq "{u1}"]')).json()
        self.assertEqual([g["id"] for g in by_member["Resources"]], [gid])
        self.assert_scim_error(self.scim("GET", "/Groups?filter=" + q('owner eq "x"')), 400,
                               "invalidFilter")
        # Okta removes a member with a value filter in the path.
        r = self.scim("PATCH", f"/Groups/{gid}", patch_op(
            {"op": "remove", "path": f'members[value eq "{u1}"]'}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([m["value"] for m in r.json()["members"]], [u2])
        self.assertEqual(self.roles_of(u1), ["member"])
        self.assertEqual(self.roles_of(u2), ["admin"])
        # Entra adds and removes with a members path and a value array.
        r = self.scim("PATCH", f"/Groups/{gid}", patch_op(
            {"op": "Add", "path": "members", "value": [{"value": u1}]},
            {"op": "Remove", "path": "members", "value": [{"value": u2}]}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([m["value"] for m in r.json()["members"]], [u1])
        self.assertEqual(self.roles_of(u1), ["admin"])
        self.assertEqual(self.roles_of(u2), ["member"])
        # Okta renames with a no-path replace: the members' role follows the new name.
        r = self.scim("PATCH", f"/Groups/{gid}", patch_op(
            {"op": "replace", "value": {"id": gid, "displayName": "Billing"}}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.roles_of(u1), ["billing"])
        # A group that names no role grants nothing.
        other = self.new_group("Engineering", [u2])
        self.assertEqual(self.roles_of(u2), ["member"])
        # PUT replaces the member list.
        r = self.scim("PUT", f"/Groups/{gid}", {"schemas": [GROUP_URN], "displayName": "Billing",
                                                "members": [{"value": u2}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["ETag"], 'W/"5"')
        self.assertEqual(self.roles_of(u1), ["member"])
        self.assertEqual(self.roles_of(u2), ["billing"])
        # The owner in a group keeps owner when the group goes away.
        owner_id = self.a["user"]["id"]
        ro = self.new_group("readonly", [owner_id])
        self.assertEqual(self.roles_of(owner_id), ["owner", "readonly"])
        self.assertEqual(self.scim("DELETE", f"/Groups/{ro['id']}").status, 204)
        self.assertEqual(self.roles_of(owner_id), ["owner"])
        # A group can never grant owner.
        self.new_group("Owner", [u1])
        self.assertEqual(self.roles_of(u1), ["member"])
        # Errors: duplicate name, unknown member, bad patch, missing group.
        self.assert_scim_error(self.scim("POST", "/Groups", {"displayName": "billing"}), 409,
                               "uniqueness")
        self.assert_scim_error(self.scim("POST", "/Groups", {
            "displayName": "x-" + uuid.uuid4().hex, "members": [{"value": str(uuid.uuid4())}]}),
            400, "invalidValue")
        self.assert_scim_error(self.scim("POST", "/Groups", {"members": []}), 400, "invalidValue")
        self.assert_scim_error(self.scim("PATCH", f"/Groups/{gid}", patch_op(
            {"op": "remove", "path": f'members[value eq "{u1}"]'})), 400, "noTarget")
        self.assert_scim_error(self.scim("PATCH", f"/Groups/{gid}", patch_op(
            {"op": "replace", "path": "owner", "value": "x"})), 400, "invalidPath")
        self.assert_scim_error(self.scim("GET", f"/Groups/{uuid.uuid4()}"), 404)
        # Delete: the members lose the role it granted.
        self.assertEqual(self.scim("DELETE", f"/Groups/{gid}").status, 204)
        self.assert_scim_error(self.scim("GET", f"/Groups/{gid}"), 404)
        self.assertEqual(self.roles_of(u2), ["member"])
        self.assertEqual(self.scim("DELETE", f"/Groups/{other['id']}").status, 204)
        # Audit: every group change, and every role change it caused.
        actions = self.audit_actions("group", gid)
        self.assertEqual(actions.count("scim.group_created"), 1)
        self.assertEqual(actions.count("scim.group_updated"), 4)
        self.assertEqual(actions.count("scim.group_deleted"), 1)
        self.assertGreaterEqual(self.audit_actions("user", u1).count("member.role_changed"), 4)

    def test_deleting_a_user_drops_them_from_groups(self) -> None:
        u1, u2 = self.new_user()["id"], self.new_user()["id"]
        g = self.new_group("admin", [u1, u2])
        self.assertEqual(self.scim("DELETE", f"/Users/{u1}").status, 204)
        doc = self.scim("GET", f"/Groups/{g['id']}").json()
        self.assertEqual([m["value"] for m in doc["members"]], [u2])

    def test_other_orgs_token_cannot_touch_this_orgs_groups(self) -> None:
        u1 = self.new_user()["id"]
        group = self.new_group("admin", [u1])
        gid = group["id"]
        b = register(self.client)
        b_token = self.client.post("/v1/scim/token",
                                   token=b["tokens"]["access_token"]).json()["token"]
        self.assert_scim_error(self.scim("GET", f"/Groups/{gid}", token=b_token), 404)
        self.assert_scim_error(self.scim("PATCH", f"/Groups/{gid}", patch_op(
            {"op": "remove", "path": "members"}), token=b_token), 404)
        self.assert_scim_error(self.scim("PUT", f"/Groups/{gid}", {
            "displayName": "admin", "members": []}, token=b_token), 404)
        self.assert_scim_error(self.scim("DELETE", f"/Groups/{gid}", token=b_token), 404)
        self.assert_scim_error(self.scim("PATCH", f"/Users/{u1}", patch_op(
            {"op": "replace", "path": "active", "value": False}), token=b_token), 404)
        self.assertEqual(self.scim("GET", "/Groups", token=b_token).json()["totalResults"], 0)
        # B cannot pull A's user into its own groups either (A's user is not B's member).
        self.assert_scim_error(self.scim("POST", "/Groups", {
            "displayName": "admin", "members": [{"value": u1}]}, token=b_token), 400,
            "invalidValue")
        # A's data is unchanged.
        after = self.scim("GET", f"/Groups/{gid}")
        self.assertEqual(after.headers["ETag"], 'W/"1"')
        self.assertEqual([m["value"] for m in after.json()["members"]], [u1])
        self.assertTrue(self.scim("GET", f"/Users/{u1}").json()["active"])
        self.assertEqual(self.roles_of(u1), ["admin"])
        self.assertEqual(self.audit_actions("group", gid), ["scim.group_created"])


def sign(body: bytes) -> str:
    t = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class ScimPlanGateTest(E2ETestCase):
    """The default catalogue: only enterprise has `scim`. Plan changes arrive as signed billing
    webhooks."""

    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}

    def set_plan(self, org: str, plan: str, status: str = "active") -> None:
        now = int(time.time())
        event = {"id": f"evt_e2e_{uuid.uuid4().hex}", "object": "event",
                 "type": "customer.subscription.updated", "created": now,
                 "data": {"object": {
                     "id": f"sub_e2e_{org}", "object": "subscription",
                     "customer": f"cus_e2e_{org}", "status": status,
                     "cancel_at_period_end": False, "current_period_end": now + 86400,
                     "metadata": {"plan": plan, "org_id": org},
                     "items": {"object": "list", "data": [
                         {"id": "si_e2e", "price": {"id": f"price_e2e_{plan}"}}]}}}}
        body = json.dumps(event).encode()
        resp = self.client.post("/v1/billing/webhook", body=body, headers={
            "Content-Type": "application/json", "Stripe-Signature": sign(body)})
        self.assertEqual(resp.status, 200, resp)

    def test_free_plan_gets_402_and_downgrade_closes_the_scim_routes(self) -> None:
        a = register(self.client)
        owner = a["tokens"]["access_token"]
        assert_problem(self.client.post("/v1/scim/token", token=owner), 402,
                       "feature_not_in_plan", self)
        self.set_plan(a["org"]["id"], "enterprise")
        resp = self.client.post("/v1/scim/token", token=owner)
        self.assertEqual(resp.status, 201, resp)
        token = resp.json()["token"]
        skip_unless_route(self.client, "GET", "/scim/v2/ServiceProviderConfig", token=token)
        self.assertEqual(self.client.get("/scim/v2/Users", token=token).status, 200)
        self.assertEqual(self.client.get("/scim/v2/Groups", token=token).status, 200)
        # Downgraded: the token row stays, the routes answer 402 as SCIM errors.
        self.set_plan(a["org"]["id"], "pro")
        for path in ("/scim/v2/Users", "/scim/v2/Groups", "/scim/v2/ServiceProviderConfig"):
            resp = self.client.get(path, token=token)
            self.assertEqual(resp.status, 402, resp)
            self.assertEqual(resp.content_type, SCIM)
            self.assertEqual(resp.json()["status"], "402")
            self.assertIn(ERROR_URN, resp.json()["schemas"])
        resp = self.client.request("POST", "/scim/v2/Groups", body=json.dumps(
            {"displayName": "admin"}), headers={"Content-Type": SCIM}, token=token)
        self.assertEqual(resp.status, 402, resp)
        # Upgraded again, the same token works; a replaced token is 401.
        self.set_plan(a["org"]["id"], "enterprise")
        self.assertEqual(self.client.get("/scim/v2/Groups", token=token).status, 200)
        fresh = self.client.post("/v1/scim/token", token=owner).json()["token"]
        resp = self.client.get("/scim/v2/Groups", token=token)
        self.assertEqual(resp.status, 401, resp)
        self.assertEqual(resp.json()["status"], "401")
        self.assertEqual(self.client.get("/scim/v2/Groups", token=fresh).status, 200)


if __name__ == "__main__":
    unittest.main()
