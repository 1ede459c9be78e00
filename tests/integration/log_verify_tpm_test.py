#!/usr/bin/env python3
"""`tlaunch log verify --tpm` against swtpm (man/tlaunch-log.1).

The launcher's log for a launch spec comes from `tlaunch predict --log` (the launcher's own log
code). This test extends its events into swtpm itself — TPM2_PCR_Extend marshalled here with
struct and sent on swtpm's command socket at locality 3 (set with swtpm_ioctl -l 3; PCR 17-19 take
extends from locality 2 and 3 only) — and reads the PCRs back with tpm2_pcrread. Then tlaunch must
find the log and the TPM in agreement, and name the PCR when they are not.
Environment: TLAUNCH, TLAUNCH_SOURCE_DIR.
"""
import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import struct
import subprocess
import tempfile
import unittest

import swtpm_env  # tests/integration/swtpm_env.py, next to this file

TLAUNCH = os.environ["TLAUNCH"]
SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
OK, FAILED = 0, 1
ALGS = {0x04: "sha1", 0x0B: "sha256", 0x0C: "sha384", 0x0D: "sha512"}
SIZES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


def parse_log(log):
    """[(pcr, type, [(alg id, digest)])] of a crypto-agile log (PFP §10.2.2)."""
    (size,) = struct.unpack_from("<I", log, 28)
    pos, events = 32 + size, []
    while pos < len(log):
        pcr, etype, count = struct.unpack_from("<III", log, pos)
        pos += 12
        digests = []
        for _ in range(count):
            (a,) = struct.unpack_from("<H", log, pos)
            n = SIZES[ALGS[a]]
            digests.append((a, log[pos + 2:pos + 2 + n]))
            pos += 2 + n
        (dsize,) = struct.unpack_from("<I", log, pos)
        pos += 4 + dsize
        events.append((pcr, etype, digests))
    return events


class LogVerifyTpm(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tlaunch-log-it-")
        self.tpm = os.path.join(self.tmp, "tpm")
        env = swtpm_env.start(self.tpm)
        self.env = env
        self.tcti = env["TPM2TOOLS_TCTI"]
        r = subprocess.run(["swtpm_ioctl", "--tcp", "127.0.0.1:%s" % env["SWTPM_CTRL_PORT"], "-l",
                            "3"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.build()

    def tearDown(self):
        swtpm_env.stop(self.tpm)
        shutil.rmtree(self.tmp)

    def path(self, n):
        return os.path.join(self.tmp, n)

    def tlaunch(self, *args, rc=OK):
        p = subprocess.run([TLAUNCH, *args], capture_output=True, text=True, env=self.env,
                           cwd=self.tmp)
        self.assertEqual(p.returncode, rc, "tlaunch %s\n%s\n%s" % (args, p.stdout, p.stderr))
        return p.stdout, p.stderr

    def build(self):
        for n, data in (("vmlinuz", b"kernel " * 1000), ("initrd.img", b"initrd " * 700),
                        ("launcher.elf", b"launcher")):
            with open(self.path(n), "wb") as f:
                f.write(data)
        spec = {"version": 1,
                "policy": {"type": "continue", "hash_alg": "sha256", "extend_pcr17": True},
                "pcr_map": "da", "banks": ["sha256", "sha384"],
                "launcher": {"file": "launcher.elf", "cmdline": ""},
                "entries": [{"title": "Linux",
                             "kernel": {"file": "vmlinuz", "cmdline": "root=/dev/vda ro"},
                             "initrd": {"file": "initrd.img", "nounzip": True}}],
                "nv": {"handle_set": "tcg", "vlp": {"attributes": "ownerwrite|authread"}}}
        with open(self.path("spec.json"), "w") as f:
            json.dump(spec, f)
        self.tlaunch("build", "spec.json", "-o", "out")
        self.tlaunch("predict", "--policy", "out/vlp.pol", "--module", "vmlinuz root=/dev/vda ro",
                     "--module", "initrd.img", "--as-loaded", "raw", "--log", "launch.log")
        with open(self.path("launch.log"), "rb") as f:
            self.log = f.read()

    def pcr_extend(self, pcr, digests):
        """TPM2_PCR_Extend (TPM 2.0 Part 3 §22.2) with an empty-password session."""
        body = struct.pack(">I", pcr) + struct.pack(">I", 9)
        body += struct.pack(">IHBH", 0x40000009, 0, 1, 0)
        body += struct.pack(">I", len(digests))
        for a, d in digests:
            body += struct.pack(">H", a) + d
        cmd = struct.pack(">HII", 0x8002, 10 + len(body), 0x182) + body
        with socket.create_connection(("127.0.0.1", int(self.env["SWTPM_PORT"]))) as s:
            s.sendall(cmd)
            rsp = s.recv(4096)
        self.assertEqual(struct.unpack_from(">I", rsp, 6)[0], 0, "PCR_Extend rc %s" % rsp.hex())

    def extend_log(self, events):
        for pcr, etype, digests in events:
            if etype != 3:  # EV_NO_ACTION is never extended
                self.pcr_extend(pcr, digests)

    def pcrread(self, bank, pcr):
        r = subprocess.run(["tpm2_pcrread", "%s:%d" % (bank, pcr)], capture_output=True,
                           text=True, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return re.search(r"0x([0-9A-F]+)", r.stdout).group(1).lower()

    def test_log_extended_into_the_tpm_verifies(self):
        self.extend_log(parse_log(self.log))
        out, _ = self.tlaunch("log", "verify", "launch.log", "--tpm", "--tcti", self.tcti,
                              "--reference", "out/reference.json", "--json")
        doc = json.loads(out)
        self.assertTrue(doc["verified"])
        self.assertEqual(doc["tpm"]["differ"], 0)
        self.assertEqual({(p["pcr"], p["bank"]) for p in doc["tpm"]["pcrs"]},
                         {(17, "sha256"), (18, "sha256"), (19, "sha256")})
        # The values compared are what tpm2_pcrread reads.
        for p in doc["tpm"]["pcrs"]:
            self.assertEqual(p["tpm"], self.pcrread(p["bank"], p["pcr"]))
            self.assertEqual(p["log"], p["tpm"])
        # and what `tlaunch build` predicted for a boot without a DRTM.
        with open(self.path("out/reference.json")) as f:
            ref = json.load(f)
        for v in ref["entries"][0]["launch"]["pcrs"]["no_drtm"]:
            self.assertEqual(self.pcrread(v["bank"], v["pcr"]), v["value"])
        # From zero (after a DRTM) the log does not give the TPM's values, and says which does.
        out, err = self.tlaunch("log", "verify", "launch.log", "--tpm", "--tcti", self.tcti,
                                "--pcr-start", "zero", rc=FAILED)
        self.assertIn("--pcr-start ff", out)

    def test_an_event_logged_but_not_extended_is_named(self):
        events = parse_log(self.log)
        self.extend_log(events[:-1])  # the last event (module 1, PCR 19) never reaches the TPM
        out, err = self.tlaunch("log", "verify", "launch.log", "--tpm", "--tcti", self.tcti,
                                rc=FAILED)
        self.assertIn("PCR 19 sha256 differs", out)
        self.assertIn("after the first 0 of 1 events", out)
        self.assertIn("PCR 17 sha256 matches", out)
        self.assertIn("does not verify", err)

    def test_an_extend_without_an_event_is_named(self):
        events = parse_log(self.log)
        self.extend_log(events)
        self.pcr_extend(18, [(0x0B, hashlib.sha256(b"unlogged").digest())])
        doc = json.loads(self.tlaunch("log", "verify", "launch.log", "--tpm", "--tcti", self.tcti,
                                      "--json", rc=FAILED)[0])
        bad = [p for p in doc["tpm"]["pcrs"] if p["match"] is False]
        self.assertEqual([(p["pcr"], p["bank"]) for p in bad], [(18, "sha256")])
        self.assertEqual(bad[0]["tpm"], self.pcrread("sha256", 18))
        self.assertNotIn("matches_after_events", bad[0])

    def test_man_page_examples_run(self):
        """Every command of man/tlaunch-log.1 EXAMPLES, run as written in a directory holding the
        files they name; the ones that read the running system's log get --root pointing at a
        fake /sys whose binary_bios_measurements holds firmware events and the launcher's,
        all extended into swtpm."""
        with open(os.path.join(SOURCE, "man", "tlaunch-log.1")) as f:
            man = f.read()
        examples = man.split(".SH EXAMPLES", 1)[1].split(".SH ", 1)[0]
        commands = []
        for block in re.findall(r"\.nf\n(.*?)\.fi", examples, re.S):
            for line in block.splitlines():
                if line.startswith("tlaunch "):
                    commands.append(shlex.split(line.replace("\\-", "-")))
        self.assertGreaterEqual(len(commands), 6)
        shutil.copy(self.path("out/vlp.pol"), self.path("vlp.pol"))
        shutil.copy(self.path("out/reference.json"), self.path("reference.json"))
        # The machine: a firmware log (PCR 0 and 4, sha256) with the launcher's events appended.
        (size,) = struct.unpack_from("<I", self.log, 28)
        header, launcher = self.log[:32 + size], self.log[32 + size:]
        fw = b""
        for pcr, data in ((0, b"firmware\0"), (4, b"\0\0\0\0")):
            fw += struct.pack("<III", pcr, 8 if pcr == 0 else 4, 1) + struct.pack("<H", 0x0B)
            fw += hashlib.sha256(data).digest() + struct.pack("<I", len(data)) + data
        combined = header + fw + launcher
        self.extend_log(parse_log(combined))
        root = self.path("root")
        os.makedirs(os.path.join(root, "sys/kernel/security/tpm0"))
        with open(os.path.join(root, "sys/kernel/security/tpm0/binary_bios_measurements"),
                  "wb") as f:
            f.write(combined)
        for argv in commands:
            self.assertEqual(argv[0], "tlaunch")
            args = argv[1:]
            reads_system = args[0] == "log" and args[1] != "replay" and \
                "keylime" not in args and not any(a.endswith(".log") for a in args)
            if reads_system:
                args += ["--root", root]
            self.tlaunch(*args)
        with open(self.path("tpm_policy.json")) as f:
            self.assertEqual(set(json.load(f)), {"17", "18", "19"})
        with open(self.path("boot.cel.json")) as f:
            self.assertEqual(len(json.load(f)), 2 + len(parse_log(self.log)))


if __name__ == "__main__":
    unittest.main()
