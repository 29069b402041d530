# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by test_members, test_invitations and test_roles: people joining an org through
the real invitation flow (token read from the outbox), plan changes and audit reads straight from
the database (the billing and audit routes belong to other groups), on SQLite and PostgreSQL."""

from __future__ import annotations

import json as jsonlib
import sqlite3
import time
from typing import Any

from harness import Client, Response, Server, register, unique_email


def token_of(user: dict[str, Any]) -> str:
    """The access token of a ``register()`` result."""
    return user["tokens"]["access_token"]


def org_of(user: dict[str, Any]) -> str:
    """The id of the org ``register()`` created for this user."""
    return user["org"]["id"]


def invite(client: Client, inviter: dict[str, Any], org_id: str, email: str,
           role: str = "member", **kw: Any) -> Response:
    """POST /v1/invitations as ``inviter`` in ``org_id``."""
    return client.post("/v1/invitations", json={"email": email, "role": role},
                       token=token_of(inviter), org=org_id, **kw)


def invitation_message(server: Server, email: str) -> dict[str, Any]:
    """The newest outbox message of kind "invitation" sent to ``email``."""
    found = [m for m in server.outbox() if m.get("kind") == "invitation" and m.get("to") == email]
    if not found:
        raise AssertionError(f"no invitation mail to {email} in the outbox")
    return found[-1]


def accept(client: Client, user: dict[str, Any], token: str, **kw: Any) -> Response:
    return client.post("/v1/invitations/accept", json={"token": token}, token=token_of(user), **kw)


def join(server: Server, client: Client, inviter: dict[str, Any], org_id: str,
         role: str = "member") -> dict[str, Any]:
    """Registers a new user (who gets an org of their own), invites them to ``org_id`` as
    ``role`` and accepts with the token from the outbox. Returns the register() result."""
    email = unique_email("joiner")
    resp = invite(client, inviter, org_id, email, role)
    if resp.status != 201:
        raise AssertionError(f"invitation failed: {resp!r}")
    user = register(client, email=email)
    done = accept(client, user, invitation_message(server, email)["token"])
    if done.status != 200:
        raise AssertionError(f"accept failed: {done!r}")
    return user


def members(client: Client, user: dict[str, Any], org_id: str) -> dict[str, dict[str, Any]]:
    """GET /v1/members (first page) as ``user``: items by user_id."""
    resp = client.get("/v1/members", token=token_of(user), org=org_id)
    if resp.status != 200:
        raise AssertionError(f"list members failed: {resp!r}")
    return {m["user_id"]: m for m in resp.json()["items"]}


# --------------------------------------------------------------------------------------------
# Direct database access (as the owner / superuser): plan changes and audit reads.


def _sqlite_path(server: Server) -> str:
    return server.database_url[len("sqlite:"):]


def _query(server: Server, sqlite_sql: str, pg_sql: str) -> list[list[str]]:
    if server.database is None:
        with sqlite3.connect(_sqlite_path(server), timeout=10) as conn:
            return [[str(c) for c in row] for row in conn.execute(sqlite_sql).fetchall()]
    out = server.database.query(pg_sql)
    return [line.split("|") for line in out.splitlines() if line]


def set_plan(server: Server, org_id: str, plan: str) -> None:
    """Puts ``org_id`` on ``plan`` (status active) in the subscriptions table. Call it before any
    tenant-scoped request of that org: the server caches entitlements (30 s)."""
    assert all(c in "0123456789abcdef-" for c in org_id), org_id
    assert plan.isalpha(), plan
    micros = int(time.time() * 1_000_000)
    common = ("INSERT INTO subscriptions (org_id, plan, status, customer_id, subscription_id, "
              "current_period_end, trial_end, cancel_at_period_end, last_event_at, updated_at) "
              f"VALUES ('{org_id}', '{plan}', 'active', '', '', NULL, NULL, ")
    upsert = " ON CONFLICT (org_id) DO UPDATE SET plan = excluded.plan, status = excluded.status"
    _query(server, common + f"0, NULL, {micros})" + upsert + " RETURNING org_id",
           common + "false, NULL, now())" + upsert + " RETURNING org_id")


def audit_entries(server: Server, org_id: str) -> list[dict[str, Any]]:
    """The org's audit entries in order: {action, actor_id, target_id, metadata}."""
    assert all(c in "0123456789abcdef-" for c in org_id), org_id
    sql = ("SELECT action, actor_id, target_id, metadata_json FROM audit_events "
           f"WHERE org_id = '{org_id}' ORDER BY seq")
    rows = _query(server, sql, sql)
    return [{"action": r[0], "actor_id": r[1], "target_id": r[2],
             "metadata": jsonlib.loads("|".join(r[3:]))} for r in rows]


def audited(server: Server, org_id: str, action: str) -> list[dict[str, Any]]:
    """The org's audit entries with ``action``."""
    return [e for e in audit_entries(server, org_id) if e["action"] == action]
