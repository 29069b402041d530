# SPDX-License-Identifier: Apache-2.0
"""Quota: check-and-consume on per-tenant meters, in-process or shared through Redis."""
from __future__ import annotations

import enum
from ctypes import byref, c_void_p
from dataclasses import dataclass

from . import _lib
from ._lib import Outcome_, enc, lib
from .clock import ManualClock, Time, clock_ptr, unix
from .errors import Status

#: A limit without bound.
UNLIMITED = -1


class MeterKind(enum.IntEnum):
    """How a meter counts."""

    COUNTER = 0  #: Units per period; denies quota_exceeded.
    GAUGE = 1  #: A level (seats); denies plan_limit_reached.
    FIXED_WINDOW = 2  #: Requests per fixed window; denies rate_limited.
    TOKEN_BUCKET = 3  #: GCRA, bursts up to the limit; denies rate_limited.


@dataclass(frozen=True)
class Outcome:
    """The answer of a decision (a deny is an Outcome, not an exception). Truthy when
    allowed. ``limit``/``remaining`` are UNLIMITED (-1) for unlimited meters."""

    allowed: bool
    warning: bool
    overage: bool
    kind: MeterKind
    deny_code: Status
    limit: int
    used: int
    remaining: int
    window_seconds: int
    reset_at: int
    retry_after_seconds: int

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def _from_c(cls, o: Outcome_) -> "Outcome":
        return cls(bool(o.allowed), bool(o.warning), bool(o.overage), MeterKind(o.kind),
                   Status(o.deny_code), o.limit, o.used, o.remaining, o.window_seconds,
                   o.reset_at, o.retry_after_seconds)

    def _to_c(self) -> Outcome_:
        return Outcome_(self.allowed, self.warning, self.overage, int(self.kind),
                        int(self.deny_code), self.limit, self.used, self.remaining,
                        self.window_seconds, self.reset_at, self.retry_after_seconds)

    def headers(self, meter: str, now: Time | None = None) -> dict[str, str]:
        """API.md's rate-limit headers for this outcome (only those to send)."""
        return rate_limit_headers(meter, self, now)


def rate_limit_headers(meter: str, outcome: Outcome, now: Time | None = None) -> dict[str, str]:
    """{"RateLimit-Policy": ..., "RateLimit": ..., "Retry-After": ...}, leaving out headers
    not to send (Retry-After when allowed; all for unlimited meters and gauges)."""
    import time

    c = outcome._to_c()
    p, r, a = c_void_p(), c_void_p(), c_void_p()
    at = unix(now) if now is not None else int(time.time())
    _lib.call(lib.tk_quota_format_headers, enc(meter), byref(c), at, byref(p), byref(r), byref(a))
    values = {
        "RateLimit-Policy": _lib.take_string(p),
        "RateLimit": _lib.take_string(r),
        "Retry-After": _lib.take_string(a),
    }
    return {k: v for k, v in values.items() if v}


class Reservation(_lib.Handle):
    """Units held by Quota.reserve() until commit(), release() or the ttl. A denied
    reservation (``outcome.allowed`` false) has id 0 and holds nothing. Not thread-safe."""

    _destroy = lib.tk_reservation_destroy

    def __init__(self, ptr: c_void_p, quota: "Quota", outcome: Outcome) -> None:
        super().__init__(ptr, keep=(quota,))
        self._quota = quota
        self.outcome = outcome

    @property
    def id(self) -> int:
        return int(lib.tk_reservation_id(self._handle))

    def commit(self, actual: int) -> Outcome:
        """Settles with the `actual` usage. Raises GoneError (settled or expired),
        NotFoundError (a denied reservation)."""
        o = Outcome_()
        _lib.call(lib.tk_quota_commit, self._quota._handle, self._handle, int(actual), byref(o))
        return Outcome._from_c(o)

    def release(self) -> None:
        """Returns every reserved unit. Raises as commit()."""
        _lib.call(lib.tk_quota_release, self._quota._handle, self._handle)


class Quota(_lib.Handle):
    """A quota engine with its own limit table. Quota() is in-process (lock-free);
    Quota.redis(url) shares counters with every process using the same Redis. Thread-safe.
    `clock` must stay open while the engine is used."""

    _destroy = lib.tk_quota_destroy

    def __init__(self, clock: ManualClock | None = None, *, _ptr: c_void_p | None = None) -> None:
        ptr = _ptr
        if ptr is None:
            ptr = c_void_p()
            _lib.call(lib.tk_quota_create, clock_ptr(clock), byref(ptr))
        super().__init__(ptr, keep=(clock,))

    @classmethod
    def redis(cls, url: str, clock: ManualClock | None = None) -> "Quota":
        """The Redis engine at "redis://HOST:PORT[/DB]" (fail closed). Raises
        ValidationError (bad URL), UnavailableError (cannot connect, or built without Redis)."""
        ptr = c_void_p()
        _lib.call(lib.tk_quota_open_redis, enc(url), clock_ptr(clock), byref(ptr))
        return cls(clock, _ptr=ptr)

    def set_limit(self, meter: str, limit: int, *, kind: MeterKind = MeterKind.COUNTER,
                  window: int = 2_592_000, soft: bool = False, tenant: str | None = None) -> None:
        """Sets `meter`'s limit for every tenant, or for one `tenant` (an override that wins).
        `limit` may be UNLIMITED; `window` in seconds (ignored for gauges); `soft` allows past
        the limit and flags overage. Raises ValidationError."""
        _lib.call(lib.tk_quota_set_limit, self._handle, enc(tenant), enc(meter), int(kind),
                  int(limit), int(window), bool(soft))

    def decide(self, tenant: str, meter: str, cost: int = 1) -> Outcome:
        """Spends `cost` units when allowed (cost 0 reads). Raises NotFoundError (no limit for
        the meter), ValidationError (cost < 0), UnavailableError (Redis down)."""
        o = Outcome_()
        _lib.call(lib.tk_quota_decide, self._handle, enc(tenant), enc(meter), int(cost), byref(o))
        return Outcome._from_c(o)

    def set_gauge(self, tenant: str, meter: str, value: int) -> None:
        """Sets a gauge's level. Raises ValidationError (not a gauge, value < 0)."""
        _lib.call(lib.tk_quota_set_gauge, self._handle, enc(tenant), enc(meter), int(value))

    def reserve(self, tenant: str, meter: str, amount: int, ttl: int = 60) -> Reservation:
        """Holds `amount` units for up to `ttl` seconds; check ``reservation.outcome``."""
        ptr = c_void_p()
        o = Outcome_()
        _lib.call(lib.tk_quota_reserve, self._handle, enc(tenant), enc(meter), int(amount),
                  int(ttl), byref(ptr), byref(o))
        return Reservation(ptr, self, Outcome._from_c(o))
