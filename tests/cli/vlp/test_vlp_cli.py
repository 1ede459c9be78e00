#!/usr/bin/env python3
"""CLI tests of `tlaunch vlp` (man/tlaunch-vlp.1). Expected policy bytes are built here from
docs/reference/vlp.md with struct + hashlib, or taken from the golden vectors; never read back with
our own decoder. Environment: TLAUNCH (binary), TLAUNCH_VECTORS_DIR, TLAUNCH_SCHEMAS_DIR."""

import gzip
import hashlib
import json
import lzma
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

TLAUNCH = os.path.abspath(os.environ.get("TLAUNCH", "tlaunch"))
VECTORS = os.environ.get("TLAUNCH_VECTORS_DIR", "")
SCHEMAS = os.environ.get("TLAUNCH_SCHEMAS_DIR", "")

# cli/common/exit_codes.h
OK, USAGE, INPUT, IO, CONFLICT, UNSUPPORTED = 0, 2, 3, 4, 7, 9


def header(ptype=2, alg=0x0B, ctrl=1, n=0):
    return struct.pack("<BBBIIB", 2, ptype, alg, ctrl, 0, n)


def entry(mod, pcr, htype, hashes=(), nv=0):
    return struct.pack("<BBBIB", mod, pcr, htype, nv, len(hashes)) + b"".join(hashes)


def measurement(cmdline, image, alg="sha256"):
    h = lambda b: hashlib.new(alg, b).digest()
    return h(h(cmdline) + h(image))


class VlpCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tlaunch-vlp-")
        self.kernel = os.urandom(5000) + b"kernel" * 1000
        self.write("k.bin", self.kernel)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, n):
        return os.path.join(self.dir, n)

    def write(self, n, data):
        with open(self.path(n), "wb") as f:
            f.write(data)

    def read(self, n):
        with open(self.path(n), "rb") as f:
            return f.read()

    def vlp(self, *args, rc=OK):
        p = subprocess.run([TLAUNCH, "vlp"] + list(args), cwd=self.dir, capture_output=True,
                           stdin=subprocess.DEVNULL, env=dict(os.environ, LC_ALL="C"))
        self.assertEqual(p.returncode, rc, "tlaunch vlp %s: rc %d\nstdout %s\nstderr %s" %
                         (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p.stdout.decode(), p.stderr.decode()

    def assert_untouched(self, name, before):
        self.assertEqual(self.read(name), before)
        self.assertEqual([f for f in os.listdir(self.dir) if ".tmp." in f], [])

    # --- golden vectors: the same operations give upstream's bytes -------------------------
    def test_matches_tb_polgen_vector(self):
        case = os.path.join(VECTORS, "tbp-add-image-two-modules")
        if not os.path.isdir(case):
            self.skipTest("vectors not available")
        for f in ("kernel.bin", "initrd.bin"):
            shutil.copy(os.path.join(case, f), self.dir)
        self.vlp("create", "vl.pol", "--type", "continue")
        self.vlp("add", "vl.pol", "--module", "0", "--pcr", "none", "--hash", "image", "--cmdline",
                 "console=ttyS0,115200 root=/dev/sda1 ro", "--image", "kernel.bin")
        self.vlp("add", "vl.pol", "--module", "1", "--pcr", "19", "--hash", "image", "--cmdline",
                 "", "--image", "initrd.bin")
        with open(os.path.join(case, "vl.pol"), "rb") as f:
            self.assertEqual(self.read("vl.pol"), f.read())

    def test_create_variants(self):
        self.vlp("create", "a.pol", "--type", "nonfatal")
        self.assertEqual(self.read("a.pol"), header(ptype=0))
        self.vlp("create", "b.pol", "--type", "HALT", "--alg", "sha384", "--ctrl", "0")
        self.assertEqual(self.read("b.pol"), header(ptype=2, alg=0x0C, ctrl=0))
        self.vlp("create", "c.pol", "--type", "continue", "--alg", "sha512", "--ctrl", "0x1")
        self.assertEqual(self.read("c.pol"), header(ptype=1, alg=0x0D, ctrl=1))

    def test_create_refuses_existing_without_force(self):
        self.vlp("create", "a.pol", "--type", "halt")
        self.vlp("add", "a.pol", "--module", "0", "--pcr", "18", "--hash", "any")
        before = self.read("a.pol")
        _, err = self.vlp("create", "a.pol", "--type", "nonfatal", rc=CONFLICT)
        self.assertIn("--force", err)
        self.assert_untouched("a.pol", before)
        self.vlp("create", "a.pol", "--type", "nonfatal", "--force")
        self.assertEqual(self.read("a.pol"), header(ptype=0))

    def test_create_bad_values(self):
        self.vlp("create", "a.pol", "--type", "bogus", rc=USAGE)
        self.vlp("create", "a.pol", "--type", "halt", "--alg", "sha1", rc=USAGE)
        _, err = self.vlp("create", "a.pol", "--type", "halt", "--ctrl", "2", rc=USAGE)
        self.assertIn("bit 0", err)
        self.vlp("create", "a.pol", rc=USAGE)  # --type is required
        self.assertFalse(os.path.exists(self.path("a.pol")))
        _, err = self.vlp("create", "nodir/a.pol", "--type", "halt", rc=IO)
        self.assertIn("nodir/a.pol", err)

    # --- add -------------------------------------------------------------------------------
    def test_add_image_and_cmdline(self):
        self.vlp("create", "v.pol", "--type", "halt", "--alg", "sha384")
        self.vlp("add", "v.pol", "--module", "0", "--pcr", "18", "--hash", "image", "--image",
                 "k.bin", "--cmdline", "root=/dev/sda1 ro")
        m = measurement(b"root=/dev/sda1 ro", self.kernel, "sha384")
        self.assertEqual(self.read("v.pol"), header(alg=0x0C, n=1) + entry(0, 18, 1, [m]))
        # same digest again: not duplicated; another cmdline: appended
        _, err = self.vlp("add", "v.pol", "--module", "0", "--pcr", "18", "--hash", "image",
                          "--image", "k.bin", "--cmdline", "root=/dev/sda1 ro")
        self.assertIn("already has this digest", err)
        self.vlp("add", "v.pol", "--module", "0", "--pcr", "17", "--hash", "image", "--image",
                 "k.bin")
        m2 = measurement(b"", self.kernel, "sha384")
        self.assertEqual(self.read("v.pol"), header(alg=0x0C, n=1) + entry(0, 17, 1, [m, m2]))

    def test_as_loaded_grub_decompresses_gzip_and_xz_raw_does_not(self):
        self.vlp("create", "v.pol", "--type", "halt")
        gz = gzip.compress(self.kernel, mtime=0)
        xz = lzma.compress(self.kernel, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
        self.write("k.gz", gz)
        self.write("k.xz", xz)
        self.vlp("add", "v.pol", "--module", "0", "--pcr", "18", "--hash", "image", "--image",
                 "k.gz", "--cmdline", "a")
        self.vlp("add", "v.pol", "--module", "1", "--pcr", "18", "--hash", "image", "--image",
                 "k.xz", "--cmdline", "a")
        self.vlp("add", "v.pol", "--module", "2", "--pcr", "18", "--hash", "image", "--image",
                 "k.gz", "--cmdline", "a", "--as-loaded", "raw")
        m = measurement(b"a", self.kernel)
        self.assertEqual(self.read("v.pol"),
                         header(n=3) + entry(0, 18, 1, [m]) + entry(1, 18, 1, [m]) +
                         entry(2, 18, 1, [measurement(b"a", gz)]))

    def test_corrupt_image_fails_and_leaves_policy(self):
        self.vlp("create", "v.pol", "--type", "halt")
        before = self.read("v.pol")
        gz = gzip.compress(self.kernel, mtime=0)
        self.write("cut.gz", gz[: len(gz) // 2])
        p = subprocess.run([TLAUNCH, "vlp", "add", "v.pol", "--module", "0", "--pcr", "18",
                            "--hash", "image", "--image", "cut.gz"], cwd=self.dir,
                           capture_output=True)
        self.assertIn(p.returncode, (INPUT,), p.stderr)
        self.assertIn(b"cut.gz", p.stderr)
        self.assert_untouched("v.pol", before)
        _, err = self.vlp("add", "v.pol", "--module", "0", "--pcr", "18", "--hash", "image",
                          "--image", "missing.bin", rc=IO)
        self.assertIn("missing.bin", err)
        self.assert_untouched("v.pol", before)

    def test_new_module_entry_goes_before_any(self):
        self.vlp("create", "v.pol", "--type", "halt")
        self.vlp("add", "v.pol", "--module", "any", "--pcr", "17", "--hash", "any")
        self.vlp("add", "v.pol", "--module", "3", "--pcr", "18", "--hash", "image", "--image",
                 "k.bin")
        m = measurement(b"", self.kernel)
        self.assertEqual(self.read("v.pol"),
                         header(n=2) + entry(3, 18, 1, [m]) + entry(129, 17, 0))

    def test_hash_any_drops_digests(self):
        self.vlp("create", "v.pol", "--type", "halt")
        self.vlp("add", "v.pol", "--module", "3", "--pcr", "18", "--hash", "image", "--image",
                 "k.bin")
        _, err = self.vlp("add", "v.pol", "--module", "3", "--pcr", "19", "--hash", "any")
        self.assertIn("drops its 1 digest", err)
        self.assertEqual(self.read("v.pol"), header(n=1) + entry(3, 19, 0))

    def test_add_bad_values_leave_file(self):
        self.vlp("create", "v.pol", "--type", "halt")
        before = self.read("v.pol")
        for args in (["--module", "128", "--pcr", "1", "--hash", "any"],
                     ["--module", "-1", "--pcr", "1", "--hash", "any"],
                     ["--module", "1", "--pcr", "24", "--hash", "any"],
                     ["--module", "1", "--pcr", "1x", "--hash", "any"],
                     ["--module", "1", "--pcr", "1", "--hash", "bogus"],
                     ["--module", "1", "--pcr", "1", "--hash", "image"],
                     ["--module", "1", "--pcr", "1", "--hash", "any", "--image", "k.bin"],
                     ["--module", "1", "--pcr", "1", "--hash", "any", "--cmdline", "x"],
                     ["--module", "1", "--pcr", "1", "--hash", "image", "--image", "k.bin",
                      "--as-loaded", "zip"]):
            self.vlp("add", "v.pol", *args, rc=USAGE)
            self.assert_untouched("v.pol", before)

    def test_numbers_are_decimal_or_hex(self):
        self.vlp("create", "v.pol", "--type", "halt")
        self.vlp("add", "v.pol", "--module", "010", "--pcr", "017", "--hash", "any")
        self.vlp("add", "v.pol", "--module", "0x20", "--pcr", "NONE", "--hash", "ANY")
        self.assertEqual(self.read("v.pol"), header(n=2) + entry(10, 17, 0) + entry(32, 255, 0))

    def test_policy_size_limit(self):
        # sha512: 8 entries x (8 + 4 x 64) + 12 = 2124 bytes exactly (docs/reference/vlp.md §2.2).
        pol = header(alg=0x0D, n=8) + b"".join(
            entry(i, 18, 1, [bytes([i, k]) * 32 for k in range(4)]) for i in range(8))
        self.assertEqual(len(pol), 2124)
        self.write("full.pol", pol)
        _, err = self.vlp("add", "full.pol", "--module", "0", "--pcr", "18", "--hash", "image",
                          "--image", "k.bin", rc=INPUT)
        self.assertIn("2124", err)
        _, err = self.vlp("add", "full.pol", "--module", "9", "--pcr", "18", "--hash", "any",
                          rc=INPUT)
        self.assertIn("2124", err)
        self.assert_untouched("full.pol", pol)
        self.write("big.pol", pol + b"\0")
        _, err = self.vlp("show", "big.pol", rc=INPUT)
        self.assertIn("larger than 2124 bytes", err)

    def test_unsupported_policy_alg(self):
        self.write("sm3.pol", header(alg=0x12))
        _, err = self.vlp("add", "sm3.pol", "--module", "0", "--pcr", "18", "--hash", "image",
                          "--image", "k.bin", rc=UNSUPPORTED)
        self.assertIn("sm3", err)
        self.assertEqual(self.read("sm3.pol"), header(alg=0x12))

    # --- del -------------------------------------------------------------------------------
    def test_del(self):
        self.vlp("create", "v.pol", "--type", "halt")
        for c in ("a", "b", "c"):
            self.vlp("add", "v.pol", "--module", "1", "--pcr", "20", "--hash", "image",
                     "--image", "k.bin", "--cmdline", c)
        self.vlp("add", "v.pol", "--module", "2", "--pcr", "20", "--hash", "image", "--image",
                 "k.bin")
        ma, mb, mc = (measurement(c, self.kernel) for c in (b"a", b"b", b"c"))
        m2 = measurement(b"", self.kernel)
        self.vlp("del", "v.pol", "--module", "1", "--pos", "1")
        self.assertEqual(self.read("v.pol"),
                         header(n=2) + entry(1, 20, 1, [ma, mc]) + entry(2, 20, 1, [m2]))
        before = self.read("v.pol")
        _, err = self.vlp("del", "v.pol", "--module", "1", "--pos", "2", rc=INPUT)
        self.assertIn("--pos 2 does not exist", err)
        _, err = self.vlp("del", "v.pol", "--module", "5", rc=INPUT)
        self.assertIn("no entry for module 5", err)
        self.vlp("del", "v.pol", "--module", "1", "--pos", "x", rc=USAGE)
        self.assert_untouched("v.pol", before)
        _, err = self.vlp("del", "v.pol", "--module", "2", "--pos", "0")
        self.assertIn("only digest", err)
        self.assertEqual(self.read("v.pol"), header(n=1) + entry(1, 20, 1, [ma, mc]))
        self.vlp("del", "v.pol", "--module", "1")
        self.assertEqual(self.read("v.pol"), header(n=0))

    def test_del_exact_module_not_any(self):
        self.write("v.pol", header(n=2) + entry(129, 17, 0) + entry(4, 18, 0))
        self.vlp("del", "v.pol", "--module", "4")
        self.assertEqual(self.read("v.pol"), header(n=1) + entry(129, 17, 0))

    # --- show ------------------------------------------------------------------------------
    def sample(self):
        pol = (header(ptype=1, n=4) + entry(129, 17, 0) + entry(2, 18, 1, [b"\x11" * 32]) +
               entry(130, 22, 0, nv=0x40000010) + entry(131, 255, 1, [b"\x22" * 32], nv=0x01c10150))
        self.write("s.pol", pol + b"tail")
        return pol

    def test_show_human(self):
        pol = self.sample()
        out, _ = self.vlp("show", "s.pol")
        self.assertIn("s.pol: tboot VLP version 2, %d bytes (+4 ignored trailing bytes)" % len(pol),
                      out)
        self.assertIn("continue (TB_POLTYPE_CONT_VERIFY_FAIL)", out)
        self.assertIn("policy sha256:   " + hashlib.sha256(pol).hexdigest(), out)
        self.assertIn("[1] module 2, pcr 18, hash image, 1 digest", out)
        self.assertIn("never used at boot, entry [0] (any module) matches first", out)
        self.assertIn("[2] nv index 0x40000010, pcr 22, hash any", out)
        self.assertIn("11" * 32, out)

    def test_show_json(self):
        pol = self.sample()
        out, _ = self.vlp("show", "s.pol", "--json")
        doc = json.loads(out)
        self.assertEqual(doc["size"], len(pol))
        self.assertEqual(doc["trailing_bytes"], 4)
        self.assertEqual(doc["sha256"], hashlib.sha256(pol).hexdigest())
        self.assertEqual(doc["policy_type"], "continue")
        self.assertEqual(doc["hash_alg"], "sha256")
        self.assertEqual([e["module"] for e in doc["entries"]], ["any", 2, "nv", "nv_raw"])
        self.assertEqual(doc["entries"][1]["shadowed_by"], 0)
        self.assertNotIn("shadowed_by", doc["entries"][0])
        self.assertEqual(doc["entries"][3]["nv_index"], 0x01c10150)
        self.assertEqual(doc["entries"][3]["pcr"], "none")
        self.assertEqual(doc["entries"][1]["hashes"], ["11" * 32])
        self.validate(doc)

    def test_show_json_unknown_alg_validates(self):
        self.write("u.pol", header(alg=0x99, n=1) + entry(0, 1, 1, []) [:-1] + b"\x02")
        out, _ = self.vlp("show", "u.pol", "--json")
        doc = json.loads(out)
        self.assertEqual(doc["hash_alg"], "unsupported")
        self.assertEqual(doc["entries"][0]["hashes"], ["", ""])
        self.validate(doc)

    def validate(self, doc):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema not installed (scripts/deps installs it)")
        with open(os.path.join(SCHEMAS, "vlp.v1.schema.json")) as f:
            schema = json.load(f)
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
        # The schema is strict enough to notice a wrong document.
        bad = json.loads(json.dumps(doc))
        bad["entries"][0]["pcr"] = 24
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)

    def test_show_errors(self):
        _, err = self.vlp("show", "none.pol", rc=IO)
        self.assertIn("none.pol", err)
        self.write("e.pol", b"")
        _, err = self.vlp("show", "e.pol", rc=INPUT)
        self.assertIn("empty", err)
        self.write("m.pol", header(n=2) + entry(0, 1, 0) + entry(128, 1, 0))
        _, err = self.vlp("show", "m.pol", rc=INPUT)
        self.assertIn("mod_num", err)
        self.assertIn("entry 1", err)
        self.assertIn("byte offset 20", err)
        self.write("t.pol", header(n=1) + entry(0, 1, 1, [b"\1" * 32])[:-1])
        _, err = self.vlp("show", "t.pol", rc=INPUT)
        self.assertIn("byte offset 19", err)
        os.mkdir(self.path("d"))
        self.vlp("show", "d", rc=IO)


if __name__ == "__main__":
    unittest.main(verbosity=2)
