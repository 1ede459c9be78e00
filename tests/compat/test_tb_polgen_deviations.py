#!/usr/bin/env python3
"""One test per documented difference between our tb_polgen and upstream's (docs/compat.md,
section "tb_polgen"). Expected policy bytes are built here independently (struct + hashlib) from
docs/reference/vlp.md, not read back with our own code.

Run with TB_POLGEN=/path/to/tb_polgen (ctest sets it).
"""

import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

TB_POLGEN = os.path.abspath(os.environ["TB_POLGEN"]) if "TB_POLGEN" in os.environ else "tb_polgen"

# docs/reference/vlp.md §5.3: the tboot UUID, each field little-endian.
TBOOT_UUID = bytes.fromhex("410693c3cbe3404fd79127f8b9e25c86")


def header(ptype=2, alg=0x0B, ctrl=1, n=0):
    return struct.pack("<BBBIIB", 2, ptype, alg, ctrl, 0, n)


def entry(mod, pcr, htype, hashes=(), nv=0):
    return struct.pack("<BBBIB", mod, pcr, htype, nv, len(hashes)) + b"".join(hashes)


def measurement(cmdline, image, alg="sha256"):
    """docs/reference/vlp.md §6.1: H( H(cmdline) || H(image) )."""
    h = lambda b: hashlib.new(alg, b).digest()
    return h(h(cmdline) + h(image))


class TbPolgenTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tbp-dev-")
        self.image = b"kernel image bytes " * 50
        self.write("k.bin", self.image)
        self.write("i.bin", b"initrd " * 30)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def tbp(self, *args, rc=0):
        env = dict(os.environ, LC_ALL="C")
        p = subprocess.run([TB_POLGEN] + list(args), cwd=self.dir, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True)
        self.assertEqual(p.returncode, rc, "tb_polgen %s: rc %d, stderr %r" %
                         (" ".join(args), p.returncode, p.stderr))
        return p.stdout.decode(), p.stderr.decode()

    def assert_no_temp_files(self):
        left = [f for f in os.listdir(self.dir) if ".tmp." in f]
        self.assertEqual(left, [])

    # docs/compat.md#tbp-del-pos
    def test_del_without_pos_deletes_whole_multi_hash_entry(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        self.tbp("--add", "--num", "1", "--pcr", "19", "--hash", "image", "--cmdline", "a",
                 "--image", "k.bin", "vl.pol")
        self.tbp("--add", "--num", "1", "--pcr", "19", "--hash", "image", "--cmdline", "b",
                 "--image", "k.bin", "vl.pol")
        self.tbp("--add", "--num", "2", "--pcr", "19", "--hash", "any", "vl.pol")
        out, err = self.tbp("--del", "--num", "1", "vl.pol")
        self.assertEqual((out, err), ("", ""))
        # upstream (pos read as 0) would have left entry 1 with the "b" digest.
        self.assertEqual(self.read("vl.pol"), header(n=1) + entry(2, 19, 0))

    def test_del_without_pos_on_entry_without_hashes(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        self.tbp("--add", "--num", "any", "--pcr", "17", "--hash", "any", "vl.pol")
        self.tbp("--del", "--num", "any", "vl.pol")  # upstream: "specified pos does not exist"
        self.assertEqual(self.read("vl.pol"), header(n=0))

    def test_del_pos_minus_one_and_other_negative(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image", "k.bin",
                 "vl.pol")
        before = self.read("vl.pol")
        _, err = self.tbp("--del", "--num", "0", "--pos", "-2", "vl.pol", rc=1)
        self.assertEqual(err, "specified pos does not exist\n")
        self.assertEqual(self.read("vl.pol"), before)
        self.tbp("--del", "--num", "0", "--pos", "-1", "vl.pol")
        self.assertEqual(self.read("vl.pol"), header(n=0))

    def test_verbose_prints_pos_zero_without_pos(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        out, _ = self.tbp("--verbose", "--show", "vl.pol")
        self.assertIn("\t pos = 0\n", out)

    # docs/compat.md#tbp-numbers
    def test_leading_zero_is_decimal(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        self.tbp("--add", "--num", "010", "--pcr", "017", "--hash", "any", "vl.pol")
        self.tbp("--add", "--num", "08", "--pcr", "0x10", "--hash", "any", "vl.pol")
        self.tbp("--add", "--num", "0x7f", "--pcr", "00", "--hash", "any", "vl.pol")
        self.assertEqual(self.read("vl.pol"),
                         header(n=3) + entry(10, 17, 0) + entry(8, 16, 0) + entry(127, 0, 0))
        out, _ = self.tbp("--show", "vl.pol")
        self.assertIn("\t\t mod_num: 10\n\t\t pcr: 17\n", out)

    def test_pos_and_ctrl_leading_zero(self):
        self.tbp("--create", "--type", "halt", "--ctrl", "00", "vl.pol")
        self.assertEqual(self.read("vl.pol"), header(ctrl=0))
        _, err = self.tbp("--create", "--type", "halt", "--ctrl", "010", "vl.pol", rc=1)
        self.assertEqual(err, "Invalid --ctrl value\n")  # 10, not octal 8: still invalid
        self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image", "k.bin",
                 "vl.pol")
        # "08" is 8 (upstream: not a valid octal number, "Unknown --pos option").
        _, err = self.tbp("--del", "--num", "0", "--pos", "08", "vl.pol", rc=1)
        self.assertEqual(err, "specified pos does not exist\n")
        self.tbp("--del", "--num", "0", "--pos", "00", "vl.pol")
        self.assertEqual(self.read("vl.pol"), header(ctrl=0))

    def test_empty_number_rejected(self):
        _, err = self.tbp("--add", "--num", "", "--pcr", "1", "--hash", "any", "vl.pol", rc=1)
        self.assertEqual(err, "Unknown --num option\n")
        _, err = self.tbp("--add", "--num", "1", "--pcr", "", "--hash", "any", "vl.pol", rc=1)
        self.assertEqual(err, "Unknown --pcr option\n")

    def test_strtoul_rules_kept(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        # 2^32 + 129 truncates to 129 = any; leading blanks and '+' accepted; trailing text not.
        self.tbp("--add", "--num", "4294967425", "--pcr", " +5", "--hash", "any", "vl.pol")
        self.assertEqual(self.read("vl.pol"), header(n=1) + entry(129, 5, 0))
        _, err = self.tbp("--add", "--num", "5x", "--pcr", "1", "--hash", "any", "vl.pol", rc=1)
        self.assertEqual(err, "Unknown --num option\n")
        _, err = self.tbp("--add", "--num", "99999999999999999999", "--pcr", "1", "--hash", "any",
                          "vl.pol", rc=1)
        self.assertEqual(err, "Unknown --num option\n")

    # docs/compat.md#tbp-any-shadowing
    def test_add_after_any_entry_updates_own_entry(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        self.tbp("--add", "--num", "any", "--pcr", "17", "--hash", "any", "vl.pol")
        for cmd in ("a", "b"):
            self.tbp("--add", "--num", "2", "--pcr", "18", "--hash", "image", "--cmdline", cmd,
                     "--image", "k.bin", "vl.pol")
        m_a = measurement(b"a", self.image)
        m_b = measurement(b"b", self.image)
        # upstream: three entries (any, 2 [a], 2 [b])
        self.assertEqual(self.read("vl.pol"),
                         header(n=2) + entry(129, 17, 0) + entry(2, 18, 1, [m_a, m_b]))
        self.tbp("--del", "--num", "2", "vl.pol")  # upstream: deleted the any entry
        self.assertEqual(self.read("vl.pol"), header(n=1) + entry(129, 17, 0))
        _, err = self.tbp("--del", "--num", "2", "vl.pol", rc=1)
        self.assertEqual(err, "specified mod_num does not exist\n")

    # docs/compat.md#tbp-gzip-errors
    def test_corrupt_gzip_is_an_error_and_file_untouched(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        before = self.read("vl.pol")
        self.write("bad.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 64)
        _, err = self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image",
                          "bad.gz", "vl.pol", rc=1)
        self.assertTrue(err.startswith("Error hashing image file bad.gz: corrupt gzip data"), err)
        self.assertEqual(self.read("vl.pol"), before)

    def test_truncated_gzip_is_an_error(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        before = self.read("vl.pol")
        gz = gzip.compress(os.urandom(200000), mtime=0)
        self.write("cut.gz", gz[: len(gz) // 2])
        _, err = self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image",
                          "cut.gz", "vl.pol", rc=1)
        self.assertIn("cut.gz: truncated gzip data", err)
        self.assertEqual(self.read("vl.pol"), before)
        # Only the CRC/length trailer missing: still truncated, never the digest of the content.
        self.write("notrailer.gz", gz[:-8])
        self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image",
                 "notrailer.gz", "vl.pol", rc=1)
        self.assertEqual(self.read("vl.pol"), before)

    def test_gzip_still_hashed_decompressed(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        self.write("k.gz", gzip.compress(self.image, mtime=0))
        self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--cmdline", "x",
                 "--image", "k.gz", "vl.pol")
        self.assertEqual(self.read("vl.pol"),
                         header(n=1) + entry(0, 18, 1, [measurement(b"x", self.image)]))

    def test_unreadable_image_is_reported(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        os.mkdir(self.path("adir"))
        _, err = self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image",
                          "adir", "vl.pol", rc=1)  # upstream: SIGSEGV
        self.assertIn("adir", err)
        self.assertIn("Is a directory", err)
        _, err = self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "image", "--image",
                          "nothere", "vl.pol", rc=1)
        self.assertEqual(err, "File nothere does not exist\n")

    # docs/compat.md#tbp-unwrap
    def element(self, policy, etype=0x13, uuid=TBOOT_UUID, extra=b""):
        data = uuid + policy + extra
        return struct.pack("<III", 12 + len(data), etype, 0) + data

    def make_policy(self):
        self.tbp("--create", "--type", "nonfatal", "vl.pol")
        self.tbp("--add", "--num", "0", "--pcr", "none", "--hash", "image", "--cmdline", "w",
                 "--image", "k.bin", "vl.pol")
        pol = self.read("vl.pol")
        self.assertEqual(pol, header(ptype=0, n=1) +
                         entry(0, 255, 1, [measurement(b"w", self.image)]))
        return pol

    def test_unwrap_custom2_and_legacy(self):
        pol = self.make_policy()
        for etype in (0x13, 0x03):
            self.write("e.elt", self.element(pol, etype, extra=b"\0\0\0\0"))
            out, err = self.tbp("--unwrap", "--elt", "e.elt", "u.pol")
            self.assertEqual((out, err), ("", ""))
            self.assertEqual(self.read("u.pol"), pol)  # without the 4 bytes after the policy
            os.unlink(self.path("u.pol"))

    def test_unwrap_rejections_leave_no_file(self):
        pol = self.make_policy()
        self.write("mle.elt", self.element(pol, etype=0x10))
        _, err = self.tbp("--unwrap", "--elt", "mle.elt", "u.pol", rc=1)
        self.assertEqual(err, "Bad element type 16 (i.e. non-custom)\n")
        other = bytes(16)
        self.write("uuid.elt", self.element(pol, uuid=other))
        _, err = self.tbp("--unwrap", "--elt", "uuid.elt", "u.pol", rc=1)
        self.assertIn("is not a tboot policy element", err)
        bad = bytearray(pol)
        bad[12] = 128  # mod_num 128 is invalid (docs/reference/vlp.md §3.4)
        self.write("bad.elt", self.element(bytes(bad)))
        _, err = self.tbp("--unwrap", "--elt", "bad.elt", "u.pol", rc=1)
        self.assertIn("is corrupt", err)
        self.assertIn("byte offset 40", err)  # 12 (element header) + 16 (UUID) + 12
        self.write("cut.elt", self.element(pol[:-5]))
        self.tbp("--unwrap", "--elt", "cut.elt", "u.pol", rc=1)
        self.assertFalse(os.path.exists(self.path("u.pol")))
        self.assert_no_temp_files()

    # docs/compat.md#tbp-writes
    def test_write_failure_reported(self):
        _, err = self.tbp("--create", "--type", "halt", "nodir/vl.pol", rc=1)
        self.assertTrue(err.startswith("Error writing policy file nodir/vl.pol"), err)

    def test_existing_mode_kept_and_no_temp_left(self):
        self.tbp("--create", "--type", "halt", "vl.pol")
        os.chmod(self.path("vl.pol"), 0o600)
        self.tbp("--add", "--num", "0", "--pcr", "18", "--hash", "any", "vl.pol")
        self.assertEqual(os.stat(self.path("vl.pol")).st_mode & 0o777, 0o600)
        self.assert_no_temp_files()

    # docs/compat.md#tbp-new-entry-fields
    def test_trailing_bytes_do_not_leak_into_nv_index(self):
        self.write("vl.pol", header(n=1) + entry(0, 0, 0) + b"junkjunk")
        self.tbp("--add", "--num", "1", "--pcr", "2", "--hash", "any", "vl.pol")
        self.assertEqual(self.read("vl.pol"), header(n=2) + entry(0, 0, 0) + entry(1, 2, 0))

    def test_256th_entry_refused(self):
        pol = header(n=255) + b"".join(entry(i % 128, 0, 0) for i in range(255))
        self.write("vl.pol", pol)
        _, err = self.tbp("--add", "--num", "any", "--pcr", "2", "--hash", "any", "vl.pol", rc=1)
        self.assertEqual(err, "cannot add another entry\n")
        self.assertEqual(self.read("vl.pol"), pol)

    # docs/compat.md#tbp-sha1
    def test_sha1_as_tboot_1_10_5_with_a_warning(self):
        out, err = self.tbp("--create", "--type", "nonfatal", "--alg", "SHA1", "vl.pol")
        self.assertEqual(out, "")
        self.assertIn("warning: SHA-1 is weak", err)
        self.assertEqual(self.read("vl.pol"), header(ptype=0, alg=0x04))
        self.tbp("--add", "--num", "0", "--pcr", "none", "--hash", "image", "--cmdline", "ro",
                 "--image", "k.bin", "vl.pol")
        d = measurement(b"ro", self.image, "sha1")
        self.assertEqual(len(d), 20)
        self.assertEqual(self.read("vl.pol"), header(ptype=0, alg=0x04, n=1) + entry(0, 255, 1, [d]))
        out, err = self.tbp("--show", "vl.pol")
        self.assertEqual(err, "")
        self.assertIn("\t hash_alg: TB_HALG_SHA1\n", out)
        self.assertIn("\t\t hashes[0]: " + "".join("%02x " % b for b in d) + "\n", out)
        # A SHA-256 policy is not affected: no warning.
        _, err = self.tbp("--create", "--type", "halt", "v2.pol")
        self.assertEqual(err, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
