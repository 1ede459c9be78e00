#!/usr/bin/env python3
"""CLI tests of `tlaunch build` and `tlaunch grub` (man/tlaunch-build.1, man/tlaunch-grub.1).

Checked independently of tlaunch's own code: digests with hashlib and gzip, the VLP bytes with
struct (layout of docs/reference/vlp.md), the grub.cfg with grub-script-check and with a small
reader of GRUB's quoting rules, the JSON outputs against their schemas with python3-jsonschema.
"""
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

TLAUNCH = os.environ["TLAUNCH"]
SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
EXAMPLE = os.path.join(SOURCE, "examples", "launch-spec.json")
SCHEMAS = os.path.join(SOURCE, "schemas")

EXIT_FAILED, EXIT_INPUT, EXIT_IO = 1, 3, 4
OUTPUTS = ["vlp.pol", "grub.cfg", "nv-plan.json", "reference.json"]


def run(*args, cwd=None):
    return subprocess.run([TLAUNCH, *args], cwd=cwd, capture_output=True, text=True)


def snapshot(d):
    """name -> (bytes, mtime_ns) of every file in d (empty if d does not exist)."""
    out = {}
    if os.path.isdir(d):
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[n] = (f.read(), os.stat(p).st_mtime_ns)
    return out


def sha(alg, data):
    return hashlib.new(alg, data).digest()


def measurement(alg, cmdline, loaded):
    """tboot hash_module(): H(H(cmdline) || H(image as loaded)) (docs/reference/vlp.md §6.1)."""
    return sha(alg, sha(alg, cmdline.encode()) + sha(alg, loaded))


def parse_vlp(b):
    """tb_policy_t v2 (docs/reference/vlp.md §2): 12-byte header, entries of 8 bytes + digests."""
    version, ptype, alg, control, _reserved, n = struct.unpack_from("<BBBII B", b, 0)
    size = {0x0B: 32, 0x0C: 48, 0x0D: 64}[alg]
    off, entries = 12, []
    for _ in range(n):
        mod, pcr, htype, nv_index, nh = struct.unpack_from("<BBBIB", b, off)
        off += 8
        hashes = [b[off + i * size: off + (i + 1) * size] for i in range(nh)]
        off += nh * size
        entries.append((mod, pcr, htype, hashes))
    assert off == len(b), "trailing bytes"
    return version, ptype, alg, control, entries


def grub_words(line):
    """GRUB 2.06 word splitting for the subset tlaunch writes: blanks separate words, '...' is
    literal, \\x outside quotes is x (grub-core/script/yylex.l)."""
    words, cur, i, have = [], "", 0, False
    while i < len(line):
        c = line[i]
        if c in " \t":
            if have:
                words.append(cur)
            cur, have = "", False
        elif c == "'":
            j = line.index("'", i + 1)
            cur += line[i + 1:j]
            have, i = True, j
        elif c == "\\":
            cur += line[i + 1]
            have, i = True, i + 1
        else:
            cur += c
            have = True
        i += 1
    if have:
        words.append(cur)
    return words


def module_lines(cfg):
    """(command, nounzip, path, cmdline) of every multiboot2/module2 line."""
    out = []
    for line in cfg.splitlines():
        w = grub_words(line.strip())
        if not w or w[0] not in ("multiboot2", "module2"):
            continue
        nounzip = len(w) > 1 and w[1] == "--nounzip"
        rest = w[2:] if nounzip else w[1:]
        out.append((w[0], nounzip, rest[0], " ".join(rest[1:])))
    return out


class Scratch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tlaunch-spec-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def write_spec(self, doc, name="spec.json"):
        with open(self.path(name), "w") as f:
            json.dump(doc, f, indent=2)
        return self.path(name)

    def read_text(self, path):
        with open(path) as f:
            return f.read()

    def files(self, names):
        """Small module files in the scratch directory; a .gz name is gzip-compressed."""
        for n in names:
            data = ("content of %s\n" % n).encode()
            with open(self.path(n), "wb") as f:
                f.write(gzip.compress(data, mtime=0) if n.endswith(".gz") else data)

    def minimal(self):
        self.files(["launcher.elf", "vmlinuz", "initrd.gz"])
        return {
            "version": 1,
            "policy": {"type": "halt"},
            "launcher": {"file": "launcher.elf", "cmdline": "logging=serial"},
            "entries": [{"title": "Linux", "kernel": {"file": "vmlinuz", "cmdline": "root=/dev/vda1 ro"},
                         "initrd": {"file": "initrd.gz"}}],
        }


class BuildExample(Scratch):
    def test_example_builds_from_any_directory_deterministically(self):
        a, b = self.path("a"), self.path("b")
        r = run("build", EXAMPLE, "-o", a, cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        rel = os.path.relpath(EXAMPLE, self.tmp)
        r = run("build", rel, "-o", "b", cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(a)), sorted(OUTPUTS))
        for n in OUTPUTS:
            with open(os.path.join(a, n), "rb") as fa, open(os.path.join(b, n), "rb") as fb:
                self.assertEqual(fa.read(), fb.read(), n + " differs between two builds")
        # No absolute path of this machine leaks into the outputs.
        for n in OUTPUTS:
            with open(os.path.join(a, n), "rb") as f:
                self.assertNotIn(SOURCE.encode(), f.read(), n)

    def test_vlp_and_reference_match_independent_hashes(self):
        out = self.path("out")
        self.assertEqual(run("build", EXAMPLE, "-o", out).returncode, 0)
        spec = json.load(open(EXAMPLE))
        base = os.path.dirname(EXAMPLE)
        with open(os.path.join(out, "vlp.pol"), "rb") as f:
            version, ptype, alg, control, entries = parse_vlp(f.read())
        self.assertEqual((version, ptype, alg, control), (2, 2, 0x0B, 1))
        # Modules 0 and 1 only: the SINIT ACM takes no module number (tboot and the launcher remove
        # it before numbering).
        self.assertEqual(len(entries), 2)
        kernels = [e["kernel"] for e in spec["entries"]]
        initrd = open(os.path.join(base, spec["entries"][0]["initrd"]["file"]), "rb").read()
        kernel = open(os.path.join(base, kernels[0]["file"]), "rb").read()
        # Module 0: one hash per distinct command line (normal + recovery), PCR none, image.
        want0 = [measurement("sha256", k["cmdline"], kernel) for k in kernels]
        self.assertEqual(entries[0], (0, 255, 1, want0))
        # Module 1: the initrd as GRUB loads it, i.e. decompressed; the two entries share it.
        want1 = [measurement("sha256", "", gzip.decompress(initrd))]
        self.assertEqual(entries[1], (1, 19, 1, want1))
        sinit = open(os.path.join(base, spec["sinits"][0]["file"]), "rb").read()

        ref = json.load(open(os.path.join(out, "reference.json")))
        m = ref["entries"][0]["modules"][1]
        self.assertEqual(m["compression"], ["gzip"])
        self.assertEqual(m["size"], len(initrd))
        self.assertEqual(m["loaded_size"], len(gzip.decompress(initrd)))
        for alg in ("sha256", "sha384"):
            d = m["digests"][alg]
            self.assertEqual(d["file"], sha(alg, initrd).hex())
            self.assertEqual(d["loaded"], sha(alg, gzip.decompress(initrd)).hex())
            self.assertEqual(d["cmdline"], sha(alg, b"").hex())
            self.assertEqual(d["measurement"], measurement(alg, "", gzip.decompress(initrd)).hex())
        with open(os.path.join(out, "vlp.pol"), "rb") as f:
            self.assertEqual(ref["policy"]["digests"]["sha256"], sha("sha256", f.read()).hex())
        launch = ref["entries"][0]["launch"]
        self.assertEqual((launch["verdict"], launch["error"]), ("pass", "TB_ERR_NONE"))
        # Event 0: the launcher's own command line, measured first.
        ev0 = launch["events"][0]
        self.assertEqual((ev0["kind"], ev0["pcr"]), ("launcher-cmdline", 17))
        self.assertEqual(ev0["digests"]["sha256"],
                         sha("sha256", spec["launcher"]["cmdline"].encode()).hex())
        self.assertEqual(ref["sinits"][0]["digests"]["sha256"]["file"], sha("sha256", sinit).hex())
        # The PCR 17 value follows from the event list by extending (TPM2_PCR_Extend).
        pcr17 = bytes(32)
        for ev in launch["events"]:
            if ev["pcr"] == 17:
                pcr17 = sha("sha256", pcr17 + bytes.fromhex(ev["digests"]["sha256"]))
        drtm = {(v["pcr"], v["bank"]): v["value"] for v in launch["pcrs"]["drtm"]}
        self.assertEqual(drtm[(17, "sha256")], pcr17.hex())

    def validate(self, doc_path, schema_name):
        from jsonschema import Draft202012Validator
        v = Draft202012Validator(json.load(open(os.path.join(SCHEMAS, schema_name))))
        return [e.json_path + ": " + e.message for e in v.iter_errors(json.load(open(doc_path)))]

    def test_outputs_validate_against_their_schemas(self):
        out = self.path("out")
        self.assertEqual(run("build", EXAMPLE, "-o", out).returncode, 0)
        self.assertEqual(self.validate(os.path.join(out, "reference.json"), "reference.v1.schema.json"), [])
        self.assertEqual(self.validate(EXAMPLE, "launch-spec.v1.schema.json"), [])

    def test_plan_validates_against_the_nv_plan_schema(self):
        if not os.path.exists(os.path.join(SCHEMAS, "nv-plan.v1.schema.json")):
            self.skipTest("schemas/nv-plan.v1.schema.json (libtpmnv's) is not in this tree")
        out = self.path("out")
        self.assertEqual(run("build", EXAMPLE, "-o", out).returncode, 0)
        self.assertEqual(self.validate(os.path.join(out, "nv-plan.json"), "nv-plan.v1.schema.json"), [])

    def test_grub_cfg(self):
        out = self.path("out")
        self.assertEqual(run("build", EXAMPLE, "-o", out).returncode, 0)
        cfg = open(os.path.join(out, "grub.cfg")).read()
        r = subprocess.run(["grub-script-check", os.path.join(out, "grub.cfg")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # `tlaunch grub` prints the same text.
        r = run("grub", EXAMPLE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, cfg)
        spec = json.load(open(EXAMPLE))
        lines = module_lines(cfg)
        self.assertEqual(len(lines), 2 * 4)
        e0 = lines[:4]
        self.assertEqual(e0[0], ("multiboot2", False, "/boot/tlaunch-launcher.elf", "logging=serial,memory"))
        self.assertEqual(e0[1], ("module2", False, "/boot/vmlinuz-6.1.0-sample",
                                 spec["entries"][0]["kernel"]["cmdline"]))
        self.assertEqual(e0[2], ("module2", False, "/boot/initrd.img-6.1.0-sample", ""))
        self.assertEqual(e0[3], ("module2", True, "/boot/SAMPLE_SINIT_ACM.BIN", ""))
        self.assertEqual(lines[5][3], spec["entries"][1]["kernel"]["cmdline"])
        # GRUB decompresses the gzip initrd only with its gzio filter loaded.
        self.assertIn("\t\tinsmod gzio\n", cfg)


class GrubQuoting(Scratch):
    CMDLINES = [
        "root=/dev/vda1 ro quiet",
        "a  b",                              # doubled blank: one quoted argument
        " leading",
        "trailing ",
        "tab\there",
        "dyndbg=\"file foo.c +p\" x",        # quotes
        "it's $HOME; {x} | y & z # no comment",
        "caf\u00e9 \u2713",                  # UTF-8
        "*",                                 # a wildcard must stay a word
        "",
    ]

    def test_every_cmdline_reaches_grub_unchanged(self):
        doc = self.minimal()
        doc["entries"] = []
        for i, c in enumerate(self.CMDLINES):
            doc["entries"].append({"title": "t%d 'quoted' $x" % i,
                                   "kernel": {"file": "vmlinuz", "cmdline": c},
                                   "initrd": {"file": "initrd.gz"}})
        spec = self.write_spec(doc)
        r = run("grub", spec, "-o", self.path("grub.cfg"))
        self.assertEqual(r.returncode, 0, r.stderr)
        chk = subprocess.run(["grub-script-check", self.path("grub.cfg")], capture_output=True, text=True)
        self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
        kernels = [l for l in module_lines(open(self.path("grub.cfg")).read())
                   if l[0] == "module2" and l[2] == "/boot/vmlinuz"]
        self.assertEqual([k[3] for k in kernels], self.CMDLINES)


class Check(Scratch):
    def test_check_detects_drift_and_writes_nothing(self):
        out = self.path("out")
        self.assertEqual(run("build", EXAMPLE, "-o", out).returncode, 0)
        r = run("build", EXAMPLE, "-o", out, "--check")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("up to date", r.stdout)

        with open(os.path.join(out, "vlp.pol"), "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 1]))
        os.remove(os.path.join(out, "grub.cfg"))
        before = snapshot(out)
        r = run("build", EXAMPLE, "-o", out, "--check")
        self.assertEqual(r.returncode, EXIT_FAILED, r.stdout + r.stderr)
        self.assertIn("drift    " + os.path.join(out, "vlp.pol") + ": differs from byte 40", r.stdout)
        self.assertIn("missing  " + os.path.join(out, "grub.cfg"), r.stdout)
        self.assertIn("ok       " + os.path.join(out, "reference.json"), r.stdout)
        self.assertIn("2 of 4 files", r.stderr)
        self.assertEqual(snapshot(out), before, "--check wrote something")

        # A rebuild rewrites only what changed.
        r = run("build", EXAMPLE, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("changed   " + os.path.join(out, "vlp.pol"), r.stdout)
        self.assertIn("new       " + os.path.join(out, "grub.cfg"), r.stdout)
        self.assertIn("unchanged " + os.path.join(out, "reference.json"), r.stdout)
        self.assertEqual(snapshot(out)["reference.json"], before["reference.json"])
        self.assertEqual(run("build", EXAMPLE, "-o", out, "--check").returncode, 0)

    def test_check_of_a_changed_spec(self):
        doc = self.minimal()
        spec = self.write_spec(doc)
        out = self.path("out")
        self.assertEqual(run("build", spec, "-o", out).returncode, 0)
        doc["entries"][0]["kernel"]["cmdline"] += " quiet"
        self.write_spec(doc)
        r = run("build", spec, "-o", out, "--check")
        self.assertEqual(r.returncode, EXIT_FAILED)
        for n in ("vlp.pol", "grub.cfg", "reference.json"):
            self.assertIn("drift    " + os.path.join(out, n), r.stdout)
        self.assertIn("ok       " + os.path.join(out, "nv-plan.json"), r.stdout)


class Lcp(Scratch):
    """The optional LCP: elements, lists signed here or elsewhere, policy + data file."""

    KEYS = os.path.join(os.environ.get("TLAUNCH_VECTORS_DIR", ""), "keys")

    def lcp_spec(self, signing):
        doc = self.minimal()
        self.files(["custom.bin"])
        for k in ("rsa2048_a.pub.pem", "rsa2048_a.priv.pem"):
            shutil.copy(os.path.join(self.KEYS, k), self.path(k))
        doc["lcp"] = {"version": "3.2", "lists": [
            {"version": "0x200", "elements": [{"type": "vlp"}]},
            {"version": "0x200", "elements": [{"type": "custom", "uuid": "tboot", "file": "custom.bin"}],
             "signing": signing}]}
        return doc

    def test_signed_lists_policy_and_data(self):
        spec = self.write_spec(self.lcp_spec({"alg": "rsa", "public_key": "rsa2048_a.pub.pem",
                                              "private_key": "rsa2048_a.priv.pem",
                                              "revocation_counter": 3}))
        out = self.path("out")
        r = run("build", spec, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        for n in ("lcp.pol", "lcp.data", "lcp-list-1.tbs"):
            self.assertIn("new       " + os.path.join(out, n), r.stdout)
        data = open(os.path.join(out, "lcp.data"), "rb").read()
        self.assertEqual(data[:32], b"Intel(R) TXT LCP_POLICY_DATA\0\0\0\0")
        # The VLP travels in the data file as tboot's fallback source (CUSTOM2, tboot UUID).
        vlp = open(os.path.join(out, "vlp.pol"), "rb").read()
        self.assertIn(bytes.fromhex("410693c3cbe3404fd79127f8b9e25c86") + vlp, data)
        # The LCP code's own check (signature, PolicyHash of the data file).
        r = run("lcp", "policy", "show", os.path.join(out, "lcp.pol"), os.path.join(out, "lcp.data"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("signature valid", r.stdout)
        self.assertIn("policy hash: matches the data file", r.stdout)
        self.assertIn("data_revocation_counters: 0 3 0", r.stdout)
        # GRUB loads the data file last, as it is; tboot and the launcher take it out of the
        # module list before numbering, so the VLP names modules 0 and 1 only.
        lines = module_lines(open(os.path.join(out, "grub.cfg")).read())
        self.assertEqual(lines[-1], ("module2", True, "/boot/lcp.data", ""))
        _, _, _, _, entries = parse_vlp(vlp)
        self.assertEqual([e[0] for e in entries], [0, 1])
        plan = json.load(open(os.path.join(out, "nv-plan.json")))
        self.assertIn({"index": "po", "file": "lcp.pol",
                       "description": "platform owner LCP policy read by SINIT"}, plan["indices"])
        self.assertEqual(run("build", spec, "-o", out, "--check").returncode, 0)

    def test_passphrase_file_is_relative_to_the_spec(self):
        # Issue 12 item 4: signing.passphrase "file:..." is read relative to the spec, like every
        # other path in it, whatever the current directory; a missing file is exit 4 (I/O).
        keys = os.path.join(SOURCE, "tests", "cli", "lcplist", "keys")
        for k in ("rsa2048_b.enc.pem", "rsa2048_b.pub.pem"):
            shutil.copy(os.path.join(keys, k), self.path(k))
        shutil.copy(os.path.join(keys, "passphrase.txt"), self.path("kp.txt"))
        doc = self.lcp_spec({"alg": "rsa", "public_key": "rsa2048_b.pub.pem",
                             "private_key": "rsa2048_b.enc.pem", "passphrase": "file:kp.txt"})
        spec = self.write_spec(doc)
        elsewhere = self.path("elsewhere")
        os.makedirs(elsewhere)
        env = dict(os.environ)
        env.pop("TLAUNCH_KEY_PASSPHRASE", None)
        r = subprocess.run([TLAUNCH, "build", spec, "-o", self.path("out")], cwd=elsewhere,
                           capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc["lcp"]["lists"][1]["signing"]["passphrase"] = "file:missing.txt"
        self.write_spec(doc)
        r = subprocess.run([TLAUNCH, "build", spec, "-o", self.path("out2")], cwd=elsewhere,
                           capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, EXIT_IO, r.stderr)
        self.assertIn(self.path("missing.txt"), r.stderr)
        self.assertFalse(os.path.exists(self.path("out2", "vlp.pol")))

    def test_output_dir_with_a_trailing_slash(self):
        # Issue 12 item 9: `-o out/` names out/vlp.pol, not out//vlp.pol.
        spec = self.write_spec(self.minimal())
        r = run("build", spec, "-o", self.path("out") + "/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(self.path("out", "vlp.pol"), r.stdout)
        self.assertNotIn("//", r.stdout)

    def test_build_and_version_json_match_their_schemas(self):
        # Issue 12 item 9: --json on build (also --check) and a schema for version --json.
        from jsonschema import Draft202012Validator

        def valid(doc, name):
            with open(os.path.join(SCHEMAS, name)) as f:
                schema = json.load(f)
            errors = [e.json_path + ": " + e.message
                      for e in Draft202012Validator(schema).iter_errors(doc)]
            self.assertEqual(errors, [], name)

        spec = self.write_spec(self.minimal())
        out = self.path("out")
        r = run("build", spec, "-o", out + "/", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        valid(doc, "build.v1.schema.json")
        self.assertEqual(doc["output"], out)
        self.assertEqual({f["name"]: f["state"] for f in doc["files"]}["vlp.pol"], "new")
        r = run("build", spec, "-o", out, "--check", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        valid(doc, "build.v1.schema.json")
        self.assertTrue(doc["up_to_date"])
        os.remove(os.path.join(out, "grub.cfg"))
        r = run("build", spec, "-o", out, "--check", "--json")
        self.assertEqual(r.returncode, EXIT_FAILED, r.stderr)
        doc = json.loads(r.stdout)
        self.assertFalse(doc["up_to_date"])
        r = run("version", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        valid(json.loads(r.stdout), "version.v1.schema.json")

    def test_build_outputs_change_together(self):
        # The outputs name each other: when one cannot be written, none is replaced. (A file in
        # the way is found while comparing, before any write; write_dir's all-or-nothing staging
        # for errors that only writing finds, such as a full disk, is tests/unit/file_io_test.cpp's.)
        spec = self.write_spec(self.minimal())
        out = self.path("out")
        self.assertEqual(run("build", spec, "-o", out).returncode, 0)
        before = {}
        for n in ("vlp.pol", "grub.cfg"):
            with open(os.path.join(out, n), "rb") as f:
                before[n] = f.read()
        changed = self.minimal()
        changed["entries"][0]["kernel"]["cmdline"] = "root=/dev/vda2 ro"
        spec = self.write_spec(changed)
        os.remove(os.path.join(out, "reference.json"))
        os.mkdir(os.path.join(out, "reference.json"))  # in the way of the last output
        r = run("build", spec, "-o", out)
        self.assertEqual(r.returncode, EXIT_IO, r.stderr)
        self.assertIn("reference.json: is a directory", r.stderr)
        for n, data in before.items():
            with open(os.path.join(out, n), "rb") as f:
                self.assertEqual(f.read(), data, n)
        self.assertEqual(sorted(os.listdir(out)), ["grub.cfg", "nv-plan.json", "reference.json", "vlp.pol"])

    def test_grub_json_is_what_grub_executes(self):
        # Issue 12 item 9: `tlaunch grub --json`, the entries read back as GRUB runs them.
        from jsonschema import Draft202012Validator
        with open(os.path.join(SCHEMAS, "grub.v1.schema.json")) as f:
            schema = json.load(f)
        with open(EXAMPLE) as f:
            spec = json.load(f)
        r = run("grub", EXAMPLE, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual([e.message for e in Draft202012Validator(schema).iter_errors(doc)], [])
        self.assertIsNone(doc["output"])
        self.assertEqual(doc["grub_cfg"], run("grub", EXAMPLE).stdout)
        self.assertEqual(len(doc["entries"]), len(spec["entries"]))
        for got, want in zip(doc["entries"], spec["entries"]):
            self.assertEqual(got["title"], want["title"])
            self.assertEqual(got["launcher"]["cmdline"], spec["launcher"]["cmdline"])
            self.assertEqual(got["modules"][0]["cmdline"], want["kernel"]["cmdline"])
            self.assertEqual(got["modules"][1]["file"], "/" + want["initrd"]["file"])
        # A command line GRUB can only get quoted (a doubled blank, a $) arrives unchanged.
        odd = self.minimal()
        odd["entries"][0]["kernel"]["cmdline"] = "a  b $HOME 'q'"
        path = self.write_spec(odd)
        out = self.path("g.cfg")
        r = run("grub", path, "-o", out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual([e.message for e in Draft202012Validator(schema).iter_errors(doc)], [])
        self.assertEqual(doc["output"], out)
        self.assertNotIn("grub_cfg", doc)
        self.assertEqual(doc["entries"][0]["modules"][0]["cmdline"], "a  b $HOME 'q'")
        self.assertEqual(doc["entries"][0]["modules"][0]["line"],
                         [i + 1 for i, l in enumerate(self.read_text(out).splitlines())
                          if l.lstrip().startswith("module2")][0])

    def test_detached_signature(self):
        signing = {"alg": "rsa", "public_key": "rsa2048_a.pub.pem"}
        spec = self.write_spec(self.lcp_spec(signing))
        out = self.path("out")
        r = run("build", spec, "-o", out)
        self.assertEqual(r.returncode, EXIT_INPUT)
        self.assertIn(spec + ": /lcp/lists/1/signing/signature: the list waits for a detached signature", r.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["lcp-list-1.tbs"])
        r = run("apply", spec, "-o", self.path("state"), "--tcti", "swtpm:host=127.0.0.1,port=1")
        self.assertEqual(r.returncode, EXIT_INPUT)
        self.assertFalse(os.path.exists(self.path("state")))
        # Signed elsewhere (here: openssl, PKCS#1 v1.5 over the to-be-signed bytes).
        sig = self.path("list1.sig")
        subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.path("rsa2048_a.priv.pem"),
                        "-out", sig, os.path.join(out, "lcp-list-1.tbs")], check=True)
        signing["signature"] = "list1.sig"
        self.write_spec(self.lcp_spec(signing))
        r = run("build", spec, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        # PKCS#1 v1.5 is deterministic: the same list as signed by tlaunch with the private key.
        signing.pop("signature")
        signing["private_key"] = "rsa2048_a.priv.pem"
        other = self.write_spec(self.lcp_spec(signing), "other.json")
        self.assertEqual(run("build", other, "-o", self.path("out2")).returncode, 0)
        self.assertEqual(open(os.path.join(out, "lcp.data"), "rb").read(),
                         open(self.path("out2", "lcp.data"), "rb").read())
        # A signature of other bytes is refused and names where it came from.
        open(sig, "r+b").write(b"\x00")
        signing.pop("private_key")
        signing["signature"] = "list1.sig"
        self.write_spec(self.lcp_spec(signing))
        r = run("build", spec, "-o", self.path("out3"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/lcp/lists/1/signing/signature", r.stderr)
        self.assertFalse(os.path.exists(self.path("out3")))

    def test_randomized_signature_with_a_private_key_is_refused(self):
        doc = self.lcp_spec({"alg": "rsapss", "public_key": "rsa2048_a.pub.pem",
                             "private_key": "rsa2048_a.priv.pem"})
        for l in doc["lcp"]["lists"]:
            l["version"] = "0x300"
        r = run("build", self.write_spec(doc), "-o", self.path("out"))
        self.assertEqual(r.returncode, EXIT_INPUT, r.stderr)
        self.assertIn("/lcp/lists/1/signing/private_key: rsapss signatures are randomized", r.stderr)
        self.assertFalse(os.path.exists(self.path("out")))


class BadInput(Scratch):
    """Each bad spec: the JSON path and the reason, the documented exit code, nothing written."""

    def expect_failure(self, doc, code, path, reason):
        spec = self.write_spec(doc)
        out = self.path("out")
        # An existing output directory with a previous build stays exactly as it was.
        good = self.write_spec(self.minimal(), "good.json")
        self.assertEqual(run("build", good, "-o", out).returncode, 0)
        before = snapshot(out)
        for args in (("build", spec, "-o", out), ("build", spec, "-o", self.path("new")),
                     ("grub", spec), ("build", spec, "-o", out, "--check")):
            r = run(*args)
            self.assertEqual(r.returncode, code, "%s: %s" % (args, r.stderr))
            self.assertIn(spec + ": " + path + ": ", r.stderr)
            self.assertIn(reason, r.stderr)
            self.assertEqual(r.stdout, "")
        self.assertEqual(snapshot(out), before)
        self.assertFalse(os.path.exists(self.path("new")))

    def test_schema_failure(self):
        doc = self.minimal()
        doc["entries"][0]["kernel"]["pcr"] = 24
        self.expect_failure(doc, EXIT_INPUT, "/entries/0/kernel/pcr", "maximum 23")

    def test_missing_file(self):
        doc = self.minimal()
        doc["entries"][0]["initrd"]["file"] = "initrd-gone.img"
        self.expect_failure(doc, EXIT_IO, "/entries/0/initrd/file", "does not exist")

    def test_compressed_module_declared_raw(self):
        doc = self.minimal()
        doc["entries"][0]["initrd"]["as_loaded"] = "raw"
        self.expect_failure(doc, EXIT_INPUT, "/entries/0/initrd/as_loaded",
                            "gzip-compressed and module2 without --nounzip hands over the decompressed")
        # With --nounzip the same declaration is consistent and builds.
        doc["entries"][0]["initrd"]["nounzip"] = True
        r = run("build", self.write_spec(doc), "-o", self.path("ok"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("module2 --nounzip\t/boot/initrd.gz", open(self.path("ok", "grub.cfg")).read())

    def test_vlp_larger_than_its_index(self):
        doc = self.minimal()
        doc["nv"] = {"vlp": {"size": 64}}
        self.expect_failure(doc, EXIT_INPUT, "/nv/vlp/size", "is 64 bytes, but the VLP needs 92")

    def test_vlp_larger_than_the_launcher_reads(self):
        doc = self.minimal()
        doc["policy"]["hash_alg"] = "sha512"
        doc["launcher"]["cmdline"] = "extpol=sha512"
        names = ["vmlinuz-%d" % i for i in range(40)]
        self.files(names)
        doc["entries"] = [{"title": "k%d" % i, "kernel": {"file": n}} for i, n in enumerate(names)]
        # 12 + 8 + 40 * 64 bytes (docs/reference/vlp.md §2.2): over tboot's 2124-byte
        # MAX_TB_POLICY_SIZE.
        self.expect_failure(doc, EXIT_INPUT, "/entries",
                            "the VLP would be 2580 bytes (1 entry, 40 hashes of 64 bytes): more "
                            "than the 2124 bytes the launcher reads")

    def test_conflicting_index_settings(self):
        doc = self.minimal()
        doc["nv"] = {"vlp": {"attributes": "ppwrite|ownerwrite|authread"}}
        self.expect_failure(doc, EXIT_INPUT, "/nv/vlp/attributes", "ppwrite is set")
        doc["nv"] = {"handle_set": "tcg", "vlp": {"handle": "0x01200001"}}
        self.expect_failure(doc, EXIT_INPUT, "/nv/vlp/handle",
                            "but the tcg handle set (/nv/handle_set) puts the vlp index at 0x01C10131")
        doc["nv"] = {"error": {"size": 2}}
        self.expect_failure(doc, EXIT_INPUT, "/nv/error/size", "smaller than the 4 bytes")
        doc["nv"] = {"vlp": {"attributes": "ownerwrite|policywrite"}}
        self.expect_failure(doc, EXIT_INPUT, "/nv/vlp/attributes", "authread is required")

    def test_not_json(self):
        spec = self.path("spec.json")
        with open(spec, "w") as f:
            f.write("{\"version\": 1,\n")
        r = run("build", spec, "-o", self.path("out"))
        self.assertEqual(r.returncode, EXIT_INPUT)
        self.assertIn("not valid JSON", r.stderr)
        self.assertFalse(os.path.exists(self.path("out")))


class KernelRule(Scratch):
    """The system spec the Debian package installs (examples/debian/launch-spec.json): entries
    by rule, expanded when build/grub run, with --running-kernel standing in for uname -r."""
    OLD, NEW = "6.1.0-50-cloud-amd64", "6.1.0-57-cloud-amd64"

    def setUp(self):
        super().setUp()
        self.boot = self.path("boot")
        os.mkdir(self.boot)
        for v in (self.OLD, self.NEW):
            self.kernel(v)
        with open(os.path.join(self.boot, "tlaunch-launcher.elf"), "wb") as f:
            f.write(b"launcher")
        spec = json.load(open(os.path.join(SOURCE, "examples", "debian", "launch-spec.json")))
        self.assertEqual(self.validate(spec), [])
        # This machine has no udev links to resolve "auto" with (a container): name them.
        rule = spec["entries"][0]["kernels"]
        rule.update({"dir": self.boot, "root": "UUID=8f4c2a71", "cmdline_linux": "console=ttyS0"})
        spec["launcher"]["file"] = os.path.join(self.boot, "tlaunch-launcher.elf")
        spec["grub"]["root"] = {"fs_uuid": "8f4c2a71"}
        self.spec = self.write_spec(spec)

    def kernel(self, v):
        with open(os.path.join(self.boot, "vmlinuz-" + v), "wb") as f:
            f.write(("kernel " + v).encode())
        with open(os.path.join(self.boot, "initrd.img-" + v), "wb") as f:
            f.write(gzip.compress(("initrd " + v).encode(), mtime=0))

    def validate(self, doc, schema="launch-spec.v1.schema.json"):
        from jsonschema import Draft202012Validator
        v = Draft202012Validator(json.load(open(os.path.join(SCHEMAS, schema))))
        return [e.json_path + ": " + e.message for e in v.iter_errors(doc)]

    def build(self, running, out="out"):
        r = run("build", self.spec, "-o", self.path(out), "--running-kernel", running)
        self.assertEqual(r.returncode, 0, r.stderr)
        ref = json.load(open(self.path(out, "reference.json")))
        self.assertEqual(self.validate(ref, "reference.v1.schema.json"), [])
        return ref

    def test_rolling_update(self):
        # Just after installing NEW, OLD is running: both kernels, NEW first, each with a
        # recovery entry; the command lines are 10_linux's.
        ref = self.build(self.OLD)
        rule = ref["rules"][0]
        self.assertEqual(rule["installed"], [self.NEW, self.OLD])
        self.assertEqual(rule["selected"], [self.NEW, self.OLD])
        self.assertTrue(rule["running_kept"])
        self.assertEqual([e["id"] for e in ref["entries"]], rule["entries"])
        self.assertEqual(rule["entries"], ["tlaunch-" + self.NEW, "tlaunch-%s-recovery" % self.NEW,
                                           "tlaunch-" + self.OLD, "tlaunch-%s-recovery" % self.OLD])
        k = ref["entries"][0]["modules"][0]
        self.assertEqual(k["cmdline"], "root=UUID=8f4c2a71 ro console=ttyS0 quiet")
        self.assertEqual(ref["entries"][1]["modules"][0]["cmdline"],
                         "root=UUID=8f4c2a71 ro single console=ttyS0")
        # The VLP's kernel entry holds the four kernel/command-line measurements, its initrd
        # entry both initrds (as GRUB loads them: decompressed).
        _, _, _, _, entries = parse_vlp(open(self.path("out", "vlp.pol"), "rb").read())
        want_k = {measurement("sha256", c, ("kernel " + v).encode())
                  for v in (self.NEW, self.OLD)
                  for c in ("root=UUID=8f4c2a71 ro console=ttyS0 quiet",
                            "root=UUID=8f4c2a71 ro single console=ttyS0")}
        want_i = {measurement("sha256", "", ("initrd " + v).encode()) for v in (self.NEW, self.OLD)}
        self.assertEqual(set(entries[0][3]), want_k)
        self.assertEqual(set(entries[1][3]), want_i)
        # `tlaunch grub` writes the same entries, newest first: GRUB's default "submenu>0" is NEW.
        r = run("grub", self.spec, "--running-kernel", self.OLD)
        self.assertEqual(r.stdout, open(self.path("out", "grub.cfg")).read())
        kernels = [l[2] for l in module_lines(r.stdout) if "vmlinuz" in l[2]]
        self.assertEqual(kernels[0], "/boot/vmlinuz-" + self.NEW)

        # NEW has booted: OLD is pruned. `build --check` against the earlier outputs says so.
        r = run("build", self.spec, "-o", self.path("out"), "--check", "--running-kernel", self.NEW)
        self.assertEqual(r.returncode, EXIT_FAILED, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"drift\s+.*vlp.pol")
        ref = self.build(self.NEW, "pruned")
        self.assertEqual(ref["rules"][0]["selected"], [self.NEW])
        self.assertFalse(ref["rules"][0]["running_kept"])
        self.assertEqual(len(ref["entries"]), 2)
        _, _, _, _, entries = parse_vlp(open(self.path("pruned", "vlp.pol"), "rb").read())
        self.assertEqual(len(entries[0][3]), 2)
        self.assertEqual(set(entries[1][3]), {measurement("sha256", "", ("initrd " + self.NEW).encode())})

    def test_a_kernel_being_unpacked_is_not_a_kernel(self):
        # dpkg unpacks vmlinuz-V.dpkg-new before renaming it; grub-mkconfig skips it, so does tlaunch.
        with open(os.path.join(self.boot, "vmlinuz-6.1.0-60-cloud-amd64.dpkg-new"), "wb") as f:
            f.write(b"half")
        ref = self.build(self.NEW)
        self.assertEqual(ref["rules"][0]["installed"], [self.NEW, self.OLD])

    def test_no_kernel_is_an_io_error_naming_the_rule(self):
        for n in os.listdir(self.boot):
            if n.startswith("vmlinuz-"):
                os.unlink(os.path.join(self.boot, n))
        r = run("build", self.spec, "-o", self.path("out"))
        self.assertEqual(r.returncode, EXIT_IO, r.stderr)
        self.assertIn("/entries/0/kernels/dir: no kernel (vmlinuz-VERSION) in " + self.boot, r.stderr)
        self.assertFalse(os.path.exists(self.path("out")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
