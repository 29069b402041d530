# SPDX-License-Identifier: Apache-2.0
import json
import unittest

import tenantkit as tk


class PlansTest(unittest.TestCase):
    def test_builtin(self) -> None:
        with tk.Plans.builtin() as plans:
            self.assertEqual(plans.ids(), ["free", "pro", "enterprise"])
            self.assertTrue(plans.has_feature("pro", "audit_log"))
            self.assertFalse(plans.has_feature("free", "audit_log"))
            self.assertEqual(plans.limit("pro", "api_calls"), 100000)
            self.assertIsNone(plans.limit("enterprise", "seats"))
            with self.assertRaises(tk.NotFoundError):
                plans.limit("platinum", "seats")
            with self.assertRaises(tk.ValidationError):
                plans.has_feature("pro", "teleport")

    def test_from_json(self) -> None:
        doc = {"plans": [{"id": "free", "name": "Free", "limits": {"seats": 1}},
                         {"id": "team", "name": "Team", "limits": {"seats": None},
                          "features": ["scim"]}]}
        with tk.Plans.from_json(json.dumps(doc)) as plans:
            self.assertTrue(plans.has_feature("team", "scim"))
            self.assertIsNone(plans.limit("team", "seats"))
            self.assertEqual(plans.limit("free", "seats"), 1)
        with self.assertRaises(tk.BadRequestError):
            tk.Plans.from_json("{nope")
        with self.assertRaises(tk.ValidationError) as e:
            tk.Plans.from_json('{"plans": [{"id": "pro", "name": "Pro"}]}')  # no free plan
        self.assertEqual(e.exception.code, "validation_failed")


class WebhookTest(unittest.TestCase):
    T = 1767225600
    BODY = b'{"id": "evt_1"}\x00binary'

    def test_roundtrip_and_attacks(self) -> None:
        header = tk.sign_webhook("whsec_new", self.BODY, self.T)
        self.assertEqual(tk.verify_webhook(["whsec_old", "whsec_new"], header, self.BODY,
                                           now=self.T + 5), self.T)
        cases = {
            "wrong secret": (["whsec_old"], header, self.BODY, self.T),
            "tampered body": (["whsec_new"], header, self.BODY + b"!", self.T),
            "replayed late": (["whsec_new"], header, self.BODY, self.T + 301),
            "missing header": (["whsec_new"], "", self.BODY, self.T),
        }
        for name, (secrets, h, body, now) in cases.items():
            with self.subTest(name), self.assertRaises(tk.InvalidSignatureError):
                tk.verify_webhook(secrets, h, body, now=now)
        with self.assertRaises(tk.ValidationError):
            tk.verify_webhook([], header, self.BODY, now=self.T)


class JwtTest(unittest.TestCase):
    SECRET = b"an-hs256-secret-of-at-least-32-bytes!"

    def test_hs256(self) -> None:
        with tk.ManualClock(1767225600) as clock, \
                tk.Jwt.hs256(self.SECRET, ttl=600, clock=clock) as jwt:
            token = jwt.sign("user_1", org="org_1")
            claims = jwt.verify(token)
            self.assertEqual((claims["sub"], claims["org"], claims["exp"]),
                             ("user_1", "org_1", 1767225600 + 600))
            with self.assertRaises(tk.UnauthorizedError) as e:
                jwt.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
            self.assertEqual(e.exception.detail, "token_bad_signature")
            clock.advance(700)
            with self.assertRaises(tk.UnauthorizedError) as e:
                jwt.verify(token)
            self.assertEqual(e.exception.detail, "token_expired")
            self.assertEqual(jwt.jwks(), {"keys": []})
        with self.assertRaises(tk.ValidationError):
            tk.Jwt.hs256(b"short")

    def test_eddsa_and_algorithm_confusion(self) -> None:
        keys = tk.generate_key_set()
        with tk.Jwt.eddsa(keys, issuer="me") as ed, tk.Jwt.hs256(self.SECRET, issuer="me") as hs:
            token = ed.sign("user_2", session="sess_1")
            self.assertEqual(ed.verify(token)["sid"], "sess_1")
            self.assertEqual(ed.jwks()["keys"][0]["crv"], "Ed25519")
            with self.assertRaises(tk.UnauthorizedError) as e:
                hs.verify(token)
            self.assertEqual(e.exception.detail, "token_alg_not_allowed")
        with self.assertRaises(tk.BadRequestError):
            tk.Jwt.eddsa("{}")


class VersionTest(unittest.TestCase):
    def test_version(self) -> None:
        self.assertEqual(tk.library_version(), tk.__version__)


if __name__ == "__main__":
    unittest.main()
