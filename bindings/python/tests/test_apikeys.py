# SPDX-License-Identifier: Apache-2.0
import os
import tempfile
import time
import unittest

import tenantkit as tk

PEPPER = b"0123456789abcdef0123456789abcdef-py"


class ApiKeysTest(unittest.TestCase):
    def open_storage(self) -> tk.Storage:
        return tk.Storage.memory()

    def setUp(self) -> None:
        self.clock = tk.ManualClock(1767225600)
        self.storage = self.open_storage()
        self.user = self.storage.create_user("Ada@Example.com", "Ada")
        self.org = self.storage.create_org("Acme", "acme", self.user)
        self.keys = tk.ApiKeys(self.storage, PEPPER, clock=self.clock)
        for h in (self.keys, self.storage, self.clock):
            self.addCleanup(h.close)

    def test_issue_verify_revoke(self) -> None:
        issued = self.keys.issue(self.org, "ci", scopes=["data:read"],
                                 creator_permissions=["data:read", "usage:write"],
                                 created_by=self.user)
        self.assertTrue(issued.secret.startswith(issued.prefix))
        self.assertNotIn(issued.secret, repr(issued))
        v = self.keys.verify(issued.secret)
        self.assertEqual((v.org, v.id, v.created_by, v.scopes),
                         (self.org, issued.id, self.user, ["data:read"]))
        self.keys.revoke(self.org, issued.id)
        with self.assertRaises(tk.UnauthorizedError):
            self.keys.verify(issued.secret)

    def test_bad_keys_are_unauthorized(self) -> None:
        issued = self.keys.issue(self.org, "ci", creator_permissions=["data:read", "usage:write"])
        flipped = issued.secret[:-1] + ("a" if issued.secret[-1] != "a" else "b")
        for bad in (flipped, "", "tk_live_nope", issued.secret + "x", issued.secret.encode()[:-1]):
            with self.subTest(bad=bad), self.assertRaises(tk.UnauthorizedError):
                self.keys.verify(bad)
        with tk.ApiKeys(self.storage, b"another-pepper-of-32-bytes-or-more!!") as other:
            with self.assertRaises(tk.UnauthorizedError):
                other.verify(issued.secret)

    def test_no_escalation_and_validation(self) -> None:
        with self.assertRaises(tk.ForbiddenError):
            self.keys.issue(self.org, "x", scopes=["members:write"],
                            creator_permissions=["data:read"])
        with self.assertRaises(tk.ValidationError):
            self.keys.issue(self.org, "", creator_permissions=["data:read", "usage:write"])
        with self.assertRaises(tk.BadRequestError):
            self.keys.issue("bad org!", "x")
        with self.assertRaises(tk.ValidationError):
            tk.ApiKeys(self.storage, b"short")

    def test_rotation_and_expiry(self) -> None:
        perms = ["data:read", "usage:write"]
        first = self.keys.issue(self.org, "ci", creator_permissions=perms)
        second = self.keys.rotate(self.org, first.id, grace=60)
        self.keys.verify(first.secret)  # within grace
        self.clock.advance(61)
        with self.assertRaises(tk.UnauthorizedError):
            self.keys.verify(first.secret)
        self.assertEqual(self.keys.verify(second.secret).id, second.id)
        with self.assertRaises(tk.GoneError):
            self.keys.rotate(self.org, first.id)
        temp = self.keys.issue(self.org, "temp", creator_permissions=perms,
                               expires_at=self.clock.now + 10)
        self.keys.verify(temp.secret)
        self.clock.advance(11)
        with self.assertRaises(tk.UnauthorizedError):
            self.keys.verify(temp.secret)
        with self.assertRaises(tk.NotFoundError):
            self.keys.revoke(self.org, "key_missing")

    def test_usage_events_are_idempotent(self) -> None:
        self.assertFalse(self.storage.record_usage(self.org, "ai_tokens", 100, "req-1"))
        self.assertTrue(self.storage.record_usage(self.org, "ai_tokens", 100, "req-1"))
        self.storage.record_usage(self.org, "ai_tokens", 5, "req-2")
        t = int(time.time())  # events default to the wall clock
        self.assertEqual(self.storage.usage_total(self.org, "ai_tokens", t - 60, t + 60), 105)
        with self.assertRaises(tk.ValidationError):
            self.storage.record_usage(self.org, "ai_tokens", -1, "req-3")

    def test_storage_rules(self) -> None:
        with self.assertRaises(tk.ConflictError):
            self.storage.create_user("ada@example.com")
        with self.assertRaises(tk.ConflictError):
            self.storage.create_org("Other", "acme", self.user)
        with self.assertRaises(tk.ValidationError):
            self.storage.create_org("Other", "Not A Slug", self.user)


@unittest.skipUnless(tk.built_with("sqlite"), "built without SQLite")
class SqliteApiKeysTest(ApiKeysTest):
    def open_storage(self) -> tk.Storage:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        return tk.Storage.sqlite(os.path.join(self.tmp.name, "tk.db"))


if __name__ == "__main__":
    unittest.main()
