# SPDX-License-Identifier: Apache-2.0
"""/v1/auth end to end: register, login, refresh rotation with reuse detection, logout, cookie
sessions with CSRF, me, switch-org, sessions, password forgot/reset/change, login throttling,
JWKS, and forged access tokens (alg none, bad signature, expired)."""

from __future__ import annotations

import base64
import http.client
import json as jsonlib
import sqlite3
import time
import uuid
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import (DEFAULT_PASSWORD, Client, E2ETestCase, Response, assert_problem, eventually,
                     register, unique_email)

NEW_PASSWORD = "a brand new passphrase 77"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, payload, sig = token.split(".")
    return jsonlib.loads(b64url_decode(head)), jsonlib.loads(b64url_decode(payload)), sig


def forge(header: dict[str, Any], claims: dict[str, Any], signature: str) -> str:
    return ".".join([b64url(jsonlib.dumps(header).encode()),
                     b64url(jsonlib.dumps(claims).encode()), signature])


def login(client: Client, email: str, password: str = DEFAULT_PASSWORD,
          headers: dict[str, str] | None = None) -> Response:
    return client.post("/v1/auth/login", json={"email": email, "password": password},
                       headers=headers)


def field_names(doc: dict[str, Any]) -> set[str]:
    return {e["field"] for e in doc.get("errors", [])}


def audit_rows(server: Any, org_id: str) -> list[tuple[str, str, str, str]]:
    """(action, actor_id, target_id, metadata_json) of an org's audit log, oldest first, read
    from the database (the audit API needs a paid plan)."""
    sql = ("SELECT action, actor_id, target_id, metadata_json FROM audit_events "
           "WHERE org_id = '{}' ORDER BY seq")
    if server.database is not None:
        out = server.database.query(sql.format(org_id))
        return [tuple(line.split("|", 3)) for line in out.splitlines() if line]
    with sqlite3.connect(server.database_url.removeprefix("sqlite:"), timeout=10) as db:
        return list(db.execute(sql.replace("'{}'", "?"), (org_id,)))


class AuthTestCase(E2ETestCase):
    """A server whose login throttle never trips (every test client is 127.0.0.1)."""

    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_LOGIN_MAX_ATTEMPTS": "1000"}

    def me(self, token: str) -> Response:
        return self.client.get("/v1/auth/me", token=token)


class RegisterLoginTest(AuthTestCase):
    def test_register_answers_tokens_cookies_and_no_store(self) -> None:
        email = unique_email("reg")
        acct = register(self.client, email=email, name="Ada")
        doc = acct["response"].json()
        self.assertEqual(doc["user"]["email"], email)
        self.assertEqual(doc["user"]["name"], "Ada")
        self.assertEqual(doc["org"]["plan"], "free")
        self.assertIsInstance(doc["expires_in"], int)
        self.assertTrue(doc["refresh_token"].startswith("rt_"))
        cookies = acct["response"].cookies()
        self.assertEqual(cookies["tk_session"].value, doc["access_token"])
        self.assertTrue(cookies["tk_session"]["httponly"])
        self.assertEqual(cookies["tk_refresh"]["path"], "/v1/auth")
        self.assertTrue(cookies["tk_refresh"]["httponly"])
        self.assertFalse(cookies["tk_csrf"]["httponly"])
        self.assertIn("no-store", acct["response"].headers["Cache-Control"])

    def test_register_rejects_bad_input_and_duplicates(self) -> None:
        email = unique_email("dup")
        register(self.client, email=email)
        dup = self.client.post("/v1/auth/register", json={
            "email": email.upper(), "password": DEFAULT_PASSWORD, "org_name": "Other"})
        assert_problem(dup, 409, "conflict", self)
        bad = self.client.post("/v1/auth/register", json={"email": "nope", "password": "x"})
        doc = assert_problem(bad, 422, "validation_failed", self)
        self.assertTrue({"email", "password", "org_name"} <= field_names(doc), doc)
        weak = self.client.post("/v1/auth/register", json={
            "email": unique_email(), "password": "password123", "org_name": "W"})
        self.assertIn("password", field_names(assert_problem(weak, 422, "validation_failed", self)))
        malformed = self.client.post("/v1/auth/register", body=b"{not json",
                                     headers={"Content-Type": "application/json"})
        assert_problem(malformed, 400, "bad_request", self)

    def test_login_has_one_generic_401(self) -> None:
        acct = register(self.client)
        ok = login(self.client, acct["email"].upper())
        self.assertEqual(ok.status, 200, ok)
        self.assertEqual(ok.json()["user"]["id"], acct["user"]["id"])
        self.assertEqual(ok.json()["org"]["id"], acct["org"]["id"])
        wrong = assert_problem(login(self.client, acct["email"], "wrong password 123"), 401,
                               "unauthorized", self)
        unknown = assert_problem(login(self.client, unique_email("ghost")), 401,
                                 "unauthorized", self)
        self.assertEqual(wrong["detail"], unknown["detail"])

    def test_me_lists_user_memberships_active_org_and_permissions(self) -> None:
        acct = register(self.client, name="Grace")
        doc = self.me(acct["tokens"]["access_token"]).json()
        self.assertEqual(doc["user"], {"id": acct["user"]["id"], "email": acct["email"],
                                       "name": "Grace"})
        self.assertEqual(doc["active_org_id"], acct["org"]["id"])
        self.assertEqual(doc["memberships"], [{"org_id": acct["org"]["id"],
                                               "org_name": acct["org"]["name"],
                                               "roles": ["owner"]}])
        self.assertIn("org:delete", doc["permissions"])
        self.assertIn("members:write", doc["permissions"])
        assert_problem(self.client.get("/v1/auth/me"), 401, "unauthorized", self)


class RefreshLogoutTest(AuthTestCase):
    def refresh(self, token: str) -> Response:
        return self.client.post("/v1/auth/refresh", json={"refresh_token": token})

    def test_rotation_kills_old_tokens_and_reuse_revokes_the_family(self) -> None:
        acct = register(self.client)
        r1 = acct["tokens"]["refresh_token"]
        first = self.refresh(r1)
        self.assertEqual(first.status, 200, first)
        r2 = first.json()["refresh_token"]
        self.assertNotEqual(r1, r2)
        second = self.refresh(r2)
        self.assertEqual(second.status, 200, second)
        r3 = second.json()["refresh_token"]
        access = second.json()["access_token"]
        self.assertEqual(self.me(access).status, 200)
        # r1 is dead (its successor was used too): presenting it is a replay.
        assert_problem(self.refresh(r1), 401, "unauthorized", self)
        # ... which revoked the whole family: the newest token and the session's access tokens.
        assert_problem(self.refresh(r3), 401, "unauthorized", self)
        assert_problem(self.me(access), 401, "unauthorized", self)
        # Other sessions of the same user are untouched.
        again = login(self.client, acct["email"])
        self.assertEqual(again.status, 200, again)
        self.assertEqual(self.refresh(again.json()["refresh_token"]).status, 200)

    def test_immediate_replay_is_refused_and_kills_the_successor(self) -> None:
        # Single use with no grace window: presenting r1 again right after its rotation is a
        # replay (401) that revokes the family, r2 included.
        acct = register(self.client)
        r1 = acct["tokens"]["refresh_token"]
        first = self.refresh(r1)
        self.assertEqual(first.status, 200, first)
        r2 = first.json()["refresh_token"]
        access = first.json()["access_token"]
        assert_problem(self.refresh(r1), 401, "unauthorized", self)
        assert_problem(self.refresh(r2), 401, "unauthorized", self)
        assert_problem(self.me(access), 401, "unauthorized", self)

    def test_refresh_needs_a_token(self) -> None:
        assert_problem(self.client.post("/v1/auth/refresh", json={}), 401, "unauthorized", self)
        assert_problem(self.refresh("rt_" + "A" * 43), 401, "unauthorized", self)

    def test_refresh_from_cookie(self) -> None:
        browser = self.server.client(keep_cookies=True)
        register(browser)
        res = browser.post("/v1/auth/refresh", headers={"X-CSRF-Token": browser.csrf_token or ""})
        self.assertEqual(res.status, 200, res)
        self.assertEqual(browser.jar["tk_session"][0], res.json()["access_token"])
        self.assertEqual(browser.jar["tk_refresh"][0], res.json()["refresh_token"])

    def test_refresh_from_cookie_needs_csrf(self) -> None:
        browser = self.server.client(keep_cookies=True)
        register(browser)
        cookie_token = browser.jar["tk_refresh"][0]
        # Without the header, or with a wrong one: 403, and the token is not rotated.
        assert_problem(browser.post("/v1/auth/refresh"), 403, "forbidden", self)
        assert_problem(browser.post("/v1/auth/refresh", headers={"X-CSRF-Token": "wrong"}),
                       403, "forbidden", self)
        assert_problem(browser.post("/v1/auth/refresh", headers={"X-CSRF-Token": ""}),
                       403, "forbidden", self)
        self.assertEqual(browser.jar["tk_refresh"][0], cookie_token)
        # The cookie's token still works (a rotation would have made this a replay: 401).
        res = browser.post("/v1/auth/refresh", headers={"X-CSRF-Token": browser.csrf_token or ""})
        self.assertEqual(res.status, 200, res)
        self.assertNotEqual(res.json()["refresh_token"], cookie_token)
        # A token in the body needs no CSRF header, even with the cookies present.
        body = browser.post("/v1/auth/refresh",
                            json={"refresh_token": res.json()["refresh_token"]})
        self.assertEqual(body.status, 200, body)

    def test_logout_ends_the_session(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        out = self.client.post("/v1/auth/logout", token=token)
        self.assertEqual(out.status, 204, out)
        assert_problem(self.me(token), 401, "unauthorized", self)
        assert_problem(self.refresh(acct["tokens"]["refresh_token"]), 401, "unauthorized", self)
        assert_problem(self.client.post("/v1/auth/logout", token=token), 401, "unauthorized", self)


class CookieSessionTest(AuthTestCase):
    def test_cookie_auth_and_csrf(self) -> None:
        browser = self.server.client(keep_cookies=True)
        acct = register(browser)
        me = browser.get("/v1/auth/me")
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json()["user"]["id"], acct["user"]["id"])
        body = {"name": "Cookie Org"}
        assert_problem(browser.post("/v1/orgs", json=body), 403, "forbidden", self)
        assert_problem(browser.post("/v1/orgs", json=body, headers={"X-CSRF-Token": "wrong"}),
                       403, "forbidden", self)
        created = browser.post("/v1/orgs", json=body,
                               headers={"X-CSRF-Token": browser.csrf_token or ""})
        self.assertEqual(created.status, 201, created)
        # Logout by cookie also needs the CSRF header; then the cookie no longer works.
        assert_problem(browser.post("/v1/auth/logout"), 403, "forbidden", self)
        session = browser.jar["tk_session"][0]
        out = browser.post("/v1/auth/logout", headers={"X-CSRF-Token": browser.csrf_token or ""})
        self.assertEqual(out.status, 204, out)
        self.assertNotIn("tk_session", browser.jar)
        gone = self.client.get("/v1/auth/me", cookies={"tk_session": session})
        assert_problem(gone, 401, "unauthorized", self)

    def test_bearer_requests_need_no_csrf(self) -> None:
        acct = register(self.client)
        res = self.client.post("/v1/orgs", json={"name": "Bearer Org"},
                               token=acct["tokens"]["access_token"])
        self.assertEqual(res.status, 201, res)


class ForgedTokenTest(AuthTestCase):
    def test_alg_none_bad_signature_and_expired_tokens_are_401(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        header, claims, sig = jwt_parts(token)
        self.assertEqual(header["alg"], "EdDSA")
        self.assertEqual(claims["sub"], acct["user"]["id"])
        self.assertEqual(claims["org"], acct["org"]["id"])
        self.assertIn("sid", claims)
        forged = {
            "alg none": forge({"alg": "none", "typ": "JWT"}, claims, ""),
            "alg None, signature kept": forge({**header, "alg": "None"}, claims, sig),
            "HS256 with the public key": forge({**header, "alg": "HS256"}, claims, sig),
            "another user": forge(header, {**claims, "sub": str(uuid.uuid4())}, sig),
            # An expired token: with the real signature it would be refused for `exp`; the
            # edited payload breaks the signature as well, and both must give 401.
            "expired": forge(header, {**claims, "exp": int(time.time()) - 3600,
                                      "iat": int(time.time()) - 7200}, sig),
            "garbage": "not.a.jwt",
        }
        for what, bad in forged.items():
            with self.subTest(what):
                assert_problem(self.me(bad), 401, "unauthorized", self)
        self.assertEqual(self.me(token).status, 200)

    def test_jwks_publishes_the_signing_key(self) -> None:
        acct = register(self.client)
        header, _, _ = jwt_parts(acct["tokens"]["access_token"])
        res = self.client.get("/.well-known/jwks.json")
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.content_type, "application/json")
        self.assertIn("max-age=300", res.headers["Cache-Control"])
        keys = res.json()["keys"]
        kids = {k["kid"]: k for k in keys}
        self.assertIn(header["kid"], kids)
        key = kids[header["kid"]]
        self.assertEqual((key["kty"], key["crv"], key["alg"]), ("OKP", "Ed25519", "EdDSA"))
        self.assertEqual(len(b64url_decode(key["x"])), 32)
        self.assertNotIn("d", key)


class SwitchOrgTest(AuthTestCase):
    def test_refresh_keeps_the_active_org(self) -> None:
        # A refresh that names no org issues tokens for the org the session was last in.
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        org_a = acct["org"]["id"]
        second = self.client.post("/v1/orgs", json={"name": "Second"}, token=token)
        self.assertEqual(second.status, 201, second)
        org_b = second.json()["id"]
        res = self.client.post("/v1/auth/switch-org", json={"org_id": org_b}, token=token)
        self.assertEqual(res.status, 200, res)

        def refresh(rt: str, **body: str) -> dict:
            got = self.client.post("/v1/auth/refresh", json={"refresh_token": rt, **body})
            self.assertEqual(got.status, 200, got)
            return got.json()

        first = refresh(acct["tokens"]["refresh_token"])
        self.assertEqual(first["org"]["id"], org_b)
        self.assertEqual(jwt_parts(first["access_token"])[1]["org"], org_b)
        # Naming an org moves the session there, and the next refresh stays.
        back = refresh(first["refresh_token"], org_id=org_a)
        self.assertEqual(back["org"]["id"], org_a)
        self.assertEqual(refresh(back["refresh_token"])["org"]["id"], org_a)

    def test_switch_to_own_org_keeps_the_session(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        second = self.client.post("/v1/orgs", json={"name": "Second"}, token=token)
        self.assertEqual(second.status, 201, second)
        org_b = second.json()["id"]
        res = self.client.post("/v1/auth/switch-org", json={"org_id": org_b}, token=token)
        self.assertEqual(res.status, 200, res)
        doc = res.json()
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertIsInstance(doc["expires_in"], int)
        self.assertEqual(doc["org"]["id"], org_b)
        self.assertEqual(doc["org"]["roles"], ["owner"])
        self.assertNotIn("refresh_token", doc)
        self.assertEqual(res.cookies()["tk_session"].value, doc["access_token"])
        switched = doc["access_token"]
        _, claims, _ = jwt_parts(switched)
        _, old_claims, _ = jwt_parts(token)
        self.assertEqual(claims["org"], org_b)
        self.assertEqual(claims["sid"], old_claims["sid"])
        self.assertEqual(self.me(switched).json()["active_org_id"], org_b)
        # The org-scoped routes now act in org B without X-Org-Id.
        keys = self.client.post("/v1/api-keys", json={"name": "k"}, token=switched)
        self.assertEqual(keys.status, 201, keys)
        listed = self.client.get("/v1/api-keys", token=switched, org=org_b).json()["items"]
        self.assertEqual([k["id"] for k in listed], [keys.json()["id"]])
        # Same session: logging out with the new token ends the old one too.
        self.assertEqual(self.client.post("/v1/auth/logout", token=switched).status, 204)
        assert_problem(self.me(token), 401, "unauthorized", self)

    def test_another_users_org_unknown_and_malformed_ids_are_404(self) -> None:
        alice = register(self.client)
        bob = register(self.client)
        token = alice["tokens"]["access_token"]
        for org_id in (bob["org"]["id"], str(uuid.uuid4()), "not-an-id"):
            with self.subTest(org_id=org_id):
                res = self.client.post("/v1/auth/switch-org", json={"org_id": org_id},
                                       token=token)
                assert_problem(res, 404, "not_found", self)
        missing = self.client.post("/v1/auth/switch-org", json={}, token=token)
        self.assertIn("org_id", field_names(assert_problem(missing, 422, "validation_failed",
                                                            self)))
        assert_problem(self.client.post("/v1/auth/switch-org", json={"org_id": alice["org"]["id"]}),
                       401, "unauthorized", self)
        self.assertEqual(self.me(bob["tokens"]["access_token"]).json()["active_org_id"],
                         bob["org"]["id"])

    def test_api_keys_cannot_switch(self) -> None:
        acct = register(self.client)
        key = self.client.post("/v1/api-keys", json={"name": "k"},
                               token=acct["tokens"]["access_token"]).json()["secret"]
        res = self.client.post("/v1/auth/switch-org", json={"org_id": acct["org"]["id"]},
                               api_key=key)
        assert_problem(res, 403, "forbidden", self)


class SessionsTest(AuthTestCase):
    def test_list_and_revoke_own_sessions(self) -> None:
        acct = register(self.client)
        first = acct["tokens"]["access_token"]
        other = login(self.client, acct["email"], headers={"User-Agent": "e2e-phone/1.0"})
        self.assertEqual(other.status, 200, other)
        other_token = other.json()["access_token"]
        res = self.client.get("/v1/auth/sessions", token=first)
        self.assertEqual(res.status, 200, res)
        doc = res.json()
        self.assertIsNone(doc["next_cursor"])
        self.assertEqual(len(doc["items"]), 2)
        for item in doc["items"]:
            self.assertTrue({"id", "user_agent", "ip", "created_at", "last_seen_at", "current"}
                            <= item.keys(), item)
            self.assertEqual(item["ip"], "127.0.0.1")
        current = [s for s in doc["items"] if s["current"]]
        self.assertEqual(len(current), 1)
        self.assertEqual(current[0]["id"], jwt_parts(first)[1]["sid"])
        phone = [s for s in doc["items"] if not s["current"]][0]
        self.assertEqual(phone["user_agent"], "e2e-phone/1.0")
        self.assertEqual(phone["id"], jwt_parts(other_token)[1]["sid"])

        gone = self.client.delete(f"/v1/auth/sessions/{phone['id']}", token=first)
        self.assertEqual(gone.status, 204, gone)
        assert_problem(self.me(other_token), 401, "unauthorized", self)
        assert_problem(self.client.post("/v1/auth/refresh",
                                        json={"refresh_token": other.json()["refresh_token"]}),
                       401, "unauthorized", self)
        items = self.client.get("/v1/auth/sessions", token=first).json()["items"]
        self.assertEqual([s["id"] for s in items], [current[0]["id"]])
        # Revoking the current session is a logout.
        self.assertEqual(self.client.delete(f"/v1/auth/sessions/{current[0]['id']}",
                                            token=first).status, 204)
        assert_problem(self.me(first), 401, "unauthorized", self)

    def test_another_users_session_is_404_and_keeps_working(self) -> None:
        alice = register(self.client)
        bob = register(self.client)
        bob_sid = jwt_parts(bob["tokens"]["access_token"])[1]["sid"]
        token = alice["tokens"]["access_token"]
        for sid in (bob_sid, str(uuid.uuid4()), "nope"):
            with self.subTest(sid=sid):
                assert_problem(self.client.delete(f"/v1/auth/sessions/{sid}", token=token), 404,
                               "not_found", self)
        self.assertEqual(self.me(bob["tokens"]["access_token"]).status, 200)
        bob_items = self.client.get("/v1/auth/sessions",
                                    token=bob["tokens"]["access_token"]).json()["items"]
        self.assertEqual([s["id"] for s in bob_items], [bob_sid])
        assert_problem(self.client.get("/v1/auth/sessions"), 401, "unauthorized", self)


class PasswordResetTest(AuthTestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        # info: the mailer's log line is written, so the test can check it omits the token.
        return {**super().server_env(), "TK_LOG_LEVEL": "info"}

    def forgot(self, email: str) -> Response:
        return self.client.post("/v1/auth/password/forgot", json={"email": email})

    def reset_messages(self, email: str, count: int = 1) -> list[dict[str, Any]]:
        """The reset messages to `email`, once there are `count` (the mail goes out after the
        202, on a background thread)."""
        return eventually(lambda: [m for m in self.server.outbox()
                                   if m["kind"] == "password_reset" and m["to"] == email],
                          lambda found: len(found) >= count, timeout=10.0)

    def reset(self, token: str, password: str = NEW_PASSWORD) -> Response:
        return self.client.post("/v1/auth/password/reset",
                                json={"token": token, "new_password": password})

    def test_forgot_reset_flow(self) -> None:
        acct = register(self.client)
        email = acct["email"]
        other = login(self.client, email).json()
        res = self.forgot(email.upper())
        self.assertEqual(res.status, 202, res)
        self.assertEqual(res.body, b"")
        messages = self.reset_messages(email)
        self.assertEqual(len(messages), 1)
        msg = messages[0]
        token = msg["token"]
        self.assertTrue(token.startswith("ott_"), msg)
        self.assertTrue(msg["link"].endswith("/reset-password?token=" + token), msg)
        self.assertNotIn(token, msg["text"])
        self.assertNotIn(token, msg["subject"])
        self.assertTrue(msg["id"] and msg["created_at"])
        log = eventually(self.server.log_text, lambda text: msg["id"] in text)
        self.assertIn(msg["id"], log)  # the mailer logged the message...
        self.assertNotIn(token, log)  # ...without its token

        weak = self.reset(token, "password123")
        self.assertIn("new_password",
                      field_names(assert_problem(weak, 422, "validation_failed", self)))
        assert_problem(self.reset("ott_" + "x" * 43), 404, "not_found", self)
        assert_problem(self.reset("garbage"), 404, "not_found", self)

        done = self.reset(token)  # the rejected password did not use the token up
        self.assertEqual(done.status, 204, done)
        # Every session of the user ended: access and refresh tokens.
        for access in (acct["tokens"]["access_token"], other["access_token"]):
            assert_problem(self.me(access), 401, "unauthorized", self)
        assert_problem(self.client.post("/v1/auth/refresh",
                                        json={"refresh_token": other["refresh_token"]}),
                       401, "unauthorized", self)
        assert_problem(login(self.client, email), 401, "unauthorized", self)
        self.assertEqual(login(self.client, email, NEW_PASSWORD).status, 200)
        resets = [r for r in audit_rows(self.server, acct["org"]["id"])
                  if r[0] == "auth.password_reset"]
        self.assertEqual(len(resets), 1)
        self.assertEqual(resets[0][1:3], (acct["user"]["id"], acct["user"]["id"]))
        self.assertEqual(jsonlib.loads(resets[0][3]), {"sessions_revoked": 2})
        # Single use.
        assert_problem(self.reset(token, "yet another passphrase 9"), 410, "gone", self)
        self.assertEqual(login(self.client, email, NEW_PASSWORD).status, 200)

    def test_forgot_is_202_for_unknown_accounts_and_sends_nothing(self) -> None:
        acct = register(self.client)
        before = len(self.server.outbox())
        ghost = unique_email("ghost")
        res = self.forgot(ghost)
        self.assertEqual(res.status, 202, res)
        self.assertEqual(res.body, b"")
        # Mail goes out in request order on one background thread: once the known account's
        # message is there, a message to the ghost would be too.
        self.assertEqual(self.forgot(acct["email"]).status, 202)
        self.assertEqual(len(self.reset_messages(acct["email"])), 1)
        self.assertEqual(len(self.server.outbox()), before + 1)
        self.assertFalse([m for m in self.server.outbox() if m["to"] == ghost])
        # An anonymous request owns no Idempotency-Key record: two strangers sending the same
        # key with other bodies both get 202 (a shared record would answer the second 409).
        for email in ("first-" + ghost, "second-" + ghost):
            same_key = self.client.post("/v1/auth/password/forgot", json={"email": email},
                                        headers={"Idempotency-Key": "shared-by-strangers"})
            self.assertEqual(same_key.status, 202, same_key)
        bad = self.client.post("/v1/auth/password/forgot", json={"email": 42})
        self.assertIn("email", field_names(assert_problem(bad, 422, "validation_failed", self)))
        missing = self.client.post("/v1/auth/password/reset", json={})
        doc = assert_problem(missing, 422, "validation_failed", self)
        self.assertEqual({"token", "new_password"}, field_names(doc))


class PasswordChangeTest(AuthTestCase):
    def change(self, token: str, current: str, new: str) -> Response:
        return self.client.post("/v1/auth/password/change", token=token,
                                json={"current_password": current, "new_password": new})

    def test_change_password(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        other = login(self.client, acct["email"]).json()

        wrong = self.change(token, "not my password 1", NEW_PASSWORD)
        self.assertEqual(field_names(assert_problem(wrong, 422, "validation_failed", self)),
                         {"current_password"})
        weak = self.change(token, DEFAULT_PASSWORD, "short")
        self.assertEqual(field_names(assert_problem(weak, 422, "validation_failed", self)),
                         {"new_password"})
        same = self.change(token, DEFAULT_PASSWORD, DEFAULT_PASSWORD)
        self.assertEqual(field_names(assert_problem(same, 422, "validation_failed", self)),
                         {"new_password"})
        both = self.change(token, "not my password 1", acct["email"])
        self.assertEqual(field_names(assert_problem(both, 422, "validation_failed", self)),
                         {"current_password", "new_password"})
        assert_problem(self.change("", DEFAULT_PASSWORD, NEW_PASSWORD), 401, "unauthorized", self)

        ok = self.change(token, DEFAULT_PASSWORD, NEW_PASSWORD)
        self.assertEqual(ok.status, 204, ok)
        # This session stays; the other one is signed out.
        self.assertEqual(self.me(token).status, 200)
        assert_problem(self.me(other["access_token"]), 401, "unauthorized", self)
        assert_problem(login(self.client, acct["email"]), 401, "unauthorized", self)
        self.assertEqual(login(self.client, acct["email"], NEW_PASSWORD).status, 200)
        changes = [r for r in audit_rows(self.server, acct["org"]["id"])
                   if r[0] == "auth.password_changed"]
        self.assertEqual(len(changes), 1)
        self.assertEqual(changes[0][1:3], (acct["user"]["id"], acct["user"]["id"]))
        self.assertEqual(jsonlib.loads(changes[0][3]), {"sessions_revoked": 1})

    def test_idempotent_replay(self) -> None:
        acct = register(self.client)
        token = acct["tokens"]["access_token"]
        body = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.client.post("/v1/auth/password/change", json=body, token=token, headers=key)
        self.assertEqual(first.status, 204, first)
        replay = self.client.post("/v1/auth/password/change", json=body, token=token, headers=key)
        self.assertEqual(replay.status, 204, replay)
        self.assertEqual(replay.headers["Idempotent-Replayed"], "true")
        other = self.client.post("/v1/auth/password/change", token=token, headers=key,
                                 json={**body, "new_password": "different passphrase 3"})
        assert_problem(other, 409, "conflict", self)


def post_from(server: Any, source_ip: str, path: str, body: dict[str, Any]) -> Response:
    """A request from another loopback address (the throttle keys on the peer address)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=15,
                                      source_address=(source_ip, 0))
    try:
        conn.request("POST", path, body=jsonlib.dumps(body),
                     headers={"Content-Type": "application/json"})
        raw = conn.getresponse()
        return Response(raw.status, raw.headers, raw.read())
    finally:
        conn.close()


class LoginThrottleTest(E2ETestCase):
    """API.md "Login throttling": failures count per IP and per email in a sliding window; after
    TK_LOGIN_MAX_ATTEMPTS failures the next attempt, right or wrong, is 429 with Retry-After."""

    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_LOGIN_MAX_ATTEMPTS": "3", "TK_LOGIN_WINDOW_SECONDS": "60"}

    def login_from(self, ip: str, email: str, password: str = DEFAULT_PASSWORD) -> Response:
        return post_from(self.server, ip, "/v1/auth/login", {"email": email, "password": password})

    def register_from(self, ip: str) -> str:
        email = unique_email("throttle")
        res = post_from(self.server, ip, "/v1/auth/register",
                        {"email": email, "password": DEFAULT_PASSWORD, "org_name": "T"})
        self.assertEqual(res.status, 201, res)
        return email

    def assert_throttled(self, res: Response) -> None:
        assert_problem(res, 429, "rate_limited", self)
        retry = int(res.headers["Retry-After"])
        self.assertGreater(retry, 0)
        self.assertLessEqual(retry, 60)

    def test_per_ip(self) -> None:
        ip = "127.0.0.21"
        victim = self.register_from(ip)
        bystander = self.register_from(ip)
        for _ in range(3):
            assert_problem(self.login_from(ip, victim, "wrong password 000"), 401,
                           "unauthorized", self)
        self.assert_throttled(self.login_from(ip, victim))  # even with the right password
        self.assert_throttled(self.login_from(ip, bystander))  # another email, same IP
        fresh = self.register_from("127.0.0.22")
        self.assertEqual(self.login_from("127.0.0.22", fresh).status, 200)

    def test_per_email(self) -> None:
        victim = self.register_from("127.0.0.31")
        for ip in ("127.0.0.32", "127.0.0.33", "127.0.0.34"):
            assert_problem(self.login_from(ip, victim, "wrong password 000"), 401,
                           "unauthorized", self)
        # Three IPs with one failure each: no IP is throttled, the email is.
        self.assert_throttled(self.login_from("127.0.0.35", victim))
        other = self.register_from("127.0.0.32")
        self.assertEqual(self.login_from("127.0.0.32", other).status, 200)

    def test_wrong_current_password_counts(self) -> None:
        ip = "127.0.0.41"
        email = self.register_from(ip)
        token = self.login_from(ip, email).json()["access_token"]
        body = {"current_password": "wrong password 000", "new_password": NEW_PASSWORD}
        client = self.server.client()
        for _ in range(3):
            res = client.post("/v1/auth/password/change", json=body, token=token)
            assert_problem(res, 422, "validation_failed", self)
        res = client.post("/v1/auth/password/change", token=token,
                          json={**body, "current_password": DEFAULT_PASSWORD})
        self.assert_throttled(res)
        self.assert_throttled(self.login_from("127.0.0.42", email))

    def test_forgot_is_throttled_per_ip_and_email_without_locking_login(self) -> None:
        ip = "127.0.0.51"
        email = self.register_from(ip)
        outbox = self.server.outbox
        for _ in range(3):
            res = post_from(self.server, ip, "/v1/auth/password/forgot", {"email": email})
            self.assertEqual(res.status, 202, res)
        self.assert_throttled(post_from(self.server, ip, "/v1/auth/password/forgot",
                                        {"email": email}))
        # Per IP, for an unknown email too (the answer says nothing about accounts) ...
        self.assert_throttled(post_from(self.server, ip, "/v1/auth/password/forgot",
                                        {"email": unique_email("ghost")}))
        # ... and per email, from another IP.
        self.assert_throttled(post_from(self.server, "127.0.0.52", "/v1/auth/password/forgot",
                                        {"email": email}))
        mails = eventually(lambda: [m for m in outbox() if m["to"] == email],
                           lambda found: len(found) >= 3, timeout=10.0)
        self.assertEqual(len(mails), 3)
        # Reset requests are not login failures.
        self.assertEqual(self.login_from(ip, email).status, 200)
