# SPDX-License-Identifier: Apache-2.0
"""Plan entitlements (a plan catalogue) and Stripe-scheme webhook signatures."""
from __future__ import annotations

from ctypes import byref, c_bool, c_int64, c_void_p
from typing import Iterable

from . import _lib
from ._lib import blob, enc, lib, str_array
from .clock import Time, unix


class Plans(_lib.Handle):
    """An immutable plan catalogue: Plans.builtin() (free, pro, enterprise) or
    Plans.from_json(text) (the TK_PLANS_FILE format). Thread-safe."""

    _destroy = lib.tk_plans_destroy

    @classmethod
    def builtin(cls) -> "Plans":
        ptr = c_void_p()
        _lib.call(lib.tk_plans_builtin, byref(ptr))
        return cls(ptr)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Plans":
        """Raises BadRequestError (not JSON), ValidationError (fields name JSON paths)."""
        data = blob(text)
        ptr = c_void_p()
        _lib.call(lib.tk_plans_parse, data, len(data), byref(ptr))
        return cls(ptr)

    def ids(self) -> list[str]:
        out = c_void_p()
        _lib.call(lib.tk_plans_ids, self._handle, byref(out))
        return _lib.take_strings(out)

    def has_feature(self, plan: str, feature: str) -> bool:
        """Features: audit_log, api_key_scopes, custom_roles, scim, audit_export.
        Raises NotFoundError (plan), ValidationError (feature)."""
        has = c_bool()
        _lib.call(lib.tk_plans_has_feature, self._handle, enc(plan), enc(feature), byref(has))
        return bool(has.value)

    def limit(self, plan: str, meter: str) -> int | None:
        """The plan's limit of a meter (api_calls, seats, workspaces, ai_tokens); None when
        unlimited. Raises NotFoundError (plan), ValidationError (meter)."""
        out = c_int64()
        _lib.call(lib.tk_plans_limit, self._handle, enc(plan), enc(meter), byref(out))
        return None if out.value < 0 else int(out.value)


def verify_webhook(secrets: Iterable[str], header: str | bytes, body: bytes,
                   now: Time | None = None, tolerance: int = 300) -> int:
    """Verifies a Stripe-Signature header for the raw `body` against any of `secrets`
    and returns the signed timestamp. Raises InvalidSignatureError (the detail says why),
    ValidationError (no secret)."""
    s, n = str_array(secrets)
    h = blob(header)
    signed_at = c_int64()
    _lib.call(lib.tk_webhook_verify, s, n, h, len(h), body, len(body), unix(now), int(tolerance),
              byref(signed_at))
    return int(signed_at.value)


def sign_webhook(secret: str, body: bytes, at: Time) -> str:
    """A Stripe-Signature value "t=<at>,v1=<hex>" (offline provider, tests)."""
    out = c_void_p()
    _lib.call(lib.tk_webhook_sign, enc(secret), unix(at), body, len(body), byref(out))
    return _lib.take_string(out)
