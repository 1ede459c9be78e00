#!/usr/bin/env python3
"""`tlaunch apply` and `tlaunch doctor` against swtpm (man/tlaunch-apply.1, tlaunch-doctor.1).

Each test starts its own swtpm with libtpmnv's fixture (tests/integration/swtpm-env.sh: free port,
absolute state directory, stopped by pid) and checks the TPM with tpm2-tools, never with tlaunch's
own code. The machine doctor looks at is a fake root: ROOT/boot holds the example's files and the
grub.cfg tlaunch built, ROOT/var/lib/tlaunch what `apply` wrote.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import swtpm_env  # tests/integration/swtpm_env.py, next to this file

TLAUNCH = os.environ["TLAUNCH"]
SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
EXAMPLE = os.path.join(SOURCE, "examples", "launch-spec.json")
VLP, ERROR = "0x01C10131", "0x01C10132"
EXIT_FAILED = 1


class SwtpmSpec(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tlaunch-spec-it-")
        self.tpm = os.path.join(self.tmp, "tpm")
        env = swtpm_env.start(self.tpm)
        self.env = env
        self.tcti = env["TPM2TOOLS_TCTI"]
        # The machine: the example's files in ROOT/boot, its state in ROOT/var/lib/tlaunch.
        self.root = os.path.join(self.tmp, "root")
        shutil.copytree(os.path.join(SOURCE, "examples", "boot"), os.path.join(self.root, "boot"))
        os.makedirs(os.path.join(self.root, "boot", "grub"))
        self.state = os.path.join(self.root, "var", "lib", "tlaunch")

    def tearDown(self):
        swtpm_env.stop(self.tpm)
        shutil.rmtree(self.tmp)

    def tlaunch(self, *args):
        return subprocess.run([TLAUNCH, *args], capture_output=True, text=True, env=self.env)

    def tools(self, *args):
        return subprocess.run(list(args), capture_output=True, env=self.env)

    def nv_defined(self):
        r = self.tools("tpm2_getcap", "handles-nv-index")
        self.assertEqual(r.returncode, 0, r.stderr)
        # tpm2_getcap prints "- 0x1C10131" (no leading zero).
        return ["0x%08X" % int(l.strip("- ").strip(), 16)
                for l in r.stdout.decode().splitlines() if l.strip()]

    def nvread(self, handle, size=None):
        args = ["tpm2_nvread", handle, "-C", handle]
        if size is not None:
            args += ["-s", str(size)]
        r = self.tools(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def apply(self, *extra):
        return self.tlaunch("apply", EXAMPLE, "-o", self.state, "--tcti", self.tcti, *extra)

    def install_grub_cfg(self):
        shutil.copy(os.path.join(self.state, "grub.cfg"), os.path.join(self.root, "boot", "grub", "grub.cfg"))

    def doctor(self):
        r = self.tlaunch("doctor", "--json", "--tcti", self.tcti, "--root", self.root)
        doc = json.loads(r.stdout)
        self.check_schema(doc)
        return r.returncode, doc

    def check_schema(self, doc):
        from jsonschema import Draft202012Validator
        schema = json.load(open(os.path.join(SOURCE, "schemas", "doctor.v1.schema.json")))
        errors = [e.json_path + ": " + e.message for e in Draft202012Validator(schema).iter_errors(doc)]
        self.assertEqual(errors, [])

    def test_apply_twice_second_run_changes_nothing(self):
        # Dry run: the plan, nothing changed (no index, no file).
        r = self.apply("--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("create    0x01C10131 (vlp)", r.stdout)
        self.assertIn("create    0x01C10132 (error)", r.stdout)
        self.assertIn("new       vlp.pol", r.stdout)
        self.assertIn("dry run:", r.stdout)
        self.assertEqual(self.nv_defined(), [])
        self.assertFalse(os.path.exists(self.state))

        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("applied:", r.stdout)
        self.assertEqual(sorted(self.nv_defined()), [VLP, ERROR])
        vlp = open(os.path.join(self.state, "vlp.pol"), "rb").read()
        self.assertEqual(self.nvread(VLP, len(vlp)), vlp)
        self.assertEqual(self.nvread(ERROR, 4), bytes(4))  # TB_ERR_NONE
        pub = self.tools("tpm2_nvreadpublic", VLP).stdout.decode()
        for attr in ("ownerwrite", "policywrite", "authread", "no_da", "written"):
            self.assertIn(attr, pub)
        files = {n: os.stat(os.path.join(self.state, n)).st_mtime_ns for n in os.listdir(self.state)}

        # Second run: nothing to do, no NV write, no file rewritten.
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("nothing to do", r.stdout)
        self.assertNotIn("create", r.stdout)
        self.assertNotIn("rewrite", r.stdout)
        self.assertEqual({n: os.stat(os.path.join(self.state, n)).st_mtime_ns for n in os.listdir(self.state)}, files)
        self.assertEqual(self.nvread(VLP, len(vlp)), vlp)

    def test_apply_keeps_the_launch_error_record(self):
        self.assertEqual(self.apply().returncode, 0)
        # The launcher records TB_ERR_MODULE_VERIFICATION_FAILED (9, tboot HEAD numbering).
        err = os.path.join(self.tmp, "err.bin")
        open(err, "wb").write(bytes([9, 0, 0, 0]))
        w = self.tools("tpm2_nvwrite", ERROR, "-C", ERROR, "-i", err)
        self.assertEqual(w.returncode, 0, w.stderr)
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("nothing to do", r.stdout)
        self.assertEqual(self.nvread(ERROR, 4), bytes([9, 0, 0, 0]))
        self.install_grub_cfg()
        code, doc = self.doctor()
        self.assertEqual(code, EXIT_FAILED)
        self.assertEqual(doc["last_launch_error"]["name"], "TB_ERR_MODULE_VERIFICATION_FAILED")
        self.assertIn("measurement was not among", doc["last_launch_error"]["meaning"])

    def test_apply_conflict_changes_nothing(self):
        # A VLP index defined by someone else with other attributes: conflict, exit 7.
        d = self.tools("tpm2_nvdefine", VLP, "-C", "o", "-s", "512", "-a", "ownerwrite|ownerread|authread")
        self.assertEqual(d.returncode, 0, d.stderr)
        r = self.apply()
        self.assertEqual(r.returncode, 7, r.stdout + r.stderr)
        self.assertIn("conflict  0x01C10131 (vlp)", r.stdout)
        self.assertEqual(self.nv_defined(), [VLP])
        self.assertFalse(os.path.exists(self.state))
        r = self.apply("--replace")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(self.nv_defined()), [VLP, ERROR])

    def apply_json(self, *extra):
        r = self.apply("--json", *extra)
        doc = json.loads(r.stdout)
        self.assertEqual(self.apply_schema_errors(doc), [])
        return r, doc

    def apply_schema_errors(self, doc):
        # apply.v1 refers to nv-provision.v1 for its NV steps: resolve $ref against schemas/.
        from jsonschema import Draft202012Validator
        store = {}
        for name in os.listdir(os.path.join(SOURCE, "schemas")):
            s = json.load(open(os.path.join(SOURCE, "schemas", name)))
            store[s["$id"]] = s
        schema = store["https://tlaunch.invalid/schemas/apply.v1.schema.json"]
        try:
            from referencing import Registry, Resource
            registry = Registry().with_resources(
                [(k, Resource.from_contents(v)) for k, v in store.items()])
            v = Draft202012Validator(schema, registry=registry)
        except ImportError:  # jsonschema < 4.18 (Debian 12's 4.10)
            from jsonschema import RefResolver
            v = Draft202012Validator(schema, resolver=RefResolver.from_schema(schema, store=store))
        return [e.json_path + ": " + e.message for e in v.iter_errors(doc)]

    def test_apply_json(self):
        # Dry run: would change, nothing changed.
        r, doc = self.apply_json("--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((doc["result"], doc["changed"], doc["entries_changed"]), ("dry-run", True, True))
        self.assertEqual([f["state"] for f in doc["files"]], ["new"] * len(doc["files"]))
        self.assertEqual({s["handle"]: s["action"] for s in doc["nv"]}, {VLP: "create", ERROR: "create"})
        self.assertEqual(self.nv_defined(), [])
        self.assertFalse(os.path.exists(self.state))

        # First run: both indices defined and written, as tpm2-tools sees them.
        r, doc = self.apply_json()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((doc["result"], doc["changed"], doc["entries_changed"]), ("applied", True, True))
        t = doc["totals"]
        self.assertEqual((t["defined"], t["written"], t["files_written"]), (2, 2, len(doc["files"])))
        self.assertGreaterEqual(t["nv_write_commands"], 2)
        self.assertEqual(sorted(self.nv_defined()), [VLP, ERROR])
        self.assertIn("written", self.tools("tpm2_nvreadpublic", VLP).stdout.decode())

        # Second run: nothing.
        r, doc = self.apply_json()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((doc["result"], doc["changed"], doc["entries_changed"]), ("unchanged", False, False))
        self.assertEqual(set(doc["totals"].values()) - {len(doc["files"])}, {0})
        self.assertEqual({s["action"] for s in doc["nv"]}, {"unchanged"})

        # Another command line: grub.cfg and the VLP change, the definitions stay.
        spec = json.load(open(EXAMPLE))
        spec["entries"][0]["kernel"]["cmdline"] += " quiet"
        # The spec's file paths are relative to its directory: next to a copy of the example's.
        ex = os.path.join(self.tmp, "example")
        shutil.copytree(os.path.join(SOURCE, "examples", "boot"), os.path.join(ex, "boot"))
        edited = os.path.join(ex, "launch-spec.json")
        json.dump(spec, open(edited, "w"))
        r = self.tlaunch("apply", edited, "-o", self.state, "--tcti", self.tcti, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(self.apply_schema_errors(doc), [])
        self.assertEqual((doc["result"], doc["changed"], doc["entries_changed"]), ("applied", True, True))
        states = {f["name"]: f["state"] for f in doc["files"]}
        self.assertEqual((states["grub.cfg"], states["vlp.pol"]), ("changed", "changed"))
        self.assertEqual({s["handle"]: s["action"] for s in doc["nv"]}, {VLP: "rewrite", ERROR: "unchanged"})
        self.assertEqual((doc["totals"]["defined"], doc["totals"]["written"]), (0, 1))

    def test_apply_json_conflict_and_failure(self):
        d = self.tools("tpm2_nvdefine", VLP, "-C", "o", "-s", "512", "-a", "ownerwrite|ownerread|authread")
        self.assertEqual(d.returncode, 0, d.stderr)
        r, doc = self.apply_json()
        self.assertEqual(r.returncode, 7)
        self.assertEqual((doc["result"], doc["changed"]), ("conflict", False))
        self.assertIn("differs from the spec", doc["error"])
        self.assertIn("differs from the spec", r.stderr)
        self.assertFalse(os.path.exists(self.state))
        # No TPM: nothing on stdout, the message on stderr, exit 6.
        r = subprocess.run([TLAUNCH, "apply", EXAMPLE, "-o", self.state, "--json",
                            "--tcti", "swtpm:host=127.0.0.1,port=1"], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout), (6, ""))
        self.assertIn("cannot open the TPM", r.stderr)

    def test_doctor_provisioned(self):
        self.assertEqual(self.apply().returncode, 0)
        self.install_grub_cfg()
        # A platform index as the catalogue defines it (platformcreate, platform hierarchy): doctor
        # once judged it without its hierarchy and called it refused by the launcher.
        r = self.tlaunch("nv", "define", "ps", "--tcti", self.tcti)
        self.assertEqual(r.returncode, 0, r.stderr)
        code, doc = self.doctor()
        # Healthy except what a test machine lacks (no TXT CPU) and that this TPM never saw a
        # launch: PCR 17-19 hold swtpm's reset value (all 0xFF) in every bank, so this "boot" was
        # not measured (the boot lab's spec scenario checks the measured case after a real boot).
        problems = [p for p in doc["problems"] if "smx" not in p]
        self.assertEqual(len(problems), 1, doc["problems"])
        self.assertIn("this boot was not measured: PCR 17, 18, 19 hold their reset values", problems[0])
        self.assertFalse(doc["launch_pcrs"]["measured"])
        self.assertEqual(sorted({(p["bank"], p["state"]) for p in doc["launch_pcrs"]["pcrs"]}),
                         sorted({(b["alg"], "reset-ff") for b in doc["tpm"]["banks"]}))
        self.assertEqual(len(doc["launch_pcrs"]["pcrs"]), 3 * len(doc["tpm"]["banks"]))
        self.assertIn(code, (0, EXIT_FAILED))
        self.assertTrue(doc["tpm"]["reachable"])
        self.assertGreater(doc["tpm"]["nv_buffer_max"], 0)
        self.assertIn("sha256", [b["alg"] for b in doc["tpm"]["banks"]])
        vlp = [i for i in doc["indices"] if i["name"] == "vlp" and i["in_use"]][0]
        self.assertTrue(vlp["present"] and vlp["launcher_accepts"] and vlp["written"])
        ps = [i for i in doc["indices"] if i["name"] == "ps" and i["in_use"]][0]
        self.assertTrue(ps["present"] and ps["launcher_accepts"], ps)
        self.assertEqual(doc["last_launch_error"]["name"], "TB_ERR_NONE")
        self.assertEqual(doc["policy_source"], "nv")
        boot = doc["boot"]
        self.assertTrue(boot["reference_matches"])
        self.assertEqual(len(boot["entries"]), 2)
        for e in boot["entries"]:
            self.assertEqual((e["verdict"], e["error"]), ("pass", "TB_ERR_NONE"))
            # The SINIT ACM leaves the module list before numbering (tboot's layout, which the
            # launcher applies too): two numbered modules, the SINIT skipped.
            self.assertEqual([m["status"] for m in e["modules"]], ["ok", "ok"])
            self.assertEqual(e["skipped"], ["sinit /boot/SAMPLE_SINIT_ACM.BIN"])
        # Human output says the same.
        r = self.tlaunch("doctor", "--tcti", self.tcti, "--root", self.root)
        self.assertIn("[pass] Debian GNU/Linux, with tlaunch and Linux 6.1.0-sample", r.stdout)
        self.assertIn("this boot: NOT measured (PCR 17, 18, 19 at their reset values)", r.stdout)

    def test_doctor_measured_launch(self):
        # What the launcher does at boot, done by hand: PCR 17 extended at locality 2 (set on
        # swtpm's control channel; the raw-command relay keeps tpm2-tss's swtpm TCTI from setting
        # locality 0 again). Then doctor sees a measured boot and has nothing to say about it.
        self.assertEqual(self.apply().returncode, 0)
        self.install_grub_cfg()
        r = self.tools("swtpm_ioctl", "--tcp", "127.0.0.1:%s" % self.env["SWTPM_CTRL_PORT"], "-l", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        relay = "cmd:exec python3 %s --port %s" % (
            os.path.join(SOURCE, "tests", "integration", "tpm-proxy.py"), self.env["SWTPM_PORT"])
        r = self.tools("tpm2_pcrextend", "-T", relay, "17:sha256=" + "11" * 32)
        self.assertEqual(r.returncode, 0, r.stderr)
        code, doc = self.doctor()
        self.assertTrue(doc["launch_pcrs"]["measured"])
        states = {(p["bank"], p["pcr"]): p["state"] for p in doc["launch_pcrs"]["pcrs"]}
        self.assertEqual(states[("sha256", 17)], "extended")
        self.assertEqual(states[("sha256", 18)], "reset-ff")
        self.assertFalse(any("not measured" in p for p in doc["problems"]), doc["problems"])
        self.assertFalse(any("all_banks=on" in p for p in doc["problems"]), doc["problems"])
        # Had the installed build's launcher run with all_banks=on, every bank would have been
        # extended: each bank left at its reset value is a problem of its own.
        ref_path = os.path.join(self.state, "reference.json")
        ref = json.load(open(ref_path))
        ref["all_banks"] = True
        json.dump(ref, open(ref_path, "w"))
        code, doc = self.doctor()
        reset = sorted({p["bank"] for p in doc["launch_pcrs"]["pcrs"]} - {"sha256"})
        self.assertTrue(reset, doc["launch_pcrs"])  # swtpm allocates more than one bank
        flagged = [p for p in doc["problems"] if "all_banks=on" in p]
        self.assertEqual(len(flagged), len(reset), doc["problems"])
        for bank in reset:
            self.assertTrue(any("of the %s bank hold their reset values" % bank in p
                                for p in flagged), flagged)

    def test_doctor_empty_tpm(self):
        code, doc = self.doctor()
        self.assertEqual(code, EXIT_FAILED)
        self.assertEqual(doc["policy_source"], "nv-absent")
        self.assertTrue(any("no VLP index at 0x01C10131" in p for p in doc["problems"]), doc["problems"])
        self.assertIsNone(doc["last_launch_error"])
        self.assertIsNone(doc["reference"])
        self.assertIsNone(doc["boot"])  # no grub.cfg on this machine either
        self.assertTrue(any("grub.cfg does not exist" in p for p in doc["problems"]))

    def test_doctor_policy_no_longer_matches(self):
        self.assertEqual(self.apply().returncode, 0)
        cfg_path = os.path.join(self.root, "boot", "grub", "grub.cfg")
        cfg = open(os.path.join(self.state, "grub.cfg")).read()
        # A kernel update replaced the file; someone edited the recovery entry's command line.
        with open(os.path.join(self.root, "boot", "vmlinuz-6.1.0-sample"), "ab") as f:
            f.write(b"updated\n")
        cfg = cfg.replace("ro single console=ttyS0,115200", "ro single console=tty0")
        open(cfg_path, "w").write(cfg)
        code, doc = self.doctor()
        self.assertEqual(code, EXIT_FAILED)
        e0, e1 = doc["boot"]["entries"]
        self.assertEqual((e0["verdict"], e0["error"], e0["action"]),
                         ("fail", "TB_ERR_MODULE_VERIFICATION_FAILED", "halt"))
        k0 = e0["modules"][0]
        self.assertEqual(k0["status"], "digest-mismatch")
        self.assertIn("vmlinuz-6.1.0-sample changed since the policy was built", k0["reason"])
        self.assertEqual(e0["modules"][1]["status"], "ok")
        k1 = e1["modules"][0]
        # The recovery kernel line has both: the same changed file and an edited command line.
        self.assertEqual(k1["status"], "digest-and-cmdline")
        self.assertIn("-console=ttyS0,115200", k1["cmdline_diff"])
        self.assertIn("+console=tty0", k1["cmdline_diff"])
        self.assertIn(" single", k1["cmdline_diff"])
        # Only the command line: restore the kernel.
        shutil.copy(os.path.join(SOURCE, "examples", "boot", "vmlinuz-6.1.0-sample"),
                    os.path.join(self.root, "boot", "vmlinuz-6.1.0-sample"))
        code, doc = self.doctor()
        e0, e1 = doc["boot"]["entries"]
        self.assertEqual(e0["verdict"], "pass")
        self.assertEqual(e1["modules"][0]["status"], "cmdline-differs")
        self.assertEqual(e1["modules"][0]["expected_cmdline"],
                         json.load(open(EXAMPLE))["entries"][1]["kernel"]["cmdline"])
        r = self.tlaunch("doctor", "--tcti", self.tcti, "--root", self.root)
        self.assertIn("command line (- policy, + grub.cfg):", r.stdout)
        self.assertIn("          +console=tty0", r.stdout)

    def test_doctor_without_tpm_uses_the_installed_build(self):
        self.assertEqual(self.apply().returncode, 0)
        self.install_grub_cfg()
        r = subprocess.run([TLAUNCH, "doctor", "--json", "--tcti", "swtpm:host=127.0.0.1,port=1",
                            "--root", self.root], capture_output=True, text=True)
        self.assertEqual(r.returncode, 6, r.stderr)
        # Issue 12 item 6: tpm2-tss's own ERROR:tcti:/WARNING:tcti: lines are not printed.
        self.assertNotRegex(r.stderr, r"(?m)^(ERROR|WARNING):tcti")
        doc = json.loads(r.stdout)
        self.check_schema(doc)
        self.assertFalse(doc["tpm"]["reachable"])
        self.assertIn("instead of the policy in NV", doc["boot"]["note"])
        self.assertEqual([e["verdict"] for e in doc["boot"]["entries"]], ["pass", "pass"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
