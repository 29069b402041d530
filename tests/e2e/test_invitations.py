# SPDX-License-Identifier: Apache-2.0
"""POST/GET /v1/invitations, DELETE /v1/invitations/{id}, POST /v1/invitations/accept: the mail
in the outbox, the seat limit of the free plan (members + pending invitations), the grant rules
for the invited role, the accept flow (404 unknown, 410 used or revoked, email must match), and
org B's invitations out of org A's reach."""

from __future__ import annotations

import urllib.parse
import uuid

from harness import setUpModule  # noqa: F401 - skips the module on an unavailable flavour
from harness import E2ETestCase, assert_problem, register, unique_email
from members_support import (accept, audited, invitation_message, invite, join, members, org_of,
                             token_of)


class InvitationsTest(E2ETestCase):
    def setUp(self) -> None:
        self.owner = register(self.client)
        self.org = org_of(self.owner)

    def pending(self, user=None, org=None) -> list[dict]:
        resp = self.client.get("/v1/invitations", token=token_of(user or self.owner),
                               org=org or self.org)
        self.assertEqual(resp.status, 200, resp)
        self.assertIsNone(resp.json()["next_cursor"])
        return resp.json()["items"]

    # -- POST /v1/invitations

    def test_create_sends_the_token_by_mail_only(self) -> None:
        email = unique_email("Invitee").upper()
        resp = invite(self.client, self.owner, self.org, email, "admin")
        self.assertEqual(resp.status, 201, resp)
        doc = resp.json()
        self.assertEqual(doc["email"], email.lower())
        self.assertEqual(doc["role"], "admin")
        self.assertEqual(doc["invited_by"], self.owner["user"]["id"])
        for key in ("id", "created_at", "expires_at"):
            self.assertIn(key, doc)
        self.assertGreater(doc["expires_at"], doc["created_at"])
        self.assertNotIn("token", doc)
        self.assertNotIn("token_hash", doc)
        mail = invitation_message(self.server, email.lower())
        self.assertEqual(mail["org_id"], self.org)
        self.assertTrue(mail["token"])
        self.assertNotIn(mail["token"], mail["text"])
        link = urllib.parse.urlsplit(mail["link"])
        self.assertEqual(link.path, "/accept-invite")
        self.assertEqual(urllib.parse.parse_qs(link.query)["token"], [mail["token"]])
        self.assertNotIn(mail["token"], self.server.log_text())
        self.assertEqual([i["id"] for i in self.pending()], [doc["id"]])
        (entry,) = audited(self.server, self.org, "invitation.created")
        self.assertEqual(entry["target_id"], doc["id"])
        self.assertEqual(entry["metadata"], {"email": email.lower(), "role": "admin"})

    def test_create_validation_and_conflicts(self) -> None:
        for body in ({}, {"email": "not-an-email", "role": "member"},
                     {"email": unique_email(), "role": "wizard"},
                     {"email": unique_email(), "role": 7}):
            resp = self.client.post("/v1/invitations", json=body, token=token_of(self.owner),
                                    org=self.org)
            assert_problem(resp, 422, "validation_failed", self)
        email = unique_email()
        self.assertEqual(invite(self.client, self.owner, self.org, email).status, 201)
        assert_problem(invite(self.client, self.owner, self.org, email), 409, "conflict", self)
        # The owner is already a member.
        assert_problem(invite(self.client, self.owner, self.org, self.owner["email"]), 409,
                       "conflict", self)
        assert_problem(self.client.post("/v1/invitations", json={"email": unique_email(),
                                                                 "role": "member"}),
                       401, "unauthorized", self)

    def test_seat_limit_of_the_free_plan(self) -> None:
        # free: 3 seats = the owner + 2 pending invitations; the third is refused.
        first = invite(self.client, self.owner, self.org, unique_email())
        self.assertEqual(first.status, 201, first)
        self.assertEqual(invite(self.client, self.owner, self.org, unique_email()).status, 201)
        assert_problem(invite(self.client, self.owner, self.org, unique_email()), 402,
                       "seat_limit_reached", self)
        # Revoking an invitation frees its seat.
        gone = self.client.delete(f"/v1/invitations/{first.json()['id']}",
                                  token=token_of(self.owner), org=self.org)
        self.assertEqual(gone.status, 204, gone)
        self.assertEqual(invite(self.client, self.owner, self.org, unique_email()).status, 201)
        self.assertEqual(len(self.pending()), 2)

    def test_only_roles_the_inviter_could_grant(self) -> None:
        member = join(self.server, self.client, self.owner, self.org)
        assert_problem(invite(self.client, member, self.org, unique_email()), 403, "forbidden",
                       self)
        assert_problem(self.client.get("/v1/invitations", token=token_of(member), org=self.org),
                       403, "forbidden", self)
        admin = join(self.server, self.client, self.owner, self.org, role="admin")
        assert_problem(invite(self.client, admin, self.org, unique_email(), "owner"), 403,
                       "forbidden", self)
        self.assertEqual(self.pending(), [])

    # -- POST /v1/invitations/accept

    def test_accept_joins_with_the_invited_role_once(self) -> None:
        email = unique_email()
        created = invite(self.client, self.owner, self.org, email, "billing")
        self.assertEqual(created.status, 201, created)
        token = invitation_message(self.server, email)["token"]
        user = register(self.client, email=email)
        resp = accept(self.client, user, token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["org_id"], self.org)
        self.assertEqual(resp.json()["roles"], ["billing"])
        self.assertEqual(members(self.client, self.owner, self.org)[user["user"]["id"]]["roles"],
                         ["billing"])
        me = self.client.get("/v1/auth/me", token=token_of(user)).json()
        self.assertIn(self.org, [m["org_id"] for m in me["memberships"]])
        self.assertEqual(self.pending(), [])
        # Used: 410, even for the same user.
        assert_problem(accept(self.client, user, token), 410, "gone", self)
        (entry,) = audited(self.server, self.org, "invitation.accepted")
        self.assertEqual(entry["target_id"], created.json()["id"])
        self.assertEqual(entry["actor_id"], user["user"]["id"])

    def test_accept_errors(self) -> None:
        user = register(self.client)
        assert_problem(accept(self.client, user, "ott_" + "A" * 43), 404, "not_found", self)
        assert_problem(accept(self.client, user, "garbage"), 404, "not_found", self)
        assert_problem(self.client.post("/v1/invitations/accept", json={},
                                        token=token_of(user)), 422, "validation_failed", self)
        assert_problem(self.client.post("/v1/invitations/accept", json={"token": "x"}), 401,
                       "unauthorized", self)

    def test_revoked_invitation_is_gone(self) -> None:
        email = unique_email()
        created = invite(self.client, self.owner, self.org, email)
        token = invitation_message(self.server, email)["token"]
        inv_id = created.json()["id"]
        resp = self.client.delete(f"/v1/invitations/{inv_id}", token=token_of(self.owner),
                                  org=self.org)
        self.assertEqual(resp.status, 204, resp)
        user = register(self.client, email=email)
        assert_problem(accept(self.client, user, token), 410, "gone", self)
        self.assertNotIn(user["user"]["id"], members(self.client, self.owner, self.org))
        # Revoking again: already closed.
        assert_problem(self.client.delete(f"/v1/invitations/{inv_id}",
                                          token=token_of(self.owner), org=self.org),
                       410, "gone", self)
        (entry,) = audited(self.server, self.org, "invitation.revoked")
        self.assertEqual(entry["target_id"], inv_id)

    def test_invitation_admits_only_its_own_address(self) -> None:
        email = unique_email()
        invite(self.client, self.owner, self.org, email)
        token = invitation_message(self.server, email)["token"]
        intruder = register(self.client)
        assert_problem(accept(self.client, intruder, token), 403, "forbidden", self)
        self.assertNotIn(intruder["user"]["id"], members(self.client, self.owner, self.org))
        # The right person still can.
        invitee = register(self.client, email=email)
        self.assertEqual(accept(self.client, invitee, token).status, 200)

    def test_accept_rechecks_seats(self) -> None:
        # Two members and one pending invitation fill the 3 seats; the pending one may still
        # join (its seat is reserved).
        email = unique_email()
        self.assertEqual(invite(self.client, self.owner, self.org, email).status, 201)
        join(self.server, self.client, self.owner, self.org)
        assert_problem(invite(self.client, self.owner, self.org, unique_email()), 402,
                       "seat_limit_reached", self)
        user = register(self.client, email=email)
        resp = accept(self.client, user, invitation_message(self.server, email)["token"])
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(len(members(self.client, self.owner, self.org)), 3)

    # -- DELETE /v1/invitations/{id}

    def test_revoke_errors(self) -> None:
        assert_problem(self.client.delete(f"/v1/invitations/{uuid.uuid4()}",
                                          token=token_of(self.owner), org=self.org),
                       404, "not_found", self)
        assert_problem(self.client.delete("/v1/invitations/nope", token=token_of(self.owner),
                                          org=self.org), 404, "not_found", self)
        created = invite(self.client, self.owner, self.org, unique_email())
        member = join(self.server, self.client, self.owner, self.org)
        assert_problem(self.client.delete(f"/v1/invitations/{created.json()['id']}",
                                          token=token_of(member), org=self.org),
                       403, "forbidden", self)
        self.assertEqual(len(self.pending()), 1)

    def test_idempotent_create(self) -> None:
        headers = {"Idempotency-Key": f"inv-{uuid.uuid4().hex}"}
        email = unique_email()
        first = invite(self.client, self.owner, self.org, email, headers=headers)
        again = invite(self.client, self.owner, self.org, email, headers=headers)
        self.assertEqual(first.status, 201, first)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json(), first.json())
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(len(self.pending()), 1)

    # -- Cross-tenant

    def test_org_a_cannot_touch_org_b_invitations(self) -> None:
        b_owner = register(self.client)
        b_org = org_of(b_owner)
        b_email = unique_email()
        b_inv = invite(self.client, b_owner, b_org, b_email).json()["id"]
        # B's invitation id in A's org, and B's org in X-Org-Id.
        for org in (self.org, b_org):
            assert_problem(self.client.delete(f"/v1/invitations/{b_inv}",
                                              token=token_of(self.owner), org=org),
                           404, "not_found", self)
        assert_problem(self.client.get("/v1/invitations", token=token_of(self.owner), org=b_org),
                       404, "not_found", self)
        assert_problem(invite(self.client, self.owner, b_org, unique_email()), 404, "not_found",
                       self)
        self.assertNotIn(b_inv, [i["id"] for i in self.pending()])
        self.assertEqual([i["id"] for i in self.pending(b_owner, b_org)], [b_inv])
        self.assertEqual(audited(self.server, b_org, "invitation.revoked"), [])
        # The token still works for its invitee, and joins B only.
        invitee = register(self.client, email=b_email)
        resp = accept(self.client, invitee, invitation_message(self.server, b_email)["token"])
        self.assertEqual(resp.json()["org_id"], b_org)
        self.assertNotIn(invitee["user"]["id"], members(self.client, self.owner, self.org))
