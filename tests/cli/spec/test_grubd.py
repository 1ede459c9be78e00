#!/usr/bin/env python3
"""The grub-mkconfig helper /etc/grub.d/20_linux_tlaunch (grub.d/20_linux_tlaunch, configured by
CMake): discovery mode (entries per installed kernel, as 10_linux writes them) and spec mode
(exactly `tlaunch grub SPEC`). Output checked with grub-script-check and by reading the module
lines back with GRUB's quoting rules. grub-probe cannot answer without a real disk, so the stub
library tests/common/grub-mkconfig-stub sources GRUB's own grub-mkconfig_lib and replaces the two
functions that call it."""
import gzip
import os
import shutil
import subprocess
import tempfile
import unittest

from test_spec_cli import module_lines

TLAUNCH = os.environ["TLAUNCH"]
SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
SCRIPT = os.environ["TLAUNCH_GRUBD_SCRIPT"]
EXAMPLE = os.path.join(SOURCE, "examples", "launch-spec.json")
STUB_LIB_DIR = os.path.join(SOURCE, "tests", "common", "grub-mkconfig-stub")


class GrubD(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tlaunch-grubd-")
        self.boot = os.path.join(self.tmp, "boot")
        os.mkdir(self.boot)
        self.defaults = os.path.join(self.tmp, "grub-tlaunch")
        open(self.defaults, "w").close()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def put(self, name, data=b"x", gz=False):
        with open(os.path.join(self.boot, name), "wb") as f:
            f.write(gzip.compress(data, mtime=0) if gz else data)

    def run_script(self, **env):
        e = {"PATH": os.environ["PATH"], "pkgdatadir": STUB_LIB_DIR,
             "TLAUNCH_STUB_FS_UUID": "1111-2222", "TLAUNCH_STUB_ROOT": self.tmp,
             "GRUB_TLAUNCH_DEFAULTS": self.defaults, "GRUB_TLAUNCH_BOOT_DIR": self.boot,
             "GRUB_TLAUNCH_BIN": TLAUNCH, "GRUB_DEVICE": "/dev/vda1", "GRUB_DEVICE_BOOT": "/dev/vda1",
             "TLAUNCH_DEFAULTS": os.path.join(self.tmp, "tlaunch-defaults")}
        e.update(env)
        r = subprocess.run(["sh", SCRIPT], env=e, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        if r.stdout:  # (grub-script-check refuses an empty script)
            cfg = os.path.join(self.tmp, "out.cfg")
            with open(cfg, "w") as f:
                f.write(r.stdout)
            chk = subprocess.run(["grub-script-check", cfg], capture_output=True, text=True)
            self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr + r.stdout)
        return r

    def test_discovery_mode(self):
        self.put("tlaunch-launcher.elf")
        self.put("vmlinuz-6.1.0-13-amd64", b"new kernel")
        self.put("initrd.img-6.1.0-13-amd64", b"initramfs", gz=True)
        self.put("vmlinuz-5.10.0-9-amd64", b"old kernel")  # no initrd
        self.put("GM_SINIT_ACM.BIN")
        r = self.run_script(GRUB_CMDLINE_LINUX="console=ttyS0   quiet",
                            GRUB_CMDLINE_LINUX_DEFAULT="x=$y 'q'", GRUB_DISTRIBUTOR="Debian")
        self.assertIn("Found linux image: %s/vmlinuz-6.1.0-13-amd64" % self.boot, r.stderr)
        lines = module_lines(r.stdout)
        # 2 kernels x (normal + recovery) x (launcher, kernel, [initrd], SINIT)
        self.assertEqual(len(lines), 2 * 4 + 2 * 3)
        normal = lines[0:4]
        self.assertEqual(normal[0], ("multiboot2", False, "/boot/tlaunch-launcher.elf", "logging=serial"))
        # Blanks merged, a $ kept literally (quoted), as the policy must hash it.
        self.assertEqual(normal[1], ("module2", False, "/boot/vmlinuz-6.1.0-13-amd64",
                                     "root=/dev/vda1 ro console=ttyS0 quiet x=$y 'q' intel_iommu=on"))
        self.assertEqual(normal[2], ("module2", False, "/boot/initrd.img-6.1.0-13-amd64", ""))
        self.assertEqual(normal[3], ("module2", True, "/boot/GM_SINIT_ACM.BIN", ""))
        self.assertEqual(lines[5][3], "root=/dev/vda1 ro single console=ttyS0 quiet intel_iommu=on")
        old = lines[8:11]
        self.assertEqual(old[1][2], "/boot/vmlinuz-5.10.0-9-amd64")
        self.assertEqual(old[2][2], "/boot/GM_SINIT_ACM.BIN")
        # gzio only in the entries whose initrd is gzip-compressed.
        entries = r.stdout.split("menuentry ")[1:]
        self.assertIn("insmod gzio", entries[0])
        self.assertNotIn("insmod gzio", entries[2])
        self.assertIn("menuentry 'Debian GNU/Linux, with tlaunch and Linux 6.1.0-13-amd64'", r.stdout)

    def test_discovery_settings(self):
        self.put("tlaunch-launcher.elf")
        self.put("vmlinuz-6.1.0-13-amd64")
        self.put("lcp.data")
        with open(self.defaults, "w") as f:
            f.write("GRUB_TLAUNCH_NOUNZIP=true\nGRUB_TLAUNCH_POLICY_DATA=lcp.data\n"
                    "GRUB_CMDLINE_TLAUNCH='logging=serial extpol=sha384'\nGRUB_DISABLE_RECOVERY=true\n")
        r = self.run_script()
        lines = module_lines(r.stdout)
        self.assertEqual([l[:3] for l in lines], [
            ("multiboot2", False, "/boot/tlaunch-launcher.elf"),
            ("module2", True, "/boot/vmlinuz-6.1.0-13-amd64"),
            ("module2", True, "/boot/lcp.data")])
        self.assertEqual(lines[0][3], "logging=serial extpol=sha384")

    def test_no_launcher_no_entries(self):
        self.put("vmlinuz-6.1.0-13-amd64")
        r = self.run_script()
        self.assertEqual(r.stdout, "")
        self.assertIn("no launcher", r.stderr)

    def test_spec_mode_is_tlaunch_grub(self):
        want = subprocess.run([TLAUNCH, "grub", EXAMPLE], capture_output=True, text=True)
        self.assertEqual(want.returncode, 0, want.stderr)
        r = self.run_script(GRUB_TLAUNCH_SPEC=EXAMPLE)
        self.assertEqual(r.stdout, want.stdout)

    def test_spec_mode_from_the_system_spec(self):
        # No GRUB_TLAUNCH_SPEC: the spec the kernel hooks use (TLAUNCH_SPEC in /etc/default/tlaunch).
        want = subprocess.run([TLAUNCH, "grub", EXAMPLE], capture_output=True, text=True)
        self.assertEqual(want.returncode, 0, want.stderr)
        with open(os.path.join(self.tmp, "tlaunch-defaults"), "w") as f:
            f.write('TLAUNCH_SPEC="%s"\nGRUB_TLAUNCH_DISABLE=true\n' % EXAMPLE)
        r = self.run_script()
        self.assertEqual(r.stdout, want.stdout)
        # GRUB_TLAUNCH_SPEC wins (here an invalid one: no entries), and nothing else of that file
        # leaks in (its GRUB_TLAUNCH_DISABLE=true would have stopped the script before the spec).
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"version": 2}')
        r = self.run_script(GRUB_TLAUNCH_SPEC=bad)
        self.assertEqual(r.stdout, "")
        self.assertIn("Found tlaunch launch spec: " + bad, r.stderr)

    def test_spec_mode_with_a_bad_spec_writes_nothing(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"version": 2}')
        r = self.run_script(GRUB_TLAUNCH_SPEC=bad)
        self.assertEqual(r.stdout, "")
        self.assertIn("/version", r.stderr)
        self.assertIn("no tlaunch entries", r.stderr)


class Install(unittest.TestCase):
    def test_cmake_install_puts_script_and_settings_in_place(self):
        dest = tempfile.mkdtemp(prefix="tlaunch-install-")
        try:
            r = subprocess.run(["cmake", "-P", os.path.join(os.environ["TLAUNCH_BINARY_DIR"], "grub.d",
                                                            "cmake_install.cmake")],
                               env=dict(os.environ, DESTDIR=dest), capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            installed = [os.path.relpath(os.path.join(d, f), dest)
                         for d, _, fs in os.walk(dest) for f in fs]
            script = [p for p in installed if p.endswith("grub.d/20_linux_tlaunch")]
            settings = [p for p in installed if p.endswith("default/grub-tlaunch")]
            self.assertEqual(len(script), 1, installed)
            self.assertEqual(len(settings), 1, installed)
            path = os.path.join(dest, script[0])
            self.assertTrue(os.access(path, os.X_OK))
            text = open(path).read()
            self.assertNotRegex(text, r"@[A-Z_]+@")  # every configure_file() placeholder filled
            self.assertEqual(subprocess.run(["sh", "-n", path]).returncode, 0)
        finally:
            shutil.rmtree(dest)


if __name__ == "__main__":
    unittest.main(verbosity=2)
