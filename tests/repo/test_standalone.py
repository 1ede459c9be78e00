#!/usr/bin/env python3
"""The repository stands alone, and its citations land.

- test_no_path_outside_the_repository: no tracked text file names the folder that used to sit next to
  the repository (the parent's `shared` directory with the spec and the golden vectors). Binary files
  (a NUL byte, or not UTF-8) are data and are not looked at; neither is this file.
- test_reference_citations_resolve: every "docs/reference/<page>.md §N.M" (code, tests, schemas,
  man pages, scripts) and every "upstream-quirks.md#qN" / "reference/<page>.md#sN-M" names a
  section that exists (<a id="sN-M"> / <a id="qN"> in that page).
- The scanners are tried on planted files first, so the tests cannot pass by finding nothing.

Run from anywhere: TLAUNCH_SOURCE_DIR (default: two levels up) is the repository. Standard library
only.
"""

import os
import re
import subprocess
import tempfile
import unittest

SOURCE = os.path.abspath(os.environ.get("TLAUNCH_SOURCE_DIR")
                         or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SELF = os.path.relpath(os.path.abspath(__file__), SOURCE)

# Built from pieces so that this file does not spell what it looks for.
_SH = "sha" + "red"
FORBIDDEN = re.compile(r"\.\./%s\b|/work/%s\b|\b%s/(?:vectors|spec|BOOT-LAB|CONVENTIONS)" %
                       (_SH, _SH, _SH))

PAGES = ("vlp", "lcp", "nv", "tb_polgen", "boot-lab")
SECTION = r"§(\d+(?:\.\d+)*)"
CITE = re.compile(r"docs/reference/(%s)\.md ((?:%s)(?:(?:, |/|–|-)%s)*)" %
                  ("|".join(re.escape(p) for p in PAGES), SECTION, SECTION))
QUIRK = re.compile(r"upstream-quirks\.md#(q\d+)")
LINK = re.compile(r"reference/(%s)\.md#(s\d+(?:-\d+)*)" % "|".join(re.escape(p) for p in PAGES))
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')


def tracked_files(root):
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
        names = [n for n in out.stdout.decode().split("\0") if n]
        if names:
            return names
    except (OSError, subprocess.CalledProcessError):
        pass
    names = []  # not a git checkout (e.g. an unpacked tarball): every file but build trees
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != ".git" and not x.startswith("build")]
        names += [os.path.relpath(os.path.join(d, f), root) for f in files]
    return names


def text_of(path):
    """The file's text, or None for binary data and symbolic links."""
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def outside_paths(root, names):
    """(file, line number, line) for each line naming a path outside the repository."""
    hits = []
    for n in names:
        if n == SELF:
            continue
        text = text_of(os.path.join(root, n))
        if text is None:
            continue
        for i, line in enumerate(text.split("\n"), start=1):
            if FORBIDDEN.search(line):
                hits.append((n, i, line.strip()[:160]))
    return hits


def anchors(root, page):
    path = os.path.join(root, "docs", "reference", page)
    text = text_of(path) or ""
    return set(ANCHOR.findall(text))


def broken_citations(root, names):
    """(file, line number, citation) for each citation of a missing page or section."""
    cache = {}

    def has(page, anchor):
        if page not in cache:
            cache[page] = anchors(root, page)
        return anchor in cache[page]

    bad = []
    for n in names:
        if n == SELF or n.startswith("tests/compat/vectors/"):
            continue
        text = text_of(os.path.join(root, n))
        if text is None:
            continue
        for i, line in enumerate(text.split("\n"), start=1):
            for m in CITE.finditer(line):
                for sec in re.findall(SECTION, m.group(2)):
                    if not has(m.group(1) + ".md", "s" + sec.replace(".", "-")):
                        bad.append((n, i, "docs/reference/%s.md §%s" % (m.group(1), sec)))
            for m in QUIRK.finditer(line):
                if not has("upstream-quirks.md", m.group(1)):
                    bad.append((n, i, m.group(0)))
            for m in LINK.finditer(line):
                if not has(m.group(1) + ".md", m.group(2)):
                    bad.append((n, i, m.group(0)))
    return bad


def report(rows):
    return "\n".join("%s:%d: %s" % r for r in rows)


class Standalone(unittest.TestCase):
    def test_scanners_find_planted_problems(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "docs", "reference"))
            with open(os.path.join(d, "docs", "reference", "vlp.md"), "w") as f:
                f.write('<a id="s6-2"></a>\n## 6.2 Verification\n')
            planted = {
                "a.cpp": "// see ../%s/spec/vlp.md\n" % _SH,
                "b.py": 'VECTORS = "/work/%s/vectors/public"\n' % _SH,
                "c.txt": "set(X ${PROJECT_SOURCE_DIR}/../%s)\n" % _SH,
                "d.md": "facts: %s/BOOT-LAB.md\n" % _SH,
                "ok.txt": "std::shared_ptr<int> shared; shared/other is fine\n",
                "bin.dat": b"\0../%s/vectors\0" % _SH.encode(),
                "e.h": "// docs/reference/vlp.md §6.2 and docs/reference/vlp.md §6.9\n",
                "f.md": "[x](reference/vlp.md#s6-2) [y](reference/vlp.md#s7)\n",
            }
            for name, body in planted.items():
                with open(os.path.join(d, name), "wb") as f:
                    f.write(body if isinstance(body, bytes) else body.encode())
            names = list(planted)
            self.assertEqual(sorted(h[0] for h in outside_paths(d, names)),
                             ["a.cpp", "b.py", "c.txt", "d.md"])
            bad = broken_citations(d, names)
            self.assertEqual([(b[0], b[2]) for b in bad],
                             [("e.h", "docs/reference/vlp.md §6.9"), ("f.md", "reference/vlp.md#s7")])

    def test_no_path_outside_the_repository(self):
        names = tracked_files(SOURCE)
        self.assertGreater(len(names), 100, "no files found under %s" % SOURCE)
        hits = outside_paths(SOURCE, names)
        self.assertEqual(hits, [], "files that name a path outside the repository:\n" + report(hits))

    def test_reference_citations_resolve(self):
        for page in PAGES + ("upstream-quirks",):
            self.assertTrue(anchors(SOURCE, page + ".md"), "docs/reference/%s.md has no anchors" % page)
        bad = broken_citations(SOURCE, tracked_files(SOURCE))
        self.assertEqual(bad, [], "citations of sections that do not exist:\n" + report(bad))


if __name__ == "__main__":
    unittest.main(verbosity=2)
