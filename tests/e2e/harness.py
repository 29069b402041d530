# SPDX-License-Identifier: Apache-2.0
"""End-to-end test harness: runs the real tenantkit-server binary and talks HTTP to it.

Python 3.11 standard library only. The pieces:

- ``Server(backend=None, env=None, redis=None, database=None)``: starts ``$TK_SERVER_BIN`` on
  127.0.0.1 with a free port (TK_LISTEN=127.0.0.1:0; the port is read from the
  "tenantkit-server listening on http://HOST:PORT" line), a private temp dir (SQLite file,
  outbox, JWT keys), a known admin token and API-key pepper, and waits for /health. ``stop()``
  sends SIGTERM and asserts exit code 0 within 10 s. Use it as a context manager.
  ``backend`` defaults to $TK_E2E_BACKEND ("sqlite" unless set). The postgres backend creates a
  fresh database (or uses ``database=``, to share one between instances) and raises
  unittest.SkipTest when TK_TEST_DATABASE_URL is unset. ``server.sibling()`` starts a second
  instance on the same database, Redis, pepper, JWT keys, admin token and outbox.
- ``Client(base_url, keep_cookies=False)``: ``request(method, path, json=..., body=...,
  headers=..., token=..., api_key=..., org=..., cookies=...)`` -> ``Response``.
- ``E2ETestCase``: a unittest.TestCase with one server per class (``cls.server``,
  ``cls.client``); override ``server_env()`` / ``server_redis`` to configure it. When a test
  fails, the tail of the server's log is printed.
- helpers: ``assert_problem``, ``unique_email``, ``register``, ``skip_unless_route``,
  ``raw_exchange``, ``parse_raw_response``, ``requires_redis``, ``eventually``, ``run_parallel``.

Environment: TK_SERVER_BIN (required), TK_E2E_BACKEND, TK_TEST_DATABASE_URL (PostgreSQL
superuser URL of a throwaway server), TK_TEST_REDIS_URL, TK_E2E_KEEP=1 (keep temp dirs and
databases for inspection).
"""

from __future__ import annotations

import http.client
import http.cookies
import itertools
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

ADMIN_TOKEN = "e2e-admin-token-6f1c2d9a8b7e4f3a"
# At least 32 bytes (TK_API_KEY_PEPPER); explicit so that tools seeding the database (and a second
# instance) hash keys exactly as the server does.
API_KEY_PEPPER = "e2e-pepper-0123456789abcdef0123456789abcdef"
DEFAULT_PASSWORD = "correct horse battery staple 42"
APP_ROLE = "tk_e2e_app"
APP_PASSWORD = "tk_e2e_app_pw"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
LOG_TAIL_LINES = 40
_LISTEN_RE = re.compile(rb"tenantkit-server listening on http://([^\s]+):(\d+)")
_counter = itertools.count()


def backend_default() -> str:
    """The flavour selected by ctest: $TK_E2E_BACKEND, "sqlite" when unset."""
    return os.environ.get("TK_E2E_BACKEND", "sqlite")


def setUpModule() -> None:  # noqa: N802 - unittest's name
    """Import it into a test module (``from harness import setUpModule``) so that the whole
    module is skipped when its flavour cannot run (postgres without TK_TEST_DATABASE_URL)."""
    if backend_default() == "postgres" and not os.environ.get("TK_TEST_DATABASE_URL"):
        raise unittest.SkipTest("TK_TEST_DATABASE_URL is not set (PostgreSQL flavour)")


def _keep() -> bool:
    return os.environ.get("TK_E2E_KEEP") == "1"


# --------------------------------------------------------------------------------------------
# HTTP client


@dataclass
class Response:
    """One HTTP response. ``headers`` lookups are case-insensitive (``headers["x-request-id"]``,
    ``headers.get_all("Set-Cookie")``)."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError when it is not JSON)."""
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ("" when absent)."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def cookies(self) -> dict[str, http.cookies.Morsel]:
        """Cookies set by this response, by name (attributes in ``morsel["path"]`` etc.)."""
        jar: dict[str, http.cookies.Morsel] = {}
        for raw in self.headers.get_all("Set-Cookie") or []:
            parsed = http.cookies.SimpleCookie()
            parsed.load(raw)
            jar.update(parsed)
        return jar

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.body[:300]!r})"


class Client:
    """A small HTTP/1.1 client; one connection per request.

    With ``keep_cookies=True`` it keeps the cookies the server sets (tk_session, tk_refresh,
    tk_csrf) and sends them back on matching paths, like a browser.
    """

    def __init__(self, base_url: str, keep_cookies: bool = False, timeout: float = 15.0):
        parsed = urllib.parse.urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.timeout = timeout
        self.keep_cookies = keep_cookies
        # name -> (value, path)
        self.jar: dict[str, tuple[str, str]] = {}

    @property
    def csrf_token(self) -> str | None:
        """The tk_csrf cookie value, for the X-CSRF-Token header."""
        entry = self.jar.get("tk_csrf")
        return entry[0] if entry else None

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        api_key: str | None = None,
        org: str | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> Response:
        """Sends one request and returns the response (never raises on an HTTP status).

        ``json`` is serialised with Content-Type application/json; ``body`` is sent as is.
        ``token`` / ``api_key`` become ``Authorization: Bearer ...``; ``org`` sets X-Org-Id.
        ``cookies`` are sent instead of the jar's.
        """
        hdrs: dict[str, str] = {}
        payload: bytes | None = None
        if json is not None:
            payload = jsonlib.dumps(json).encode()
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            payload = body.encode() if isinstance(body, str) else body
        bearer = token or api_key
        if bearer is not None:
            hdrs["Authorization"] = f"Bearer {bearer}"
        if org is not None:
            hdrs["X-Org-Id"] = org
        cookie_header = self._cookie_header(path, cookies)
        if cookie_header:
            hdrs["Cookie"] = cookie_header
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=payload, headers=hdrs)
            raw = conn.getresponse()
            resp = Response(raw.status, raw.headers, raw.read())
        finally:
            conn.close()
        if self.keep_cookies:
            self._store_cookies(resp)
        return resp

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Response:
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Response:
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.request("DELETE", path, **kw)

    def _cookie_header(self, path: str, explicit: Mapping[str, str] | None) -> str:
        if explicit is not None:
            return "; ".join(f"{k}={v}" for k, v in explicit.items())
        if not self.keep_cookies:
            return ""
        return "; ".join(
            f"{name}={value}"
            for name, (value, cpath) in self.jar.items()
            if path.startswith(cpath or "/")
        )

    def _store_cookies(self, resp: Response) -> None:
        for name, morsel in resp.cookies().items():
            expired = morsel["max-age"] in ("0", "-1") or morsel.value == ""
            if expired:
                self.jar.pop(name, None)
            else:
                self.jar[name] = (morsel.value, morsel["path"] or "/")


# --------------------------------------------------------------------------------------------
# PostgreSQL


def _psql_binary() -> str:
    found = shutil.which("psql")
    if found:
        return found
    for candidate in ("/usr/lib/postgresql/15/bin/psql",):
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("psql not found (install postgresql-client-15)")


def _with_database(url: str, database: str, user: str | None = None,
                   password: str | None = None) -> str:
    """``url`` with another database (and optionally another user); keeps host, port, query."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        hostport = netloc.rsplit("@", 1)[-1]
        cred = urllib.parse.quote(user, safe="")
        if password is not None:
            cred += ":" + urllib.parse.quote(password, safe="")
        netloc = f"{cred}@{hostport}"
    # SOCI 4.0 rewrites a connect string without "key=value"; a query keeps the URI intact.
    query = parts.query or "application_name=tenantkit_e2e"
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/" + database, query, ""))


def psql(url: str, sql: str) -> str:
    """Runs ``sql`` with psql against ``url``; returns unaligned, tuples-only output."""
    done = subprocess.run(
        [_psql_binary(), url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


class PgDatabase:
    """A fresh PostgreSQL database on the throwaway server of TK_TEST_DATABASE_URL.

    ``owner_url`` is the superuser URL of that database (TK_DATABASE_MIGRATION_URL: migrations
    run as owner); ``app_url`` logs in as ``tk_e2e_app``, a LOGIN role without BYPASSRLS that
    owns nothing (TK_DATABASE_URL). ``drop()`` removes the database.
    """

    def __init__(self) -> None:
        superuser = os.environ.get("TK_TEST_DATABASE_URL")
        if not superuser:
            raise unittest.SkipTest("TK_TEST_DATABASE_URL is not set (PostgreSQL flavour)")
        self.superuser_url = superuser
        self.name = f"tk_e2e_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:8]}"
        admin = _with_database(superuser, "postgres")
        _ensure_app_role(admin)
        psql(admin, f'CREATE DATABASE "{self.name}"')
        self.owner_url = _with_database(superuser, self.name)
        self.app_url = _with_database(superuser, self.name, APP_ROLE, APP_PASSWORD)
        self._dropped = False

    def query(self, sql: str) -> str:
        """Runs ``sql`` as the owner (superuser) in this database."""
        return psql(self.owner_url, sql)

    def drop(self) -> None:
        if self._dropped or _keep():
            return
        self._dropped = True
        psql(_with_database(self.superuser_url, "postgres"),
             f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


_role_ready: set[str] = set()


def _ensure_app_role(admin_url: str) -> None:
    if admin_url in _role_ready:
        return
    # Parallel test processes race to create the role: either error means it exists.
    psql(admin_url, f"""DO $$ BEGIN
  CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}' NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;""")
    _role_ready.add(admin_url)


# --------------------------------------------------------------------------------------------
# Redis


def _redis_call(sock: socket.socket, *args: str) -> bytes:
    """One RESP command; returns the first reply line (enough for SET/SELECT/FLUSHDB/DEL)."""
    out = f"*{len(args)}\r\n".encode()
    for a in args:
        b = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    sock.sendall(out)
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("redis closed the connection")
        reply += chunk
    if reply.startswith(b"$") and not reply.startswith(b"$-1"):
        reply = reply.split(b"\r\n", 1)[1]  # bulk string: the line holding the value
    return reply.strip()


class RedisDb:
    """A logical database (1..15) of the TK_TEST_REDIS_URL server, claimed for one deployment and
    flushed, so parallel tests never share quota counters or login-throttle keys (which are per
    IP, and every test client is 127.0.0.1). ``url`` is what TK_REDIS_URL gets. ``release()``
    flushes it and gives it back."""

    CLAIM_TTL = 900  # seconds; a crashed test's claim expires

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self._password = urllib.parse.unquote(parts.password or "")
        self._token = f"{os.getpid()}-{uuid.uuid4().hex}"
        deadline = time.monotonic() + timeout
        while True:
            index = self._try_claim()
            if index is not None:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("no free Redis database (1..15) for this test")
            time.sleep(0.2)
        self.index = index
        netloc = parts.netloc
        self.url = urllib.parse.urlunsplit((parts.scheme, netloc, f"/{index}", "", ""))
        self._released = False

    def _command(self, *commands: tuple[str, ...]) -> list[bytes]:
        with socket.create_connection((self._host, self._port), timeout=10) as sock:
            if self._password:
                _redis_call(sock, "AUTH", self._password)
            return [_redis_call(sock, *c) for c in commands]

    def _try_claim(self) -> int | None:
        for index in range(1, 16):
            key = f"tk:e2e:claim:{index}"
            (reply,) = self._command(("SET", key, self._token, "NX", "EX", str(self.CLAIM_TTL)))
            if reply == b"+OK":
                self._command(("SELECT", str(index)), ("FLUSHDB",))
                return index
        return None

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._command(("SELECT", str(self.index)), ("FLUSHDB",), ("SELECT", "0"),
                      ("DEL", f"tk:e2e:claim:{self.index}"))


# --------------------------------------------------------------------------------------------
# Server


def _server_binary() -> str:
    exe = os.environ.get("TK_SERVER_BIN")
    if not exe:
        raise RuntimeError("TK_SERVER_BIN is not set (path of the tenantkit-server binary)")
    if not os.access(exe, os.X_OK):
        raise RuntimeError(f"TK_SERVER_BIN={exe} is not executable")
    return exe


@dataclass
class _Shared:
    """What two instances of one deployment share."""

    state_dir: str
    database_url: str
    migration_url: str
    redis_url: str
    database: PgDatabase | None
    redis: RedisDb | None = None
    owns_state: bool = True
    owns_database: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)


class Server:
    """One tenantkit-server process. See the module docstring."""

    def __init__(
        self,
        backend: str | None = None,
        env: Mapping[str, str] | None = None,
        redis: bool | None = None,
        database: PgDatabase | str | None = None,
        start: bool = True,
        _shared: _Shared | None = None,
    ) -> None:
        """``backend``: "sqlite" | "postgres" (default $TK_E2E_BACKEND). ``env``: extra TK_*
        settings (they win over the harness's). ``redis``: True uses a private logical database of
        TK_TEST_REDIS_URL (RedisDb; SkipTest when unset); None (default) does so on the postgres
        flavour when it is set; False never.
        ``database``: an existing PgDatabase (postgres) or an SQLite file path to share."""
        self.backend = backend or backend_default()
        if self.backend not in ("sqlite", "postgres"):
            raise ValueError(f"unknown backend {self.backend!r}")
        self.env_overrides = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.admin_token = ADMIN_TOKEN
        self.pepper = API_KEY_PEPPER
        self._log_file: Any = None
        self._terminated = False
        self.shared = _shared or self._make_shared(redis, database)
        self.state_dir = self.shared.state_dir
        self.log_path = os.path.join(
            self.state_dir, f"server-{next(_counter)}.log")
        if start:
            try:
                self.start()
            except BaseException:
                # The error message carries the log tail; nothing else is worth keeping.
                self._cleanup()
                raise

    # -- configuration

    def _make_shared(self, redis: bool | None, database: PgDatabase | str | None) -> _Shared:
        redis_base = self._redis_base_url(redis)
        state_dir = tempfile.mkdtemp(prefix="tk-e2e-")
        db: PgDatabase | None = None
        redis_db: RedisDb | None = None
        try:
            if self.backend == "postgres":
                db = database if isinstance(database, PgDatabase) else PgDatabase()
            redis_db = RedisDb(redis_base) if redis_base else None
        except BaseException:
            if db is not None and database is None:
                db.drop()
            shutil.rmtree(state_dir, ignore_errors=True)
            raise
        redis_url = redis_db.url if redis_db else ""
        if db is not None:
            return _Shared(state_dir, db.app_url, db.owner_url, redis_url, db, redis_db,
                           owns_database=database is None)
        path = database if isinstance(database, str) else os.path.join(state_dir, "tenantkit.db")
        return _Shared(state_dir, f"sqlite:{path}", "", redis_url, None, redis_db)

    def _redis_base_url(self, redis: bool | None) -> str:
        url = os.environ.get("TK_TEST_REDIS_URL", "")
        if redis is True and not url:
            raise unittest.SkipTest("TK_TEST_REDIS_URL is not set")
        if redis is None:
            return url if self.backend == "postgres" else ""
        return url if redis else ""

    @property
    def database(self) -> PgDatabase | None:
        """The PostgreSQL database (None on SQLite)."""
        return self.shared.database

    @property
    def database_url(self) -> str:
        """TK_DATABASE_URL as passed to the server."""
        return self.shared.database_url

    @property
    def redis_url(self) -> str:
        return self.shared.redis_url

    @property
    def outbox_dir(self) -> str:
        return os.path.join(self.state_dir, "outbox")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The process environment: inherited, minus any TK_* setting, plus the harness's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TK_") or
               k.startswith("TK_TEST_")}
        env.update({
            "TK_LISTEN": "127.0.0.1:0",
            "TK_ENV": "dev",
            "TK_LOG_LEVEL": "warn",
            "TK_ADMIN_TOKEN": self.admin_token,
            "TK_API_KEY_PEPPER": self.pepper,
            "TK_DATABASE_URL": self.shared.database_url,
            "TK_OUTBOX_DIR": self.outbox_dir,
            "TK_JWT_KEY_FILE": os.path.join(self.state_dir, "jwt-keys.json"),
            "TK_IO_THREADS": "2",
            "TK_WORKER_THREADS": "4",
            "TK_DATABASE_POOL_SIZE": "4",
            "TK_SHUTDOWN_GRACE_SECONDS": "5",
        })
        if self.shared.migration_url:
            env["TK_DATABASE_MIGRATION_URL"] = self.shared.migration_url
        if self.shared.redis_url:
            env["TK_REDIS_URL"] = self.shared.redis_url
        env.update(self.shared.extra_env)
        env.update(self.env_overrides)
        return env

    # -- lifecycle

    def start(self) -> None:
        """Starts the process and waits until it listens and /health answers 200."""
        if self.proc is not None:
            raise RuntimeError("already started")
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [_server_binary()], cwd=self.state_dir, env=self.environment(),
            stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        try:
            self.host, self.port = self._wait_listening()
            self._wait_healthy()
        except BaseException:
            self._kill()
            raise

    def _wait_listening(self) -> tuple[str, int]:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                found = _LISTEN_RE.search(f.read())
            if found:
                return found.group(1).decode().strip("[]"), int(found.group(2))
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"tenantkit-server exited with {self.proc.returncode} at start:\n"
                    + self.log_tail())
            time.sleep(0.02)
        raise RuntimeError("tenantkit-server did not print its listening line:\n"
                           + self.log_tail())

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if self.client().get("/health").status == 200:
                    return
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"/health never answered 200 ({last}):\n" + self.log_tail())

    def terminate(self) -> None:
        """Sends SIGTERM without waiting (a later stop() waits and checks the exit code)."""
        if self.proc is not None and self.proc.poll() is None and not self._terminated:
            self.proc.send_signal(signal.SIGTERM)
            self._terminated = True

    def stop(self, check: bool = True) -> int:
        """SIGTERM, then waits up to 10 s. With ``check`` raises AssertionError unless the exit
        code is 0 (the tail of the log is in the message). Returns the exit code."""
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        rc: int | None
        if proc.poll() is None and not self._terminated:
            proc.send_signal(signal.SIGTERM)
        self._terminated = False
        try:
            rc = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        self._close_log()
        if check and rc != 0:
            what = "did not exit within 10 s of SIGTERM" if rc is None else f"exited with {rc}"
            raise AssertionError(f"tenantkit-server {what}:\n{self.log_tail()}")
        return -1 if rc is None else rc

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def close(self, check: bool = True) -> None:
        """stop() plus removal of what this server owns (temp dir, database)."""
        try:
            self.stop(check=check)
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        if _keep():
            sys.stderr.write(f"[e2e] kept {self.state_dir}\n")
            return
        if self.shared.database is not None and self.shared.owns_database:
            try:
                self.shared.database.drop()
            except RuntimeError as e:
                sys.stderr.write(f"[e2e] could not drop the database: {e}\n")
        if self.shared.redis is not None and self.shared.owns_state:
            try:
                self.shared.redis.release()
            except (OSError, RuntimeError) as e:
                sys.stderr.write(f"[e2e] could not release the Redis database: {e}\n")
        if self.shared.owns_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def sibling(self, env: Mapping[str, str] | None = None) -> Server:
        """A second instance of the same deployment: same database, Redis, pepper, JWT key file,
        admin token and outbox. Close it before this one (this one owns the shared state)."""
        shared = _Shared(
            self.state_dir, self.shared.database_url, self.shared.migration_url,
            self.shared.redis_url, self.shared.database, self.shared.redis, owns_state=False,
            owns_database=False,
            extra_env=dict(self.shared.extra_env))
        return Server(self.backend, env={**self.env_overrides, **(env or {})}, _shared=shared)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # A failing test's exception wins over a failing stop.
        self.close(check=exc_type is None)

    # -- inspection

    def client(self, keep_cookies: bool = False) -> Client:
        return Client(self.url, keep_cookies=keep_cookies)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return "\n".join(f"  | {line}" for line in tail) or "  | (empty log)"

    def outbox(self) -> list[dict[str, Any]]:
        """The messages in the outbox, oldest first (file names start with the time)."""
        if not os.path.isdir(self.outbox_dir):
            return []
        out = []
        for name in sorted(os.listdir(self.outbox_dir)):
            if name.endswith(".json"):
                with open(os.path.join(self.outbox_dir, name), encoding="utf-8") as f:
                    out.append(jsonlib.load(f))
        return out


# --------------------------------------------------------------------------------------------
# Test case base


class E2ETestCase(unittest.TestCase):
    """One server per test class, started in setUpClass and stopped (exit code checked) in
    tearDownClass. Subclasses configure it with ``server_env()`` and ``server_redis``. When a
    test fails or errors, the tail of the server's log is printed to stderr."""

    server: Server
    client: Client
    server_redis: bool | None = None
    #: When set, the server runs with TK_PLANS_FILE = {"plans": plans}, a temp file removed with
    #: the server.
    plans: list[dict[str, Any]] | None = None
    _plans_path: str | None = None

    @classmethod
    def server_env(cls) -> dict[str, str]:
        """Extra TK_* settings for this class's server."""
        return {}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        env = dict(cls.server_env())
        if cls.plans is not None:
            fd, cls._plans_path = tempfile.mkstemp(prefix="tk-e2e-plans-", suffix=".json")
            with os.fdopen(fd, "w") as f:
                jsonlib.dump({"plans": cls.plans}, f)
            env["TK_PLANS_FILE"] = cls._plans_path
        try:
            cls.server = Server(env=env, redis=cls.server_redis)
        except BaseException:
            cls._remove_plans_file()
            raise
        cls.client = cls.server.client()

    @classmethod
    def _remove_plans_file(cls) -> None:
        if cls._plans_path is not None:
            os.unlink(cls._plans_path)
            cls._plans_path = None

    @classmethod
    def tearDownClass(cls) -> None:
        server = getattr(cls, "server", None)
        if server is not None:
            server.close()
        cls._remove_plans_file()
        super().tearDownClass()

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        server = getattr(type(self), "server", None)
        if server is not None and len(result.failures) + len(result.errors) > before:
            sys.stderr.write(f"\n--- server log tail ({self.id()}):\n{server.log_tail()}\n")
        return out

    def assert_healthy(self) -> None:
        """The process still runs and /health answers 200 on a fresh connection."""
        self.assertTrue(self.server.alive(), "the server process died")
        resp = self.server.client().get("/health")
        self.assertEqual(resp.status, 200, resp)


# --------------------------------------------------------------------------------------------
# Helpers


def assert_problem(resp: Response, status: int, code: str,
                   tc: unittest.TestCase | None = None) -> dict[str, Any]:
    """Asserts an RFC 9457 problem document of API.md: content type application/problem+json,
    HTTP status and body ``status`` equal to ``status``, ``code``, a ``type`` and a ``title``.
    Returns the parsed document."""
    t = tc or unittest.TestCase()
    t.assertEqual(resp.status, status, f"expected {status} {code}, got {resp!r}")
    t.assertEqual(resp.content_type, "application/problem+json", resp.headers.get("Content-Type"))
    doc = resp.json()
    t.assertIsInstance(doc, dict)
    t.assertEqual(doc.get("status"), status, doc)
    t.assertEqual(doc.get("code"), code, doc)
    t.assertIsInstance(doc.get("type"), str, doc)
    t.assertTrue(doc["type"], doc)
    t.assertIsInstance(doc.get("title"), str, doc)
    t.assertTrue(doc["title"], doc)
    if code == "validation_failed":
        t.assertIsInstance(doc.get("errors"), list, doc)
    return doc


def unique_email(tag: str = "user") -> str:
    """A new address on a reserved domain, unique across processes and runs."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@e2e.example.com"


def route_missing(resp: Response) -> bool:
    """True when the router has no such path (404 not_found, problem document)."""
    return resp.status == 404 and resp.content_type == "application/problem+json" and \
        resp.json().get("code") == "not_found"


def skip_unless_route(client: Client, method: str, path: str, **kw: Any) -> Response:
    """Sends the request; raises unittest.SkipTest when the route does not exist yet (the router
    answers 404). Use for tests written ahead of their endpoint: they turn on when it lands.
    Only for routes whose real answer to this request is never a 404."""
    resp = client.request(method, path, **kw)
    if route_missing(resp):
        raise unittest.SkipTest(f"{method} {path} is not implemented yet")
    return resp


def register(client: Client, email: str | None = None, org_name: str | None = None,
             password: str = DEFAULT_PASSWORD, name: str | None = None) -> dict[str, Any]:
    """POST /v1/auth/register; asserts 201 and API.md's token response. Returns
    {"tokens": {access_token, refresh_token, token_type, expires_in}, "user", "org", "email",
    "password", "response"}. SkipTest while the route does not exist."""
    email = email or unique_email()
    body: dict[str, Any] = {"email": email, "password": password,
                            "org_name": org_name or f"Org {uuid.uuid4().hex[:8]}"}
    if name is not None:
        body["name"] = name
    resp = skip_unless_route(client, "POST", "/v1/auth/register", json=body)
    t = unittest.TestCase()
    t.assertEqual(resp.status, 201, resp)
    doc = resp.json()
    for key in ("access_token", "refresh_token", "token_type", "expires_in", "user", "org"):
        t.assertIn(key, doc)
    t.assertEqual(doc["token_type"], "Bearer")
    tokens = {k: doc[k] for k in ("access_token", "refresh_token", "token_type", "expires_in")}
    return {"tokens": tokens, "user": doc["user"], "org": doc["org"], "email": email,
            "password": password, "response": resp}


def requires_redis(obj: Any) -> Any:
    """Decorator: skip a test (or class) when TK_TEST_REDIS_URL is unset."""
    skip = unittest.skipUnless(os.environ.get("TK_TEST_REDIS_URL"), "TK_TEST_REDIS_URL is not set")
    return skip(obj)


# -- raw sockets (robustness tests)


def connect(server: Server, timeout: float = 5.0) -> socket.socket:
    """A raw TCP connection to the server."""
    return socket.create_connection((server.host, server.port), timeout=timeout)


def read_until_closed(sock: socket.socket, timeout: float = 5.0,
                      stop: Callable[[bytes], bool] | None = None) -> tuple[bytes, bool]:
    """Reads until the peer closes, ``stop(data)`` is true, or ``timeout`` passes. Returns
    (data, closed) where closed means EOF or reset was seen."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
        if stop is not None and stop(data):
            return data, False


def raw_exchange(server: Server, data: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Writes ``data`` on a fresh connection and reads what comes back until the server closes
    or ``timeout``. Returns (bytes received, closed by the server)."""
    with connect(server, timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return b"", True
        return read_until_closed(sock, timeout)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def parse_raw_response(data: bytes) -> RawResponse | None:
    """The first HTTP response in ``data`` (Content-Length bodies), or None if incomplete."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return RawResponse(int(parts[1]), headers, rest[:length])


def split_raw_responses(data: bytes) -> list[RawResponse]:
    """Every complete response in ``data`` (pipelined answers on one connection)."""
    out = []
    while data:
        resp = parse_raw_response(data)
        if resp is None:
            break
        out.append(resp)
        head_len = data.index(b"\r\n\r\n") + 4
        data = data[head_len + len(resp.body):]
    return out


def eventually(fetch: Callable[[], Any], done: Callable[[Any], bool],
               timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Calls ``fetch`` until ``done(result)`` or ``timeout``; returns the last result (assert
    on it). For bounded-time properties, e.g. "the other instance refuses a revoked key
    within 1 s": ``eventually(lambda: b.get(path, api_key=k), lambda r: r.status == 401, 1.0)``."""
    deadline = time.monotonic() + timeout
    result = fetch()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(interval)
        result = fetch()
    return result


def run_parallel(fns: Iterable[Callable[[], Any]]) -> list[Any]:
    """Runs callables in threads; returns results in order (re-raises the first exception)."""
    fns = list(fns)
    results: list[Any] = [None] * len(fns)
    errors: list[BaseException] = []

    def call(i: int, fn: Callable[[], Any]) -> None:
        try:
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            errors.append(e)

    threads = [threading.Thread(target=call, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
