# SPDX-License-Identifier: Apache-2.0
"""Operational endpoints and the conventions every response follows: /health, /ready, /metrics,
X-Request-Id, security headers, problem documents for 404 and 405, clean shutdown."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import (E2ETestCase, Server, assert_problem, eventually, parse_raw_response,
                     raw_exchange, requires_redis, run_parallel)

# Prometheus text format 0.0.4: comments, or `name{labels} value`.
_SAMPLE_RE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
    r'[-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|Inf|NaN)( [0-9]+)?$')
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class HealthAndReadyTest(E2ETestCase):
    def test_health_is_ok_json(self) -> None:
        resp = self.client.get("/health")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.content_type, "application/json")
        self.assertEqual(resp.json(), {"status": "ok"})

    def test_ready_reports_database_ok(self) -> None:
        resp = self.client.get("/ready")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.content_type, "application/json")
        doc = resp.json()
        self.assertEqual(doc["checks"]["database"], "ok")
        if self.server.redis_url:
            self.assertEqual(doc["checks"]["redis"], "ok")
        else:
            self.assertNotIn("redis", doc["checks"])

    def test_head_or_unknown_method_on_health_is_not_a_500(self) -> None:
        resp = self.client.request("DELETE", "/health")
        doc = assert_problem(resp, 405, "bad_request", self)
        self.assertIn("GET", resp.headers["Allow"])
        self.assertTrue(doc["detail"])


@requires_redis
class ReadyWithRedisTest(E2ETestCase):
    server_redis = True

    def test_ready_checks_redis(self) -> None:
        resp = self.client.get("/ready")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["checks"], {"database": "ok", "redis": "ok"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class ReadyWhenRedisFailsTest(unittest.TestCase):
    """A private Redis, stopped while the server runs: /ready answers 503 naming redis, and
    /health keeps answering 200 (the process serves)."""

    def test_ready_is_503_naming_redis(self) -> None:
        port = _free_port()
        workdir = tempfile.mkdtemp(prefix="tk-e2e-redis-")
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_port(port)
            with Server(env={"TK_REDIS_URL": f"redis://127.0.0.1:{port}/0"}) as server:
                client = server.client()
                ok = client.get("/ready")
                self.assertEqual(ok.status, 200, ok)
                self.assertEqual(ok.json()["checks"]["redis"], "ok")
                redis.terminate()
                redis.wait(timeout=10)
                resp = eventually(lambda: client.get("/ready"), lambda r: r.status == 503)
                doc = assert_problem(resp, 503, "unavailable", self)
                self.assertIn("redis", doc["detail"])
                self.assertNotIn("database (", doc["detail"])
                self.assertEqual(client.get("/health").status, 200)
        finally:
            if redis.poll() is None:
                redis.kill()
                redis.wait()
            shutil.rmtree(workdir, ignore_errors=True)


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class MetricsTest(E2ETestCase):
    def test_text_format_with_route_counts(self) -> None:
        for _ in range(3):
            self.assertEqual(self.client.get("/health").status, 200)
        self.assertEqual(self.client.get("/no/such/path").status, 404)
        resp = self.client.get("/metrics")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.content_type, "text/plain")
        self.assertIn("version=0.0.4", resp.headers["Content-Type"])
        lines = resp.text.splitlines()
        self.assertTrue(lines)
        for line in lines:
            if line.startswith("#"):
                self.assertRegex(line, r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+")
            elif line:
                self.assertRegex(line, _SAMPLE_RE)
        health = self._sample(
            lines, 'http_requests_total{method="GET",route="/health",status="200"}')
        self.assertGreaterEqual(health, 3)
        self.assertIn("# TYPE http_requests_total counter", lines)
        self.assertIn("# TYPE http_request_duration_seconds histogram", lines)
        self.assertTrue(any('status="404"' in line for line in lines), "404s are counted")

    def test_counts_grow(self) -> None:
        key = 'http_requests_total{method="GET",route="/ready",status="200"}'
        before = self._sample(self.client.get("/metrics").text.splitlines(), key, default=0)
        for _ in range(5):
            self.client.get("/ready")
        after = self._sample(self.client.get("/metrics").text.splitlines(), key)
        self.assertEqual(after - before, 5)

    def _sample(self, lines: list[str], key: str, default: float | None = None) -> float:
        for line in lines:
            if line.startswith(key + " "):
                return float(line.split(" ")[1])
        if default is not None:
            return default
        self.fail(f"no sample {key}")


class PrivateMetricsTest(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_METRICS_PUBLIC": "false"}

    def test_metrics_need_the_admin_token(self) -> None:
        assert_problem(self.client.get("/metrics"), 401, "unauthorized", self)
        assert_problem(self.client.get("/metrics", token="wrong-token"), 401, "unauthorized", self)
        resp = self.client.get("/metrics", token=self.server.admin_token)
        self.assertEqual(resp.status, 200)
        self.assertIn("http_requests_total", resp.text)


class RequestIdTest(E2ETestCase):
    def _echo(self, value: str) -> str:
        resp = self.client.get("/health", headers={"X-Request-Id": value})
        self.assertEqual(resp.status, 200)
        return resp.headers["X-Request-Id"]

    def test_valid_ids_are_echoed(self) -> None:
        for value in ("a", "req-123", "A.b:c-9", "x" * 128, "0"):
            with self.subTest(value=value):
                self.assertEqual(self._echo(value), value)

    def test_underscore_is_allowed(self) -> None:
        self.assertEqual(self._echo("trace_id_1"), "trace_id_1")

    def test_invalid_ids_are_replaced(self) -> None:
        for value in ("x" * 129, "has space", "slash/y", "quote\"", "semi;colon", "caf\u00e9",
                      "{json}", "a,b"):
            with self.subTest(value=value):
                got = self._echo_raw(value)
                self.assertNotEqual(got, value)
                self.assertRegex(got, _REQUEST_ID_RE)

    def test_missing_id_is_generated_and_unique(self) -> None:
        ids = {self.client.get("/health").headers["X-Request-Id"] for _ in range(20)}
        self.assertEqual(len(ids), 20)
        for rid in ids:
            self.assertRegex(rid, _REQUEST_ID_RE)

    def test_errors_carry_the_id_too(self) -> None:
        resp = self.client.get("/nope", headers={"X-Request-Id": "err-1"})
        assert_problem(resp, 404, "not_found", self)
        self.assertEqual(resp.headers["X-Request-Id"], "err-1")
        resp = self.client.request("POST", "/health", headers={"X-Request-Id": "err-2"})
        self.assertEqual(resp.status, 405)
        self.assertEqual(resp.headers["X-Request-Id"], "err-2")

    def _echo_raw(self, value: str) -> str:
        # http.client refuses some bytes in header values; send them as raw UTF-8.
        data, _ = raw_exchange(self.server, (
            "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: "
            + value + "\r\n\r\n").encode("utf-8"))
        resp = parse_raw_response(data)
        self.assertIsNotNone(resp, data)
        assert resp is not None
        self.assertEqual(resp.status, 200)
        return resp.headers["x-request-id"]


class SecurityHeadersTest(E2ETestCase):
    def _assert_common(self, resp) -> None:  # type: ignore[no-untyped-def]
        self.assertEqual(resp.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(resp.headers["X-Frame-Options"], "DENY")
        self.assertIsNone(resp.headers["Strict-Transport-Security"], "no HSTS in dev")

    def test_on_success_and_errors(self) -> None:
        for resp in (self.client.get("/health"), self.client.get("/metrics"),
                     self.client.get("/missing"), self.client.request("PUT", "/ready")):
            with self.subTest(status=resp.status):
                self._assert_common(resp)

    def test_auth_paths_are_not_cached(self) -> None:
        resp = self.client.get("/v1/auth/does-not-exist")
        self._assert_common(resp)
        self.assertIn("no-store", resp.headers["Cache-Control"] or "")


class ProdSecurityHeadersTest(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_ENV": "prod", "TK_PUBLIC_URL": "https://api.example.com"}

    def test_hsts_outside_dev(self) -> None:
        for path in ("/health", "/missing"):
            with self.subTest(path=path):
                hsts = self.client.get(path).headers["Strict-Transport-Security"] or ""
                self.assertRegex(hsts, r"max-age=\d{8,}")


class ProblemDocumentsTest(E2ETestCase):
    def test_unknown_paths_are_404_problems(self) -> None:
        for path in ("/nope", "/v1/nope", "/v1/orgs/x/y/z/w", "/%2e%2e/etc/passwd",
                     "/health/extra", "/" + "a" * 2000):
            with self.subTest(path=path[:40]):
                assert_problem(self.client.get(path), 404, "not_found", self)

    def test_wrong_method_is_405_with_allow(self) -> None:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with self.subTest(method=method):
                resp = self.client.request(method, "/ready", body=b"{}")
                assert_problem(resp, 405, "bad_request", self)
                self.assertIn("GET", resp.headers["Allow"])

    def test_problem_body_does_not_echo_the_path(self) -> None:
        for path in ("/<script>alert(1)</script>", "/%3Cscript%3Ealert(1)%3C/script%3E"):
            with self.subTest(path=path):
                resp = self.client.get(path)
                # Beast refuses '<' in a target (400); the encoded form is an unknown path.
                self.assertIn(resp.status, (400, 404), resp)
                assert_problem(resp, resp.status, "bad_request" if resp.status == 400
                               else "not_found", self)
                self.assertNotIn(b"<script>", resp.body)
                self.assertNotIn(b"%3Cscript", resp.body)


class ConcurrencyAndShutdownTest(unittest.TestCase):
    def test_parallel_requests_then_clean_sigterm(self) -> None:
        with Server() as server:
            results = run_parallel(
                [lambda: server.client().get("/health").status for _ in range(50)])
            self.assertEqual(results, [200] * 50)
            rc = server.stop()
            self.assertEqual(rc, 0)

    def test_sigterm_lets_an_in_flight_request_finish(self) -> None:
        with Server() as server:
            with socket.create_connection((server.host, server.port), timeout=5) as sock:
                # Half a request: the server is reading it when SIGTERM arrives.
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n")
                time.sleep(0.2)
                server.terminate()
                time.sleep(0.2)
                try:
                    sock.sendall(b"\r\n")
                    data = sock.recv(4096)
                except OSError:
                    data = b""
            # Either answered or closed, but the process exits 0 within the grace period.
            self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 "), data)
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
