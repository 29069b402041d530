# SPDX-License-Identifier: Apache-2.0
"""Issue an API key, verify it, then revoke it."""
# [snippet example]
import os

import tenantkit as tk

pepper = os.environ.get("TK_API_KEY_PEPPER", "example-pepper-of-at-least-32-bytes!!").encode()

with tk.Storage.memory() as storage, tk.Rbac() as rbac:
    owner = storage.create_user("owner@example.com", "Owner")
    org = storage.create_org("Acme", "acme", owner)
    rbac.set_user_roles(org, owner, ["owner"])

    with tk.ApiKeys(storage, pepper) as keys:
        issued = keys.issue(org, "ci", scopes=["data:read"],
                            creator_permissions=rbac.user_permissions(org, owner),
                            created_by=owner)
        print(f"issued {issued.prefix}... (id {issued.id})")

        key = keys.verify(issued.secret)
        print(f"verified: org={key.org} scopes={key.scopes}")
        assert rbac.check_scoped(key.org, key.created_by, "data:read", key.scopes)

        keys.revoke(org, issued.id)
        try:
            keys.verify(issued.secret)
            raise SystemExit("a revoked key verified")
        except tk.UnauthorizedError as e:
            print(f"after revoke: {e.code} ({e.detail})")
# [end example]
