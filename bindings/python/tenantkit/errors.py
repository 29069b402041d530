# SPDX-License-Identifier: Apache-2.0
"""Exceptions: one TenantkitError subclass per tenantkit status code (API.md problem codes)."""
from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """tk_status / tenantkit::Errc. The set grows."""

    OK = 0
    BAD_REQUEST = 1
    VALIDATION_FAILED = 2
    UNAUTHORIZED = 3
    FORBIDDEN = 4
    NOT_FOUND = 5
    CONFLICT = 6
    GONE = 7
    PAYLOAD_TOO_LARGE = 8
    RATE_LIMITED = 9
    QUOTA_EXCEEDED = 10
    SEAT_LIMIT_REACHED = 11
    FEATURE_NOT_IN_PLAN = 12
    PLAN_LIMIT_REACHED = 13
    INVALID_SIGNATURE = 14
    UNAVAILABLE = 15
    INTERNAL = 16

    @property
    def code(self) -> str:
        """The wire spelling: "quota_exceeded"."""
        return self.name.lower()


class TenantkitError(Exception):
    """A failed tenantkit call.

    Attributes: ``status`` (Status), ``code`` (its wire spelling, e.g. "not_found"),
    ``detail`` (safe to show; never a secret) and ``fields`` ([(field, message)] for
    validation errors).
    """

    status: Status = Status.INTERNAL

    def __init__(self, message: str, status: int, detail: str,
                 fields: list[tuple[str, str]]) -> None:
        super().__init__(message)
        try:
            self.status = Status(status)
        except ValueError:
            self.status = Status.INTERNAL
        self.detail = detail
        self.fields = fields

    @property
    def code(self) -> str:
        return self.status.code


class BadRequestError(TenantkitError):
    """Malformed input (bad id syntax, bad JSON, a missing argument)."""


class ValidationError(TenantkitError):
    """Well-formed input breaking a rule; ``fields`` names the fields."""


class UnauthorizedError(TenantkitError):
    """Bad credentials: an API key or token was refused."""


class ForbiddenError(TenantkitError):
    """Authenticated, but lacking a permission (e.g. a key scope the creator lacks)."""


class NotFoundError(TenantkitError):
    """Absent, or owned by another tenant."""


class ConflictError(TenantkitError):
    """Clashes with current state: a name taken, a built-in role, a role in use."""


class GoneError(TenantkitError):
    """Used up, expired or revoked (a settled reservation, a rotated key)."""


class PayloadTooLargeError(TenantkitError):
    """Input over a size limit."""


class RateLimitedError(TenantkitError):
    """A per-window rate limit."""


class QuotaExceededError(TenantkitError):
    """A period quota is spent."""


class SeatLimitReachedError(TenantkitError):
    """No seat left in the plan."""


class FeatureNotInPlanError(TenantkitError):
    """The plan lacks the feature."""


class PlanLimitReachedError(TenantkitError):
    """A count limit of the plan is reached."""


class InvalidSignatureError(TenantkitError):
    """A webhook signature does not verify or is outside the tolerance."""


class UnavailableError(TenantkitError):
    """A backend failed (Redis, SQLite), or the library lacks the component."""


class InternalError(TenantkitError):
    """A broken invariant inside the library."""


_BY_STATUS: dict[int, type[TenantkitError]] = {
    Status.BAD_REQUEST: BadRequestError,
    Status.VALIDATION_FAILED: ValidationError,
    Status.UNAUTHORIZED: UnauthorizedError,
    Status.FORBIDDEN: ForbiddenError,
    Status.NOT_FOUND: NotFoundError,
    Status.CONFLICT: ConflictError,
    Status.GONE: GoneError,
    Status.PAYLOAD_TOO_LARGE: PayloadTooLargeError,
    Status.RATE_LIMITED: RateLimitedError,
    Status.QUOTA_EXCEEDED: QuotaExceededError,
    Status.SEAT_LIMIT_REACHED: SeatLimitReachedError,
    Status.FEATURE_NOT_IN_PLAN: FeatureNotInPlanError,
    Status.PLAN_LIMIT_REACHED: PlanLimitReachedError,
    Status.INVALID_SIGNATURE: InvalidSignatureError,
    Status.UNAVAILABLE: UnavailableError,
    Status.INTERNAL: InternalError,
}


def error_for_status(status: int) -> type[TenantkitError]:
    """The exception class of a status (InternalError for unknown ones)."""
    return _BY_STATUS.get(status, InternalError)
