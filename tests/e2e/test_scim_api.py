# SPDX-License-Identifier: Apache-2.0
"""/scim/v2 end to end (RFC 7643/7644) over the org's SCIM token: Users list/filter/paging,
create, get, replace, patch (active:false suspends the membership), delete, discovery, RFC 7644
error bodies, token replacement, and isolation between two orgs' tokens. Skips while the routes
are not served."""

from __future__ import annotations

import json
import os
import tempfile
import unittest
import uuid

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, register, skip_unless_route

SCIM = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def entitled_plans_file() -> str:
    fd, path = tempfile.mkstemp(prefix="tk-e2e-plans-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump({"plans": [{"id": "free", "limits": {"api_calls": 1000, "seats": 20,
                                                       "workspaces": 3, "ai_tokens": 10000},
                              "features": ["audit_log", "scim"]}]}, f)
    return path


class ScimApiTest(E2ETestCase):
    plans_file = ""

    @classmethod
    def server_env(cls) -> dict[str, str]:
        cls.plans_file = entitled_plans_file()
        return {"TK_PLANS_FILE": cls.plans_file}

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        if cls.plans_file:
            os.unlink(cls.plans_file)

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


if __name__ == "__main__":
    unittest.main()
