# SPDX-License-Identifier: Apache-2.0
import os
import time
import unittest
import uuid

import tenantkit as tk


class QuotaCases(unittest.TestCase):
    """Runs against Quota() and, when TK_TEST_REDIS_URL is set, Quota.redis(); the base
    class itself is skipped."""

    quota: tk.Quota
    clock: tk.ManualClock
    tenant: str

    @classmethod
    def setUpClass(cls) -> None:
        if cls is QuotaCases:
            raise unittest.SkipTest("base class")

    def test_counter(self) -> None:
        self.quota.set_limit("api_calls", 10, window=3600)
        o = self.quota.decide(self.tenant, "api_calls", 4)
        self.assertTrue(o)
        self.assertEqual((o.used, o.remaining, o.limit), (4, 6, 10))
        denied = self.quota.decide(self.tenant, "api_calls", 7)
        self.assertFalse(denied.allowed)
        self.assertEqual(denied.deny_code, tk.Status.QUOTA_EXCEEDED)
        with self.assertRaises(tk.NotFoundError):
            self.quota.decide(self.tenant, "unset", 1)
        with self.assertRaises(tk.ValidationError):
            self.quota.decide(self.tenant, "api_calls", -1)

    def test_reservations(self) -> None:
        self.quota.set_limit("tokens", 100, window=3600)
        with self.quota.reserve(self.tenant, "tokens", 60) as r:
            self.assertTrue(r.outcome.allowed and r.id != 0)
            self.assertEqual(r.commit(25).used, 25)
            with self.assertRaises(tk.GoneError):
                r.release()
        with self.quota.reserve(self.tenant, "tokens", 500) as denied:
            self.assertFalse(denied.outcome.allowed)
            self.assertEqual(denied.id, 0)

    def test_rate_limit_follows_clock(self) -> None:
        self.quota.set_limit("rps", 1, kind=tk.MeterKind.FIXED_WINDOW, window=1)
        self.assertTrue(self.quota.decide(self.tenant, "rps").allowed)
        o = self.quota.decide(self.tenant, "rps")
        self.assertEqual(o.deny_code, tk.Status.RATE_LIMITED)
        self.clock.advance(2)
        self.assertTrue(self.quota.decide(self.tenant, "rps").allowed)

    def test_override_gauge_unlimited(self) -> None:
        self.quota.set_limit("calls", 1, window=3600)
        self.quota.set_limit("calls", 50, window=3600, tenant=self.tenant)
        self.assertEqual(self.quota.decide(self.tenant, "calls", 10).limit, 50)
        self.quota.set_limit("seats", 2, kind=tk.MeterKind.GAUGE)
        self.quota.set_gauge(self.tenant, "seats", 2)
        o = self.quota.decide(self.tenant, "seats")
        self.assertEqual(o.deny_code, tk.Status.PLAN_LIMIT_REACHED)
        self.assertFalse(o)
        self.quota.set_limit("free", tk.UNLIMITED, window=3600)
        o = self.quota.decide(self.tenant, "free", 10**9)
        self.assertEqual((o.limit, o.remaining), (tk.UNLIMITED, tk.UNLIMITED))


class InProcessQuotaTest(QuotaCases):
    def setUp(self) -> None:
        self.clock = tk.ManualClock(1767225600)
        self.quota = tk.Quota(self.clock)
        self.tenant = "org_q"
        self.addCleanup(self.clock.close)
        self.addCleanup(self.quota.close)

    def test_headers(self) -> None:
        self.quota.set_limit("api_calls", 1000)
        o = self.quota.decide(self.tenant, "api_calls")
        self.assertEqual(o.headers("api_calls", now=self.clock.now), {
            "RateLimit-Policy": '"api_calls";q=1000;w=2592000',
            "RateLimit": '"api_calls";r=999;t=2592000',
        })
        denied = self.quota.decide(self.tenant, "api_calls", 5000)
        self.assertEqual(denied.headers("api_calls", now=self.clock.now)["Retry-After"],
                         "2592000")


@unittest.skipUnless(os.environ.get("TK_TEST_REDIS_URL"), "TK_TEST_REDIS_URL is unset")
class RedisQuotaTest(QuotaCases):
    def setUp(self) -> None:
        self.clock = tk.ManualClock(int(time.time()))
        self.quota = tk.Quota.redis(os.environ["TK_TEST_REDIS_URL"], self.clock)
        self.tenant = "py_" + uuid.uuid4().hex
        self.addCleanup(self.clock.close)
        self.addCleanup(self.quota.close)


class RedisErrorsTest(unittest.TestCase):
    def test_unreachable_or_missing(self) -> None:
        with self.assertRaises(tk.UnavailableError):
            tk.Quota.redis("redis://127.0.0.1:1/0")

    def test_bad_url(self) -> None:
        if not tk.built_with("redis"):
            self.skipTest("built without Redis")
        with self.assertRaises(tk.ValidationError):
            tk.Quota.redis("http://example.com")


if __name__ == "__main__":
    unittest.main()
