# SPDX-License-Identifier: Apache-2.0
"""Check a permission: built-in roles, a custom role with a deny, an API key's scopes."""
# [snippet example]
import tenantkit as tk

with tk.Rbac() as rbac:
    rbac.register_permission("reports:export")
    rbac.create_role("org_1", "analyst", allow=["reports:export", "*:read"], deny=["audit:read"])
    rbac.set_user_roles("org_1", "alice", ["analyst"])
    rbac.set_user_roles("org_1", "bob", ["member"])

    assert rbac.check("org_1", "alice", "reports:export")
    decision = rbac.check("org_1", "alice", "audit:read")
    print(f"alice audit:read -> allowed={decision.allowed} reason={decision.reason}")
    assert decision.reason == "explicit_deny"

    decision = rbac.check("org_1", "bob", "members:write")
    print(f"bob members:write -> allowed={decision.allowed} reason={decision.reason}")
    assert not decision

    # An API key created by bob with scope data:read acts with bob's roles within its scopes.
    decision = rbac.check_scoped("org_1", "bob", "usage:write", scopes=["data:read"])
    print(f"bob's key usage:write -> reason={decision.reason}")
    assert decision.reason == "outside_scope"
# [end example]
