# SPDX-License-Identifier: Apache-2.0
"""ManualClock: deterministic time for expiry, windows and tokens in tests."""
from __future__ import annotations

import datetime as _dt
from ctypes import byref, c_void_p
from typing import Union

from . import _lib
from ._lib import lib

#: A point in time: Unix seconds, or an aware datetime.
Time = Union[int, float, _dt.datetime]


def unix(t: Time | None) -> int:
    """Unix seconds of `t` (0 for None: "now" to the C API)."""
    if t is None:
        return 0
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            raise ValueError("naive datetime: give it a tzinfo")
        return int(t.timestamp())
    return int(t)


class ManualClock(_lib.Handle):
    """A clock that moves only when told. Pass it to ApiKeys, Quota or Jwt; it must stay open
    while they use it (they keep a reference). Thread-safe."""

    _destroy = lib.tk_clock_destroy

    def __init__(self, now: Time = 1767225600) -> None:
        ptr = c_void_p()
        _lib.call(lib.tk_clock_create_manual, unix(now), byref(ptr))
        super().__init__(ptr)

    @property
    def now(self) -> int:
        """The clock's time in Unix seconds."""
        return int(lib.tk_clock_now(self._handle))

    def set(self, now: Time) -> None:
        lib.tk_clock_set(self._handle, unix(now))

    def advance(self, seconds: int) -> None:
        """Moves the clock by `seconds` (may be negative)."""
        lib.tk_clock_advance(self._handle, int(seconds))


def clock_ptr(clock: ManualClock | None) -> c_void_p | None:
    """The C handle of an optional clock (None: the system clock)."""
    return None if clock is None else clock._handle
