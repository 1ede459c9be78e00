#!/usr/bin/env python3
"""CLI tests of `tlaunch hash`.

References are independent of tlaunch: coreutils' sha1sum/sha256sum/sha384sum/sha512sum on the
files and on the output of the real decompressors (`gzip -dc`, `xz -dc`, `lzop -dc`); the module
measurement H(H(cmdline) || H(image)) is recomputed with Python's hashlib. Damaged inputs must
give a clear error (file name, what is wrong) and the documented exit status, never a digest.
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

TLAUNCH = os.environ["TLAUNCH"]
SCHEMAS = os.environ.get("TLAUNCH_SCHEMAS_DIR", "")
ALGS = ["sha1", "sha256", "sha384", "sha512"]


def sh(cmd):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True).stdout


def sum_of(cmd_producing_bytes, alg="sha256"):
    """`<cmd> | <alg>sum`, the reference digest of a byte stream."""
    return sh(f"{cmd_producing_bytes} | {alg}sum").split()[0].decode()


def tl(*args, stdin=None):
    return subprocess.run([TLAUNCH, "hash", *args], capture_output=True, text=True, stdin=stdin)


def tl_json(*args):
    p = tl("--json", *args)
    doc = json.loads(p.stdout)
    validate(doc)
    return p, doc


_VALIDATOR = None


def validate(doc):
    """Validates against schemas/hash.v1.schema.json (python3-jsonschema, scripts/deps)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema
        with open(os.path.join(SCHEMAS, "hash.v1.schema.json")) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATOR = cls(schema)
    _VALIDATOR.validate(doc)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def flip(path, offset, out):
    data = bytearray(read(path))
    data[offset] ^= 0x5A
    write(out, data)


def head(path, n, out):
    write(out, read(path)[:n])


def child_max_rss_kib(argv):
    """Runs argv and returns (returncode, stdout, max RSS of that child in KiB)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    with p.stdout:
        out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out, usage.ru_maxrss


class HashCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tlaunch-hash-cli-")
        rng = random.Random(42)
        words = [b"module2 ", b"vmlinuz ", b"initrd ", b"\n", b"measured launch ", b"0x1000 "]
        chunks = []
        size = 0
        while size < 3 * 1024 * 1024:
            w = rng.choice(words) + bytes([rng.randrange(256)])
            chunks.append(w)
            size += len(w)
        cls.data = b"".join(chunks)
        cls.plain = cls.path("plain.bin")
        write(cls.plain, cls.data)
        write(cls.path("empty"), b"")
        sh(f"gzip -9 -n -c {cls.plain} > {cls.path('plain.gz')}")
        sh(f"xz -c {cls.plain} > {cls.path('plain.xz')}")
        sh(f"xz --check=crc32 --block-size=300KiB -c {cls.plain} > {cls.path('blocks.xz')}")
        sh(f"lzop -c {cls.plain} > {cls.path('plain.lzo')}")
        sh(f"gzip -n -c {cls.path('plain.xz')} > {cls.path('plain.xz.gz')}")
        sh(f"xz -c {cls.path('plain.gz')} > {cls.path('plain.gz.xz')}")
        sh(f"gzip -n -c {cls.path('empty')} > {cls.path('empty.gz')}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    # ------------------------------------------------------------------------ digests

    def test_plain_files_match_coreutils(self):
        files = [self.plain, self.path("empty")]
        p, doc = tl_json("--alg", ",".join(ALGS), *files)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(doc["algorithms"], ALGS)
        self.assertEqual([f["path"] for f in doc["files"]], files)
        for f in doc["files"]:
            self.assertEqual(f["layers"], [])
            self.assertEqual(f["raw_size"], os.path.getsize(f["path"]))
            self.assertEqual(f["loaded_size"], f["raw_size"])
            for alg in ALGS:
                want = sum_of(f"cat {f['path']}", alg)
                self.assertEqual(f["digests"][alg]["image"], want, alg)
                self.assertEqual(f["digests"][alg]["raw"], want, alg)

    def test_compressed_files_match_the_real_decompressors(self):
        cases = [("plain.gz", "gzip -dc", ["gzip"]), ("plain.xz", "xz -dc", ["xz"]),
                 ("blocks.xz", "xz -dc", ["xz"]), ("plain.lzo", "lzop -dc", ["lzop"]),
                 ("empty.gz", "gzip -dc", ["gzip"])]
        files = [self.path(c[0]) for c in cases]
        p, doc = tl_json("--alg", "sha256,sha384", *files)
        self.assertEqual(p.returncode, 0, p.stderr)
        for (name, tool, layers), f in zip(cases, doc["files"]):
            path = self.path(name)
            for alg in ("sha256", "sha384"):
                self.assertEqual(f["digests"][alg]["image"], sum_of(f"{tool} {path}", alg), name)
                self.assertEqual(f["digests"][alg]["raw"], sum_of(f"cat {path}", alg), name)
            self.assertEqual([l["format"] for l in f["layers"]], layers)
            self.assertTrue(all(l["decompressed"] for l in f["layers"]))
            self.assertEqual(f["loaded_size"], len(sh(f"{tool} {path}")))
            self.assertEqual(f["raw_size"], os.path.getsize(path))

    def test_raw_mode_is_the_file_as_is(self):
        gz = self.path("plain.gz")
        p, doc = tl_json("--as-loaded", "raw", gz)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(doc["as_loaded"], "raw")
        f = doc["files"][0]
        self.assertEqual(f["digests"]["sha256"]["image"], sum_of(f"cat {gz}"))
        self.assertEqual(f["layers"], [])
        self.assertEqual(f["loaded_size"], os.path.getsize(gz))

    def test_grub_filter_order(self):
        # gzio before xzio: gzip(xz(x)) is decompressed twice, xz(gzip(x)) once.
        p, doc = tl_json(self.path("plain.xz.gz"), self.path("plain.gz.xz"))
        self.assertEqual(p.returncode, 0, p.stderr)
        a, b = doc["files"]
        self.assertEqual(a["digests"]["sha256"]["image"], sum_of(f"cat {self.plain}"))
        self.assertEqual([l["format"] for l in a["layers"]], ["gzip", "xz"])
        self.assertEqual(b["digests"]["sha256"]["image"],
                         sum_of(f"xz -dc {self.path('plain.gz.xz')}"))
        self.assertEqual([l["format"] for l in b["layers"]], ["xz"])

    def test_cmdline_and_module_measurement(self):
        cmd = 'console=ttyS0 root="/dev/sda 1"'
        p, doc = tl_json("--alg", "sha256,sha384", "--cmdline", cmd, self.path("plain.gz"),
                         "--module", f"{self.path('plain.xz')} quiet splash",
                         "--module", self.plain)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = [(f["path"], f["cmdline"]) for f in doc["files"]]
        self.assertEqual(got, [(self.path("plain.gz"), cmd), (self.path("plain.xz"), "quiet splash"),
                               (self.plain, "")])
        for f in doc["files"]:
            for alg in ("sha256", "sha384"):
                d = f["digests"][alg]
                hc = hashlib.new(alg, f["cmdline"].encode()).digest()
                self.assertEqual(d["cmdline"], hc.hex())
                self.assertEqual(d["cmdline"], sum_of(f"printf '%s' '{f['cmdline']}'", alg))
                want = hashlib.new(alg, hc + bytes.fromhex(d["image"])).hexdigest()
                self.assertEqual(d["module"], want)
                self.assertEqual(d["image"], sum_of(f"cat {self.plain}", alg))

    def test_human_output(self):
        p = tl("--alg", "sha256,sha512", "--cmdline", "a b", self.path("plain.gz"))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        size = os.path.getsize(self.path("plain.gz"))
        self.assertEqual(lines[0], f"{self.path('plain.gz')}: {size} bytes, gzip -> "
                                   f"{len(self.data)} bytes as loaded")
        self.assertEqual(lines[1], '  cmdline "a b"')
        self.assertEqual(lines[2], "  sha256 image   " + sum_of(f"cat {self.plain}"))
        self.assertEqual(lines[3], "  sha256 cmdline " + sum_of("printf 'a b'"))
        self.assertTrue(lines[4].startswith("  sha256 module  "))
        self.assertEqual(lines[5], "  sha512 image   " + sum_of(f"cat {self.plain}", "sha512"))
        self.assertEqual(len(lines), 8)

    def test_order_is_the_command_line_order_whatever_the_jobs(self):
        names = ["plain.lzo", "empty", "plain.gz", "blocks.xz", "plain.bin", "plain.xz.gz",
                 "plain.xz", "empty.gz"]
        files = [self.path(n) for n in names]
        outs = set()
        for jobs in ("1", "2", "5"):
            p = tl("--json", "-j", jobs, "--alg", "sha256,sha384", *files)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual([f["path"] for f in json.loads(p.stdout)["files"]], files)
            outs.add(p.stdout)
        self.assertEqual(len(outs), 1)

    def test_standard_input(self):
        with open(self.path("plain.gz"), "rb") as f:
            p = tl("-", stdin=f)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("  sha256 image   " + sum_of(f"cat {self.plain}"), p.stdout)

    def test_sm3_when_openssl_has_it(self):
        probe = subprocess.run("openssl dgst -sm3 /dev/null", shell=True, capture_output=True)
        if probe.returncode != 0:
            self.skipTest("no SM3 in this OpenSSL")
        p, doc = tl_json("--alg", "sm3", self.path("plain.gz"))
        self.assertEqual(p.returncode, 0, p.stderr)
        want = sh(f"gzip -dc {self.path('plain.gz')} | openssl dgst -sm3 -r").split()[0].decode()
        self.assertEqual(doc["files"][0]["digests"]["sm3"]["image"], want)

    # ------------------------------------------------------------------------- errors

    def assert_fails(self, args, rc, *fragments):
        p = tl(*args)
        self.assertEqual(p.returncode, rc, p.stderr)
        self.assertEqual(p.stdout, "")  # never a digest for a failed file
        for frag in fragments:
            self.assertIn(frag, p.stderr)
        self.assertEqual(p.stderr.count("Traceback"), 0)
        return p

    def test_truncated_and_corrupt_gzip(self):
        gz = self.path("plain.gz")
        size = os.path.getsize(gz)
        for cut in (12, size // 2, size - 4):
            t = self.path(f"cut{cut}.gz")
            head(gz, cut, t)
            self.assert_fails([t], 3, t, "gzip: truncated")
            self.assert_fails(["--allow-fallback", t], 3, "truncated")
        bad = self.path("bad.gz")
        flip(gz, size // 2, bad)
        # A flipped byte makes the deflate data invalid, or valid with other content (CRC32
        # mismatch) or another length (size field mismatch): all three are errors.
        p = self.assert_fails([bad], 3, bad, "gzip:", "GRUB 2.06")
        self.assertTrue(any(m in p.stderr for m in ("corrupt deflate data near byte offset",
                                                   "CRC32 mismatch", "the size field")), p.stderr)
        # Two members (`cat a.gz b.gz`): gzip -dc gives both, GRUB only the first member with
        # the size of the last one: an error, not either digest.
        two = self.path("two.gz")
        sh(f"cat {gz} {self.path('empty.gz')} > {two}")
        self.assert_fails([two], 3, "another gzip member")

    def test_truncated_and_corrupt_xz(self):
        xz = self.path("plain.xz")
        t = self.path("cut.xz")
        head(xz, os.path.getsize(xz) - 100, t)
        self.assert_fails([t], 3, t, "xz:", "undecompressed", "--allow-fallback")
        # GRUB's real behaviour on request: the footer test fails, the file is loaded as it is.
        p, doc = tl_json("--allow-fallback", t)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning", p.stderr)
        f = doc["files"][0]
        self.assertEqual(f["digests"]["sha256"]["image"], sum_of(f"cat {t}"))
        self.assertEqual(f["layers"][0]["decompressed"], False)
        bad = self.path("bad.xz")
        flip(xz, os.path.getsize(xz) // 2, bad)
        self.assert_fails([bad], 3, bad, "xz:", "GRUB 2.06 fails to load it", "byte offset")
        self.assert_fails(["--allow-fallback", bad], 3, "GRUB 2.06 fails to load it")

    def test_damaged_lzop(self):
        lzo = self.path("plain.lzo")
        t = self.path("cut.lzo")
        head(lzo, os.path.getsize(lzo) - 7, t)
        self.assert_fails([t], 3, t, "lzop:", "cut off")
        extra = self.path("extra.lzo")
        sh(f"cat {lzo} > {extra}; printf x >> {extra}")
        self.assert_fails([extra], 3, "1 bytes follow the lzop end-of-stream marker")
        bad = self.path("bad.lzo")
        flip(lzo, os.path.getsize(lzo) // 2, bad)
        self.assert_fails([bad], 3, bad, "lzop:", "GRUB 2.06")
        # Incompressible data: lzop stores the blocks; GRUB loads a damaged stored block
        # without checking it. An error unless --allow-fallback.
        noise, noise_lzo, damaged = (self.path(n) for n in ("noise", "noise.lzo", "damaged.lzo"))
        write(noise, random.Random(7).randbytes(300000))
        sh(f"lzop -c {noise} > {noise_lzo}")
        flip(noise_lzo, os.path.getsize(noise_lzo) - 1000, damaged)
        self.assert_fails([damaged], 3, damaged, "does not verify stored blocks")
        p = tl("--allow-fallback", damaged)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning", p.stderr)

    def test_file_and_usage_errors(self):
        missing = self.path("nope")
        self.assert_fails([missing], 4, missing, "cannot open")
        self.assert_fails([self.dir], 4, "is a directory")
        self.assert_fails(["--alg", "md5", self.plain], 2, "unknown hash algorithm 'md5'")
        self.assert_fails([], 2, "no file given")
        self.assert_fails(["--as-loaded", "zip", self.plain], 2)

    def test_mixed_good_and_bad_files_in_json(self):
        t = self.path("half.gz")
        head(self.path("plain.gz"), 5000, t)
        p, doc = tl_json(self.plain, t, self.path("nope"), self.path("plain.xz"))
        self.assertEqual(p.returncode, 3, p.stderr)  # the first failing file decides
        ok, bad, missing, ok2 = doc["files"]
        self.assertIn("digests", ok)
        self.assertIn("digests", ok2)
        self.assertEqual(bad["error"]["code"], "truncated")
        self.assertEqual(bad["error"]["exit_code"], 3)
        self.assertIn(t, bad["error"]["message"])
        self.assertEqual(missing["error"]["exit_code"], 4)

    # ------------------------------------------------------------------ constant memory

    def test_memory_does_not_grow_with_the_file(self):
        small, big = self.path("small.sparse"), self.path("big.sparse")
        for path, size in ((small, 8 << 20), (big, 512 << 20)):
            with open(path, "wb") as f:
                f.truncate(size)
        big_gz = self.path("big.gz")
        sh(f"head -c {512 << 20} /dev/zero | gzip -1 -n > {big_gz}")
        h, mib = hashlib.sha256(), bytes(1 << 20)
        for _ in range(512):
            h.update(mib)
        zeros = h.hexdigest()
        rc, _, base = child_max_rss_kib([TLAUNCH, "hash", small])
        self.assertEqual(rc, 0)
        for path in (big, big_gz):
            rc, out, rss = child_max_rss_kib([TLAUNCH, "hash", "--json", path])
            self.assertEqual(rc, 0)
            doc = json.loads(out)
            self.assertEqual(doc["files"][0]["digests"]["sha256"]["image"], zeros)
            self.assertEqual(doc["files"][0]["loaded_size"], 512 << 20)
            print(f"  max RSS: {rss} KiB for {os.path.basename(path)}, {base} KiB for 8 MiB",
                  file=sys.stderr)
            self.assertLess(rss - base, 24 * 1024, f"{path}: max RSS {rss} KiB vs {base} KiB")
        for path in (small, big, big_gz):
            os.unlink(path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
