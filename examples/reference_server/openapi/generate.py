#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes openapi.json (next to this file): the OpenAPI 3.1 document of every route of
../shared/API.md, served by the reference server at GET /openapi.json (embedded at build time).

The document is the source of truth for the route-coverage test (tests/server/openapi_test.cpp):
every (method, path) the router serves must be here. Edit this script, then run it:

    python3 examples/reference_server/openapi/generate.py

Python 3 standard library only; the output is deterministic (sorted keys, two-space indent).
"""

from __future__ import annotations

import json
import os
from typing import Any

# ---------------------------------------------------------------------------------------------
# Schema helpers

def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Any], required: list[str] | None = None, extra: bool = True,
        description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if description:
        out["description"] = description
    return out


def arr(items: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **kw}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    t = schema.get("type")
    out = dict(schema)
    out["type"] = [t, "null"] if isinstance(t, str) else list(t) + ["null"]
    return out


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
ID = {"type": "string", "description": "Opaque, time-ordered id (UUIDv7)."}
TIME = {"type": "string", "format": "date-time", "description": "RFC 3339, UTC."}
EMAIL = {"type": "string", "format": "email"}
STRS = arr(STR)

CODES = ["bad_request", "validation_failed", "unauthorized", "forbidden", "not_found", "conflict",
         "gone", "payload_too_large", "rate_limited", "quota_exceeded", "seat_limit_reached",
         "feature_not_in_plan", "plan_limit_reached", "invalid_signature", "unavailable",
         "internal"]

SCHEMAS: dict[str, Any] = {
    "Problem": obj({
        "type": {"type": "string", "description": "A URI naming the problem type."},
        "title": STR,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STR,
        "code": {"type": "string", "enum": CODES},
        "instance": STR,
        "request_id": STR,
        "errors": arr(ref("FieldError"),
                      description="Only with code validation_failed: every bad field."),
    }, ["type", "title", "status", "code"],
        description="RFC 9457 problem document (application/problem+json)."),
    "FieldError": obj({"field": STR, "message": STR}, ["field", "message"]),
    "User": obj({"id": ID, "email": EMAIL, "name": STR}, ["id", "email", "name"]),
    "Org": obj({
        "id": ID, "name": STR,
        "slug": {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},
        "plan": STR, "status": {"type": "string", "description": "Subscription status ('none': never subscribed)."},
        "created_at": TIME,
    }, ["id", "name", "slug", "created_at"]),
    "OrgWithRole": {"allOf": [ref("Org"), obj({"roles": STRS, "role": STR})]},
    "TokenResponse": obj({
        "access_token": {"type": "string", "description": "JWT (EdDSA by default)."},
        "refresh_token": {"type": "string", "description": "Opaque, single use."},
        "token_type": {"type": "string", "const": "Bearer"},
        "expires_in": {"type": "integer", "description": "Seconds the access token lives."},
        "user": ref("User"),
        "org": nullable(ref("Org")),
    }, ["access_token", "refresh_token", "token_type", "expires_in", "user", "org"]),
    "Me": obj({
        "user": ref("User"),
        "memberships": arr(obj({"org_id": ID, "org_name": STR, "roles": STRS},
                               ["org_id", "org_name", "roles"])),
        "active_org_id": nullable(ID),
        "permissions": arr(STR, description="Effective permissions in the active org."),
    }, ["user", "memberships", "active_org_id", "permissions"]),
    "Session": obj({"id": ID, "user_agent": STR, "ip": STR, "created_at": TIME,
                    "last_seen_at": nullable(TIME), "current": BOOL},
                   ["id", "created_at", "current"]),
    "Member": obj({"user_id": ID, "email": EMAIL, "name": STR, "role": STR, "roles": STRS,
                   "joined_at": TIME}, ["user_id", "email", "role", "joined_at"]),
    "Invitation": obj({"id": ID, "email": EMAIL, "role": STR, "created_at": TIME,
                       "expires_at": TIME, "invited_by": nullable(ID)},
                      ["id", "email", "role", "expires_at"]),
    "Role": obj({"name": STR, "permissions": STRS, "builtin": BOOL,
                 "description": STR}, ["name", "permissions"]),
    "ApiKey": obj({
        "id": ID, "name": STR,
        "prefix": {"type": "string", "description": "Non-secret head of the key."},
        "scopes": STRS, "created_at": TIME, "last_used_at": nullable(TIME),
        "expires_at": nullable(TIME), "revoked_at": nullable(TIME),
    }, ["id", "name", "prefix", "scopes", "created_at", "last_used_at", "expires_at",
        "revoked_at"]),
    "ApiKeyCreated": {"allOf": [ref("ApiKey"), obj({
        "secret": {"type": "string", "pattern": "^tk_",
                   "description": "The whole key; shown only in this response."}},
        ["secret"])]},
    "Data": obj({"org_id": ID, "message": STR, "at": TIME}, ["org_id", "message", "at"]),
    "UsageEventAccepted": obj({"id": ID, "duplicate": BOOL}, ["id", "duplicate"]),
    "MeterUsage": obj({
        "meter": STR, "used": INT, "limit": nullable(INT), "remaining": nullable(INT),
        "period_start": nullable(TIME), "period_end": nullable(TIME),
        "percent": {"type": ["number", "null"]}, "warning": BOOL, "exceeded": BOOL,
    }, ["meter", "used", "limit", "remaining", "warning", "exceeded"]),
    "Usage": obj({"items": arr(ref("MeterUsage")), "next_cursor": {"type": "null"}},
                 ["items"], description="Per meter; the small list uses the envelope."),
    "DailyUsage": obj({"date": {"type": "string", "format": "date"}, "meter": STR,
                       "quantity": INT}, ["date", "meter", "quantity"]),
    "Workspace": obj({"id": ID, "name": STR, "description": STR, "created_at": TIME,
                      "updated_at": TIME}, ["id", "name", "created_at"]),
    "Limits": obj({m: nullable(INT) for m in ("api_calls", "seats", "workspaces", "ai_tokens")},
                  description="null: unlimited."),
    "Plan": obj({
        "id": STR, "name": STR, "limits": ref("Limits"), "features": STRS,
        "trial_days": INT,
        "price": nullable(obj({"amount": {"type": "string", "description": "Decimal string."},
                               "currency": STR, "interval": STR})),
    }, ["id", "limits", "features"]),
    "Subscription": obj({
        "plan": STR,
        "status": {"type": "string", "enum": ["none", "incomplete", "incomplete_expired",
                                              "trialing", "active", "past_due", "canceled",
                                              "unpaid", "paused"]},
        "current_period_end": nullable(TIME), "cancel_at_period_end": BOOL,
        "trial_end": nullable(TIME),
        "entitlements": obj({"plan": STR, "limits": ref("Limits"), "features": STRS}),
        "overages": {"type": "array", "description": "What the org has beyond its plan's "
                     "limits (empty while it fits).",
                     "items": obj({"what": STR, "current": INT,
                                   "allowed": INT, "message": STR},
                                  ["what", "current", "allowed", "message"])},
    }, ["plan", "status"]),
    "Url": obj({"url": {"type": "string", "format": "uri"}}, ["url"]),
    "AuditEntry": obj({
        "id": ID, "seq": {"type": "integer", "minimum": 1},
        "actor_type": {"type": "string", "enum": ["user", "api_key", "scim", "admin", "system",
                                                  "provider"]},
        "actor_id": nullable(STR),
        "action": {"type": "string", "description": "Dotted, e.g. api_key.created."},
        "target_type": STR, "target_id": STR, "ip": STR, "user_agent": STR, "request_id": STR,
        "metadata": {"type": "object", "description": "before/after and the like."},
        "at": TIME,
        "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                 "description": "SHA-256(previous hash || canonical entry), hex."},
    }, ["id", "seq", "actor_type", "actor_id", "action", "target_type", "target_id", "ip",
        "user_agent", "request_id", "metadata", "at", "hash"]),
    "AuditVerify": obj({"ok": BOOL, "checked": INT, "first_broken_id": nullable(ID)},
                       ["ok", "checked", "first_broken_id"]),
    "ScimTokenIssued": obj({"id": ID, "token": {"type": "string", "pattern": "^scim_",
                                                "description": "Shown only here."},
                            "created_at": TIME}, ["id", "token", "created_at"]),
    "MeterSummary": obj({"used": INT, "limit": nullable(INT)}, ["used", "limit"]),
    "AdminOrgSummary": obj({
        "org": obj({"id": ID, "name": STR, "slug": STR, "created_at": TIME},
                   ["id", "name", "slug", "created_at"]),
        "plan": {"type": "string", "description": "The plan whose limits apply now."},
        "status": STR, "member_count": INT,
        "usage": {"type": "object", "additionalProperties": ref("MeterSummary"),
                  "description": "api_calls, seats, workspaces, ai_tokens."},
        "last_activity": nullable(TIME),
    }, ["org", "plan", "status", "member_count", "usage", "last_activity"]),
    "Jwks": obj({"keys": arr(obj({"kty": STR, "crv": STR, "x": STR, "kid": STR, "alg": STR,
                                  "use": STR}))}, ["keys"]),
    "Health": obj({"status": {"type": "string", "const": "ok"}}, ["status"]),
    "Ready": obj({"status": STR, "checks": {"type": "object",
                                            "additionalProperties": STR}}, ["status", "checks"]),
    # SCIM (RFC 7643 / 7644)
    "ScimUser": obj({
        "schemas": STRS, "id": STR, "externalId": STR, "userName": STR,
        "name": obj({"formatted": STR, "givenName": STR, "familyName": STR}),
        "displayName": STR,
        "emails": arr(obj({"value": STR, "type": STR, "primary": BOOL})),
        "active": BOOL,
        "meta": obj({"resourceType": STR, "created": TIME, "lastModified": TIME,
                     "location": STR, "version": STR}),
    }, ["userName"]),
    "ScimListResponse": obj({"schemas": STRS, "totalResults": INT, "startIndex": INT,
                             "itemsPerPage": INT, "Resources": arr(ref("ScimUser"))},
                            ["schemas", "totalResults", "Resources"]),
    "ScimGroup": obj({
        "schemas": STRS, "id": STR, "externalId": STR, "displayName": STR,
        "members": arr(obj({"value": STR, "$ref": STR, "display": STR}, ["value"])),
        "meta": obj({"resourceType": STR, "created": TIME, "lastModified": TIME,
                     "location": STR, "version": STR}),
    }, ["displayName"], description="A directory group; its members get the role it maps to "
                                    "(a group named like a role other than owner)."),
    "ScimGroupListResponse": obj({"schemas": STRS, "totalResults": INT, "startIndex": INT,
                                  "itemsPerPage": INT, "Resources": arr(ref("ScimGroup"))},
                                 ["schemas", "totalResults", "Resources"]),
    "ScimPatchOp": obj({"schemas": STRS, "Operations": arr(obj({
        "op": {"type": "string", "enum": ["add", "remove", "replace", "Add", "Remove",
                                          "Replace"]},
        "path": STR, "value": {}}, ["op"]))}, ["schemas", "Operations"]),
    "ScimError": obj({"schemas": STRS, "status": {"type": "string",
                                                  "description": "HTTP status as a string."},
                      "scimType": STR, "detail": STR}, ["schemas", "status"],
                     description="RFC 7644 §3.12 error body."),
    "ScimDiscovery": {"type": "object", "description": "RFC 7643 §5-7 discovery resource."},
}


def envelope(item: str) -> dict[str, Any]:
    return obj({"items": arr(ref(item)), "next_cursor": nullable(STR)},
               ["items", "next_cursor"])


for item in ("OrgWithRole", "Session", "Member", "Invitation", "Role", "ApiKey", "Workspace",
             "Plan", "AuditEntry", "DailyUsage"):
    SCHEMAS[f"{item}Page"] = envelope(item)

# ---------------------------------------------------------------------------------------------
# Responses and parameters

STATUS_TEXT = {400: "Bad request (malformed JSON, or no resolvable tenant)", 401: "Unauthorized",
               402: "The plan lacks the feature, the seat or the room", 403: "Forbidden",
               404: "Not found (or another tenant's)", 405: "Method not allowed",
               409: "Conflict", 410: "Gone", 413: "Payload too large",
               422: "Validation failed", 429: "Rate limited or quota exceeded",
               503: "Unavailable"}

RESPONSES: dict[str, Any] = {}
for status, text in STATUS_TEXT.items():
    RESPONSES[f"E{status}"] = {
        "description": text,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
        "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
    }
RESPONSES["E429"]["headers"]["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
RESPONSES["E429Metered"] = {
    "description": "quota_exceeded (hard limit) or rate_limited",
    "content": {"application/problem+json": {"schema": ref("Problem")}},
    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
                "Retry-After": {"$ref": "#/components/headers/Retry-After"},
                "RateLimit": {"$ref": "#/components/headers/RateLimit"},
                "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"}},
}
SCIM_STATUS = {400: "invalidSyntax / invalidFilter / invalidValue", 401: "Bad SCIM token",
               404: "No such resource in the token's org", 409: "uniqueness / mutability",
               402: "feature_not_in_plan (scim) / seat_limit_reached", 413: "Payload too large"}
for status, text in SCIM_STATUS.items():
    RESPONSES[f"Scim{status}"] = {"description": text, "content": {
        "application/scim+json": {"schema": ref("ScimError")}}}

HEADERS = {
    "X-Request-Id": {"description": "Echoes a valid incoming id, else a new one.",
                     "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}},
    "Retry-After": {"description": "Seconds until a retry can succeed.",
                    "schema": {"type": "integer", "minimum": 0}},
    "RateLimit": {"description": 'IETF draft 09: "api_calls";r=<remaining>;t=<seconds to reset>.',
                  "schema": STR},
    "RateLimit-Policy": {"description": 'IETF draft 09: "api_calls";q=<limit>;w=<window seconds>.',
                         "schema": STR},
    "Set-Cookie": {"description": "tk_session (HttpOnly), tk_refresh (HttpOnly, Path=/v1/auth), "
                                  "tk_csrf (readable: echo it in X-CSRF-Token).",
                   "schema": STR},
    "Content-Disposition": {"description": 'attachment; filename="audit-<org>-<date>.csv|json"',
                            "schema": STR},
    "Idempotent-Replayed": {"description": "true when the response is a stored replay.",
                            "schema": {"type": "string", "const": "true"}},
}

PARAMETERS = {
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "Scoped to the org (else the user) and the caller. "
                                      "Same key + same body within 24 h replays the stored "
                                      "response (409 conflict instead where the response "
                                      "holds a secret: API keys, SCIM token); same key + "
                                      "another body is 409 conflict.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255}},
    "XOrgId": {"name": "X-Org-Id", "in": "header", "required": False,
               "description": "The org to act in (the caller must be a member, else 404). "
                              "Ignored for API keys and SCIM tokens: their org is the tenant.",
               "schema": STR},
    "XCsrfToken": {"name": "X-CSRF-Token", "in": "header", "required": False,
                   "description": "Required with the tk_session cookie on unsafe methods: "
                                  "the tk_csrf cookie's value (else 403).",
                   "schema": STR},
    "Limit": {"name": "limit", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    "Cursor": {"name": "cursor", "in": "query", "required": False,
               "schema": {"type": "string", "maxLength": 512}},
}

SECURITY_SCHEMES = {
    "bearerJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                  "description": "Access token (EdDSA by default; keys at /.well-known/jwks.json)."},
    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "tk_ API key",
               "description": "An API key as the bearer credential; acts with its scopes only."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "tk_session",
                      "description": "Set by register/login/refresh."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                  "description": "With the cookie on POST/PUT/PATCH/DELETE: the tk_csrf value."},
    "adminToken": {"type": "http", "scheme": "bearer",
                   "description": "TK_ADMIN_TOKEN; /admin answers 404 when it is not set."},
    "scimToken": {"type": "http", "scheme": "bearer", "bearerFormat": "scim_ token",
                  "description": "The org's SCIM token (POST /v1/scim/token)."},
}

# ---------------------------------------------------------------------------------------------
# Routes

PATHS: dict[str, dict[str, Any]] = {}
UNSAFE = {"post", "put", "patch", "delete"}


def json_body(schema: dict[str, Any], required: bool = True,
              media: str = "application/json") -> dict[str, Any]:
    return {"required": required, "content": {media: {"schema": schema}}}


def ok(status: int, schema: dict[str, Any] | None, description: str,
       media: str = "application/json", headers: dict[str, Any] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"description": description,
                         "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}}
    if schema is not None:
        r["content"] = {media: {"schema": schema}}
    if headers:
        r["headers"].update(headers)
    return r


def route(method: str, path: str, *, summary: str, tag: str, auth: str,
          responses: dict[str, Any], errors: list[int], body: dict[str, Any] | None = None,
          params: list[dict[str, Any]] | None = None, tenant: bool = False,
          idempotent: bool | None = None, metered: bool = False, op: str,
          description: str | None = None, scim: bool = False) -> None:
    """auth: public | user | user_or_key | admin | scim | provider."""
    o: dict[str, Any] = {"operationId": op, "summary": summary, "tags": [tag]}
    if description:
        o["description"] = description
    sec = {
        "public": [], "provider": [],
        "user": [{"bearerJwt": []}, {"sessionCookie": [], "csrfToken": []}
                 if method in UNSAFE else {"sessionCookie": []}],
        "admin": [{"adminToken": []}],
        "scim": [{"scimToken": []}],
    }
    sec["user_or_key"] = sec["user"] + [{"apiKey": []}]
    o["security"] = sec[auth]
    ps: list[dict[str, Any]] = []
    for name in _path_params(path):
        ps.append({"name": name, "in": "path", "required": True, "schema": STR})
    if tenant:
        ps.append({"$ref": "#/components/parameters/XOrgId"})
    if auth in ("user", "user_or_key") and method in UNSAFE:
        ps.append({"$ref": "#/components/parameters/XCsrfToken"})
    if idempotent is None:
        idempotent = method in UNSAFE and auth in ("user", "user_or_key")
    if idempotent:
        ps.append({"$ref": "#/components/parameters/IdempotencyKey"})
    ps.extend(params or [])
    if ps:
        o["parameters"] = ps
    if body is not None:
        o["requestBody"] = body
    rs = dict(responses)
    if metered:
        rl = {"RateLimit": {"$ref": "#/components/headers/RateLimit"},
              "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"}}
        for r in rs.values():
            if "headers" in r:
                r["headers"].update(rl)
    errs = set(errors)
    if auth in ("user", "user_or_key", "admin", "scim"):
        errs.add(401)
    if tenant:
        errs.update({400, 404})
    if body is not None and not scim:
        errs.update({400, 413})
    for status in sorted(errs):
        if scim:
            rs[str(status)] = {"$ref": f"#/components/responses/Scim{status}"}
        elif status == 429 and metered:
            rs["429"] = {"$ref": "#/components/responses/E429Metered"}
        else:
            rs[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    if not scim:
        rs["default"] = {"$ref": "#/components/responses/E503"}
    o["responses"] = rs
    PATHS.setdefault(path, {})[method] = o


def _path_params(path: str) -> list[str]:
    return [seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")]


def q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    p = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        p["description"] = description
    return p


PAGE = [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"}]
COOKIES = {"Set-Cookie": {"$ref": "#/components/headers/Set-Cookie"}}
NO_CONTENT = ok(204, None, "Done")

# -- operations
route("get", "/health", op="health", summary="Liveness", tag="operations", auth="public",
      responses={"200": ok(200, ref("Health"), "The process serves")}, errors=[])
route("get", "/ready", op="ready", summary="Readiness of every configured store", tag="operations",
      auth="public", responses={"200": ok(200, ref("Ready"), "Every store answers")}, errors=[503])
route("get", "/metrics", op="metrics", summary="Prometheus metrics", tag="operations",
      auth="public", description="Public unless TK_METRICS_PUBLIC=false, then it needs the "
      "admin token (401; 404 without TK_ADMIN_TOKEN).",
      responses={"200": ok(200, STR, "Prometheus text format 0.0.4",
                           media="text/plain; version=0.0.4")}, errors=[401, 404])
route("get", "/openapi.json", op="openapi", summary="This document", tag="operations",
      auth="public", responses={"200": ok(200, {"type": "object"}, "OpenAPI 3.1")}, errors=[])
route("get", "/.well-known/jwks.json", op="jwks", summary="Public keys of access tokens",
      tag="operations", auth="public",
      responses={"200": ok(200, ref("Jwks"), "EdDSA public keys (empty with HS256)")}, errors=[])

# -- auth
REGISTER = obj({"email": EMAIL, "password": {"type": "string", "minLength": 8},
                "name": STR, "org_name": STR}, ["email", "password", "org_name"])
route("post", "/v1/auth/register", op="register", summary="Create a user, an org and its owner",
      tag="auth", auth="public", body=json_body(REGISTER),
      responses={"201": ok(201, ref("TokenResponse"), "Registered", headers=COOKIES)},
      errors=[409, 422, 429])
route("post", "/v1/auth/login", op="login", summary="Log in", tag="auth", auth="public",
      description="One generic 401 for every bad credential; 429 with Retry-After past the per-IP "
      "and per-email limits.",
      body=json_body(obj({"email": EMAIL, "password": STR, "org_id": ID}, ["email", "password"])),
      responses={"200": ok(200, ref("TokenResponse"), "Logged in", headers=COOKIES)},
      errors=[401, 422, 429])
route("post", "/v1/auth/refresh", op="refresh", summary="Rotate the refresh token", tag="auth",
      auth="public", description="Body {refresh_token} or the tk_refresh cookie; with the "
      "cookie, X-CSRF-Token must equal the tk_csrf cookie (else 403). A dead token revokes its "
      "whole session family (401).",
      params=[{"name": "X-CSRF-Token", "in": "header", "required": False,
               "description": "Required when the refresh token comes from the tk_refresh "
                              "cookie: the tk_csrf cookie's value (else 403).",
               "schema": STR}],
      body=json_body(obj({"refresh_token": STR}), required=False),
      responses={"200": ok(200, ref("TokenResponse"), "New pair", headers=COOKIES)},
      errors=[401, 403, 422])
route("post", "/v1/auth/logout", op="logout", summary="Revoke the current session", tag="auth",
      auth="user", idempotent=False, responses={"204": NO_CONTENT}, errors=[403])
route("get", "/v1/auth/me", op="me", summary="The caller, memberships, permissions", tag="auth",
      auth="user", responses={"200": ok(200, ref("Me"), "The caller")}, errors=[403])
route("post", "/v1/auth/switch-org", op="switchOrg", summary="New access token for another org",
      tag="auth", auth="user", idempotent=False,
      body=json_body(obj({"org_id": ID}, ["org_id"])),
      responses={"200": ok(200, ref("TokenResponse"), "Switched", headers=COOKIES)},
      errors=[403, 404, 422])
route("get", "/v1/auth/sessions", op="listSessions", summary="Own sessions", tag="auth",
      auth="user", params=PAGE, responses={"200": ok(200, ref("SessionPage"), "Sessions")},
      errors=[403, 422])
route("delete", "/v1/auth/sessions/{id}", op="revokeSession", summary="Revoke one own session",
      tag="auth", auth="user", responses={"204": NO_CONTENT}, errors=[403, 404])
route("post", "/v1/auth/password/forgot", op="forgotPassword",
      summary="Mail a single-use reset token", tag="auth", auth="public",
      body=json_body(obj({"email": EMAIL}, ["email"])),
      responses={"202": ok(202, None, "Accepted, whether or not the address exists")},
      errors=[422, 429])
route("post", "/v1/auth/password/reset", op="resetPassword", summary="Set a new password",
      tag="auth", auth="public",
      body=json_body(obj({"token": STR, "new_password": STR}, ["token", "new_password"])),
      responses={"204": NO_CONTENT}, errors=[404, 410, 422])
route("post", "/v1/auth/password/change", op="changePassword", summary="Change own password",
      tag="auth", auth="user", idempotent=False,
      body=json_body(obj({"current_password": STR, "new_password": STR},
                         ["current_password", "new_password"])),
      responses={"204": NO_CONTENT}, errors=[403, 422, 429])

# -- orgs
route("get", "/v1/orgs", op="listOrgs", summary="Orgs the caller belongs to, with role",
      tag="orgs", auth="user", params=PAGE,
      responses={"200": ok(200, ref("OrgWithRolePage"), "Orgs")}, errors=[403, 422])
route("post", "/v1/orgs", op="createOrg", summary="Create an org; the caller becomes owner",
      tag="orgs", auth="user", body=json_body(obj({"name": STR, "slug": STR}, ["name"])),
      responses={"201": ok(201, ref("Org"), "Created")}, errors=[403, 409, 422])
route("get", "/v1/orgs/{id}", op="getOrg", summary="An org the caller is a member of",
      tag="orgs", auth="user", responses={"200": ok(200, ref("Org"), "The org")},
      errors=[403, 404])
route("patch", "/v1/orgs/{id}", op="updateOrg", summary="Rename, change slug (admin+)",
      tag="orgs", auth="user", body=json_body(obj({"name": STR, "slug": STR})),
      responses={"200": ok(200, ref("Org"), "Updated")}, errors=[403, 404, 409, 422])
route("delete", "/v1/orgs/{id}", op="deleteOrg",
      summary="Delete the org and its tenant-owned data (owner)", tag="orgs", auth="user",
      responses={"204": NO_CONTENT}, errors=[403, 404])

# -- members
route("get", "/v1/members", op="listMembers", summary="Members (members:read)", tag="members",
      auth="user_or_key", tenant=True, params=PAGE,
      responses={"200": ok(200, ref("MemberPage"), "Members")}, errors=[403, 422])
route("patch", "/v1/members/{user_id}", op="changeMemberRole",
      summary="Change a member's role (members:write)", tag="members", auth="user_or_key",
      tenant=True, description="Nobody grants a role holding a permission they lack (403); the "
      "last owner cannot be demoted (409).",
      body=json_body(obj({"role": STR}, ["role"])),
      responses={"200": ok(200, ref("Member"), "Updated")}, errors=[403, 409, 422])
route("delete", "/v1/members/{user_id}", op="removeMember",
      summary="Remove a member, or leave (members:write, or self)", tag="members",
      auth="user_or_key", tenant=True, responses={"204": NO_CONTENT}, errors=[403, 409])

# -- invitations
route("post", "/v1/invitations", op="createInvitation", summary="Invite (invitations:write)",
      tag="invitations", auth="user_or_key", tenant=True,
      description="Seats (members + pending invitations) are checked against the plan: 402 "
      "seat_limit_reached.",
      body=json_body(obj({"email": EMAIL, "role": STR}, ["email", "role"])),
      responses={"201": ok(201, ref("Invitation"), "Invited")},
      errors=[402, 403, 409, 422])
route("get", "/v1/invitations", op="listInvitations", summary="Pending invitations",
      tag="invitations", auth="user_or_key", tenant=True, params=PAGE,
      responses={"200": ok(200, ref("InvitationPage"), "Pending")}, errors=[403, 422])
route("delete", "/v1/invitations/{id}", op="revokeInvitation", summary="Revoke an invitation",
      tag="invitations", auth="user_or_key", tenant=True, responses={"204": NO_CONTENT},
      errors=[403, 410])
route("post", "/v1/invitations/accept", op="acceptInvitation",
      summary="Join the org with the invited role", tag="invitations", auth="user",
      description="Unknown token: 404; expired, used or revoked: 410 gone.",
      body=json_body(obj({"token": STR}, ["token"])),
      responses={"200": ok(200, ref("OrgWithRole"), "Joined")},
      errors=[402, 403, 404, 410, 422])

# -- roles
route("get", "/v1/roles", op="listRoles", summary="Built-in and custom roles", tag="roles",
      auth="user_or_key", tenant=True, params=PAGE,
      description="Any member; an API key needs the roles:read scope (403).",
      responses={"200": ok(200, ref("RolePage"), "Roles")}, errors=[403, 422])
ROLE_BODY = obj({"name": STR, "permissions": STRS, "description": STR})
route("post", "/v1/roles", op="createRole", summary="Create a custom role (roles:write)",
      tag="roles", auth="user_or_key", tenant=True,
      body=json_body(obj(ROLE_BODY["properties"], ["name", "permissions"])),
      responses={"201": ok(201, ref("Role"), "Created")}, errors=[402, 403, 409, 422])
route("patch", "/v1/roles/{name}", op="updateRole", summary="Change a custom role",
      tag="roles", auth="user_or_key", tenant=True, body=json_body(ROLE_BODY),
      description="Built-in roles are immutable (409).",
      responses={"200": ok(200, ref("Role"), "Updated")}, errors=[402, 403, 409, 422])
route("delete", "/v1/roles/{name}", op="deleteRole", summary="Delete an unused custom role",
      tag="roles", auth="user_or_key", tenant=True,
      description="Built-in roles and roles in use: 409.",
      responses={"204": NO_CONTENT}, errors=[402, 403, 409])

# -- API keys
route("post", "/v1/api-keys", op="createApiKey", summary="Create an API key (api_keys:write)",
      tag="api-keys", auth="user_or_key", tenant=True,
      description="Without scopes the key gets data:read and usage:write. Chosen scopes must be "
      "a subset of the creator's permissions (403) and need api_key_scopes (402), in that order. "
      "A repeated Idempotency-Key is 409 (the secret is shown once, never replayed).",
      body=json_body(obj({"name": {"type": "string", "minLength": 1, "maxLength": 100},
                          "scopes": STRS, "expires_at": TIME}, ["name"])),
      responses={"201": ok(201, ref("ApiKeyCreated"), "Created; the secret is shown once")},
      errors=[402, 403, 409, 422])
route("get", "/v1/api-keys", op="listApiKeys", summary="Keys, without secrets", tag="api-keys",
      auth="user_or_key", tenant=True, params=PAGE,
      responses={"200": ok(200, ref("ApiKeyPage"), "Keys")}, errors=[403, 422])
route("delete", "/v1/api-keys/{id}", op="revokeApiKey", summary="Revoke a key",
      tag="api-keys", auth="user_or_key", tenant=True,
      description="Every instance refuses the key within 1 s. Another org's key is 404 before "
      "any permission check (403).",
      responses={"204": NO_CONTENT}, errors=[403])
route("post", "/v1/api-keys/{id}/rotate", op="rotateApiKey",
      summary="New secret; the old one works for the grace period (24 h)", tag="api-keys",
      auth="user_or_key", tenant=True,
      description="Another org's key is 404 before any permission check (403). A repeated "
      "Idempotency-Key is 409 (the secret is shown once, never replayed).",
      responses={"201": ok(201, ref("ApiKeyCreated"), "The successor key")},
      errors=[403, 409, 410])
route("get", "/v1/data", op="getData", summary="The metered demo resource (1 api_calls)",
      tag="data", auth="user_or_key", tenant=True, metered=True,
      responses={"200": ok(200, ref("Data"), "Data")}, errors=[403, 429])

# -- usage
route("post", "/v1/usage/events", op="recordUsage", summary="Record usage (usage:write)",
      tag="usage", auth="user_or_key", tenant=True,
      description="A repeated idempotency_key answers 202 {id: <first id>, duplicate: true} and "
      "counts once.",
      body=json_body(obj({"meter": STR, "quantity": {"type": "integer", "minimum": 1},
                          "idempotency_key": {"type": "string", "minLength": 1,
                                              "maxLength": 255}},
                         ["meter", "quantity", "idempotency_key"])),
      responses={"202": ok(202, ref("UsageEventAccepted"), "Counted (or a duplicate)")},
      errors=[403, 422, 429], metered=True)
route("get", "/v1/usage", op="getUsage", summary="Usage per meter", tag="usage",
      auth="user_or_key", tenant=True, responses={"200": ok(200, ref("Usage"), "Usage")},
      errors=[403])
route("get", "/v1/usage/daily", op="getDailyUsage", summary="Daily rollups", tag="usage",
      auth="user_or_key", tenant=True,
      params=[q("meter", STR), q("from", {"type": "string", "format": "date"}, "UTC, inclusive"),
              q("to", {"type": "string", "format": "date"}, "UTC, inclusive")],
      responses={"200": ok(200, ref("DailyUsagePage"), "Rollups")}, errors=[403, 422])

# -- workspaces
WS_BODY = obj({"name": {"type": "string", "minLength": 1}, "description": STR})
route("get", "/v1/workspaces", op="listWorkspaces", summary="Workspaces", tag="workspaces",
      auth="user_or_key", tenant=True, params=PAGE,
      responses={"200": ok(200, ref("WorkspacePage"), "Workspaces")}, errors=[403, 422])
route("post", "/v1/workspaces", op="createWorkspace", summary="Create (workspaces:write)",
      tag="workspaces", auth="user_or_key", tenant=True,
      body=json_body(obj(WS_BODY["properties"], ["name"])),
      responses={"201": ok(201, ref("Workspace"), "Created")},
      errors=[402, 403, 422])
route("get", "/v1/workspaces/{id}", op="getWorkspace", summary="A workspace",
      tag="workspaces", auth="user_or_key", tenant=True,
      responses={"200": ok(200, ref("Workspace"), "The workspace")}, errors=[403])
route("patch", "/v1/workspaces/{id}", op="updateWorkspace", summary="Change (workspaces:write)",
      tag="workspaces", auth="user_or_key", tenant=True, body=json_body(WS_BODY),
      responses={"200": ok(200, ref("Workspace"), "Updated")}, errors=[403, 422])
route("delete", "/v1/workspaces/{id}", op="deleteWorkspace", summary="Delete (workspaces:write)",
      tag="workspaces", auth="user_or_key", tenant=True, responses={"204": NO_CONTENT},
      errors=[403])

# -- plans and billing
route("get", "/v1/plans", op="listPlans", summary="The plan catalogue", tag="billing",
      auth="public", responses={"200": ok(200, ref("PlanPage"), "Plans")}, errors=[])
route("get", "/v1/billing/subscription", op="getSubscription",
      summary="Plan, status, period, entitlements", tag="billing", auth="user_or_key",
      tenant=True, responses={"200": ok(200, ref("Subscription"), "The subscription")},
      errors=[403])
route("post", "/v1/billing/checkout", op="checkout", summary="Checkout URL (billing:manage)",
      tag="billing", auth="user", tenant=True,
      body=json_body(obj({"plan": STR}, ["plan"])),
      responses={"200": ok(200, ref("Url"), "The provider's checkout URL")},
      errors=[402, 403, 409, 422, 503])
route("post", "/v1/billing/portal", op="portal", summary="Customer portal URL (billing:manage)",
      tag="billing", auth="user", tenant=True,
      responses={"200": ok(200, ref("Url"), "The provider's portal URL")}, errors=[403, 409, 503])
route("post", "/v1/billing/webhook", op="billingWebhook", summary="Stripe-signed events",
      tag="billing", auth="provider", idempotent=False,
      description="Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256>; tolerance 300 s. A bad or "
      "stale signature is 400 invalid_signature; an event id seen before, or an unhandled type, "
      "is 200 with no effect.",
      params=[{"name": "Stripe-Signature", "in": "header", "required": True, "schema": STR}],
      body=json_body({"type": "object", "description": "A Stripe event (raw body signed)."}),
      responses={"200": ok(200, obj({"received": BOOL, "result": {
          "type": "string", "enum": ["applied", "duplicate", "stale", "ignored", "rejected",
                                     "unmapped"]}}), "Processed")},
      errors=[])

# The offline billing provider's own pages (served only when TK_STRIPE_SECRET_KEY is unset):
# checkout and portal URLs point here, and completing them emits signed events through the same
# webhook path as Stripe's.
HTML = {"type": "string", "description": "An HTML page"}
LOCAL_DONE = obj({"status": STR, "plan": STR})
route("get", "/v1/billing/local/checkout/{id}", op="localCheckoutPage",
      summary="Offline provider: the checkout page", tag="billing", auth="public",
      responses={"200": ok(200, HTML, "The page", media="text/html")}, errors=[404])
route("post", "/v1/billing/local/checkout/{id}/complete", op="localCheckoutComplete",
      summary="Offline provider: pay (a form post gets 303 to the success URL)", tag="billing",
      auth="public", idempotent=False,
      responses={"200": ok(200, LOCAL_DONE, "Completed"), "303": ok(303, None, "To the success URL")},
      errors=[404, 409])
route("get", "/v1/billing/local/portal/{id}", op="localPortalPage",
      summary="Offline provider: the customer portal page", tag="billing", auth="public",
      responses={"200": ok(200, HTML, "The page", media="text/html")}, errors=[404])
route("post", "/v1/billing/local/portal/{id}/{action}", op="localPortalAction",
      summary="Offline provider: cancel, change_plan, payment_failed or payment_paid",
      tag="billing", auth="public", idempotent=False,
      responses={"200": ok(200, LOCAL_DONE, "Done"), "303": ok(303, None, "To the return URL")},
      errors=[402, 404, 409, 422])

# -- audit, SCIM token, admin
AUDIT_FILTERS = [
    q("action", {"type": "string", "maxLength": 200}, "Exact dotted action"),
    q("actor_id", {"type": "string", "maxLength": 200}),
    q("target_type", {"type": "string", "maxLength": 200}),
    q("from", {"type": "string", "format": "date-time"}, "RFC 3339, inclusive (bad: 422)"),
    q("to", {"type": "string", "format": "date-time"}, "RFC 3339, exclusive (bad: 422)"),
    q("format", {"type": "string", "enum": ["csv", "json"]},
      "Export the whole filtered log as a download (needs audit_export: 402)"),
]
route("get", "/v1/audit", op="listAudit", summary="Audit log (audit:read + audit_log)",
      tag="audit", auth="user_or_key", tenant=True, params=AUDIT_FILTERS + PAGE,
      description="Newest first, cursor pages. With format=csv|json the answer is the whole "
      "filtered log, oldest first, as an attachment (at most 50,000 entries: 413 beyond).",
      responses={"200": {
          "description": "A page, or the export (format=csv|json)",
          "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
                      "Content-Disposition": {"$ref": "#/components/headers/Content-Disposition"}},
          "content": {"application/json": {"schema": {"oneOf": [
              ref("AuditEntryPage"), arr(ref("AuditEntry"))]}},
              "text/csv": {"schema": STR}}}},
      errors=[402, 403, 413, 422])
route("get", "/v1/audit/verify", op="verifyAudit",
      summary="Check the org's tamper-evident chain", tag="audit", auth="user_or_key",
      tenant=True, responses={"200": ok(200, ref("AuditVerify"), "The report")},
      errors=[402, 403])
route("post", "/v1/scim/token", op="issueScimToken",
      summary="Issue the org's SCIM token (scim:manage + scim)", tag="scim", auth="user",
      tenant=True, description="Shown once; replaces the previous token. Users only (an API "
      "key gets 403). A repeated Idempotency-Key is 409 (the token is never replayed).",
      responses={"201": ok(201, ref("ScimTokenIssued"), "Issued")}, errors=[402, 403, 409])
route("get", "/admin/orgs/{id}/summary", op="adminOrgSummary", summary="Operator summary",
      tag="admin", auth="admin",
      description="404 for every /admin route when TK_ADMIN_TOKEN is not set.",
      responses={"200": ok(200, ref("AdminOrgSummary"), "The summary")}, errors=[404])

# -- SCIM 2.0
SCIM = "application/scim+json"
SCIM_USER = ok(200, ref("ScimUser"), "The user", media=SCIM)
route("get", "/scim/v2/Users", op="scimListUsers", summary="List users", tag="scim",
      auth="scim", scim=True,
      params=[q("filter", STR, 'e.g. userName eq "a@b.c"'),
              q("startIndex", {"type": "integer", "minimum": 1}),
              q("count", {"type": "integer", "minimum": 0})],
      responses={"200": ok(200, ref("ScimListResponse"), "ListResponse", media=SCIM)},
      errors=[400])
route("post", "/scim/v2/Users", op="scimCreateUser", summary="Create a user", tag="scim",
      auth="scim", scim=True, body=json_body(ref("ScimUser"), media=SCIM),
      responses={"201": ok(201, ref("ScimUser"), "Created", media=SCIM)},
      errors=[400, 402, 409, 413])
route("get", "/scim/v2/Users/{id}", op="scimGetUser", summary="A user", tag="scim",
      auth="scim", scim=True, responses={"200": SCIM_USER}, errors=[404])
route("put", "/scim/v2/Users/{id}", op="scimReplaceUser", summary="Replace a user", tag="scim",
      auth="scim", scim=True, body=json_body(ref("ScimUser"), media=SCIM),
      responses={"200": SCIM_USER}, errors=[400, 404, 409, 413])
route("patch", "/scim/v2/Users/{id}", op="scimPatchUser",
      summary="PatchOp (replace active/name/emails); active:false suspends the membership",
      tag="scim", auth="scim", scim=True, body=json_body(ref("ScimPatchOp"), media=SCIM),
      responses={"200": SCIM_USER}, errors=[400, 404, 409, 413])
route("delete", "/scim/v2/Users/{id}", op="scimDeleteUser", summary="Remove from the org",
      tag="scim", auth="scim", scim=True, responses={"204": NO_CONTENT}, errors=[404, 409])
SCIM_GROUP = ok(200, ref("ScimGroup"), "The group", media=SCIM)
route("get", "/scim/v2/Groups", op="scimListGroups", summary="List groups", tag="scim",
      auth="scim", scim=True,
      params=[q("filter", STR, 'e.g. displayName eq "admin"'),
              q("startIndex", {"type": "integer", "minimum": 1}),
              q("count", {"type": "integer", "minimum": 0}),
              q("excludedAttributes", STR, "members: leave the member lists out")],
      responses={"200": ok(200, ref("ScimGroupListResponse"), "ListResponse", media=SCIM)},
      errors=[400])
route("post", "/scim/v2/Groups", op="scimCreateGroup",
      summary="Create a group (members get the role it maps to)", tag="scim",
      auth="scim", scim=True, body=json_body(ref("ScimGroup"), media=SCIM),
      responses={"201": ok(201, ref("ScimGroup"), "Created", media=SCIM)},
      errors=[400, 402, 409, 413])
route("get", "/scim/v2/Groups/{id}", op="scimGetGroup", summary="A group", tag="scim",
      auth="scim", scim=True,
      params=[q("excludedAttributes", STR, "members: leave the member list out")],
      responses={"200": SCIM_GROUP}, errors=[404])
route("put", "/scim/v2/Groups/{id}", op="scimReplaceGroup", summary="Replace a group",
      tag="scim", auth="scim", scim=True, body=json_body(ref("ScimGroup"), media=SCIM),
      responses={"200": SCIM_GROUP}, errors=[400, 404, 409, 413])
route("patch", "/scim/v2/Groups/{id}", op="scimPatchGroup",
      summary="PatchOp: add/remove/replace members (Okta and Entra forms), displayName",
      tag="scim", auth="scim", scim=True, body=json_body(ref("ScimPatchOp"), media=SCIM),
      responses={"200": SCIM_GROUP}, errors=[400, 404, 409, 413])
route("delete", "/scim/v2/Groups/{id}", op="scimDeleteGroup",
      summary="Delete a group (its members lose the role it granted)",
      tag="scim", auth="scim", scim=True, responses={"204": NO_CONTENT}, errors=[404])
for name in ("ServiceProviderConfig", "Schemas", "ResourceTypes"):
    route("get", f"/scim/v2/{name}", op=f"scim{name}", summary=f"Discovery: {name}", tag="scim",
          auth="scim", scim=True,
          responses={"200": ok(200, ref("ScimDiscovery"), name, media=SCIM)}, errors=[])

# ---------------------------------------------------------------------------------------------

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "tenantkit reference server",
        "version": "0.1.0",
        "summary": "Multi-tenant SaaS backend: auth, orgs, RBAC, API keys, quotas, billing, "
                   "audit, SCIM.",
        "description": "Errors are RFC 9457 problem documents with a `code`; lists use "
                       "{items, next_cursor}. The tenant is the API key's or SCIM token's org, "
                       "else X-Org-Id (member, else 404), else the access token's org; a "
                       "tenant-scoped route without one is 400. Another tenant's object is 404, "
                       "never 403. Order of checks: 401, 404, 403, 402, 429.",
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
    },
    "servers": [{"url": "/"}],
    "tags": [{"name": t} for t in ("operations", "auth", "orgs", "members", "invitations",
                                   "roles", "api-keys", "data", "usage", "workspaces",
                                   "billing", "audit", "scim", "admin")],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "responses": RESPONSES, "parameters": PARAMETERS,
                   "headers": HEADERS, "securitySchemes": SECURITY_SCHEMES},
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(DOCUMENT, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {out}: {sum(len(v) for v in PATHS.values())} operations")
