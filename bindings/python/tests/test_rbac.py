# SPDX-License-Identifier: Apache-2.0
import unittest

import tenantkit as tk


class RbacTest(unittest.TestCase):
    def setUp(self) -> None:
        self.rbac = tk.Rbac()
        self.addCleanup(self.rbac.close)
        self.rbac.set_user_roles("org_a", "ann", ["member"])

    def test_builtin_roles_and_reasons(self) -> None:
        self.assertTrue(self.rbac.check("org_a", "ann", "data:read"))
        d = self.rbac.check("org_a", "ann", "members:write")
        self.assertFalse(d)
        self.assertEqual(d.reason, "not_granted")
        self.assertEqual(self.rbac.check("org_b", "ann", "data:read").reason, "not_a_member")
        self.assertEqual(self.rbac.check("org_a", "ann", "x:y").reason, "unknown_permission")

    def test_custom_role_with_deny_and_lifecycle(self) -> None:
        self.rbac.register_permission("reports:export")
        self.rbac.create_role("org_a", "analyst", allow=["reports:export", "*:read"],
                              deny=["audit:read"])
        self.rbac.set_user_roles("org_a", "bob", ["analyst"])
        self.assertTrue(self.rbac.check("org_a", "bob", "reports:export"))
        self.assertEqual(self.rbac.check("org_a", "bob", "audit:read").reason, "explicit_deny")
        with self.assertRaises(tk.ConflictError):
            self.rbac.delete_role("org_a", "analyst")  # bob holds it
        self.rbac.update_role("org_a", "analyst", allow=["*:read"])
        self.assertFalse(self.rbac.check("org_a", "bob", "reports:export"))
        self.rbac.remove_user("org_a", "bob")
        self.rbac.delete_role("org_a", "analyst")
        with self.assertRaises(tk.NotFoundError):
            self.rbac.delete_role("org_a", "analyst")

    def test_errors_carry_code_detail_and_fields(self) -> None:
        with self.assertRaises(tk.ConflictError) as c:
            self.rbac.create_role("org_a", "owner", allow=["data:read"])
        self.assertEqual(c.exception.code, "conflict")
        self.assertIsInstance(c.exception, tk.TenantkitError)
        with self.assertRaises(tk.ValidationError) as v:
            self.rbac.create_role("org_a", "typo", allow=["daat:read"])
        self.assertEqual(v.exception.status, tk.Status.VALIDATION_FAILED)
        self.assertTrue(v.exception.fields)
        with self.assertRaises(tk.ValidationError):
            self.rbac.set_user_roles("org_a", "cy", ["wizard"])

    def test_scoped_check_and_permissions(self) -> None:
        self.assertTrue(self.rbac.check_scoped("org_a", "ann", "data:read", ["data:read"]))
        d = self.rbac.check_scoped("org_a", "ann", "usage:write", ["data:read"])
        self.assertEqual(d.reason, "outside_scope")
        perms = self.rbac.user_permissions("org_a", "ann")
        self.assertIn("data:read", perms)
        self.assertEqual(len(perms), 6)
        self.assertEqual(self.rbac.user_permissions("org_a", "nobody"), [])

    def test_closed_handle_raises(self) -> None:
        r = tk.Rbac()
        r.close()
        r.close()  # idempotent
        with self.assertRaises(ValueError):
            r.check("org_a", "ann", "data:read")


if __name__ == "__main__":
    unittest.main()
