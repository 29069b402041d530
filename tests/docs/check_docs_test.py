# SPDX-License-Identifier: Apache-2.0
"""check_docs.py must fail for each kind of drift: a changed line, a missing marker, a file the
test command does not build, an unknown region. Run: python3 -m unittest check_docs_test"""
import pathlib
import tempfile
import unittest

import check_docs

SOURCE = """// SPDX-License-Identifier: Apache-2.0
int main() {
  // [snippet body]
  int x = 1;
  return x - 1;
  // [end body]
}
"""


class CheckDocsTest(unittest.TestCase):
    def run_check(self, page, source=SOURCE, source_path="examples/demo/main.cpp"):
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp)
            (root / "docs").mkdir()
            (root / "docs" / "page.md").write_text(page)
            (root / "README.md").write_text("# readme\n")
            path = root / source_path
            path.parent.mkdir(parents=True)
            path.write_text(source)
            return check_docs.check(root)

    def test_identical_block_passes(self):
        checked, failures = self.run_check(
            "text\n<!-- snippet: examples/demo/main.cpp#body -->\n```cpp\nint x = 1;\n"
            "return x - 1;\n```\n")
        self.assertEqual((checked, failures), (1, []))

    def test_changed_line_names_file_line_and_text(self):
        _, failures = self.run_check(
            "<!-- snippet: examples/demo/main.cpp#body -->\n```cpp\nint x = 1;\nreturn x;\n```\n")
        self.assertEqual(len(failures), 1)
        self.assertIn("docs/page.md:4", failures[0])
        self.assertIn("return x;", failures[0])
        self.assertIn("return x - 1;", failures[0])

    def test_extra_line_in_doc_fails(self):
        _, failures = self.run_check(
            "<!-- snippet: examples/demo/main.cpp#body -->\n```cpp\nint x = 1;\nreturn x - 1;\n"
            "x++;\n```\n")
        self.assertEqual(len(failures), 1)
        self.assertIn("<end of region>", failures[0])

    def test_unmarked_cpp_block_fails(self):
        _, failures = self.run_check("```cpp\nint x = 1;\n```\n")
        self.assertEqual(len(failures), 1)
        self.assertIn("docs/page.md:1", failures[0])

    def test_unmarked_shell_block_is_not_checked(self):
        checked, failures = self.run_check("```sh\nmake\n```\n\n```json\n{}\n```\n")
        self.assertEqual((checked, failures), (0, []))

    def test_file_outside_built_trees_fails(self):
        _, failures = self.run_check(
            "<!-- snippet: include/demo.hpp#body -->\n```cpp\nint x = 1;\nreturn x - 1;\n```\n",
            source_path="include/demo.hpp")
        self.assertEqual(len(failures), 1)
        self.assertIn("not compiled or run", failures[0])

    def test_unknown_region_fails(self):
        _, failures = self.run_check(
            "<!-- snippet: examples/demo/main.cpp#nope -->\n```cpp\nint x = 1;\n```\n")
        self.assertEqual(len(failures), 1)
        self.assertIn("no region", failures[0])

    def test_python_and_cmake_regions_use_hash_markers(self):
        source = "x = 0\n# [snippet calc]\nprint(x + 1)\n# [end calc]\n"
        checked, failures = self.run_check(
            "<!-- snippet: bindings/python/examples/calc.py#calc -->\n```python\nprint(x + 1)\n```\n",
            source=source, source_path="bindings/python/examples/calc.py")
        self.assertEqual((checked, failures), (1, []))


if __name__ == "__main__":
    unittest.main()
