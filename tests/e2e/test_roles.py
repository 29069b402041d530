# SPDX-License-Identifier: Apache-2.0
"""GET/POST /v1/roles, PATCH/DELETE /v1/roles/{name}: the built-in roles, custom roles behind the
`custom_roles` feature (402 on free; enterprise set in the subscriptions table), name clashes,
escalation, roles in use, and org B's roles out of org A's reach."""

from __future__ import annotations

import uuid

from harness import setUpModule  # noqa: F401 - skips the module on an unavailable flavour
from harness import E2ETestCase, assert_problem, register, unique_email
from members_support import (accept, audited, invitation_message, invite, join, members, org_of,
                             set_plan, token_of)

BUILTINS = ["owner", "admin", "member", "billing", "readonly"]


class RolesTest(E2ETestCase):
    def enterprise_owner(self) -> dict:
        owner = register(self.client)
        set_plan(self.server, org_of(owner), "enterprise")  # before any tenant-scoped request
        return owner

    def roles(self, user, org) -> dict[str, dict]:
        resp = self.client.get("/v1/roles", token=token_of(user), org=org)
        self.assertEqual(resp.status, 200, resp)
        self.assertIsNone(resp.json()["next_cursor"])
        return {r["name"]: r for r in resp.json()["items"]}

    def create(self, user, org, body, **kw):
        return self.client.post("/v1/roles", json=body, token=token_of(user), org=org, **kw)

    # -- GET /v1/roles

    def test_builtin_roles_are_listed_for_any_member(self) -> None:
        owner = register(self.client)
        org = org_of(owner)
        member = join(self.server, self.client, owner, org)
        resp = self.client.get("/v1/roles", token=token_of(member), org=org)
        self.assertEqual(resp.status, 200, resp)
        items = resp.json()["items"]
        self.assertEqual([r["name"] for r in items], BUILTINS)
        by_name = {r["name"]: r for r in items}
        for r in items:
            self.assertTrue(r["builtin"])
            self.assertTrue(r["description"])
            self.assertEqual(r["deny"], [])
            self.assertEqual(r["inherits"], [])
        self.assertIn("org:delete", by_name["owner"]["permissions"])
        self.assertNotIn("org:delete", by_name["admin"]["permissions"])
        self.assertEqual(sorted(by_name["member"]["permissions"]),
                         sorted(["members:read", "workspaces:read", "workspaces:write",
                                 "data:read", "usage:read", "usage:write"]))
        self.assertNotIn("audit:read", by_name["readonly"]["permissions"])
        self.assertTrue(all(p.endswith(":read") for p in by_name["readonly"]["permissions"]))
        assert_problem(self.client.get("/v1/roles"), 401, "unauthorized", self)
        assert_problem(self.client.get("/v1/roles", token=token_of(register(self.client)),
                                       org=org), 404, "not_found", self)

    def test_an_api_key_lists_roles_only_with_the_roles_read_scope(self) -> None:
        # Users: any member (API.md). Keys act only with their scopes: roles:read.
        owner = self.enterprise_owner()  # api_key_scopes
        org = org_of(owner)

        def key(body):
            resp = self.client.post("/v1/api-keys", json=body, token=token_of(owner), org=org)
            self.assertEqual(resp.status, 201, resp)
            return resp.json()["secret"]

        default = key({"name": "default scopes"})
        assert_problem(self.client.get("/v1/roles", api_key=default), 403, "forbidden", self)
        reader = key({"name": "reader", "scopes": ["roles:read"]})
        resp = self.client.get("/v1/roles", api_key=reader)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual([r["name"] for r in resp.json()["items"]], BUILTINS)

    def test_data_is_for_every_member_and_for_keys_with_data_read(self) -> None:
        # API.md: GET /v1/data is for "API key with data:read or user": a billing member (whose
        # role lacks data:read) gets it; a key needs the scope.
        owner = self.enterprise_owner()  # api_key_scopes
        org = org_of(owner)
        biller = join(self.server, self.client, owner, org, "billing")
        resp = self.client.get("/v1/data", token=token_of(biller), org=org)
        self.assertEqual(resp.status, 200, resp)
        made = self.client.post("/v1/api-keys", json={"name": "no data", "scopes": ["usage:read"]},
                                token=token_of(owner), org=org)
        self.assertEqual(made.status, 201, made)
        assert_problem(self.client.get("/v1/data", api_key=made.json()["secret"]), 403,
                       "forbidden", self)

    # -- plan gate and permission order

    def test_custom_roles_need_the_enterprise_feature(self) -> None:
        owner = register(self.client)  # free
        org = org_of(owner)
        body = {"name": "support", "permissions": ["members:read"]}
        assert_problem(self.create(owner, org, body), 402, "feature_not_in_plan", self)
        member = join(self.server, self.client, owner, org)
        assert_problem(self.create(member, org, body), 403, "forbidden", self)  # 403 before 402
        # Built-in roles are immutable on every plan; unknown names are 404.
        assert_problem(self.client.patch("/v1/roles/admin", json={"permissions": []},
                                         token=token_of(owner), org=org), 409, "conflict", self)
        assert_problem(self.client.delete("/v1/roles/owner", token=token_of(owner), org=org),
                       409, "conflict", self)
        assert_problem(self.client.delete("/v1/roles/viewer", token=token_of(owner), org=org),
                       409, "conflict", self)
        assert_problem(self.client.patch("/v1/roles/nope", json={}, token=token_of(owner),
                                         org=org), 404, "not_found", self)
        assert_problem(self.client.delete("/v1/roles/admin", token=token_of(member), org=org),
                       403, "forbidden", self)
        self.assertEqual(list(self.roles(owner, org)), BUILTINS)

    # -- POST /v1/roles

    def test_create_a_custom_role_and_grant_it(self) -> None:
        owner = self.enterprise_owner()
        org = org_of(owner)
        resp = self.create(owner, org, {"name": "support", "description": "Helps customers",
                                        "permissions": ["members:read", "usage:*"],
                                        "deny": ["usage:write"], "inherits": ["readonly"]})
        self.assertEqual(resp.status, 201, resp)
        role = resp.json()
        self.assertEqual(role["name"], "support")
        self.assertFalse(role["builtin"])
        self.assertEqual(role["description"], "Helps customers")
        self.assertEqual(role["allow"], ["members:read", "usage:*"])
        self.assertEqual(role["deny"], ["usage:write"])
        self.assertEqual(role["inherits"], ["readonly"])
        self.assertIn("usage:read", role["permissions"])
        self.assertIn("billing:read", role["permissions"])  # from readonly
        self.assertNotIn("usage:write", role["permissions"])
        listed = self.roles(owner, org)
        self.assertEqual(list(listed)[:5], BUILTINS)
        self.assertEqual(listed["support"], role)
        (entry,) = audited(self.server, org, "role.created")
        self.assertEqual(entry["target_id"], "support")
        self.assertEqual(entry["metadata"]["after"]["permissions"], ["members:read", "usage:*"])
        # Granted to a member, it takes effect.
        m = join(self.server, self.client, owner, org)
        resp = self.client.patch(f"/v1/members/{m['user']['id']}", json={"role": "support"},
                                 token=token_of(owner), org=org)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.client.get("/v1/members", token=token_of(m), org=org).status, 200)
        assert_problem(self.client.post("/v1/invitations",
                                        json={"email": unique_email(), "role": "member"},
                                        token=token_of(m), org=org), 403, "forbidden", self)
        # And one can be invited to it.
        email = unique_email()
        self.assertEqual(invite(self.client, owner, org, email, "support").status, 201)
        user = register(self.client, email=email)
        resp = accept(self.client, user, invitation_message(self.server, email)["token"])
        self.assertEqual(resp.json()["roles"], ["support"])

    def test_create_errors(self) -> None:
        owner = self.enterprise_owner()
        org = org_of(owner)
        self.assertEqual(self.create(owner, org, {"name": "ops", "permissions": []}).status, 201)
        for name in ("admin", "viewer", "ops"):
            assert_problem(self.create(owner, org, {"name": name, "permissions": []}), 409,
                           "conflict", self)
        for body in ({"name": "x"},
                     {"name": "bad name!", "permissions": []},
                     {"name": "y", "permissions": ["nosuch:thing"]},
                     {"name": "y", "permissions": "members:read"},
                     {"name": "y", "permissions": [], "inherits": ["ghost"]},
                     {"name": "y", "permissions": [], "inherits": ["owner"]}):
            assert_problem(self.create(owner, org, body), 422, "validation_failed", self)
        self.assertNotIn("y", self.roles(owner, org))

    def test_no_escalation_through_a_role(self) -> None:
        owner = self.enterprise_owner()
        org = org_of(owner)
        admin = join(self.server, self.client, owner, org, role="admin")
        assert_problem(self.create(admin, org, {"name": "deleter", "permissions": ["org:delete"]}),
                       403, "forbidden", self)
        assert_problem(self.create(admin, org, {"name": "deleter", "permissions": [],
                                                "inherits": ["owner"]}), 422,
                       "validation_failed", self)
        # A role the owner made with org:delete cannot be edited or deleted by the admin.
        self.assertEqual(self.create(owner, org, {"name": "closer",
                                                  "permissions": ["org:delete"]}).status, 201)
        assert_problem(self.client.patch("/v1/roles/closer", json={"permissions": []},
                                         token=token_of(admin), org=org), 403, "forbidden", self)
        assert_problem(self.client.delete("/v1/roles/closer", token=token_of(admin), org=org),
                       403, "forbidden", self)
        # But the admin may make a role within their own permissions.
        self.assertEqual(self.create(admin, org, {"name": "helper",
                                                  "permissions": ["members:*"]}).status, 201)

    # -- PATCH / DELETE /v1/roles/{name}

    def test_update_and_delete_a_role(self) -> None:
        owner = self.enterprise_owner()
        org = org_of(owner)
        self.create(owner, org, {"name": "auditor", "permissions": ["audit:read"]})
        resp = self.client.patch("/v1/roles/auditor",
                                 json={"permissions": ["audit:read", "members:read"],
                                       "description": "Reads the log"},
                                 token=token_of(owner), org=org)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(sorted(resp.json()["permissions"]), ["audit:read", "members:read"])
        self.assertEqual(resp.json()["description"], "Reads the log")
        assert_problem(self.client.patch("/v1/roles/auditor", json={"permissions": ["no:such"]},
                                         token=token_of(owner), org=org),
                       422, "validation_failed", self)
        (entry,) = audited(self.server, org, "role.updated")
        self.assertEqual(entry["metadata"]["before"]["permissions"], ["audit:read"])
        self.assertEqual(entry["metadata"]["after"]["permissions"], ["audit:read", "members:read"])
        resp = self.client.delete("/v1/roles/auditor", token=token_of(owner), org=org)
        self.assertEqual(resp.status, 204, resp)
        self.assertNotIn("auditor", self.roles(owner, org))
        assert_problem(self.client.delete("/v1/roles/auditor", token=token_of(owner), org=org),
                       404, "not_found", self)
        self.assertEqual(len(audited(self.server, org, "role.deleted")), 1)

    def test_a_role_in_use_cannot_be_deleted(self) -> None:
        owner = self.enterprise_owner()
        org = org_of(owner)
        self.create(owner, org, {"name": "base", "permissions": ["data:read"]})
        self.create(owner, org, {"name": "derived", "permissions": [], "inherits": ["base"]})
        assert_problem(self.client.delete("/v1/roles/base", token=token_of(owner), org=org),
                       409, "conflict", self)
        self.assertEqual(self.client.delete("/v1/roles/derived", token=token_of(owner),
                                            org=org).status, 204)
        # Held by a member.
        m = join(self.server, self.client, owner, org, role="base")
        assert_problem(self.client.delete("/v1/roles/base", token=token_of(owner), org=org),
                       409, "conflict", self)
        self.client.patch(f"/v1/members/{m['user']['id']}", json={"role": "member"},
                          token=token_of(owner), org=org)
        # Offered by a pending invitation.
        inv = invite(self.client, owner, org, unique_email(), "base").json()
        assert_problem(self.client.delete("/v1/roles/base", token=token_of(owner), org=org),
                       409, "conflict", self)
        self.client.delete(f"/v1/invitations/{inv['id']}", token=token_of(owner), org=org)
        self.assertEqual(self.client.delete("/v1/roles/base", token=token_of(owner),
                                            org=org).status, 204)
        self.assertEqual(members(self.client, owner, org)[m["user"]["id"]]["roles"], ["member"])

    # -- Cross-tenant

    def test_org_a_cannot_touch_org_b_roles(self) -> None:
        a_owner = self.enterprise_owner()
        a_org = org_of(a_owner)
        b_owner = self.enterprise_owner()
        b_org = org_of(b_owner)
        created = self.create(b_owner, b_org, {"name": f"b-{uuid.uuid4().hex[:6]}",
                                               "permissions": ["data:read"]})
        self.assertEqual(created.status, 201, created)
        name = created.json()["name"]
        for org in (a_org, b_org):
            assert_problem(self.client.patch(f"/v1/roles/{name}", json={"permissions": ["*"]},
                                             token=token_of(a_owner), org=org),
                           404, "not_found", self)
            assert_problem(self.client.delete(f"/v1/roles/{name}", token=token_of(a_owner),
                                              org=org), 404, "not_found", self)
        assert_problem(self.create(a_owner, b_org, {"name": "x", "permissions": []}), 404,
                       "not_found", self)
        assert_problem(self.client.get("/v1/roles", token=token_of(a_owner), org=b_org), 404,
                       "not_found", self)
        self.assertNotIn(name, self.roles(a_owner, a_org))
        # A's member cannot be given B's role.
        m = join(self.server, self.client, a_owner, a_org)
        assert_problem(self.client.patch(f"/v1/members/{m['user']['id']}", json={"role": name},
                                         token=token_of(a_owner), org=a_org),
                       422, "validation_failed", self)
        self.assertEqual(self.roles(b_owner, b_org)[name], created.json())
        self.assertEqual(audited(self.server, b_org, "role.updated"), [])
        self.assertEqual(audited(self.server, b_org, "role.deleted"), [])
