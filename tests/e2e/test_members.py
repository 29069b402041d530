# SPDX-License-Identifier: Apache-2.0
"""GET /v1/members, PATCH and DELETE /v1/members/{user_id}: listing, role changes under the grant
rules (no escalation, only owners touch `owner`, the last owner stays), removal and leaving, and
org B's members out of org A's reach."""

from __future__ import annotations

import json
import uuid

from harness import setUpModule  # noqa: F401 - skips the module on an unavailable flavour
from harness import E2ETestCase, assert_problem, register
from members_support import audited, join, members, org_of, set_plan, token_of


class MembersTest(E2ETestCase):
    def setUp(self) -> None:
        self.owner = register(self.client, name="Olive Owner")
        self.org = org_of(self.owner)

    def patch(self, actor, user_id, body, org=None, **kw):
        return self.client.patch(f"/v1/members/{user_id}", json=body, token=token_of(actor),
                                 org=org or self.org, **kw)

    def delete(self, actor, user_id, org=None):
        return self.client.delete(f"/v1/members/{user_id}", token=token_of(actor),
                                  org=org or self.org)

    # -- GET /v1/members

    def test_list_shows_the_owner_with_every_field(self) -> None:
        resp = self.client.get("/v1/members", token=token_of(self.owner), org=self.org)
        self.assertEqual(resp.status, 200, resp)
        doc = resp.json()
        self.assertIsNone(doc["next_cursor"])
        (me,) = doc["items"]
        self.assertEqual(me["user_id"], self.owner["user"]["id"])
        self.assertEqual(me["email"], self.owner["email"])
        self.assertEqual(me["name"], "Olive Owner")
        self.assertEqual(me["roles"], ["owner"])
        self.assertEqual(me["role"], "owner")
        self.assertTrue(me["active"])
        self.assertRegex(me["joined_at"], r"^\d{4}-\d\d-\d\dT")

    def test_list_pages_with_a_cursor(self) -> None:
        joined = join(self.server, self.client, self.owner, self.org)
        first = self.client.get("/v1/members?limit=1", token=token_of(self.owner), org=self.org)
        self.assertEqual(first.status, 200, first)
        self.assertEqual(len(first.json()["items"]), 1)
        cursor = first.json()["next_cursor"]
        self.assertIsNotNone(cursor)
        second = self.client.get(f"/v1/members?limit=1&cursor={cursor}",
                                 token=token_of(self.owner), org=self.org)
        ids = {first.json()["items"][0]["user_id"], second.json()["items"][0]["user_id"]}
        self.assertEqual(ids, {self.owner["user"]["id"], joined["user"]["id"]})

    def test_list_errors(self) -> None:
        assert_problem(self.client.get("/v1/members"), 401, "unauthorized", self)
        assert_problem(self.client.get("/v1/members?limit=0", token=token_of(self.owner),
                                       org=self.org), 422, "validation_failed", self)
        # A readonly member reads members; an org the caller is not in is 404.
        reader = join(self.server, self.client, self.owner, self.org, role="viewer")
        self.assertIn(reader["user"]["id"], members(self.client, reader, self.org))
        stranger = register(self.client)
        assert_problem(self.client.get("/v1/members", token=token_of(stranger), org=self.org),
                       404, "not_found", self)

    def test_api_key_needs_the_members_read_scope(self) -> None:
        key = self.client.post("/v1/api-keys", json={"name": "ci"}, token=token_of(self.owner),
                               org=self.org)
        self.assertEqual(key.status, 201, key)
        assert_problem(self.client.get("/v1/members", api_key=key.json()["secret"]),
                       403, "forbidden", self)

    # -- PATCH /v1/members/{user_id}

    def test_owner_changes_roles_and_it_is_audited(self) -> None:
        m = join(self.server, self.client, self.owner, self.org)
        uid = m["user"]["id"]
        resp = self.patch(self.owner, uid, {"role": "admin"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["roles"], ["admin"])
        self.assertEqual(resp.json()["role"], "admin")
        self.assertEqual(resp.json()["email"], m["email"])
        resp = self.patch(self.owner, uid, {"roles": ["billing", "viewer", "readonly"]})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["roles"], ["billing", "readonly"])  # alias resolved, deduped
        self.assertEqual(members(self.client, self.owner, self.org)[uid]["roles"],
                         ["billing", "readonly"])
        changes = audited(self.server, self.org, "member.role_changed")
        self.assertEqual(len(changes), 2)
        self.assertEqual(changes[0]["target_id"], uid)
        self.assertEqual(changes[0]["actor_id"], self.owner["user"]["id"])
        self.assertEqual(changes[0]["metadata"], {"before": ["member"], "after": ["admin"]})
        # The new role applies to the member's next request.
        me = self.client.get("/v1/auth/me", token=token_of(m), org=self.org).json()
        self.assertIn({"org_id": self.org, "org_name": self.owner["org"]["name"],
                       "roles": ["billing", "readonly"]}, me["memberships"])

    def test_body_errors(self) -> None:
        m = join(self.server, self.client, self.owner, self.org)
        uid = m["user"]["id"]
        assert_problem(self.patch(self.owner, uid, {}), 422, "validation_failed", self)
        assert_problem(self.patch(self.owner, uid, {"roles": []}), 422, "validation_failed", self)
        doc = assert_problem(self.patch(self.owner, uid, {"role": "superuser"}), 422,
                             "validation_failed", self)
        self.assertEqual(doc["errors"][0]["field"], "role")
        assert_problem(self.patch(self.owner, uid, {"roles": "admin"}), 422, "validation_failed",
                       self)
        resp = self.client.patch(f"/v1/members/{uid}", body="{not json",
                                 token=token_of(self.owner), org=self.org,
                                 headers={"Content-Type": "application/json"})
        assert_problem(resp, 400, "bad_request", self)

    def test_member_cannot_change_roles(self) -> None:
        a = join(self.server, self.client, self.owner, self.org)
        b = join(self.server, self.client, self.owner, self.org)
        assert_problem(self.patch(a, b["user"]["id"], {"role": "readonly"}), 403, "forbidden",
                       self)
        assert_problem(self.patch(a, a["user"]["id"], {"role": "admin"}), 403, "forbidden", self)
        self.assertEqual(members(self.client, self.owner, self.org)[b["user"]["id"]]["roles"],
                         ["member"])

    def test_admin_cannot_make_or_unmake_an_owner(self) -> None:
        admin = join(self.server, self.client, self.owner, self.org, role="admin")
        m = join(self.server, self.client, self.owner, self.org)
        assert_problem(self.patch(admin, m["user"]["id"], {"role": "owner"}), 403, "forbidden",
                       self)
        assert_problem(self.patch(admin, admin["user"]["id"], {"role": "owner"}), 403,
                       "forbidden", self)
        assert_problem(self.patch(admin, self.owner["user"]["id"], {"role": "member"}), 403,
                       "forbidden", self)
        # An admin may change a member's non-owner roles.
        self.assertEqual(self.patch(admin, m["user"]["id"], {"role": "billing"}).status, 200)
        roles = {k: v["roles"] for k, v in members(self.client, self.owner, self.org).items()}
        self.assertEqual(roles[self.owner["user"]["id"]], ["owner"])
        self.assertEqual(roles[m["user"]["id"]], ["billing"])

    def test_last_owner_cannot_be_demoted_but_one_of_two_can(self) -> None:
        me = self.owner["user"]["id"]
        assert_problem(self.patch(self.owner, me, {"role": "admin"}), 409, "conflict", self)
        other = join(self.server, self.client, self.owner, self.org, role="owner")
        resp = self.patch(self.owner, me, {"role": "admin"})
        self.assertEqual(resp.status, 200, resp)
        assert_problem(self.patch(other, other["user"]["id"], {"role": "member"}), 409,
                       "conflict", self)

    def test_unknown_or_malformed_member_is_404(self) -> None:
        assert_problem(self.patch(self.owner, str(uuid.uuid4()), {"role": "admin"}), 404,
                       "not_found", self)
        assert_problem(self.patch(self.owner, "not-an-id", {"role": "admin"}), 404, "not_found",
                       self)
        assert_problem(self.delete(self.owner, str(uuid.uuid4())), 404, "not_found", self)

    def test_idempotency_key_replays_a_role_change(self) -> None:
        m = join(self.server, self.client, self.owner, self.org)
        headers = {"Idempotency-Key": f"role-{uuid.uuid4().hex}"}
        first = self.patch(self.owner, m["user"]["id"], {"role": "admin"}, headers=headers)
        again = self.patch(self.owner, m["user"]["id"], {"role": "admin"}, headers=headers)
        self.assertEqual(first.status, 200, first)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(again.json(), first.json())
        assert_problem(self.patch(self.owner, m["user"]["id"], {"role": "billing"},
                                  headers=headers), 409, "conflict", self)
        self.assertEqual(len(audited(self.server, self.org, "member.role_changed")), 1)

    # -- DELETE /v1/members/{user_id}

    def test_owner_removes_a_member_who_loses_access(self) -> None:
        m = join(self.server, self.client, self.owner, self.org)
        uid = m["user"]["id"]
        resp = self.delete(self.owner, uid)
        self.assertEqual(resp.status, 204, resp)
        self.assertNotIn(uid, members(self.client, self.owner, self.org))
        assert_problem(self.client.get("/v1/members", token=token_of(m), org=self.org), 404,
                       "not_found", self)
        # Their session still works in their own org.
        self.assertEqual(self.client.get("/v1/auth/me", token=token_of(m)).status, 200)
        assert_problem(self.delete(self.owner, uid), 404, "not_found", self)
        (entry,) = audited(self.server, self.org, "member.removed")
        self.assertEqual(entry["target_id"], uid)
        self.assertEqual(entry["metadata"]["roles"], ["member"])
        self.assertFalse(entry["metadata"]["left"])

    def test_removing_a_member_revokes_their_api_keys(self) -> None:
        admin = join(self.server, self.client, self.owner, self.org, role="admin")
        key = self.client.post("/v1/api-keys", json={"name": "theirs"}, token=token_of(admin),
                               org=self.org)
        self.assertEqual(key.status, 201, key)
        secret = key.json()["secret"]
        self.assertEqual(self.client.get("/v1/data", api_key=secret).status, 200)
        self.assertEqual(self.delete(self.owner, admin["user"]["id"]).status, 204)
        assert_problem(self.client.get("/v1/data", api_key=secret), 401, "unauthorized", self)
        (entry,) = audited(self.server, self.org, "member.removed")
        self.assertEqual(entry["metadata"]["api_keys_revoked"], 1)

    def test_member_may_leave_but_not_remove_others(self) -> None:
        a = join(self.server, self.client, self.owner, self.org)
        b = join(self.server, self.client, self.owner, self.org)
        assert_problem(self.delete(a, b["user"]["id"]), 403, "forbidden", self)
        self.assertEqual(self.delete(a, a["user"]["id"]).status, 204)
        remaining = members(self.client, self.owner, self.org)
        self.assertNotIn(a["user"]["id"], remaining)
        self.assertIn(b["user"]["id"], remaining)
        (entry,) = audited(self.server, self.org, "member.removed")
        self.assertTrue(entry["metadata"]["left"])

    def test_admin_cannot_remove_an_owner(self) -> None:
        admin = join(self.server, self.client, self.owner, self.org, role="admin")
        assert_problem(self.delete(admin, self.owner["user"]["id"]), 403, "forbidden", self)
        self.assertIn(self.owner["user"]["id"], members(self.client, self.owner, self.org))

    def test_last_owner_cannot_leave(self) -> None:
        assert_problem(self.delete(self.owner, self.owner["user"]["id"]), 409, "conflict", self)
        second = join(self.server, self.client, self.owner, self.org, role="owner")
        self.assertEqual(self.delete(self.owner, self.owner["user"]["id"]).status, 204)
        assert_problem(self.delete(second, second["user"]["id"]), 409, "conflict", self)

    def suspend(self, user_id: str) -> None:
        """Suspends ``user_id``'s membership of self.org through SCIM (PATCH active:false), the
        way an identity provider does. Needs the `scim` feature (enterprise)."""
        scim = self.client.post("/v1/scim/token", token=token_of(self.owner), org=self.org)
        self.assertEqual(scim.status, 201, scim)
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": False}}]}
        resp = self.client.request("PATCH", f"/scim/v2/Users/{user_id}", body=json.dumps(body),
                                   headers={"Content-Type": "application/scim+json"},
                                   token=scim.json()["token"])
        self.assertEqual(resp.status, 200, resp)
        self.assertFalse(members(self.client, self.owner, self.org)[user_id]["active"])

    def test_a_suspended_owner_does_not_let_the_last_active_owner_leave(self) -> None:
        # Storage keeps an org with at least one ACTIVE owner; the handler's check counts the same
        # way, so the refusal comes before anything changed (the leaver's API keys stay).
        set_plan(self.server, self.org, "enterprise")  # SCIM; before any tenant-scoped request
        second = join(self.server, self.client, self.owner, self.org, role="owner")
        key = self.client.post("/v1/api-keys", json={"name": "mine"}, token=token_of(self.owner),
                               org=self.org)
        self.assertEqual(key.status, 201, key)
        secret = key.json()["secret"]
        self.suspend(second["user"]["id"])
        me = self.owner["user"]["id"]
        assert_problem(self.delete(self.owner, me), 409, "conflict", self)
        self.assertEqual(self.client.get("/v1/data", api_key=secret).status, 200)
        self.assertIn(me, members(self.client, self.owner, self.org))
        self.assertEqual(audited(self.server, self.org, "member.removed"), [])
        # Demoting oneself is refused alike; removing the suspended owner is not (storage lets an
        # inactive owner go whenever an active one stays).
        assert_problem(self.patch(self.owner, me, {"role": "admin"}), 409, "conflict", self)
        self.assertEqual(self.delete(self.owner, second["user"]["id"]).status, 204)
        self.assertEqual(list(members(self.client, self.owner, self.org)), [me])
        self.assertEqual(self.client.get("/v1/data", api_key=secret).status, 200)

    # -- Cross-tenant

    def test_org_a_cannot_touch_org_b_members(self) -> None:
        b_owner = register(self.client)
        b_org = org_of(b_owner)
        b_member = join(self.server, self.client, b_owner, b_org)
        b_before = members(self.client, b_owner, b_org)
        for target in (b_member["user"]["id"], b_owner["user"]["id"]):
            # B's ids in the path, in A's org.
            assert_problem(self.patch(self.owner, target, {"role": "admin"}), 404, "not_found",
                           self)
            assert_problem(self.delete(self.owner, target), 404, "not_found", self)
            # B's org in X-Org-Id: A's owner is not a member of B.
            assert_problem(self.patch(self.owner, target, {"role": "admin"}, org=b_org), 404,
                           "not_found", self)
            assert_problem(self.delete(self.owner, target, org=b_org), 404, "not_found", self)
        assert_problem(self.client.get("/v1/members", token=token_of(self.owner), org=b_org),
                       404, "not_found", self)
        self.assertEqual(members(self.client, b_owner, b_org), b_before)
        self.assertEqual(audited(self.server, b_org, "member.role_changed"), [])
        self.assertEqual(audited(self.server, b_org, "member.removed"), [])
