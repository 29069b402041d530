# SPDX-License-Identifier: Apache-2.0
"""GET /openapi.json end to end: an OpenAPI 3.1 document naming every endpoint of API.md (the
list below is copied from API.md's endpoint table, independently of the document's generator),
the shared Problem schema, the security schemes, Idempotency-Key on mutating routes and
RateLimit headers on the metered one. The npm validator runs in tests/interop/openapi.test.mjs;
the router-vs-document coverage test in tests/server/openapi_test.cpp."""

from __future__ import annotations

import re
import unittest

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase

# API.md "Endpoints", one (method, path) per row and method.
API_MD = """
GET /health
GET /ready
GET /metrics
GET /openapi.json
GET /.well-known/jwks.json
POST /v1/auth/register
POST /v1/auth/login
POST /v1/auth/refresh
POST /v1/auth/logout
GET /v1/auth/me
POST /v1/auth/switch-org
GET /v1/auth/sessions
DELETE /v1/auth/sessions/{}
POST /v1/auth/password/forgot
POST /v1/auth/password/reset
POST /v1/auth/password/change
GET /v1/orgs
POST /v1/orgs
GET /v1/orgs/{}
PATCH /v1/orgs/{}
DELETE /v1/orgs/{}
GET /v1/members
PATCH /v1/members/{}
DELETE /v1/members/{}
POST /v1/invitations
GET /v1/invitations
DELETE /v1/invitations/{}
POST /v1/invitations/accept
GET /v1/roles
POST /v1/roles
PATCH /v1/roles/{}
DELETE /v1/roles/{}
POST /v1/api-keys
GET /v1/api-keys
DELETE /v1/api-keys/{}
POST /v1/api-keys/{}/rotate
GET /v1/data
POST /v1/usage/events
GET /v1/usage
GET /v1/usage/daily
GET /v1/workspaces
POST /v1/workspaces
GET /v1/workspaces/{}
PATCH /v1/workspaces/{}
DELETE /v1/workspaces/{}
GET /v1/plans
GET /v1/billing/subscription
POST /v1/billing/checkout
POST /v1/billing/portal
POST /v1/billing/webhook
GET /v1/audit
GET /v1/audit/verify
POST /v1/scim/token
GET /admin/orgs/{}/summary
GET /scim/v2/Users
POST /scim/v2/Users
GET /scim/v2/Users/{}
PUT /scim/v2/Users/{}
PATCH /scim/v2/Users/{}
DELETE /scim/v2/Users/{}
GET /scim/v2/ServiceProviderConfig
GET /scim/v2/Schemas
GET /scim/v2/ResourceTypes
"""

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        node = doc
        for p in parts:
            node = node[p]
    return node


class OpenApiDocumentTest(E2ETestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.resp = cls.client.get("/openapi.json")
        cls.doc = cls.resp.json()

    def operations(self):
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method in METHODS:
                    yield method.upper(), path, op

    def test_served_as_openapi_31_json(self) -> None:
        self.assertEqual(self.resp.status, 200)
        self.assertEqual(self.resp.content_type, "application/json")
        self.assertEqual(self.doc["openapi"], "3.1.0")
        self.assertTrue(self.doc["info"]["title"])

    def test_every_api_md_endpoint_is_documented(self) -> None:
        documented = {(m, shape(p)) for m, p, _ in self.operations()}
        expected = {tuple(line.split(" ", 1)) for line in API_MD.strip().splitlines()}
        self.assertEqual(expected - documented, set(), "API.md endpoints missing")

    def test_errors_use_the_shared_problem_schema(self) -> None:
        problem = self.doc["components"]["schemas"]["Problem"]
        self.assertEqual(set(problem["required"]), {"type", "title", "status", "code"})
        self.assertIn("feature_not_in_plan", problem["properties"]["code"]["enum"])
        for method, path, op in self.operations():
            for status, resp in op["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                content = resolve(self.doc, resp)["content"]
                if path.startswith("/scim/v2/"):
                    self.assertIn("application/scim+json", content, (method, path, status))
                else:
                    schema = content["application/problem+json"]["schema"]
                    self.assertEqual(schema["$ref"], "#/components/schemas/Problem",
                                     (method, path, status))

    def test_authenticated_routes_document_401_and_tenant_routes_404(self) -> None:
        for method, path, op in self.operations():
            if op.get("security"):
                self.assertIn("401", op["responses"], (method, path))
            names = {resolve(self.doc, p)["name"] for p in op.get("parameters", [])}
            if "X-Org-Id" in names:
                self.assertIn("404", op["responses"], (method, path))
                self.assertIn("403", op["responses"], (method, path))

    def test_security_schemes(self) -> None:
        schemes = self.doc["components"]["securitySchemes"]
        self.assertEqual(schemes["bearerJwt"]["scheme"], "bearer")
        self.assertEqual(schemes["apiKey"]["scheme"], "bearer")
        cookie = schemes["sessionCookie"]
        self.assertEqual((cookie["type"], cookie["in"], cookie["name"]),
                         ("apiKey", "cookie", "tk_session"))
        self.assertEqual(schemes["csrfToken"]["name"], "X-CSRF-Token")
        keys = self.doc["paths"]["/v1/api-keys"]["post"]["security"]
        self.assertIn({"sessionCookie": [], "csrfToken": []}, keys)
        self.assertEqual(self.doc["paths"]["/health"]["get"]["security"], [])

    def test_cookie_refresh_documents_csrf(self) -> None:
        op = self.doc["paths"]["/v1/auth/refresh"]["post"]
        self.assertIn("403", op["responses"])
        names = {resolve(self.doc, p)["name"] for p in op.get("parameters", [])}
        self.assertIn("X-CSRF-Token", names)

    def test_idempotency_key_on_mutating_routes(self) -> None:
        for path in ("/v1/api-keys", "/v1/orgs", "/v1/invitations", "/v1/scim/token",
                     "/v1/workspaces"):
            params = [resolve(self.doc, p)["name"]
                      for p in self.doc["paths"][path]["post"]["parameters"]]
            self.assertIn("Idempotency-Key", params, path)

    def test_rate_limit_headers_on_metered_route(self) -> None:
        data = self.doc["paths"]["/v1/data"]["get"]["responses"]
        self.assertIn("RateLimit", data["200"]["headers"])
        self.assertIn("RateLimit-Policy", data["200"]["headers"])
        too_many = resolve(self.doc, data["429"])
        self.assertIn("Retry-After", too_many["headers"])

    def test_audit_list_documents_filters_and_export(self) -> None:
        op = self.doc["paths"]["/v1/audit"]["get"]
        names = {resolve(self.doc, p)["name"] for p in op["parameters"]}
        self.assertLessEqual({"action", "actor_id", "target_type", "from", "to", "format",
                              "limit", "cursor"}, names)
        self.assertIn("text/csv", op["responses"]["200"]["content"])
        self.assertIn("402", op["responses"])


if __name__ == "__main__":
    unittest.main()
