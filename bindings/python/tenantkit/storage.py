# SPDX-License-Identifier: Apache-2.0
"""Storage (in-memory or SQLite), usage events, and API keys (tenantkit::apikey)."""
from __future__ import annotations

from ctypes import byref, c_bool, c_int64, c_void_p
from dataclasses import dataclass
from typing import Iterable, Sequence

from . import _lib
from ._lib import blob, enc, lib, str_array
from .clock import ManualClock, Time, clock_ptr, unix


class Storage(_lib.Handle):
    """Where orgs, users, API key records (keyed hashes) and usage events live.
    Open with Storage.memory() or Storage.sqlite(path). Thread-safe."""

    _destroy = lib.tk_storage_destroy

    @classmethod
    def memory(cls) -> "Storage":
        """An in-memory storage; its data lives as long as the object."""
        ptr = c_void_p()
        _lib.call(lib.tk_storage_open_memory, byref(ptr))
        return cls(ptr)

    @classmethod
    def sqlite(cls, path: str) -> "Storage":
        """A SQLite database file (created, migrated). Raises UnavailableError when it cannot
        be opened or the library was built without SQLite."""
        ptr = c_void_p()
        _lib.call(lib.tk_storage_open_sqlite, enc(path), byref(ptr))
        return cls(ptr)

    def create_user(self, email: str, name: str = "") -> str:
        """Creates a user and returns its id. Raises ConflictError (email taken)."""
        out = c_void_p()
        _lib.call(lib.tk_storage_create_user, self._handle, enc(email), enc(name), byref(out))
        return _lib.take_string(out)

    def create_org(self, name: str, slug: str, owner: str) -> str:
        """Creates an org (tenant) owned by user `owner` and returns its id.
        Raises ConflictError (slug taken), ValidationError (slug not [a-z0-9-]{1,63})."""
        out = c_void_p()
        _lib.call(lib.tk_storage_create_org, self._handle, enc(name), enc(slug), enc(owner),
                  byref(out))
        return _lib.take_string(out)

    def record_usage(self, org: str, meter: str, quantity: int, idempotency_key: str,
                     occurred_at: Time | None = None) -> bool:
        """Records a usage event once per (org, idempotency_key). Returns True when the key
        was seen before (a duplicate: nothing counted). Raises NotFoundError, ValidationError."""
        duplicate = c_bool()
        _lib.call(lib.tk_usage_record, self._handle, enc(org), enc(meter), int(quantity),
                  enc(idempotency_key), unix(occurred_at), byref(duplicate))
        return bool(duplicate.value)

    def usage_total(self, org: str, meter: str, start: Time, end: Time) -> int:
        """Sum of `meter` over events with start <= occurred_at < end."""
        total = c_int64()
        _lib.call(lib.tk_usage_total, self._handle, enc(org), enc(meter), unix(start), unix(end),
                  byref(total))
        return int(total.value)


@dataclass(frozen=True)
class IssuedKey:
    """A new API key. ``secret`` is shown once: hand it to the client, never store it."""

    secret: str
    id: str
    prefix: str

    def __repr__(self) -> str:  # keep secrets out of logs
        return f"IssuedKey(id={self.id!r}, prefix={self.prefix!r}, secret=***)"


@dataclass(frozen=True)
class VerifiedKey:
    """What a verified key stands for."""

    org: str
    id: str
    created_by: str
    scopes: list[str]


class ApiKeys(_lib.Handle):
    """Issues, verifies, revokes and rotates API keys stored in a Storage.

    `pepper` is the server-side hashing secret (>= 32 bytes; keep it stable). `storage`
    (and `clock`) must stay open while this object is used. Thread-safe.
    """

    _destroy = lib.tk_apikeys_destroy

    def __init__(self, storage: Storage, pepper: str | bytes,
                 clock: ManualClock | None = None) -> None:
        p = blob(pepper)
        ptr = c_void_p()
        _lib.call(lib.tk_apikeys_create, storage._handle, p, len(p), clock_ptr(clock), byref(ptr))
        super().__init__(ptr, keep=(storage, clock))

    def issue(self, org: str, name: str, scopes: Sequence[str] = (),
              creator_permissions: Iterable[str] = (), created_by: str | None = None,
              expires_at: Time | None = None) -> IssuedKey:
        """Issues a key. Each scope must be covered by `creator_permissions` (e.g.
        Rbac.user_permissions of the creator); no scopes means data:read + usage:write.
        Raises ForbiddenError (escalation), ValidationError, NotFoundError (org)."""
        s, ns = str_array(scopes)
        c, nc = str_array(creator_permissions)
        secret, key_id, prefix = c_void_p(), c_void_p(), c_void_p()
        _lib.call(lib.tk_apikeys_issue, self._handle, enc(org), enc(name), enc(created_by), s, ns,
                  c, nc, unix(expires_at), byref(secret), byref(key_id), byref(prefix))
        return IssuedKey(_lib.take_string(secret), _lib.take_string(key_id),
                         _lib.take_string(prefix))

    def verify(self, presented: str | bytes) -> VerifiedKey:
        """Verifies a presented key. Raises UnauthorizedError for every bad key (the detail
        says why: malformed, checksum, unknown, revoked, expired), UnavailableError."""
        k = blob(presented)
        org, key_id, by, scopes = c_void_p(), c_void_p(), c_void_p(), c_void_p()
        _lib.call(lib.tk_apikeys_verify, self._handle, k, len(k), byref(org), byref(key_id),
                  byref(by), byref(scopes))
        return VerifiedKey(_lib.take_string(org), _lib.take_string(key_id),
                           _lib.take_string(by), _lib.take_strings(scopes))

    def revoke(self, org: str, key_id: str) -> None:
        """Revokes a key (idempotent). Raises NotFoundError (absent or another org's)."""
        _lib.call(lib.tk_apikeys_revoke, self._handle, enc(org), enc(key_id))

    def rotate(self, org: str, key_id: str, grace: int | None = None) -> IssuedKey:
        """A new secret for the key; the old one works `grace` more seconds (None: 24 h,
        0: ends now). Raises NotFoundError, GoneError (revoked, expired, rotated)."""
        secret, new_id, prefix = c_void_p(), c_void_p(), c_void_p()
        _lib.call(lib.tk_apikeys_rotate, self._handle, enc(org), enc(key_id),
                  -1 if grace is None else int(grace), byref(secret), byref(new_id),
                  byref(prefix))
        return IssuedKey(_lib.take_string(secret), _lib.take_string(new_id),
                         _lib.take_string(prefix))
