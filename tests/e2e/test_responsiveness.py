# SPDX-License-Identifier: Apache-2.0
"""The event loop stays responsive while logins hash passwords (issue #10): during a burst of
concurrent logins (Argon2id, which the server runs on at most half of its worker threads), /health
keeps answering. The check compares two latencies measured in the same burst on the same machine,
so a slow or loaded machine slows both: /health's p99 must stay below the logins' median, i.e.
health checks never queue behind password hashing."""

from __future__ import annotations

import threading
import time
from typing import Any

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase, register, run_parallel

LOGINS = 24


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


class HealthDuringLoginBurstTest(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        # The burst must not trip the per-email throttle.
        return {"TK_LOGIN_MAX_ATTEMPTS": "1000"}

    def test_health_p99_stays_below_the_login_median(self) -> None:
        owner = register(self.client)
        body = {"email": owner["email"], "password": owner["password"]}
        done = threading.Event()
        health: list[float] = []
        statuses: list[int] = []

        def probe() -> None:
            client = self.server.client()
            while not done.is_set():
                started = time.monotonic()
                resp = client.get("/health")
                health.append(time.monotonic() - started)
                statuses.append(resp.status)

        def login() -> float:
            started = time.monotonic()
            resp = self.server.client().post("/v1/auth/login", json=body)
            self.assertEqual(resp.status, 200, resp)
            return time.monotonic() - started

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            logins: list[Any] = run_parallel([login] * LOGINS)
        finally:
            done.set()
            prober.join()

        self.assertTrue(statuses and all(s == 200 for s in statuses), statuses[:10])
        self.assertGreaterEqual(len(health), 5, "too few /health samples during the burst")
        login_median = percentile(logins, 0.5)
        health_p99 = percentile(health, 0.99)
        self.assertLess(health_p99, login_median,
                        f"/health p99 {health_p99 * 1000:.1f} ms vs login median "
                        f"{login_median * 1000:.1f} ms over {len(health)} probes")
