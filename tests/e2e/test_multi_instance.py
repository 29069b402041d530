"""Two server instances against one PostgreSQL and one Redis (issue #10, "Beyond one machine").

- The free plan's 1,000 api_calls are exact across both instances: 1,000 allowed, no more.
- An API key revoked through one instance is refused by the other within 1 s.
- A session logged out through one instance is refused by the other within 1 s.
- Failed logins counted by one instance throttle the other (the Redis login throttle).

PostgreSQL + Redis only: on SQLite one file cannot be shared by two processes the same way and the
in-process quota engine is per process by design (docs/scale-out.md).
"""
from __future__ import annotations

import threading
import time
import unittest

from harness import (Server, assert_problem, backend_default, eventually, register,
                     requires_redis, unique_email)

FREE_API_CALLS = 1000


@requires_redis
@unittest.skipUnless(backend_default() == "postgres", "needs the postgres flavour")
class TwoInstancesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.a = Server(redis=True)
        try:
            cls.b = cls.a.sibling()
        except BaseException:
            cls.a.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.b.close()
        cls.a.close()

    def _key(self, client, token: str) -> str:
        resp = client.post("/v1/api-keys", json={"name": "multi"}, token=token)
        self.assertEqual(resp.status, 201, resp)
        return resp.json()["secret"]

    def test_free_api_calls_are_exact_across_instances(self) -> None:
        owner = register(self.a.client())
        key = self._key(self.a.client(), owner["tokens"]["access_token"])
        allowed = 0
        denied = 0
        lock = threading.Lock()

        def hammer(server: Server, calls: int) -> None:
            nonlocal allowed, denied
            client = server.client()
            for _ in range(calls):
                resp = client.get("/v1/data", api_key=key)
                with lock:
                    if resp.status == 200:
                        allowed += 1
                    elif resp.status == 429:
                        denied += 1
                        assert_problem(resp, 429, "quota_exceeded", self)
                        self.assertIn("Retry-After", resp.headers)
                    else:
                        self.fail(f"unexpected {resp!r}")

        # 2 x 2 clients x 275 calls = 1,100 attempts, interleaved on both instances.
        threads = [threading.Thread(target=hammer, args=(s, 275))
                   for s in (self.a, self.b, self.a, self.b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(allowed, FREE_API_CALLS)
        self.assertEqual(denied, 1100 - FREE_API_CALLS)
        # Both instances agree that nothing is left.
        for server in (self.a, self.b):
            assert_problem(server.client().get("/v1/data", api_key=key), 429, "quota_exceeded",
                           self)

    def test_revoked_key_is_refused_by_the_other_instance_within_1s(self) -> None:
        owner = register(self.a.client())
        token = owner["tokens"]["access_token"]
        created = self.a.client().post("/v1/api-keys", json={"name": "revoke-me"}, token=token)
        self.assertEqual(created.status, 201, created)
        key = created.json()
        on_b = self.b.client()
        self.assertEqual(on_b.get("/v1/data", api_key=key["secret"]).status, 200)  # cached on b
        revoked = self.a.client().delete(f"/v1/api-keys/{key['id']}", token=token)
        self.assertIn(revoked.status, (200, 204), revoked)
        start = time.monotonic()
        resp = eventually(lambda: on_b.get("/v1/data", api_key=key["secret"]),
                          lambda r: r.status == 401, timeout=3.0, interval=0.05)
        elapsed = time.monotonic() - start
        assert_problem(resp, 401, "unauthorized", self)
        self.assertLessEqual(elapsed, 1.5, "the bound is 1 s (plus polling slack)")

    def test_logged_out_session_is_refused_by_the_other_instance(self) -> None:
        owner = register(self.a.client())
        token = owner["tokens"]["access_token"]
        on_b = self.b.client()
        self.assertEqual(on_b.get("/v1/auth/me", token=token).status, 200)
        out = self.a.client().post("/v1/auth/logout", token=token)
        self.assertEqual(out.status, 204, out)
        resp = eventually(lambda: on_b.get("/v1/auth/me", token=token),
                          lambda r: r.status == 401, timeout=1.0)
        assert_problem(resp, 401, "unauthorized", self)


@requires_redis
@unittest.skipUnless(backend_default() == "postgres", "needs the postgres flavour")
class SharedLoginThrottleTest(unittest.TestCase):
    """Its own deployment: the per-IP count it builds up would lock out the other tests."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.a = Server(redis=True, env={"TK_LOGIN_MAX_ATTEMPTS": "4"})
        try:
            cls.b = cls.a.sibling()
        except BaseException:
            cls.a.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.b.close()
        cls.a.close()

    def test_login_throttle_is_shared(self) -> None:
        email = unique_email("throttle")
        register(self.a.client(), email=email)
        body = {"email": email, "password": "wrong password 123"}
        # 4 failures split over both instances (TK_LOGIN_MAX_ATTEMPTS=4) ...
        for server in (self.a, self.b, self.a, self.b):
            assert_problem(server.client().post("/v1/auth/login", json=body), 401,
                           "unauthorized", self)
        # ... lock the email out on both.
        for server in (self.a, self.b):
            resp = server.client().post("/v1/auth/login", json=body)
            assert_problem(resp, 429, "rate_limited", self)
            self.assertIn("Retry-After", resp.headers)



if __name__ == "__main__":
    unittest.main()
