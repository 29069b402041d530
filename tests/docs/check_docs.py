#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Docs drift check: every cpp, c, cmake or python block in docs/*.md and README.md quotes a
region of a file the test command compiles or runs.

A checked block must directly follow a marker line

    <!-- snippet: examples/getting_started/main.cpp#first_program -->

and be byte-identical (after removing the common indentation) to the lines between
`// [snippet first_program]` and `// [end first_program]` (`# [snippet ...]` in Python and
CMake files) of that file. The file must live under a tree the test command builds or runs.
Blocks of other languages are checked only when marked. Usage: check_docs.py [repo root]
Exit status 0 when every block matches, 1 otherwise (each failure names file, line, and the
first differing line).
"""
import pathlib
import re
import sys
import textwrap

CHECKED_LANGUAGES = {"cpp", "c", "cmake", "python"}
# Trees whose files the test command compiles or runs (examples/ are built and run by
# tests/docs, tests/ and bench/ are built, bindings/python/examples are run by tests/python).
ALLOWED_ROOTS = ("examples/", "tests/", "bindings/python/examples/", "bench/")
MARKER = re.compile(r"^<!--\s*snippet:\s*(?P<path>[^#\s]+)#(?P<name>[A-Za-z0-9_.-]+)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[A-Za-z0-9_+-]*)")
REGION_START = re.compile(r"^\s*(?://|#)\s*\[snippet (?P<name>[A-Za-z0-9_.-]+)\]\s*$")
REGION_END = re.compile(r"^\s*(?://|#)\s*\[end (?P<name>[A-Za-z0-9_.-]+)\]\s*$")


def dedent_lines(lines):
    return textwrap.dedent("".join(line + "\n" for line in lines)).splitlines()


def regions(path):
    """name -> (first line number, dedented lines) of every snippet region in `path`."""
    found, open_regions = {}, {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        end = REGION_END.match(line)
        if end and end["name"] in open_regions:
            start, body = open_regions.pop(end["name"])
            found[end["name"]] = (start, dedent_lines(body))
            continue
        for name in open_regions:  # nested regions: the outer one excludes marker lines
            if not REGION_START.match(line) and not REGION_END.match(line):
                open_regions[name][1].append(line)
        start = REGION_START.match(line)
        if start:
            if start["name"] in found or start["name"] in open_regions:
                raise ValueError(f"{path}:{number}: snippet '{start['name']}' defined twice")
            open_regions[start["name"]] = (number, [])
    if open_regions:
        name, (number, _) = next(iter(open_regions.items()))
        raise ValueError(f"{path}:{number}: snippet '{name}' has no [end {name}]")
    return found


def blocks(md_path):
    """Yields (line of the fence, language, marker match or None, marker line, lines)."""
    lines = md_path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m["fence"], i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        marker_line = start - 1
        while marker_line >= 0 and lines[marker_line].strip() == "":
            marker_line -= 1
        marker = MARKER.match(lines[marker_line].strip()) if marker_line >= 0 else None
        yield start + 1, m["lang"].lower(), marker, marker_line + 1, body
        i += 1


def check(root):
    root = root.resolve()
    pages = sorted((root / "docs").glob("*.md")) + [root / "README.md"]
    failures, checked = [], 0
    cache = {}
    for page in pages:
        if not page.exists():
            continue
        rel_page = page.relative_to(root)
        for line, lang, marker, marker_line, body in blocks(page):
            if lang not in CHECKED_LANGUAGES and marker is None:
                continue
            checked += 1
            where = f"{rel_page}:{line}"
            if marker is None:
                failures.append(f"{where}: ```{lang} block without a "
                                "'<!-- snippet: <path>#<name> -->' line before it")
                continue
            path, name = marker["path"], marker["name"]
            if not path.startswith(ALLOWED_ROOTS):
                failures.append(f"{rel_page}:{marker_line}: {path} is not compiled or run by the "
                                f"test command (allowed: {', '.join(ALLOWED_ROOTS)})")
                continue
            source = root / path
            if not source.is_file():
                failures.append(f"{rel_page}:{marker_line}: {path} does not exist")
                continue
            try:
                if source not in cache:
                    cache[source] = regions(source)
            except ValueError as e:
                failures.append(f"{where}: {e}")
                continue
            if name not in cache[source]:
                failures.append(f"{rel_page}:{marker_line}: {path} has no region "
                                f"'[snippet {name}]' ... '[end {name}]'")
                continue
            region_line, expected = cache[source][name]
            actual = dedent_lines(body)
            if actual == expected:
                continue
            for k in range(max(len(actual), len(expected))):
                a = actual[k] if k < len(actual) else "<end of block>"
                e = expected[k] if k < len(expected) else "<end of region>"
                if a != e:
                    failures.append(
                        f"{rel_page}:{line + 1 + k}: differs from {path}#{name} (line "
                        f"{region_line + 1 + k}):\n    doc:    {a!r}\n    source: {e!r}")
                    break
    return checked, failures


def main(argv):
    root = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).resolve().parents[2]
    checked, failures = check(root)
    for f in failures:
        print(f, file=sys.stderr)
    print(f"check_docs: {checked} blocks checked, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
