# SPDX-License-Identifier: Apache-2.0
"""Hostile and broken clients: malformed JSON, wrong types, oversize bodies, huge headers,
invalid UTF-8, a slowloris connection, garbage bytes, many idle connections. Each gets its error
or is cut off, and after each the server still answers /health on a fresh connection."""

from __future__ import annotations

import os
import socket
import struct
import time
import unittest

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import (E2ETestCase, assert_problem, connect, parse_raw_response,
                     raw_exchange, read_until_closed, skip_unless_route, split_raw_responses,
                     unique_email)

READ_TIMEOUT = 2  # TK_READ_TIMEOUT_SECONDS for this module's server
MAX_BODY = 64 * 1024
MAX_HEADER = 8 * 1024
REGISTER = "/v1/auth/register"


def _request(method: str, path: str, headers: dict[str, str] | None = None,
             body: bytes = b"", close: bool = True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: e2e"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RobustnessTest(E2ETestCase):
    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
                "TK_MAX_BODY_BYTES": str(MAX_BODY),
                "TK_MAX_HEADER_BYTES": str(MAX_HEADER)}

    def tearDown(self) -> None:
        self.assert_healthy()

    # -- JSON bodies (need POST /v1/auth/register: skipped until it lands)

    def test_malformed_json_is_400(self) -> None:
        for body in (b'{"email":', b"not json", b"[1,2", b'{"a":1}}', b"{'a': 1}", b"",
                     b'{"email": "x@y.z",}', b"\x00\x01\x02"):
            with self.subTest(body=body):
                resp = skip_unless_route(self.client, "POST", REGISTER, body=body,
                                         headers={"Content-Type": "application/json"})
                assert_problem(resp, 400, "bad_request", self)

    def test_non_object_json_is_400(self) -> None:
        for body in (b"[]", b"42", b'"text"', b"null", b"true"):
            with self.subTest(body=body):
                resp = skip_unless_route(self.client, "POST", REGISTER, body=body,
                                         headers={"Content-Type": "application/json"})
                self.assertIn(resp.status, (400, 422), resp)
                assert_problem(resp, resp.status,
                               "bad_request" if resp.status == 400 else "validation_failed", self)

    def test_wrong_types_are_422_naming_each_field(self) -> None:
        resp = skip_unless_route(self.client, "POST", REGISTER,
                                 json={"email": 5, "password": ["x"], "org_name": {"a": 1}})
        doc = assert_problem(resp, 422, "validation_failed", self)
        fields = {e.get("field") for e in doc["errors"]}
        self.assertTrue({"email", "password", "org_name"} <= fields, doc)
        for err in doc["errors"]:
            self.assertIsInstance(err.get("message"), str)

    def test_missing_fields_are_422(self) -> None:
        resp = skip_unless_route(self.client, "POST", REGISTER, json={})
        doc = assert_problem(resp, 422, "validation_failed", self)
        fields = {e.get("field") for e in doc["errors"]}
        self.assertTrue({"email", "password"} <= fields, doc)

    def test_invalid_utf8_in_json_is_400(self) -> None:
        body = (b'{"email": "\xff\xfe' + unique_email().encode() +
                b'", "password": "correct horse battery", "org_name": "x\xc3("}')
        resp = skip_unless_route(self.client, "POST", REGISTER, body=body,
                                 headers={"Content-Type": "application/json"})
        assert_problem(resp, 400, "bad_request", self)

    def test_overlong_utf8_and_lone_surrogates_are_400(self) -> None:
        # "\xc0\xaf" is an overlong '/'; "\xed\xa0\x80" a UTF-8-encoded surrogate.
        for bad in (b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"):
            with self.subTest(bad=bad):
                body = b'{"email": "a' + bad + b'@example.com", "password": "p", "org_name": "o"}'
                resp = skip_unless_route(self.client, "POST", REGISTER, body=body,
                                         headers={"Content-Type": "application/json"})
                assert_problem(resp, 400, "bad_request", self)

    # -- size limits (enforced by the parser, on any path)

    def test_oversize_body_is_413(self) -> None:
        body = b"{" + b" " * MAX_BODY + b"}"
        resp = self.client.request("POST", REGISTER, body=body,
                                   headers={"Content-Type": "application/json"})
        assert_problem(resp, 413, "payload_too_large", self)
        self.assertEqual(resp.headers["Connection"], "close")

    def test_huge_content_length_is_413_before_the_body(self) -> None:
        data, _ = raw_exchange(self.server, (
            f"POST {REGISTER} HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 ** 12}\r\n\r\n").encode())
        resp = parse_raw_response(data)
        self.assertIsNotNone(resp, data)
        assert resp is not None
        self.assertEqual(resp.status, 413, data)

    def test_body_at_the_limit_is_not_413(self) -> None:
        body = b"{" + b" " * (MAX_BODY - 2) + b"}"
        resp = self.client.request("POST", "/health", body=body)
        self.assertEqual(resp.status, 405, resp)

    def test_huge_headers_are_431(self) -> None:
        resp = self.client.get("/health", headers={"X-Big": "a" * (MAX_HEADER + 100)})
        assert_problem(resp, 431, "bad_request", self)

    def test_many_headers_are_431(self) -> None:
        headers = {f"X-H{i}": "v" * 40 for i in range(400)}
        resp = self.client.get("/health", headers=headers)
        self.assertEqual(resp.status, 431, resp)

    def test_huge_request_line_is_rejected(self) -> None:
        data, _ = raw_exchange(self.server, _request("GET", "/" + "a" * (MAX_HEADER + 10)))
        resp = parse_raw_response(data)
        self.assertIsNotNone(resp, data)
        assert resp is not None
        self.assertIn(resp.status, (414, 431), data[:200])

    # -- invalid UTF-8 outside bodies

    def test_invalid_utf8_in_path_and_headers(self) -> None:
        data, _ = raw_exchange(
            self.server,
            b"GET /v1/\xff\xfe HTTP/1.1\r\nHost: e2e\r\nX-Request-Id: \xc3\x28\r\n"
            b"X-Org-Id: \xed\xa0\x80\r\nConnection: close\r\n\r\n")
        resp = parse_raw_response(data)
        if resp is not None:  # answered (400 or 404) or closed; never a 5xx
            self.assertIn(resp.status, (400, 404), data[:300])
            self.assertNotEqual(resp.headers.get("x-request-id"), "\xc3(")

    # -- slow and broken clients

    def test_slowloris_is_cut_off_after_the_read_timeout(self) -> None:
        with connect(self.server, timeout=10) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: e2e\r\n")
            start = time.monotonic()
            closed_at = None
            # One header byte every 0.3 s: the whole-request deadline must still fire.
            for i in range(40):
                try:
                    sock.sendall(b"X-Slow-%d: a\r\n" % i)
                except (BrokenPipeError, ConnectionResetError):
                    closed_at = time.monotonic()
                    break
                data, closed = read_until_closed(sock, timeout=0.3)
                if closed:
                    closed_at = time.monotonic()
                    self.assertNotIn(b"200 OK", data)
                    break
            self.assertIsNotNone(closed_at, "the trickling connection was never cut off")
            assert closed_at is not None
            elapsed = closed_at - start
            self.assertGreater(elapsed, READ_TIMEOUT - 0.8)
            self.assertLess(elapsed, READ_TIMEOUT + 2.5)

    def test_silent_connection_is_closed(self) -> None:
        with connect(self.server, timeout=10) as sock:
            start = time.monotonic()
            data, closed = read_until_closed(sock, timeout=READ_TIMEOUT + 3)
            self.assertTrue(closed, "an idle connection without a request stays open")
            self.assertEqual(data, b"")
            self.assertLess(time.monotonic() - start, READ_TIMEOUT + 2.5)

    def test_slow_body_is_cut_off(self) -> None:
        with connect(self.server, timeout=10) as sock:
            sock.sendall(b"POST /health HTTP/1.1\r\nHost: e2e\r\nContent-Length: 1000\r\n\r\n")
            start = time.monotonic()
            closed = False
            for _ in range(30):
                try:
                    sock.sendall(b"x")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                _, closed = read_until_closed(sock, timeout=0.3)
                if closed:
                    break
            self.assertTrue(closed)
            self.assertLess(time.monotonic() - start, READ_TIMEOUT + 2.5)

    def test_garbage_bytes_get_400_or_close(self) -> None:
        garbage = [
            os.urandom(512),
            os.urandom(64) + b"\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(100),  # TLS hello
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET\r\n\r\n",
            b"G E T / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost e2e\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
            b"\r\n" * 2000,
            b"\x00" * 4096,
        ]
        for data in garbage:
            with self.subTest(data=data[:24]):
                got, closed = raw_exchange(self.server, data, timeout=READ_TIMEOUT + 3)
                resp = parse_raw_response(got)
                if resp is None:
                    self.assertTrue(closed, f"neither answered nor closed: {got[:100]!r}")
                else:
                    self.assertEqual(resp.status, 400, got[:200])
                    self.assertIn(b'"code":"bad_request"', resp.body)
                    self.assertTrue(closed, "the connection stays open after garbage")

    def test_request_smuggling_shapes_are_400(self) -> None:
        # Ambiguous framing must be refused, never guessed (RFC 9112 section 6.3).
        for data in (
            b"POST /health HTTP/1.1\r\nHost: e2e\r\nContent-Length: 4\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST /health HTTP/1.1\r\nHost: e2e\r\nContent-Length: 4\r\n"
            b"Content-Length: 5\r\n\r\nabcde",
            b"POST /health HTTP/1.1\r\nHost: e2e\r\nTransfer-Encoding: gzip, chunked\r\n"
            b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n",
        ):
            with self.subTest(data=data[40:90]):
                got, _ = raw_exchange(self.server, data)
                resp = parse_raw_response(got)
                self.assertIsNotNone(resp, got)
                assert resp is not None
                self.assertEqual(resp.status, 400, got[:200])

    def test_pipelined_requests_are_answered_in_order(self) -> None:
        with connect(self.server) as sock:
            sock.sendall(_request("GET", "/health", {"X-Request-Id": "p1"}, close=False) +
                         _request("GET", "/nope", {"X-Request-Id": "p2"}, close=False) +
                         _request("GET", "/ready", {"X-Request-Id": "p3"}))
            data, _ = read_until_closed(sock, timeout=5)
        responses = split_raw_responses(data)
        self.assertEqual([r.status for r in responses], [200, 404, 200], data[:500])
        self.assertEqual([r.headers["x-request-id"] for r in responses], ["p1", "p2", "p3"])

    def test_expect_100_continue(self) -> None:
        with connect(self.server) as sock:
            sock.sendall(b"POST /health HTTP/1.1\r\nHost: e2e\r\nContent-Length: 2\r\n"
                         b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
            interim, _ = read_until_closed(sock, timeout=3, stop=lambda d: b"\r\n\r\n" in d)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            sock.sendall(b"{}")
            data, _ = read_until_closed(sock, timeout=3)
        resp = parse_raw_response((interim + data).split(b"\r\n\r\n", 1)[1])
        self.assertIsNotNone(resp)
        assert resp is not None
        self.assertEqual(resp.status, 405)

    def test_client_resets_mid_request(self) -> None:
        for _ in range(20):
            sock = connect(self.server)
            sock.sendall(b"POST /health HTTP/1.1\r\nHost: e2e\r\nContent-Length: 100\r\n\r\nab")
            # SO_LINGER 0: close sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()


class IdleConnectionsTest(E2ETestCase):
    CONNECTIONS = 200

    def test_200_idle_connections_do_not_block_service(self) -> None:
        socks: list[socket.socket] = []
        try:
            for _ in range(self.CONNECTIONS):
                socks.append(connect(self.server, timeout=10))
            # With every connection open and silent, a new one is served at once.
            start = time.monotonic()
            self.assert_healthy()
            self.assertLess(time.monotonic() - start, 1.0)
            # Each idle connection is a working keep-alive connection too.
            for sock in socks:
                sock.sendall(_request("GET", "/health", close=False))
            for i, sock in enumerate(socks):
                data, _ = read_until_closed(
                    sock, timeout=10, stop=lambda d: parse_raw_response(d) is not None)
                resp = parse_raw_response(data)
                self.assertIsNotNone(resp, f"connection {i}: {data[:100]!r}")
                assert resp is not None
                self.assertEqual(resp.status, 200)
            self.assert_healthy()
        finally:
            for sock in socks:
                sock.close()
        self.assert_healthy()



class ConnectionCapTest(E2ETestCase):
    CAP = 10

    @classmethod
    def server_env(cls) -> dict[str, str]:
        return {"TK_MAX_CONNECTIONS": str(cls.CAP), "TK_READ_TIMEOUT_SECONDS": "10"}

    def test_connections_past_the_cap_are_closed_and_service_resumes(self) -> None:
        socks = [connect(self.server) for _ in range(self.CAP)]
        try:
            # Let the accept loop register all of them before the one too many arrives.
            time.sleep(0.3)
            with connect(self.server) as extra:
                try:
                    extra.sendall(_request("GET", "/health"))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                data, closed = read_until_closed(extra, timeout=3)
            self.assertTrue(closed, "a connection past TK_MAX_CONNECTIONS was kept open")
            self.assertNotIn(b"200 OK", data)
            # The admitted connections still work.
            socks[0].sendall(_request("GET", "/health"))
            data, _ = read_until_closed(socks[0], timeout=5)
            resp = parse_raw_response(data)
            self.assertIsNotNone(resp, data)
            assert resp is not None
            self.assertEqual(resp.status, 200)
        finally:
            for sock in socks:
                sock.close()
        deadline = time.monotonic() + 5
        while True:
            try:
                if self.server.client().get("/health").status == 200:
                    break
            except OSError:
                pass
            self.assertLess(time.monotonic(), deadline, "service did not resume below the cap")
            time.sleep(0.1)
        metrics = self.server.client().get("/metrics").text
        self.assertRegex(metrics, r"(?m)^http_connections_rejected_total [1-9]")


if __name__ == "__main__":
    unittest.main()
