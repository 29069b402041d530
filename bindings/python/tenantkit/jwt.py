# SPDX-License-Identifier: Apache-2.0
"""Jwt: verify (and sign) access tokens, HS256 or EdDSA (tenantkit::auth::JwtCodec)."""
from __future__ import annotations

import json
from ctypes import byref, c_void_p
from typing import Any

from . import _lib
from ._lib import blob, enc, lib
from .clock import ManualClock, clock_ptr


def generate_key_set(clock: ManualClock | None = None) -> str:
    """A fresh Ed25519 key set in its private JSON form (keep it secret)."""
    out = c_void_p()
    _lib.call(lib.tk_jwt_generate_key_set, clock_ptr(clock), byref(out))
    return _lib.take_string(out)


class Jwt(_lib.Handle):
    """A token codec for one algorithm. Jwt.hs256(secret) or Jwt.eddsa(key_set_json).
    Thread-safe. `clock` must stay open while the codec is used."""

    _destroy = lib.tk_jwt_destroy

    @classmethod
    def hs256(cls, secret: str | bytes, *, issuer: str | None = None,
              audience: str | None = None, ttl: int = 0,
              clock: ManualClock | None = None) -> "Jwt":
        """Secret >= 32 bytes; issuer/audience default "tenantkit"; ttl 0: 900 s.
        Raises ValidationError."""
        s = blob(secret)
        ptr = c_void_p()
        _lib.call(lib.tk_jwt_create_hs256, s, len(s), enc(issuer), enc(audience), int(ttl),
                  clock_ptr(clock), byref(ptr))
        return cls(ptr, keep=(clock,))

    @classmethod
    def eddsa(cls, key_set_json: str, *, issuer: str | None = None,
              audience: str | None = None, ttl: int = 0,
              clock: ManualClock | None = None) -> "Jwt":
        """From a private key set (generate_key_set(), the server's TK_JWT_KEY_FILE).
        Raises BadRequestError (not a key set), ValidationError."""
        k = blob(key_set_json)
        ptr = c_void_p()
        _lib.call(lib.tk_jwt_create_eddsa, k, len(k), enc(issuer), enc(audience), int(ttl),
                  clock_ptr(clock), byref(ptr))
        return cls(ptr, keep=(clock,))

    def verify(self, token: str | bytes) -> dict[str, Any]:
        """The claims {"iss", "aud", "sub", "org", "sid", "iat", "exp", "jti"} of a valid
        token. Raises UnauthorizedError; its ``detail`` is the reason ("token_expired",
        "token_bad_signature", "token_alg_none", ...)."""
        t = blob(token)
        out = c_void_p()
        _lib.call(lib.tk_jwt_verify, self._handle, t, len(t), byref(out))
        claims: dict[str, Any] = json.loads(_lib.take_string(out))
        return claims

    def sign(self, user: str, org: str | None = None, session: str | None = None) -> str:
        """A token for `user` valid for the codec's ttl."""
        out = c_void_p()
        _lib.call(lib.tk_jwt_sign, self._handle, enc(user), enc(org), enc(session), byref(out))
        return _lib.take_string(out)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document ({"keys": []} for HS256)."""
        out = c_void_p()
        _lib.call(lib.tk_jwt_jwks, self._handle, byref(out))
        doc: dict[str, Any] = json.loads(_lib.take_string(out))
        return doc
