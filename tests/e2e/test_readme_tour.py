# SPDX-License-Identifier: Apache-2.0
"""The README's five-minute tour (the sh block between <!-- tour:begin --> and <!-- tour:end -->)
pasted into bash against a real server, exactly as a reader would run it."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import unittest

from harness import setUpModule  # noqa: F401 - skips the flavour
from harness import E2ETestCase

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def tour_script() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- tour:begin -->\s*```sh\n(.*?)```\s*<!-- tour:end -->", text, re.S)
    if not m:
        raise AssertionError("README.md has no ```sh block between tour:begin and tour:end")
    return m.group(1)


class ReadmeTourTest(E2ETestCase):
    def test_tour_runs_and_upgrades_to_pro(self) -> None:
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        env = dict(os.environ, TK_URL=self.server.url)
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", tour_script()], env=env,
                              capture_output=True, text=True, timeout=120)
        out = proc.stdout
        self.assertEqual(proc.returncode, 0,
                         f"tour failed\n--- stdout\n{out}\n--- stderr\n{proc.stderr}")
        self.assertRegex(out, r"registered tour-\S+@example.com, org [0-9a-f-]{36}")
        self.assertRegex(out, r"second org [0-9a-f-]{36}")
        self.assertIn("invited dev@example.com", out)
        self.assertRegex(out, r"api key tk_live_[0-9A-Za-z]{8}\.\.\.")
        self.assertRegex(out, r"(?im)^ratelimit")
        self.assertRegex(out, r"usage api_calls \d+ / \d+")
        self.assertIn("completed", out)
        self.assertIn("plan now pro", out)


if __name__ == "__main__":
    unittest.main()
