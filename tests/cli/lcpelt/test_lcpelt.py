#!/usr/bin/env python3
"""CLI tests for lcp2_crtpolelt, lcp2_mlehash and `tlaunch lcp element|mlehash`.

Each test of a compat front end asserts one documented difference from upstream
(docs/compat.md, the anchors named in the test names); the golden vectors themselves are
replayed by tests/compat/run_vector.py. Environment: LCP2_CRTPOLELT, LCP2_MLEHASH, TLAUNCH,
TLAUNCH_VECTORS_DIR, TLAUNCH_SOURCE_DIR.
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

CRTPOLELT = os.environ.get("LCP2_CRTPOLELT", "lcp2_crtpolelt")
MLEHASH = os.environ.get("LCP2_MLEHASH", "lcp2_mlehash")
TLAUNCH = os.environ.get("TLAUNCH", "tlaunch")
VECTORS = os.environ.get("TLAUNCH_VECTORS_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "compat", "vectors")
SOURCE = os.environ.get("TLAUNCH_SOURCE_DIR",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))

H0 = "953ea0ab883f0319dd1e5905323e4d9ce553ce407316c5e448f47a450c7b8ce4"
H7 = "6622c3490b6260e20c60c44b6628a3e44b808579955e690b1006e1421f2e0734"


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def hash_line(n, seed=0):
    return " ".join("%02x" % ((i * 7 + seed) & 0xFF) for i in range(n))


def make_mle_elf(seg_len=0x600, memsz=0x800, mle=(0x20, 0x700), cmd=(0x400, 0x4FF)):
    """ELF32 i386 EXEC with one PT_LOAD holding an MLE header at 0x40 (include/mle.h)."""
    seg = bytearray((i * 31 + 7) & 0xFF for i in range(seg_len))
    uuid = bytes.fromhex("5aac82906f47a7740f5c55a2cb51b642")
    seg[0x40:0x40 + 52] = uuid + struct.pack("<9I", 0x34, 0x00020003, 0x10, 0, mle[0], mle[1],
                                             0x4627, cmd[0], cmd[1])
    ident = b"\x7fELF\x01\x01\x01" + bytes(9)
    ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x100000, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    phdr = struct.pack("<8I", 1, 84, 0x100000, 0x100000, seg_len, memsz, 7, 0x1000)
    return ehdr + phdr + bytes(seg), seg


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lcpelt-cli-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        mode = "wb" if isinstance(data, (bytes, bytearray)) else "w"
        with open(self.path(name), mode) as f:
            f.write(data)
        return self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def run_tool(self, *args):
        p = subprocess.run(list(args), cwd=self.dir, capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C"), stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    def assert_no_output(self, name="x.elt"):
        self.assertFalse(os.path.exists(self.path(name)))
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".") or "tmp" in f], [])


class Crtpolelt(Base):
    def test_elt_pconf2_pcr7_is_in_the_composite(self):
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "pconf2", "--alg", "sha256",
                                   "--pcr0", H0, "--pcr7", H7, "--out", "p.elt")
        self.assertEqual((rc, err), (0, ""))
        elt = self.read("p.elt")
        self.assertEqual(len(elt), 60)
        self.assertEqual(elt[23], 0x81)
        self.assertEqual(elt[28:], hashlib.sha256(bytes.fromhex(H0) + bytes.fromhex(H7)).digest())
        self.assertNotEqual(elt[28:], hashlib.sha256(bytes.fromhex(H0) + bytes(32)).digest())

    def test_elt_pcr_hex_rejects_non_hex(self):
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "pconf2", "--alg", "sha256",
                                   "--pcr0", "zz" + H0[2:], "--out", "x.elt")
        self.assertEqual((rc, err), (1, "Error: unable to parse the hash value\n"))
        self.assert_no_output()
        # --alg after --pcrN: the value is parsed without an algorithm, as upstream.
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "pconf2", "--pcr0", H0,
                                   "--alg", "sha256", "--out", "x.elt")
        self.assertEqual((rc, err), (1, "Error: unable to parse the hash value\n"))

    def test_elt_hash_limit_has_a_message(self):
        self.write("h32.txt", "".join(hash_line(32, i) + "\n" for i in range(32)))
        self.write("h33.txt", "".join(hash_line(32, i) + "\n" for i in range(33)))
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "ok.elt", "h32.txt")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(len(self.read("ok.elt")), 18 + 32 * 32)
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "x.elt", "h33.txt")
        self.assertEqual(rc, 1)
        self.assertIn("Error: too many hashes: an element holds at most 32 hashes (h33.txt line 33)", err)
        self.assert_no_output()
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "stm", "--out", "x.elt", "h32.txt", "h33.txt")
        self.assertEqual(rc, 1)
        self.assertIn("at most 32 hashes (h33.txt line 1)", err)
        # sbios: 33 including the fallback hash.
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "sbios", "--out", "s.elt", "h33.txt")
        self.assertEqual((rc, err), (0, ""))
        self.write("h34.txt", "".join(hash_line(32, i) + "\n" for i in range(34)))
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "sbios", "--out", "x.elt", "h34.txt")
        self.assertEqual(rc, 1)
        self.assertIn("at most 33 hashes", err)

    def test_elt_hash_bytes_above_ff_rejected(self):
        self.write("wide.txt", "\n".join(["00 " * 31 + "00", "123 " + "00 " * 30 + "00"]) + "\n")
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "x.elt", "wide.txt")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "Error: wide.txt:2: '123' is not a byte value (00-ff)\n")
        self.assert_no_output()

    def test_elt_numbers_ctrl_and_minver_checked(self):
        self.write("h.txt", hash_line(32) + "\n")
        for opt, val in (("--ctrl", "abc"), ("--ctrl", "0x100000000"), ("--ctrl", "-1"),
                         ("--minver", "0x1ff"), ("--minver", "5x")):
            args = [CRTPOLELT, "--create", "--type", "mle2"]
            args += [opt, val, "--out", "x.elt", "h.txt"]
            rc, _, err = self.run_tool(*args)
            self.assertEqual(rc, 1, (opt, val))
            self.assertIn("Error: invalid %s value '%s'" % (opt, val), err)
            self.assert_no_output()
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--minver", "010",
                                   "--ctrl", "0x80000001", "--out", "m.elt", "h.txt")
        self.assertEqual((rc, err), (0, ""))
        elt = self.read("m.elt")
        self.assertEqual(struct.unpack_from("<I", elt, 8)[0], 0x80000001)
        self.assertEqual(elt[12], 8)  # strtoul base 0: leading zero is octal, as upstream

    def test_elt_silent_failures_now_have_messages(self):
        self.write("h.txt", hash_line(32) + "\n")
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "pconf2", "--alg", "sha256",
                                   "--pcr0", H0, "--out", "x.elt", "h.txt")
        self.assertEqual((rc, err), (1, "Error: the pconf2 type takes no files ('h.txt')\n"))
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "pconf2", "--minver", "1",
                                   "--out", "x.elt")
        self.assertEqual((rc, err), (1, "Error: unknown option for pconf2 type\n"))
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "sbios", "--out", "x.elt")
        self.assertEqual((rc, err), (1, "Error: no hashes provided\nError: failed to allocate element\n"))
        for t in ("mle2", "stm", "sbios"):
            rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", t, "--alg", "sha1",
                                       "--out", "x.elt", "h.txt")
            self.assertEqual(rc, 1, t)
            self.assertIn("Error: unsupported hash algorithm 'sha1'", err)
        os.mkdir(self.path("adir"))
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "x.elt", "adir")
        self.assertEqual((rc, err), (1, "Error: failed to read file adir (Is a directory)\n"))
        os.rmdir(self.path("adir"))
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--alg", "bogus", "--out", "x.elt")
        self.assertEqual(rc, 1)
        self.assertIn("unsupported hash algorithm 'bogus'", err)
        self.assert_no_output()

    def test_elt_show_checks(self):
        good = file_bytes(os.path.join(VECTORS, "elt-mle2-sha256", "mle2.elt"))
        self.write("long.elt", good + b"\0")
        rc, out, err = self.run_tool(CRTPOLELT, "--show", "long.elt")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "policy element file: long.elt\n")
        self.assertEqual(err, "Error: element size 0x72 is smaller than the file (115 bytes)\n")
        self.write("short.elt", good[:-1])
        rc, _, err = self.run_tool(CRTPOLELT, "--show", "short.elt")
        self.assertEqual((rc, err), (1, "Error: data is too small\n"))
        bad = bytearray(good)
        bad[16] = 9  # num_hashes
        self.write("count.elt", bytes(bad))
        rc, out, err = self.run_tool(CRTPOLELT, "--show", "count.elt")
        self.assertEqual(rc, 1)
        self.assertNotIn("hashes[", out)
        self.assertIn("field 'mle2.num_hashes', byte offset 16", err)
        bad = bytearray(good)
        bad[4] = 0x15
        self.write("type.elt", bytes(bad))
        rc, _, err = self.run_tool(CRTPOLELT, "--show", "type.elt")
        self.assertEqual(rc, 1)
        self.assertIn("unknown element type (field 'element.type', byte offset 4, value 21)", err)

    def test_elt_writes_replace_and_leave_nothing_on_failure(self):
        self.write("h.txt", hash_line(32) + "\n")
        self.write("x.elt", b"previous")
        self.write("bad.txt", "nothex\n")
        rc, _, _ = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "x.elt", "bad.txt")
        self.assertEqual(rc, 1)
        self.assertEqual(self.read("x.elt"), b"previous")
        rc, _, _ = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "x.elt", "h.txt")
        self.assertEqual(rc, 0)
        self.assertEqual(len(self.read("x.elt")), 50)
        self.assertEqual(sorted(os.listdir(self.dir)), ["bad.txt", "h.txt", "x.elt"])


class Mlehash(Base):
    def test_mle_bounds_truncated_image_is_an_error(self):
        elf, _ = make_mle_elf()
        self.write("cut.elf", elf[:-16])
        rc, out, err = self.run_tool(MLEHASH, "--create", "cut.elf")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("Error: cut.elf: PT_LOAD segment 0", err)
        self.assertIn("truncated image", err)
        self.write("cut.elf.gz", gzip.compress(elf)[:-30])
        rc, out, err = self.run_tool(MLEHASH, "--create", "cut.elf.gz")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("gzip data ends early", err)

    def test_mle_cmdline_longer_than_area_is_truncated(self):
        elf, seg = make_mle_elf()
        self.write("a.elf", elf)
        area = 0x4FF - 0x400
        image = bytearray(seg) + bytes(0x800 - len(seg))
        image[0x400:0x4FF] = b"c" * area
        want = hashlib.sha256(bytes(image[0x20:0x700])).digest()
        want_line = " ".join("%02x" % b for b in want) + "\n"
        rc, out, err = self.run_tool(MLEHASH, "--create", "--cmdline", "c" * area, "a.elf")
        self.assertEqual((rc, out, err), (0, want_line, ""))
        rc, out, err = self.run_tool(MLEHASH, "--create", "--cmdline", "c" * (area + 40), "a.elf")
        self.assertEqual((rc, out), (0, want_line))
        self.assertIn("Warning: --cmdline has %d characters but the MLE command line area holds %d"
                      % (area + 40, area), err)
        # Fits with its NUL: exactly upstream's rule.
        image[0x400:0x4FF] = b"ab" + bytes(area - 2)
        rc, out, _ = self.run_tool(MLEHASH, "--create", "--cmdline", "ab", "a.elf")
        self.assertEqual(out, " ".join("%02x" % b for b in hashlib.sha256(bytes(image[0x20:0x700])).digest()) + "\n")

    def test_mle_messages_and_unknown_alg(self):
        self.write("not.elf", b"\0" * 100)
        rc, out, err = self.run_tool(MLEHASH, "--create", "not.elf")
        self.assertEqual((rc, out, err), (1, "", "Error: not.elf: not an ELF image (no ELF magic)\n"))
        elf, _ = make_mle_elf()
        self.write("a.elf", elf)
        for alg in ("sha3", "SHA1", "md5"):
            rc, out, err = self.run_tool(MLEHASH, "--create", "--alg", alg, "a.elf")
            self.assertEqual((rc, out), (1, ""))
            self.assertIn("unsupported hash algorithm '%s'" % alg, err)
        rc, out, err = self.run_tool(MLEHASH, "--create", "--alg", "sha512", "a.elf")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(len(out.split()), 64)


class MlehashSha1(Base):
    def test_mle_sha1(self):
        """docs/compat.md#mle-sha1: tboot 1.10.5's SHA-1, computed here with hashlib, and a warning."""
        elf, seg = make_mle_elf()
        self.write("a.elf", elf)
        image = bytes(seg) + bytes(0x800 - len(seg))
        want = " ".join("%02x" % b for b in hashlib.sha1(image[0x20:0x700]).digest()) + "\n"
        rc, out, err = self.run_tool(MLEHASH, "--create", "--alg", "sha1", "a.elf")
        self.assertEqual((rc, out), (0, want))
        self.assertIn("warning: SHA-1 is weak", err)
        rc, out, err = self.run_tool(MLEHASH, "--create", "--alg", "sha1", "missing.elf")
        self.assertEqual((rc, out), (1, ""))
        self.assertNotIn("SHA-1", err)


def memory_image_mle_hash(elf, cmdline=None):
    """Independent MLE measurement of an ELF32 image laid out by p_paddr (what SINIT measures in
    memory), for images whose segments are contiguous (then it equals lcp2_mlehash's packing)."""
    phoff, = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    loads = []
    for i in range(phnum):
        p_type, off, _, paddr, filesz, memsz = struct.unpack_from("<6I", elf, phoff + i * phentsize)
        if p_type == 1:
            loads.append((paddr, off, filesz, memsz))
    base = min(l[0] for l in loads)
    image = bytearray(max(l[0] + l[3] for l in loads) - base)
    for paddr, off, filesz, _ in loads:
        image[paddr - base:paddr - base + filesz] = elf[off:off + filesz]
    uuid = bytes.fromhex("5aac82906f47a7740f5c55a2cb51b642")
    hdr = image.find(uuid)
    start, end = struct.unpack_from("<II", image, hdr + 32)
    cstart, cend = struct.unpack_from("<II", image, hdr + 44)
    if cmdline is not None:
        image[cstart:cend] = bytes(cend - cstart)
        raw = cmdline.encode()[:cend - cstart]
        image[cstart:cstart + len(raw)] = raw
    return " ".join("%02x" % b for b in hashlib.sha256(bytes(image[start:end])).digest()) + "\n"


@unittest.skipUnless(os.environ.get("LAUNCHER_ELF"), "launcher image not built")
class LauncherImage(Base):
    def test_mlehash_of_the_launcher(self):
        elf_path = os.environ["LAUNCHER_ELF"]
        elf = file_bytes(elf_path)
        for cmdline in (None, "", "tpm=tis console=ttyS0"):
            want = memory_image_mle_hash(elf, cmdline)
            extra = [] if cmdline is None else ["--cmdline", cmdline]
            for path in (elf_path, elf_path + ".gz"):
                rc, out, err = self.run_tool(MLEHASH, "--create", *extra, path)
                self.assertEqual((rc, out, err), (0, want, ""), (path, cmdline))
                rc, out, err = self.run_tool(TLAUNCH, "lcp", "mlehash", *extra, path)
                self.assertEqual((rc, out), (0, want), err)
        # The hash line makes an MLE2 element directly.
        self.write("l.hash", want)
        rc, _, err = self.run_tool(CRTPOLELT, "--create", "--type", "mle2", "--out", "l.elt", "l.hash")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.read("l.elt")[18:].hex(), want.replace(" ", "").strip())


class TlaunchLcp(Base):
    def validate(self, doc, schema_name):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema not installed")
        with open(os.path.join(SOURCE, "schemas", schema_name)) as f:
            jsonschema.validate(doc, json.load(f))

    def test_create_show_json_against_vectors(self):
        v = os.path.join(VECTORS, "elt-mle2-sha256")
        rc, out, err = self.run_tool(TLAUNCH, "lcp", "element", "create", "--type", "mle2",
                                     "--minver", "18", "--ctrl", "0", "-o", "m.elt",
                                     os.path.join(v, "a.txt"), os.path.join(v, "b.txt"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.read("m.elt"), file_bytes(os.path.join(v, "mle2.elt")))
        for case, name in (("elt-mle2-sha256", "mle2.elt"), ("elt-sbios-sha384", "sbios.elt"),
                           ("elt-stm-sha512-ctrl3", "stm.elt"), ("elt-pconf2-sha256", "pconf2.elt"),
                           ("elt-custom-uuid-binary", "custom.elt"),
                           ("elt-custom-tboot-wrap", "tbpol.elt")):
            path = os.path.join(VECTORS, case, name)
            rc, out, err = self.run_tool(TLAUNCH, "lcp", "element", "show", "--json", path)
            self.assertEqual(rc, 0, err)
            doc = json.loads(out)
            self.validate(doc, "lcp-element.v1.schema.json")
            self.assertEqual(doc["element"]["size"], os.path.getsize(path))
            rc, out, _ = self.run_tool(TLAUNCH, "lcp", "element", "show", path)
            with open(os.path.join(VECTORS, case, "stdout")) as f:
                upstream = f.read()
            self.assertIn(out.split("\n", 1)[1], upstream)

    def test_create_pconf2_and_custom(self):
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "create", "--type", "pconf2",
                                   "--pcr", "0=" + H0, "--pcr", "7=" + H7, "-o", "p.elt")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.read("p.elt")[28:],
                         hashlib.sha256(bytes.fromhex(H0) + bytes.fromhex(H7)).digest())
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "create", "--type", "pconf2",
                                   "--pcr", "8=" + H0, "-o", "x.elt")
        self.assertEqual(rc, 2)
        self.write("d.bin", b"hello")
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "create", "--type", "custom",
                                   "--uuid", "tboot", "-o", "c.elt", "d.bin")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.read("c.elt")[12:], bytes.fromhex("410693c3cbe3404fd79127f8b9e25c86") + b"hello")

    def test_hash_file_error_names_line(self):
        self.write("h.txt", hash_line(32) + "\n\n")
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "create", "--type", "mle2", "-o", "x.elt", "h.txt")
        self.assertEqual(rc, 3)
        self.assertIn("h.txt:2: no hash on this line", err)
        self.assert_no_output()

    def test_wrap_unwrap_round_trip(self):
        v = os.path.join(VECTORS, "elt-custom-tboot-wrap")
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "wrap-vlp", os.path.join(v, "vl.pol"), "-o", "w.elt")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.read("w.elt"), file_bytes(os.path.join(v, "tbpol.elt")))
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "unwrap-vlp", "w.elt", "-o", "v.pol")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.read("v.pol"), file_bytes(os.path.join(v, "vl.pol")))
        # unwrap validates: a foreign element and a corrupt VLP are refused, nothing is written.
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "unwrap-vlp",
                                   os.path.join(VECTORS, "elt-mle2-sha256", "mle2.elt"), "-o", "x.pol")
        self.assertEqual(rc, 3)
        self.assertIn("is not CUSTOM", err)
        bad = bytearray(self.read("w.elt"))
        bad[29] = 9  # VLP policy_type
        self.write("bad.elt", bytes(bad))
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "unwrap-vlp", "bad.elt", "-o", "x.pol")
        self.assertNotEqual(rc, 0)
        self.assertIn("byte offset 29", err)
        self.assert_no_output("x.pol")
        self.write("junk.pol", b"\x02\x00\x0b")
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "wrap-vlp", "junk.pol", "-o", "x.elt")
        self.assertNotEqual(rc, 0)
        self.assert_no_output()

    def test_malformed_element_named(self):
        self.write("z.elt", struct.pack("<III", 0, 0x10, 1))
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "element", "show", "z.elt")
        self.assertEqual(rc, 3)
        self.assertIn("z.elt: element size is 0 (field 'element.size', byte offset 0", err)

    def test_mlehash_matches_drop_in_and_schema(self):
        a = os.path.join(VECTORS, "mle-elfA-algs-cmdline", "mle_a.elf")
        for extra in ([], ["--alg", "sha384"], ["--cmdline", "console=ttyS0 intel_iommu=on"]):
            _, ours, _ = self.run_tool(TLAUNCH, "lcp", "mlehash", *extra, a)
            _, compat, _ = self.run_tool(MLEHASH, "--create", *extra, a)
            self.assertEqual(ours, compat)
        with open(os.path.join(VECTORS, "mle-elfA-algs-cmdline", "stdout")) as f:
            self.assertEqual(ours, f.read().splitlines(True)[4])
        rc, out, err = self.run_tool(TLAUNCH, "lcp", "mlehash", "--json", "--cmdline", "x y",
                                     os.path.join(VECTORS, "mle-elfB-multiseg-gz", "mle_b.elf.gz"))
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.validate(doc, "lcp-mlehash.v1.schema.json")
        self.assertEqual(doc["mle_header"]["image_offset"], 0x320)
        rc, _, err = self.run_tool(TLAUNCH, "lcp", "mlehash", "--alg", "sha1", a)
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
