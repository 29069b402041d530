# SPDX-License-Identifier: Apache-2.0
"""Loads libtenantkit_c.so and declares the C signatures (internal).

Search order: the ``TENANTKIT_C_LIBRARY`` environment variable (a path), a
``libtenantkit_c.so*`` next to this package, then the dynamic loader's path
(``libtenantkit_c.so.0``, what the Debian package installs).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (
    POINTER,
    c_bool,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TypeVar

from .errors import TenantkitError, error_for_status

SONAME = "libtenantkit_c.so.0"


class Outcome_(ctypes.Structure):
    """tk_outcome, field for field."""

    _fields_ = [
        ("allowed", c_bool),
        ("warning", c_bool),
        ("overage", c_bool),
        ("kind", c_int),
        ("deny_code", c_int),
        ("limit", c_int64),
        ("used", c_int64),
        ("remaining", c_int64),
        ("window_seconds", c_int64),
        ("reset_at", c_int64),
        ("retry_after_seconds", c_int64),
    ]


def _candidates() -> list[str]:
    env = os.environ.get("TENANTKIT_C_LIBRARY")
    if env:
        return [env]
    here = Path(__file__).resolve().parent
    local = sorted(here.glob("libtenantkit_c.so*"))
    found = ctypes.util.find_library("tenantkit_c")
    return [str(p) for p in local] + [SONAME] + ([found] if found else [])


def _load() -> ctypes.CDLL:
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:  # try the next place
            errors.append(f"{path}: {e}")
    raise ImportError(
        "cannot load libtenantkit_c.so (set TENANTKIT_C_LIBRARY to its path): "
        + "; ".join(errors)
    )


lib = _load()

P = c_void_p  # every handle is opaque
E = POINTER(c_void_p)  # tk_error**
S = POINTER(c_void_p)  # char** (c_void_p so that the pointer can be freed)
STRS = POINTER(c_char_p)  # const char* const*

_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "tk_version": (c_char_p, []),
    "tk_version_number": (c_int, []),
    "tk_built_with": (c_bool, [c_char_p]),
    "tk_status_name": (c_char_p, [c_int]),
    "tk_error_code": (c_int, [P]),
    "tk_error_message": (c_char_p, [P]),
    "tk_error_detail": (c_char_p, [P]),
    "tk_error_field_count": (c_size_t, [P]),
    "tk_error_field_name": (c_char_p, [P, c_size_t]),
    "tk_error_field_message": (c_char_p, [P, c_size_t]),
    "tk_error_free": (None, [P]),
    "tk_string_free": (None, [c_void_p]),
    "tk_strings_count": (c_size_t, [P]),
    "tk_strings_get": (c_char_p, [P, c_size_t]),
    "tk_strings_free": (None, [P]),
    "tk_clock_create_manual": (c_int, [c_int64, POINTER(P), E]),
    "tk_clock_destroy": (None, [P]),
    "tk_clock_set": (None, [P, c_int64]),
    "tk_clock_advance": (None, [P, c_int64]),
    "tk_clock_now": (c_int64, [P]),
    "tk_rbac_create": (c_int, [POINTER(P), E]),
    "tk_rbac_destroy": (None, [P]),
    "tk_rbac_register_permission": (c_int, [P, c_char_p, E]),
    "tk_rbac_create_role": (
        c_int,
        [P, c_char_p, c_char_p, STRS, c_size_t, STRS, c_size_t, STRS, c_size_t, E],
    ),
    "tk_rbac_update_role": (
        c_int,
        [P, c_char_p, c_char_p, STRS, c_size_t, STRS, c_size_t, STRS, c_size_t, E],
    ),
    "tk_rbac_delete_role": (c_int, [P, c_char_p, c_char_p, E]),
    "tk_rbac_set_user_roles": (c_int, [P, c_char_p, c_char_p, STRS, c_size_t, E]),
    "tk_rbac_remove_user": (c_int, [P, c_char_p, c_char_p, E]),
    "tk_rbac_check": (
        c_int,
        [P, c_char_p, c_char_p, c_char_p, POINTER(c_bool), POINTER(c_char_p), E],
    ),
    "tk_rbac_check_scoped": (
        c_int,
        [P, c_char_p, c_char_p, c_char_p, STRS, c_size_t, POINTER(c_bool), POINTER(c_char_p), E],
    ),
    "tk_rbac_user_permissions": (c_int, [P, c_char_p, c_char_p, POINTER(P), E]),
    "tk_storage_open_memory": (c_int, [POINTER(P), E]),
    "tk_storage_open_sqlite": (c_int, [c_char_p, POINTER(P), E]),
    "tk_storage_destroy": (None, [P]),
    "tk_storage_create_user": (c_int, [P, c_char_p, c_char_p, S, E]),
    "tk_storage_create_org": (c_int, [P, c_char_p, c_char_p, c_char_p, S, E]),
    "tk_usage_record": (
        c_int,
        [P, c_char_p, c_char_p, c_int64, c_char_p, c_int64, POINTER(c_bool), E],
    ),
    "tk_usage_total": (
        c_int,
        [P, c_char_p, c_char_p, c_int64, c_int64, POINTER(c_int64), E],
    ),
    "tk_apikeys_create": (c_int, [P, c_char_p, c_size_t, P, POINTER(P), E]),
    "tk_apikeys_destroy": (None, [P]),
    "tk_apikeys_issue": (
        c_int,
        [P, c_char_p, c_char_p, c_char_p, STRS, c_size_t, STRS, c_size_t, c_int64, S, S, S, E],
    ),
    "tk_apikeys_verify": (c_int, [P, c_char_p, c_size_t, S, S, S, POINTER(P), E]),
    "tk_apikeys_revoke": (c_int, [P, c_char_p, c_char_p, E]),
    "tk_apikeys_rotate": (c_int, [P, c_char_p, c_char_p, c_int64, S, S, S, E]),
    "tk_quota_create": (c_int, [P, POINTER(P), E]),
    "tk_quota_open_redis": (c_int, [c_char_p, P, POINTER(P), E]),
    "tk_quota_destroy": (None, [P]),
    "tk_quota_set_limit": (
        c_int,
        [P, c_char_p, c_char_p, c_int, c_int64, c_int64, c_bool, E],
    ),
    "tk_quota_decide": (c_int, [P, c_char_p, c_char_p, c_int64, POINTER(Outcome_), E]),
    "tk_quota_set_gauge": (c_int, [P, c_char_p, c_char_p, c_int64, E]),
    "tk_quota_reserve": (
        c_int,
        [P, c_char_p, c_char_p, c_int64, c_int64, POINTER(P), POINTER(Outcome_), E],
    ),
    "tk_quota_commit": (c_int, [P, P, c_int64, POINTER(Outcome_), E]),
    "tk_quota_release": (c_int, [P, P, E]),
    "tk_reservation_id": (c_uint64, [P]),
    "tk_reservation_destroy": (None, [P]),
    "tk_quota_format_headers": (
        c_int,
        [c_char_p, POINTER(Outcome_), c_int64, S, S, S, E],
    ),
    "tk_plans_builtin": (c_int, [POINTER(P), E]),
    "tk_plans_parse": (c_int, [c_char_p, c_size_t, POINTER(P), E]),
    "tk_plans_destroy": (None, [P]),
    "tk_plans_ids": (c_int, [P, POINTER(P), E]),
    "tk_plans_has_feature": (c_int, [P, c_char_p, c_char_p, POINTER(c_bool), E]),
    "tk_plans_limit": (c_int, [P, c_char_p, c_char_p, POINTER(c_int64), E]),
    "tk_webhook_verify": (
        c_int,
        [STRS, c_size_t, c_char_p, c_size_t, c_char_p, c_size_t, c_int64, c_int64,
         POINTER(c_int64), E],
    ),
    "tk_webhook_sign": (c_int, [c_char_p, c_int64, c_char_p, c_size_t, S, E]),
    "tk_jwt_create_hs256": (
        c_int,
        [c_char_p, c_size_t, c_char_p, c_char_p, c_int64, P, POINTER(P), E],
    ),
    "tk_jwt_create_eddsa": (
        c_int,
        [c_char_p, c_size_t, c_char_p, c_char_p, c_int64, P, POINTER(P), E],
    ),
    "tk_jwt_destroy": (None, [P]),
    "tk_jwt_generate_key_set": (c_int, [P, S, E]),
    "tk_jwt_verify": (c_int, [P, c_char_p, c_size_t, S, E]),
    "tk_jwt_sign": (c_int, [P, c_char_p, c_char_p, c_char_p, S, E]),
    "tk_jwt_jwks": (c_int, [P, S, E]),
}

for _name, (_res, _args) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args


def enc(s: str | None) -> bytes | None:
    """A str argument as UTF-8 (None stays NULL)."""
    return None if s is None else s.encode("utf-8")


def blob(data: str | bytes) -> bytes:
    """A binary-safe argument: bytes as is, str as UTF-8."""
    return data if isinstance(data, bytes) else data.encode("utf-8")


def str_array(items: Iterable[str]) -> tuple[Any, int]:
    """A const char* const* array and its length (keep the array alive during the call)."""
    encoded = [s.encode("utf-8") for s in items]
    return (c_char_p * len(encoded))(*encoded), len(encoded)


def call(fn: Callable[..., int], *args: Any) -> None:
    """Calls a tk_ function with a trailing tk_error** and raises its error as an exception."""
    err = c_void_p()
    status = fn(*args, ctypes.byref(err))
    if status != 0:
        raise take_error(status, err)


def take_error(status: int, err: c_void_p) -> TenantkitError:
    """Builds the exception for `status` from a tk_error (freed here)."""
    if not err:
        name = lib.tk_status_name(status).decode()
        return error_for_status(status)(name, status, "", [])
    try:
        count = lib.tk_error_field_count(err)
        fields = [
            (lib.tk_error_field_name(err, i).decode(), lib.tk_error_field_message(err, i).decode())
            for i in range(count)
        ]
        return error_for_status(status)(
            lib.tk_error_message(err).decode(),
            status,
            lib.tk_error_detail(err).decode(),
            fields,
        )
    finally:
        lib.tk_error_free(err)


def take_string(ptr: c_void_p) -> str:
    """Copies a library-allocated string and frees (wipes) the original."""
    if not ptr:
        return ""
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        lib.tk_string_free(ptr)


def take_strings(handle: c_void_p) -> list[str]:
    """Copies a tk_strings list and frees it."""
    if not handle:
        return []
    try:
        return [lib.tk_strings_get(handle, i).decode() for i in range(lib.tk_strings_count(handle))]
    finally:
        lib.tk_strings_free(handle)


H = TypeVar("H", bound="Handle")


class Handle:
    """Owns one opaque C handle: closed by close(), a with-block, or garbage collection."""

    _destroy: Callable[[c_void_p], None]

    def __init__(self, ptr: c_void_p, keep: Sequence[object] = ()) -> None:
        self._ptr: c_void_p | None = ptr
        # Handles this one references in C (storage, clock) must outlive it.
        self._keep = tuple(keep)

    @property
    def _handle(self) -> c_void_p:
        if self._ptr is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self) -> None:
        """Releases the C handle now (idempotent)."""
        if self._ptr is not None:
            type(self)._destroy(self._ptr)
            self._ptr = None

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass
