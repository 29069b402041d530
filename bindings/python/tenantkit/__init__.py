# SPDX-License-Identifier: Apache-2.0
"""tenantkit for Python: RBAC checks and custom roles, API keys, quotas (in-process or
Redis), usage events, plan entitlements, webhook signatures and JWT verification, over
tenantkit's C ABI (libtenantkit_c.so, loaded with ctypes).

Every handle (Rbac, Storage, ApiKeys, Quota, Plans, Jwt, ManualClock) is a context manager;
failures raise a TenantkitError subclass per code (NotFoundError, UnauthorizedError, ...).
A deny is a value: Rbac.check returns a Decision, Quota.decide an Outcome.
"""
from __future__ import annotations

from ._lib import lib as _c
from .billing import Plans, sign_webhook, verify_webhook
from .clock import ManualClock
from .errors import (
    BadRequestError,
    ConflictError,
    FeatureNotInPlanError,
    ForbiddenError,
    GoneError,
    InternalError,
    InvalidSignatureError,
    NotFoundError,
    PayloadTooLargeError,
    PlanLimitReachedError,
    QuotaExceededError,
    RateLimitedError,
    SeatLimitReachedError,
    Status,
    TenantkitError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)
from .jwt import Jwt, generate_key_set
from .quota import UNLIMITED, MeterKind, Outcome, Quota, Reservation, rate_limit_headers
from .rbac import Decision, Rbac
from .storage import ApiKeys, IssuedKey, Storage, VerifiedKey

__version__ = "0.1.0"


def library_version() -> str:
    """The version of the loaded libtenantkit_c.so ("0.1.0")."""
    return str(_c.tk_version().decode())


def built_with(component: str) -> bool:
    """True when the loaded library has an optional backend: "sqlite" or "redis"."""
    return bool(_c.tk_built_with(component.encode()))


__all__ = [
    "ApiKeys", "BadRequestError", "ConflictError", "Decision", "FeatureNotInPlanError",
    "ForbiddenError", "GoneError", "InternalError", "InvalidSignatureError", "IssuedKey", "Jwt",
    "ManualClock", "MeterKind", "NotFoundError", "Outcome", "PayloadTooLargeError", "Plans",
    "PlanLimitReachedError", "Quota", "QuotaExceededError", "RateLimitedError", "Rbac",
    "Reservation", "SeatLimitReachedError", "Status", "Storage", "TenantkitError", "UNLIMITED",
    "UnauthorizedError", "UnavailableError", "ValidationError", "VerifiedKey", "built_with",
    "generate_key_set", "library_version", "rate_limit_headers", "sign_webhook",
    "verify_webhook",
]
