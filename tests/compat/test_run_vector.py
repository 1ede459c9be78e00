#!/usr/bin/env python3
"""Self-test of run_vector.py: builds small synthetic cases around a fake tool (a shell script)
and checks that the runner passes what matches and fails what does not."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "run_vector.py")

# The fake tool: `faketool OUT TEXT` writes TEXT to OUT and to stdout, `faketool fail` exits 3
# with a message, `faketool rand OUT` writes "AB" + 2 random hex chars + "CD".
FAKETOOL = r"""#!/bin/bash
case "$1" in
  fail) echo "it failed" >&2; exit 3 ;;
  rand) r=$(head -c 1 /dev/urandom | od -An -tx1 | tr -d ' \n'); printf 'AB%sCD' "$r" > "$2";
        printf 'line1\nrand %s\nline3\n' "$r" ;;
  litter) echo x > leftover.tmp ;;
  *) printf '%s' "$2" > "$1"; echo "wrote $1" ;;
esac
"""


def sha(b):
    return hashlib.sha256(b).hexdigest()


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="rv-selftest-")
        self.bin = os.path.join(self.root, "bin")
        os.mkdir(self.bin)
        tool = os.path.join(self.bin, "faketool")
        with open(tool, "w") as f:
            f.write(FAKETOOL)
        os.chmod(tool, os.stat(tool).st_mode | stat.S_IEXEC)
        self.devdir = os.path.join(self.root, "deviations")
        os.mkdir(self.devdir)
        self.docs = os.path.join(self.root, "compat.md")
        with open(self.docs, "w") as f:
            f.write("# Compat\n\n<a id=\"fake-dev\"></a>\n### fake-dev: a documented deviation\n")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def make_case(self, name, lines, steps, outputs, inputs=None, nondet=None, gen=None,
                  generated=None, not_shipped=None):
        """steps: list of (rc, stdout, stderr); outputs/inputs: {name: bytes}."""
        d = os.path.join(self.root, "cases", name)
        os.makedirs(os.path.join(d, "steps"))
        with open(os.path.join(d, "cmd"), "w") as f:
            f.write("".join(l + "\n" for l in lines))
        man = ["# role sha256 size name"]
        for n, b in (inputs or {}).items():
            with open(os.path.join(d, n), "wb") as f:
                f.write(b)
            man.append("input %s %d %s" % (sha(b), len(b), n))
        for n, b in outputs.items():
            with open(os.path.join(d, n), "wb") as f:
                f.write(b)
            man.append("output %s %d %s" % (sha(b), len(b), n))
        for n, b in (generated or {}).items():
            man.append("generated %s %d %s" % (sha(b), len(b), n))
        for n, b in (not_shipped or {}).items():
            man.append("input(not-shipped) %s %d %s" % (sha(b), len(b), n))
        with open(os.path.join(d, "manifest"), "w") as f:
            f.write("\n".join(man) + "\n")
        for i, (rc, out, err) in enumerate(steps, start=1):
            for ext, data in (("rc", "%d\n" % rc), ("stdout", out), ("stderr", err)):
                with open(os.path.join(d, "steps", "%02d.%s" % (i, ext)), "w") as f:
                    f.write(data)
        if nondet:
            with open(os.path.join(d, "nondeterministic"), "w") as f:
                f.write(nondet)
        if gen:
            with open(os.path.join(d, "gen"), "w") as f:
                f.write(gen)
        return d

    def run_case(self, case, *extra):
        p = subprocess.run([sys.executable, RUNNER, case, "--bin", self.bin, "--deviations",
                            self.devdir, "--docs", self.docs] + list(extra),
                           capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def basic(self, name="basic", out_text="hello"):
        return self.make_case(name, ["faketool o.bin hello", "faketool fail"],
                              [(0, "wrote o.bin\n", ""), (3, "", "it failed\n")],
                              {"o.bin": out_text.encode()})

    def test_matching_case_passes(self):
        rc, out = self.run_case(self.basic())
        self.assertEqual(rc, 0, out)
        self.assertIn("PASS basic", out)

    def test_output_file_mismatch_fails(self):
        rc, out = self.run_case(self.basic(out_text="hellO"))
        self.assertEqual(rc, 1, out)
        self.assertIn("offset 4", out)

    def test_stdout_rc_stderr_mismatch_fails(self):
        d = self.make_case("mis", ["faketool o.bin hello", "faketool fail"],
                           [(0, "wrote o.bin!\n", ""), (1, "", "it failed\n")],
                           {"o.bin": b"hello"})
        rc, out = self.run_case(d)
        self.assertEqual(rc, 1, out)
        self.assertIn("step 1", out)
        self.assertIn("rc 1 expected, 3 produced", out)

    def test_nondeterministic_ranges_and_lines(self):
        nd = ("file r.bin: bytes varying (half-open, 0-based offsets): [2,4)\n"
              "stdout of step 1 (steps/01.stdout, 1-based line numbers): 2\n")
        d = self.make_case("nd", ["faketool rand r.bin"], [(0, "line1\nrand 00\nline3\n", "")],
                           {"r.bin": b"AB00CD"}, nondet=nd)
        rc, out = self.run_case(d)
        self.assertEqual(rc, 0, out)
        d2 = self.make_case("nd2", ["faketool rand r.bin"], [(0, "line1\nrand 00\nline3\n", "")],
                            {"r.bin": b"AB00CE"}, nondet=nd)
        rc, out = self.run_case(d2)
        self.assertEqual(rc, 1, out)

    def test_deviation_must_cite_existing_section(self):
        d = self.basic("devbad")
        with open(os.path.join(self.devdir, "devbad.json"), "w") as f:
            json.dump({"steps": [{"step": 2, "compat": "docs/compat.md#no-such", "rc": 3}]}, f)
        rc, out = self.run_case(d)
        self.assertEqual(rc, 2, out)
        with open(os.path.join(self.devdir, "devbad.json"), "w") as f:
            json.dump({"steps": [{"step": 2, "rc": 3}]}, f)
        rc, out = self.run_case(d)
        self.assertEqual(rc, 2, out)

    def test_deviation_replaces_expectations(self):
        # Upstream said step 2 succeeds and writes p.bin; we fail instead (documented).
        d = self.make_case("dev", ["faketool o.bin hello", "faketool fail"],
                           [(0, "wrote o.bin\n", ""), (0, "ok\n", "")],
                           {"o.bin": b"hello", "p.bin": b"xx"})
        rc, _ = self.run_case(d)
        self.assertEqual(rc, 1)
        with open(os.path.join(self.devdir, "dev.json"), "w") as f:
            json.dump({"steps": [{"step": 2, "compat": "docs/compat.md#fake-dev", "rc": 3,
                                  "stdout": "", "stderr": "it failed\n"}],
                       "files": [{"file": "p.bin", "compat": "docs/compat.md#fake-dev",
                                  "absent": True}]}, f)
        rc, out = self.run_case(d)
        self.assertEqual(rc, 0, out)
        self.assertIn("documented deviation", out)

    def test_check_hook(self):
        d = self.basic("hook")
        with open(os.path.join(self.devdir, "hook.json"), "w") as f:
            json.dump({"checks": [{"cmd": "grep -q hello o.bin", "after_step": 1}]}, f)
        self.assertEqual(self.run_case(d)[0], 0)
        with open(os.path.join(self.devdir, "hook.json"), "w") as f:
            json.dump({"checks": [{"cmd": "grep -q goodbye o.bin"}]}, f)
        rc, out = self.run_case(d)
        self.assertEqual(rc, 1, out)
        self.assertIn("check after step 2", out)

    def test_leftover_file_fails(self):
        d = self.make_case("litter", ["faketool litter"], [(0, "", "")], {})
        rc, out = self.run_case(d)
        self.assertEqual(rc, 1, out)
        self.assertIn("leftover.tmp", out)

    def test_outputs_deleted_before_running(self):
        # The case folder holds o.bin; a tool that only appends would pass if it were kept.
        d = self.make_case("del", ["bash -c 'echo -n x >> o.bin'"], [(0, "", "")], {"o.bin": b"x"})
        self.assertEqual(self.run_case(d)[0], 0)
        d2 = self.make_case("del2", ["bash -c 'echo -n x >> o.bin'"], [(0, "", "")],
                            {"o.bin": b"xx"})
        self.assertEqual(self.run_case(d2)[0], 1)

    def test_gen_checked(self):
        d = self.make_case("gen", ["faketool o.bin hi"], [(0, "wrote o.bin\n", "")],
                           {"o.bin": b"hi"}, gen="printf abc > g.bin\n",
                           generated={"g.bin": b"abc"})
        self.assertEqual(self.run_case(d)[0], 0)
        d2 = self.make_case("gen2", ["faketool o.bin hi"], [(0, "wrote o.bin\n", "")],
                            {"o.bin": b"hi"}, gen="printf abd > g.bin\n",
                            generated={"g.bin": b"abc"})
        rc, out = self.run_case(d2)
        self.assertEqual(rc, 1, out)

    def test_not_shipped_input_skips(self):
        d = self.make_case("ns", ["cat big.bin"], [(0, "data", "")], {},
                           not_shipped={"big.bin": b"data"})
        rc, out = self.run_case(d)
        self.assertEqual(rc, 77, out)
        self.assertIn("not shipped", out)
        extra = os.path.join(self.root, "extra")
        os.mkdir(extra)
        with open(os.path.join(extra, "big.bin"), "wb") as f:
            f.write(b"data")
        rc, out = self.run_case(d, "--not-shipped", extra)
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
