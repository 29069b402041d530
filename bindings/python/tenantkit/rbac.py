# SPDX-License-Identifier: Apache-2.0
"""Rbac: permission checks, custom roles and user roles (tenantkit::rbac::Engine)."""
from __future__ import annotations

from ctypes import byref, c_bool, c_char_p, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from . import _lib
from ._lib import enc, lib, str_array


@dataclass(frozen=True)
class Decision:
    """The answer of a check. ``reason`` is "none" when allowed, else one of
    "unknown_permission", "not_a_member", "not_granted", "explicit_deny", "outside_scope",
    "condition". Truthy when allowed."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


class Rbac(_lib.Handle):
    """The RBAC engine with API.md's built-in roles (owner, admin, member, billing,
    readonly/viewer). Tenants and users are id strings. Thread-safe; checks are lock-free.

    >>> with Rbac() as rbac:
    ...     rbac.set_user_roles("org_1", "user_1", ["member"])
    ...     bool(rbac.check("org_1", "user_1", "data:read"))
    True
    """

    _destroy = lib.tk_rbac_destroy

    def __init__(self) -> None:
        ptr = c_void_p()
        _lib.call(lib.tk_rbac_create, byref(ptr))
        super().__init__(ptr)

    def register_permission(self, name: str) -> None:
        """Adds an application permission "resource:action". Raises ValidationError."""
        _lib.call(lib.tk_rbac_register_permission, self._handle, enc(name))

    def _write_role(self, fn: Callable[..., Any], tenant: str, name: str,
                    allow: Iterable[str], deny: Iterable[str], inherits: Iterable[str]) -> None:
        a, na = str_array(allow)
        d, nd = str_array(deny)
        i, ni = str_array(inherits)
        _lib.call(fn, self._handle, enc(tenant), enc(name), a, na, d, nd, i, ni)

    def create_role(self, tenant: str, name: str, allow: Iterable[str] = (),
                    deny: Iterable[str] = (), inherits: Iterable[str] = ()) -> None:
        """Creates a custom role: `allow`/`deny` are permission names or patterns
        ("members:*", "*:read"); deny wins. Raises ConflictError (name taken or built-in),
        ValidationError (bad pattern, unknown permission or parent, cycle)."""
        self._write_role(lib.tk_rbac_create_role, tenant, name, allow, deny, inherits)

    def update_role(self, tenant: str, name: str, allow: Iterable[str] = (),
                    deny: Iterable[str] = (), inherits: Iterable[str] = ()) -> None:
        """Replaces a custom role. Raises NotFoundError, ConflictError (built-in)."""
        self._write_role(lib.tk_rbac_update_role, tenant, name, allow, deny, inherits)

    def delete_role(self, tenant: str, name: str) -> None:
        """Raises NotFoundError, ConflictError (built-in, held by a user, inherited)."""
        _lib.call(lib.tk_rbac_delete_role, self._handle, enc(tenant), enc(name))

    def set_user_roles(self, tenant: str, user: str, roles: Iterable[str]) -> None:
        """Sets (replaces) a user's roles in a tenant. Raises ValidationError (unknown role)."""
        r, n = str_array(roles)
        _lib.call(lib.tk_rbac_set_user_roles, self._handle, enc(tenant), enc(user), r, n)

    def remove_user(self, tenant: str, user: str) -> None:
        """Ends a user's membership (absent users are ignored)."""
        _lib.call(lib.tk_rbac_remove_user, self._handle, enc(tenant), enc(user))

    def check(self, tenant: str, user: str, permission: str) -> Decision:
        """May `user` use `permission` in `tenant`? A deny is a Decision, not an exception."""
        allowed = c_bool()
        reason = c_char_p()
        _lib.call(lib.tk_rbac_check, self._handle, enc(tenant), enc(user), enc(permission),
                  byref(allowed), byref(reason))
        return Decision(bool(allowed.value), (reason.value or b"").decode())

    def check_scoped(self, tenant: str, user: str, permission: str,
                     scopes: Iterable[str]) -> Decision:
        """check() for an API key acting for `user`, limited to its `scopes`
        (denied "outside_scope"). Raises ValidationError for a scope matching nothing."""
        s, n = str_array(scopes)
        allowed = c_bool()
        reason = c_char_p()
        _lib.call(lib.tk_rbac_check_scoped, self._handle, enc(tenant), enc(user),
                  enc(permission), s, n, byref(allowed), byref(reason))
        return Decision(bool(allowed.value), (reason.value or b"").decode())

    def user_permissions(self, tenant: str, user: str) -> list[str]:
        """The user's effective permissions in the tenant (empty when not a member)."""
        out = c_void_p()
        _lib.call(lib.tk_rbac_user_permissions, self._handle, enc(tenant), enc(user), byref(out))
        return _lib.take_strings(out)
