# SPDX-License-Identifier: Apache-2.0
"""The harness itself: cookie jar, raw response parsing, the PostgreSQL role model, and two
instances on one database (what the multi-instance tests build on)."""

from __future__ import annotations

import os
import unittest
from email.message import Message

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import (APP_ROLE, Client, PgDatabase, RedisDb, Response, Server, _with_database,
                     backend_default, parse_raw_response, psql, split_raw_responses)


def _response(status: int, cookies: list[str]) -> Response:
    headers = Message()
    for c in cookies:
        headers["Set-Cookie"] = c
    return Response(status, headers, b"")


class CookieJarTest(unittest.TestCase):
    def test_keeps_sends_by_path_and_expires(self) -> None:
        client = Client("http://127.0.0.1:1", keep_cookies=True)
        client._store_cookies(_response(200, [
            "tk_session=abc; Path=/; HttpOnly; SameSite=Lax",
            "tk_refresh=r1; Path=/v1/auth; HttpOnly",
            "tk_csrf=c1; Path=/",
        ]))
        self.assertEqual(client.csrf_token, "c1")
        self.assertEqual(client._cookie_header("/v1/orgs", None), "tk_session=abc; tk_csrf=c1")
        self.assertIn("tk_refresh=r1", client._cookie_header("/v1/auth/refresh", None))
        client._store_cookies(_response(200, ["tk_session=; Path=/; Max-Age=0"]))
        self.assertEqual(client._cookie_header("/", None), "tk_csrf=c1")
        self.assertEqual(client._cookie_header("/", {"a": "b"}), "a=b")

    def test_response_cookies_expose_attributes(self) -> None:
        resp = _response(200, ["tk_session=abc; Path=/; HttpOnly; SameSite=Lax"])
        morsel = resp.cookies()["tk_session"]
        self.assertEqual(morsel.value, "abc")
        self.assertTrue(morsel["httponly"])
        self.assertEqual(morsel["samesite"], "Lax")


class RawParsingTest(unittest.TestCase):
    def test_pipelined_and_partial(self) -> None:
        one = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok"
        two = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
        self.assertEqual([r.status for r in split_raw_responses(one + two)], [200, 404])
        self.assertIsNone(parse_raw_response(one[:-1]))
        first = parse_raw_response(one)
        assert first is not None
        self.assertEqual((first.body, first.headers["x-a"]), (b"ok", "1"))


@unittest.skipUnless(os.environ.get("TK_TEST_DATABASE_URL"), "TK_TEST_DATABASE_URL is not set")
class PgDatabaseTest(unittest.TestCase):
    def test_app_role_is_subject_to_rls_and_owns_nothing(self) -> None:
        db = PgDatabase()
        try:
            flags = db.query(f"SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles "
                             f"WHERE rolname = '{APP_ROLE}'").strip()
            self.assertEqual(flags, "f|f|t")
            owner = db.query(f"SELECT pg_get_userbyid(datdba) FROM pg_database "
                             f"WHERE datname = '{db.name}'").strip()
            self.assertNotEqual(owner, APP_ROLE)
            self.assertIn(f"/{db.name}?", db.app_url)
            self.assertIn(f"{APP_ROLE}:", db.app_url)
        finally:
            db.drop()
        if os.environ.get("TK_E2E_KEEP") != "1":
            left = psql(_with_database(db.superuser_url, "postgres"),
                        f"SELECT count(*) FROM pg_database WHERE datname = '{db.name}'")
            self.assertEqual(left.strip(), "0")


@unittest.skipUnless(os.environ.get("TK_TEST_REDIS_URL"), "TK_TEST_REDIS_URL is not set")
class RedisIsolationTest(unittest.TestCase):
    def test_each_deployment_gets_its_own_flushed_database(self) -> None:
        with Server(redis=True) as a, Server(redis=True) as b:
            self.assertNotEqual(a.redis_url, b.redis_url)
            self.assertRegex(a.redis_url, r"^redis://[^/]+/([1-9]|1[0-5])$")
            with a.sibling() as a2:
                self.assertEqual(a2.environment()["TK_REDIS_URL"], a.redis_url)
            for server in (a, b):
                self.assertEqual(server.client().get("/ready").json()["checks"]["redis"], "ok")
        claimed = RedisDb(os.environ["TK_TEST_REDIS_URL"])  # the released ones are free again
        try:
            self.assertIn(claimed.index, range(1, 16))
        finally:
            claimed.release()


class TwoInstancesTest(unittest.TestCase):
    """Two processes of one deployment (the multi-instance tests' setup): both serve, both see
    the same database, both exit 0."""

    def test_sibling_shares_the_deployment(self) -> None:
        with Server() as first:
            with first.sibling() as second:
                self.assertNotEqual(first.port, second.port)
                self.assertEqual(first.database_url, second.database_url)
                self.assertEqual(first.environment()["TK_JWT_KEY_FILE"],
                                 second.environment()["TK_JWT_KEY_FILE"])
                for server in (first, second):
                    resp = server.client().get("/ready")
                    self.assertEqual(resp.status, 200, resp)
                if first.database is not None:
                    # Both instances' pools are connected to the one database.
                    n = int(first.database.query(
                        "SELECT count(DISTINCT client_port) FROM pg_stat_activity "
                        f"WHERE datname = '{first.database.name}' AND usename = '{APP_ROLE}'"))
                    self.assertGreaterEqual(n, 2)
            self.assertEqual(first.client().get("/health").status, 200)
        if backend_default() == "sqlite":
            self.assertFalse(os.path.exists(first.state_dir), "temp dir removed")


if __name__ == "__main__":
    unittest.main()
