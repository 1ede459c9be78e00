#!/usr/bin/env python3
"""Writes that check and failures that change nothing (issue 12 items 2, 3, 5), against swtpm.

Each test starts its own swtpm (tests/integration/swtpm-env.sh) and reads the TPM back with
tpm2-tools, never with tlaunch's own code.
  * `nv write` into a catalogue index decodes the content first (tlaunch-nv(1)); --force writes
    it anyway with a warning; `nv provision` refuses the same content unless the entry has "force".
  * `apply` changes the TPM before the files: a wrong --auth leaves every file as it was
    (tlaunch-apply(1)).
  * a secret source that gives no bytes is an error and nothing is sent (tlaunch(1) SECRETS).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

TLAUNCH = os.environ["TLAUNCH"]
SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
SWTPM_ENV = os.path.join(SOURCE, "tests", "integration", "swtpm-env.sh")
EXAMPLE_DIR = os.path.join(SOURCE, "examples")
VLP, PO = "0x01C10131", "0x01C10106"
EXIT_INPUT, EXIT_IO, EXIT_TPM, EXIT_USAGE = 3, 4, 5, 2


class Swtpm(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tlaunch-writes-it-")
        self.tpm = os.path.join(self.tmp, "tpm")
        out = subprocess.run(["bash", SWTPM_ENV, "start", self.tpm], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.env = dict(os.environ)
        for line in out.stdout.splitlines():
            if line.startswith("export "):
                k, v = line[len("export "):].split("=", 1)
                self.env[k] = v.strip("'")

    def tearDown(self):
        subprocess.run(["bash", SWTPM_ENV, "stop", self.tpm], capture_output=True)
        shutil.rmtree(self.tmp)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def tlaunch(self, *args, stdin=subprocess.DEVNULL):
        # A new session: no controlling terminal, so `prompt` reads standard input.
        return subprocess.run([TLAUNCH, *args], capture_output=True, text=True, env=self.env,
                              cwd=self.tmp, stdin=stdin, start_new_session=True)

    def tools(self, *args):
        return subprocess.run(list(args), capture_output=True, env=self.env)

    def written(self, handle):
        r = self.tools("tpm2_nvreadpublic", handle)
        self.assertEqual(r.returncode, 0, r.stderr)
        return "written" in r.stdout.decode()

    def defined(self):
        r = self.tools("tpm2_getcap", "handles-nv-index")
        self.assertEqual(r.returncode, 0, r.stderr)
        return ["0x%08X" % int(l.strip("- ").strip(), 16)
                for l in r.stdout.decode().splitlines() if l.strip()]

    def nvread(self, handle, size):
        r = self.tools("tpm2_nvread", handle, "-C", handle, "-s", str(size))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout


class WritesCheck(Swtpm):
    def test_nv_write_refuses_what_the_launcher_rejects(self):
        good = self.read(os.path.join(EXAMPLE_DIR, "vl.pol"))
        cut = self.write("cut.pol", good[:50])
        noise = self.write("noise.pol", bytes((i * 73 + 11) & 0xFF for i in range(100)))
        self.assertEqual(self.tlaunch("nv", "define", "vlp").returncode, 0)
        for f in (cut, noise):
            r = self.tlaunch("nv", "write", "vlp", f)
            self.assertEqual(r.returncode, EXIT_INPUT, r.stderr)
            self.assertIn(f + ": not a valid VLP", r.stderr)
            self.assertIn("--force", r.stderr)
            self.assertFalse(self.written(VLP))
        # A whole, valid VLP is written.
        r = self.tlaunch("nv", "write", "vlp", os.path.join(EXAMPLE_DIR, "vl.pol"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.nvread(VLP, len(good)), good)
        # --force writes the cut one, with a warning.
        r = self.tlaunch("nv", "write", "vlp", cut, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: --force", r.stderr)
        self.assertEqual(self.nvread(VLP, 50), good[:50])
        # The PO index holds an LCP_POLICY_2: random bytes are refused too.
        self.assertEqual(self.tlaunch("nv", "define", "po").returncode, 0)
        r = self.tlaunch("nv", "write", "po", noise)
        self.assertEqual(r.returncode, EXIT_INPUT, r.stderr)
        self.assertIn("not a valid LCP_POLICY_2", r.stderr)
        self.assertFalse(self.written(PO))
        r = self.tlaunch("nv", "write", "po", os.path.join(EXAMPLE_DIR, "po.pol"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_nv_provision_refuses_it_unless_forced(self):
        good = self.read(os.path.join(EXAMPLE_DIR, "vl.pol"))
        self.write("cut.pol", good[:50])
        plan = {"version": 1, "handle_set": "tcg", "indices": [{"index": "vlp", "file": "cut.pol"}]}
        with open(self.path("plan.json"), "w") as f:
            json.dump(plan, f)
        r = self.tlaunch("nv", "provision", self.path("plan.json"))
        self.assertEqual(r.returncode, EXIT_INPUT, r.stderr)
        self.assertIn("indices[0] (vlp): file cut.pol: not a valid VLP", r.stderr)
        self.assertEqual(self.defined(), [])
        plan["indices"][0]["force"] = True
        with open(self.path("plan.json"), "w") as f:
            json.dump(plan, f)
        r = self.tlaunch("nv", "provision", self.path("plan.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("not a valid VLP", r.stdout)  # the step's note
        self.assertEqual(self.nvread(VLP, 50), good[:50])


class ApplyOrder(Swtpm):
    def test_wrong_auth_leaves_files_and_tpm_as_they_were(self):
        spec_dir = self.path("spec")
        shutil.copytree(EXAMPLE_DIR, spec_dir)
        spec = os.path.join(spec_dir, "launch-spec.json")
        state = self.path("state")
        r = self.tlaunch("apply", spec, "-o", state)
        self.assertEqual(r.returncode, 0, r.stderr)
        before = {n: self.read(os.path.join(state, n)) for n in os.listdir(state)}
        vlp_before = self.nvread(VLP, len(before["vlp.pol"]))
        self.assertEqual(vlp_before, before["vlp.pol"])
        # The owner gets a password; the spec changes (another kernel command line).
        self.assertEqual(self.tools("tpm2_changeauth", "-c", "owner", "right").returncode, 0)
        with open(spec) as f:
            doc = json.load(f)
        doc["entries"][0]["kernel"]["cmdline"] += " quiet"
        with open(spec, "w") as f:
            json.dump(doc, f)
        self.write("wrong.pw", b"wrong\n")
        r = self.tlaunch("apply", spec, "-o", state, "--auth", "file:" + self.path("wrong.pw"))
        self.assertEqual(r.returncode, EXIT_TPM, r.stderr)
        self.assertIn("no file in " + state + " was changed", r.stderr)
        after = {n: self.read(os.path.join(state, n)) for n in os.listdir(state)}
        self.assertEqual(after, before)
        self.assertEqual(self.nvread(VLP, len(before["vlp.pol"])), vlp_before)
        # With the right password both change.
        self.write("right.pw", b"right\n")
        r = self.tlaunch("apply", spec, "-o", state, "--auth", "file:" + self.path("right.pw"))
        self.assertEqual(r.returncode, 0, r.stderr)
        new_vlp = self.read(os.path.join(state, "vlp.pol"))
        self.assertNotEqual(new_vlp, before["vlp.pol"])
        self.assertEqual(self.nvread(VLP, len(new_vlp)), new_vlp)


class NoEmptySecret(Swtpm):
    def test_end_of_input_sends_nothing(self):
        self.write("empty.pw", b"")
        for auth, stdin in (("prompt", subprocess.DEVNULL), ("-", subprocess.DEVNULL),
                            ("file:-", subprocess.DEVNULL), ("file:empty.pw", subprocess.DEVNULL)):
            with self.subTest(auth=auth):
                r = self.tlaunch("nv", "define", "vlp", "--auth", auth, stdin=stdin)
                self.assertIn(r.returncode, (EXIT_USAGE, EXIT_IO), r.stderr)
                self.assertRegex(r.stderr, r"ended before|empty secret")
                self.assertEqual(self.defined(), [])
        # A secret on standard input is accepted.
        self.assertEqual(self.tools("tpm2_changeauth", "-c", "owner", "pw").returncode, 0)
        with open(self.write("pw", b"pw\n")) as pw:
            r = self.tlaunch("nv", "define", "vlp", "--auth", "-", stdin=pw)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.defined(), [VLP])


if __name__ == "__main__":
    unittest.main()
