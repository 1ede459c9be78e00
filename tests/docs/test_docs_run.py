#!/usr/bin/env python3
"""Docs that run: the commands of the README's tour, of every man page's EXAMPLES section and of
docs/walkthrough.md.

Each document gets its own sandbox: a fresh directory holding the input files its examples name
(sample kernel and initrd, keys, a tboot-like MLE image, a copy of examples/), and its own swtpm
(tests/integration/swtpm-env.sh) exported as TPM2TOOLS_TCTI, so `nv`, `apply` and `doctor` talk to
a real TPM. The commands run in the order the document shows them, each with bash, and must exit
0 (a few are listed in EXPECTED_EXIT with the status the document promises).

Commands of one document share their shell environment (an `eval "$(... start)"` exports what
the next commands use), not their shell: each runs in a fresh bash.

The walk-through's ```sh blocks all run, in order, except where an HTML comment on the line before
a block says otherwise, and the comment is the reader's notice too:
  <!-- docs-run: skip: REASON -->  the block changes the machine itself (install packages, reboot);
  <!-- docs-run: file PATH -->     the block is the content of a settings file, written to PATH.
`update-grub` in the sandbox is grub-mkconfig's run of the one helper tlaunch installs
(/etc/grub.d/20_linux_tlaunch, configured by this build) with the sandbox's settings, into the
sandbox's /boot/grub/grub.cfg: the real update-grub would rewrite the machine's boot menu, and
grub-probe cannot name the sandbox's disk (tests/common/grub-mkconfig-stub stands in for it).

What is rewritten before running, and nothing else:
  * absolute machine paths the examples use (/boot, /etc/tlaunch, /etc/default, /var/lib/tlaunch,
    /root, /mnt/image, /tmp) point into the sandbox's fake root;
  * `tlaunch apply` without -o writes to the fake root's /var/lib/tlaunch, not the machine's;
  * the swtpm port of the examples (2321) becomes the sandbox's port; `sudo ` is dropped;
  * `tlaunch doctor` and `tlaunch log show|verify|export` without --root get the sandbox's fake
    root (whose setup_data holds the log `tlaunch predict --log` made for the example spec).
Files a document takes as the reader's own (GIVEN) are made with tlaunch before it runs.
A placeholder left in an example (\\fIhex\\fP, "...") fails the test: a reader cannot run it.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
BIN_DIR = os.environ["TLAUNCH_BIN_DIR"]
VECTORS = os.environ["TLAUNCH_VECTORS_DIR"]
GRUBD_SCRIPT = os.environ["TLAUNCH_GRUBD_SCRIPT"]
GRUB_STUB_LIB_DIR = os.path.join(SOURCE, "tests", "common", "grub-mkconfig-stub")
SWTPM_ENV = os.path.join(SOURCE, "tests", "integration", "swtpm-env.sh")
KEYS = os.path.join(SOURCE, "tests", "cli", "lcplist", "keys")
OWNER_PW = "owner-secret"

# Commands whose documented exit status is not 0 (the document says why).
# doctor: the sandbox is no installed TXT machine (no grub.cfg with tlaunch entries, no policy
# in NV), so doctor reports problems and exits 1, as tlaunch-doctor(1) says it does then.
# log verify --tpm: the sandbox's swtpm never ran the launcher, so its PCRs differ from the log
# and verify says so with exit 1 (tlaunch-log(1)); the log itself is read and replayed.
EXPECTED_EXIT = {
    "tlaunch log verify --tpm": 1,
    "tlaunch log verify --tpm --reference reference.json": 1,
    "tlaunch log verify --tpm --reference out/reference.json": 1,
    "tlaunch doctor --json": 1,
    "sudo tlaunch doctor": 1,
    "tlaunch doctor --json --tcti swtpm:host=127.0.0.1,port=2321 --root /mnt/image": 1,
    # walkthrough.md: doctor after apply still finds that this boot was not measured (no launcher
    # ran against the sandbox's swtpm), which is a problem, exit 1.
    "sudo tlaunch apply /etc/tlaunch/launch-spec.json && sudo update-grub && sudo tlaunch doctor": 1,
    "tlaunch doctor --root /tmp/root --state-dir /tmp/state": 1,
}


def readme_tour():
    """The sh block under "## A tour of the CLI" in README.md."""
    text = open(os.path.join(SOURCE, "README.md")).read()
    section = text.split("## A tour of the CLI", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    cmds = []
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()  # trailing comments
        if line and not line.startswith("#"):
            cmds.append(line)
    return cmds


def shell_commands(lines):
    """Lines of a shell block as commands: a line ending in \\ or inside an open quote goes on."""
    import shlex
    cmds, pending = [], ""
    for line in lines:
        pending += line + "\n"
        if pending.rstrip("\n").endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # no closing quotation
            continue
        cmd = pending.strip()
        pending = ""
        if cmd and not cmd.startswith("#"):
            cmds.append(strip_comment(cmd))
    return cmds


def strip_comment(cmd):
    """The command without a trailing `# comment` (a # after a blank, outside quotes)."""
    quote, prev = None, " "
    for i, c in enumerate(cmd):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and prev in " \t":
            return cmd[:i].rstrip()
        prev = c
    return cmd


def walkthrough():
    """docs/walkthrough.md: every ```sh block's commands, in order; ("file", PATH, text) for a
    block marked as a settings file; blocks marked skip are left out (their reason is checked)."""
    text = open(os.path.join(SOURCE, "docs", "walkthrough.md")).read()
    cmds, marker = [], None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"<!-- docs-run: (skip|file)[: ](.*?) ?-->$", lines[i])
        if m:
            marker = (m.group(1), m.group(2).strip())
            i += 1
            continue
        if lines[i].startswith("```"):
            lang = lines[i][3:].strip()
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            body = lines[i + 1:j]
            if marker and marker[0] == "skip":
                assert len(marker[1]) > 10, "a skipped block says why: " + lines[i - 1]
            elif marker and marker[0] == "file":
                cmds.append(("file", marker[1], "\n".join(body) + "\n"))
            elif lang == "sh":
                cmds.extend(shell_commands(body))
            marker = None
            i = j + 1
            continue
        if lines[i].strip():
            marker = None  # a marker belongs to the block right after it
        i += 1
    return cmds


def groff_unescape(line):
    line = line.replace("\\-", "-").replace("\\e", "\\").replace("\\\\", "\\")
    line = line.replace("\\(aq", "'").replace("\\(dq", '"')
    return line


def man_examples(path):
    """The no-fill blocks (.nf/.fi, .EX/.EE) of the EXAMPLES section, continuation lines joined."""
    cmds, in_section, in_block, pending = [], False, False, ""
    for raw in open(path).read().splitlines():
        if raw.startswith(".SH"):
            in_section = raw.split(None, 1)[1].strip('"') in ("EXAMPLES", "EXAMPLE")
            continue
        if not in_section:
            continue
        if raw in (".nf", ".EX"):
            in_block = True
            continue
        if raw in (".fi", ".EE"):
            in_block = False
            continue
        if not in_block or raw.startswith("."):
            continue
        line = groff_unescape(raw).strip()
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line = pending + line
        pending = ""
        if line:
            cmds.append(line)
    return cmds


def documents():
    docs = [("README.md", readme_tour()), ("walkthrough.md", walkthrough())]
    man = os.path.join(SOURCE, "man")
    for name in sorted(os.listdir(man)):
        if re.search(r"\.[18]$", name):
            cmds = man_examples(os.path.join(man, name))
            if cmds:
                docs.append((name, cmds))
    return docs


class Sandbox:
    """Input files the examples name, and a swtpm."""

    def __init__(self, owner_auth=False):
        self.dir = tempfile.mkdtemp(prefix="tlaunch-docs-")
        self.root = os.path.join(self.dir, "root")
        boot = os.path.join(SOURCE, "examples", "boot")
        shutil.copytree(os.path.join(SOURCE, "examples"), os.path.join(self.dir, "examples"))
        shutil.copytree(boot, os.path.join(self.dir, "boot"))
        shutil.copy(os.path.join(SOURCE, "examples", "launch-spec.json"),
                    os.path.join(self.dir, "spec.json"))
        etc = os.path.join(self.root, "etc", "tlaunch")
        os.makedirs(etc)
        shutil.copytree(boot, os.path.join(etc, "boot"))
        shutil.copy(os.path.join(SOURCE, "examples", "launch-spec.json"), etc)
        rboot = os.path.join(self.root, "boot")
        os.makedirs(os.path.join(rboot, "grub"))
        for d in (rboot, self.dir):
            shutil.copy(os.path.join(boot, "vmlinuz-6.1.0-sample"), os.path.join(d, "vmlinuz"))
            shutil.copy(os.path.join(boot, "initrd.img-6.1.0-sample"), os.path.join(d, "initrd.img"))
        for src in os.listdir(boot):
            shutil.copy(os.path.join(boot, src), rboot)
        shutil.copy(os.path.join(boot, "vmlinuz-6.1.0-sample"), os.path.join(self.dir, "k"))
        shutil.copy(os.path.join(boot, "initrd.img-6.1.0-sample"), os.path.join(self.dir, "i"))
        shutil.copy(os.path.join(boot, "SAMPLE_SINIT_ACM.BIN"), os.path.join(self.dir, "sinit.bin"))
        shutil.copy(os.path.join(VECTORS, "mle-elfB-multiseg-gz", "mle_b.elf.gz"),
                    os.path.join(self.dir, "tboot.gz"))
        shutil.copy(os.path.join(KEYS, "rsa2048_b.priv.pem"), os.path.join(self.dir, "priv.pem"))
        shutil.copy(os.path.join(KEYS, "rsa2048_b.pub.pem"), os.path.join(self.dir, "pub.pem"))
        shutil.copy(os.path.join(KEYS, "passphrase.txt"), os.path.join(self.dir, "pass.txt"))
        os.makedirs(os.path.join(self.root, "root"))
        for name in ("owner.pw", "owner.pass"):  # the names tlaunch-nv(1) and tlaunch-apply(1) use
            with open(os.path.join(self.root, "root", name), "w") as f:
                f.write(OWNER_PW + "\n")
        os.makedirs(os.path.join(self.root, "mnt", "image"))
        os.makedirs(os.path.join(self.root, "tmp"))
        os.makedirs(os.path.join(self.root, "etc", "default"))
        # What the walk-through runs from a checkout: the swtpm fixture.
        os.makedirs(os.path.join(self.dir, "tests", "integration"))
        shutil.copy(SWTPM_ENV, os.path.join(self.dir, "tests", "integration"))
        self.make_update_grub()
        # A tboot VLP as tb_polgen writes it (tlaunch lcp element wrap-vlp's input).
        self.run_checked([os.path.join(BIN_DIR, "tb_polgen"), "--create", "--type", "nonfatal",
                          os.path.join(self.dir, "tboot.pol")])
        # The MLE hash file an element is made from.
        with open(os.path.join(self.dir, "mle-hashes.txt"), "w") as f:
            f.write(" ".join("%02x" % (i * 7 & 0xFF) for i in range(32)) + "\n")

        self.tpm = os.path.join(self.dir, "tpm")
        out = subprocess.run(["bash", SWTPM_ENV, "start", self.tpm], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("swtpm: " + out.stderr)
        self.env = dict(os.environ)
        self.env["PATH"] = os.pathsep.join([os.path.join(self.dir, "bin"), BIN_DIR,
                                            self.env["PATH"]])
        self.env_file = os.path.join(self.dir, "env.sh")  # the environment commands leave
        open(self.env_file, "w").close()
        self.env.pop("TLAUNCH_KEY_PASSPHRASE", None)
        for line in out.stdout.splitlines():
            if line.startswith("export "):
                k, v = line[len("export "):].split("=", 1)
                self.env[k] = v.strip("'")
        self.port = self.env["SWTPM_PORT"]
        self.env["OWNER_PW"] = OWNER_PW
        if owner_auth:
            self.run_checked(["tpm2_changeauth", "-c", "owner", OWNER_PW], env=self.env)

    def make_update_grub(self):
        """update-grub for the sandbox (see the module's docstring)."""
        bindir = os.path.join(self.dir, "bin")
        os.makedirs(bindir)
        cfg = os.path.join(self.root, "boot", "grub", "grub.cfg")
        with open(os.path.join(bindir, "update-grub"), "w") as f:
            f.write("#!/bin/sh\nset -e\n"
                    "echo 'Generating grub configuration file ...' >&2\n"
                    "{ echo '### BEGIN /etc/grub.d/20_linux_tlaunch ###'\n"
                    "  pkgdatadir=%s TLAUNCH_STUB_ROOT=%s \\\n"
                    "  TLAUNCH_STUB_FS_UUID=8f4c2a71-3b0e-4d8a-9c55-0d6a7e2f1b93 \\\n"
                    "  GRUB_TLAUNCH_DEFAULTS=%s TLAUNCH_DEFAULTS=/nonexistent \\\n"
                    "  GRUB_TLAUNCH_BIN=%s GRUB_TLAUNCH_BOOT_DIR=%s sh %s\n"
                    "  echo '### END /etc/grub.d/20_linux_tlaunch ###'; } > %s.new\n"
                    "mv %s.new %s\necho done >&2\n"
                    % (GRUB_STUB_LIB_DIR, self.root,
                       os.path.join(self.root, "etc", "default", "grub-tlaunch"),
                       os.path.join(BIN_DIR, "tlaunch"), os.path.join(self.root, "boot"),
                       GRUBD_SCRIPT, cfg, cfg, cfg))
        os.chmod(os.path.join(bindir, "update-grub"), 0o755)

    def run_checked(self, args, env=None):
        r = subprocess.run(args, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(" ".join(args) + ": " + r.stderr)

    def close(self):
        subprocess.run(["bash", SWTPM_ENV, "stop", self.tpm], capture_output=True)
        tmp = os.path.join(self.root, "tmp")  # a swtpm a document started and did not stop
        for d in os.listdir(tmp):
            if os.path.exists(os.path.join(tmp, d, "swtpm.pid")):
                subprocess.run(["bash", SWTPM_ENV, "stop", os.path.join(tmp, d)], capture_output=True)
        shutil.rmtree(self.dir)

    def localize(self, cmd):
        # Each command of a chain (a && b; c) on its own: sudo dropped, defaults pointed at the
        # fake root.
        parts = re.split(r"(&&|\|\||;)", cmd)
        return "".join(p if p in ("&&", "||", ";") else self.localize_one(p) for p in parts)

    def localize_one(self, cmd):
        cmd = re.sub(r"^(\s*)sudo\s+", r"\1", cmd)
        cmd = re.sub(r"(?<![\w./])/(boot|etc/tlaunch|etc/default|var/lib/tlaunch|root|mnt/image|tmp)\b",
                     lambda m: self.root + "/" + m.group(1), cmd)
        # apply's default output directory is the machine's /var/lib/tlaunch.
        if not re.search(r"\s(-o|--output)\s", cmd):
            cmd = re.sub(r"\btlaunch apply\b",
                         "tlaunch apply -o " + self.root + "/var/lib/tlaunch", cmd)
        # doctor looks at the machine it runs on: here, the sandbox's fake root.
        if re.match(r"\s*tlaunch (doctor|log (show|verify|export))\b", cmd) and "--root" not in cmd:
            cmd = cmd.rstrip() + " --root " + self.root + (" " if cmd != cmd.rstrip() else "")
        return cmd.replace("port=2321", "port=" + self.port)

    def run(self, cmd):
        # The environment a command leaves (export, eval) is the next command's.
        script = ('. %s\n%s\nrc=$?\nexport -p | grep -vE "^declare -x (PWD|OLDPWD|SHLVL|_)=" > %s\n'
                  'exit $rc\n' % (self.env_file, self.localize(cmd), self.env_file))
        return subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=self.dir,
                              env=self.env, capture_output=True, text=True, timeout=120)

    def write_file(self, path, text):
        path = self.localize(path)
        with open(path, "w") as f:
            f.write(self.localize(text))


# The machine's boot log for `tlaunch log` without a file: the launcher's log for the example
# spec's first entry (as `tlaunch predict --log` makes it) in a setup_data entry of the fake root.
SETUP_DATA_LOG = (
    "tlaunch build examples/launch-spec.json -o given && "
    "d=root/sys/kernel/boot_params/setup_data/0 && mkdir -p $d && echo 0x474f4c54 > $d/type && "
    "tlaunch predict --policy given/vlp.pol --launcher-cmdline 'logging=serial,memory' "
    "--module 'boot/vmlinuz-6.1.0-sample root=UUID=8f4c2a71-3b0e-4d8a-9c55-0d6a7e2f1b93 ro "
    "console=ttyS0,115200 intel_iommu=on' --module boot/initrd.img-6.1.0-sample "
    "--alg sha256,sha384 --log $d/data")

# Files a document's examples take as given (the reader's own), made before its commands run.
GIVEN = {
    "tlaunch-nv.1": ["tlaunch vlp create vl.pol --type halt"],
    "tlaunch-predict.1": ["tlaunch build examples/launch-spec.json -o given && cp given/vlp.pol vl.pol"],
    "README.md": [SETUP_DATA_LOG],
    "tlaunch-log.1": [
        "tlaunch build examples/launch-spec.json -o given && cp given/vlp.pol given/reference.json .",
        SETUP_DATA_LOG],
    "lcp2_crtpol.8": ["tlaunch lcp element create --type mle2 -o mle.elt mle-hashes.txt",
                      "tlaunch lcp list create -o list.lst mle.elt"],
    "lcp2_crtpollist.8": ["tlaunch lcp element create --type mle2 -o mle.elt mle-hashes.txt",
                          "tlaunch lcp element create --type pconf2 --pcr 0=%s -o pconf.elt"
                          % ("9f" * 32)],
}

# Man pages whose examples assume an owner password (the nv page uses --auth file:/root/owner.pw).
OWNER_AUTH = {"tlaunch-nv.1", "tlaunch-nv-provision.1"}


class DocsRun(unittest.TestCase):
    def test_every_document_has_examples(self):
        names = [n for n, _ in documents()]
        for must in ("README.md", "walkthrough.md", "tlaunch-vlp.1", "tlaunch-hash.1", "tlaunch-lcp.1", "tlaunch-nv.1",
                     "tlaunch-nv-provision.1", "tlaunch-predict.1", "tlaunch-build.1",
                     "tlaunch-grub.1", "tlaunch-apply.1", "tlaunch-doctor.1", "tb_polgen.8"):
            self.assertIn(must, names)

    def test_the_extractor_joins_continuations_and_unescapes(self):
        cmds = dict(documents())["tlaunch-vlp.1"]
        self.assertTrue(any(c.startswith("tlaunch vlp add vl.pol --module 0") and "--cmdline" in c
                            for c in cmds), cmds)

    def test_shipped_examples_are_what_their_commands_make(self):
        # examples/nv-plan.json names vl.pol and po.pol; its description says how they are made.
        box = Sandbox()
        try:
            r = box.run("tlaunch build examples/launch-spec.json -o fresh && "
                        "tlaunch lcp policy create --type any --alg sha256 --sign rsa-2048-sha256 "
                        "--pol fresh/po.pol")
            self.assertEqual(r.returncode, 0, r.stderr)
            for shipped, made in (("vl.pol", "vlp.pol"), ("po.pol", "po.pol")):
                with open(os.path.join(SOURCE, "examples", shipped), "rb") as a, \
                        open(os.path.join(box.dir, "fresh", made), "rb") as b:
                    self.assertEqual(a.read(), b.read(), shipped)
        finally:
            box.close()

    def test_commands_run(self):
        for name, cmds in documents():
            with self.subTest(document=name):
                box = Sandbox(owner_auth=name in OWNER_AUTH)
                try:
                    for cmd in GIVEN.get(name, []):
                        r = box.run(cmd)
                        self.assertEqual(r.returncode, 0, "%s: given: %s" % (cmd, r.stderr))
                    for cmd in cmds:
                        if isinstance(cmd, tuple):  # ("file", PATH, text)
                            box.write_file(cmd[1], cmd[2])
                            continue
                        self.assertNotRegex(cmd, r"\\f[IB]|\.\.\.|<[a-z]+>",
                                            "%s: a placeholder cannot be run: %s" % (name, cmd))
                        r = box.run(cmd)
                        want = EXPECTED_EXIT.get(cmd, 0)
                        self.assertEqual(r.returncode, want, "%s: `%s`\nstdout: %s\nstderr: %s" % (
                            name, cmd, r.stdout[-2000:], r.stderr[-2000:]))
                finally:
                    box.close()


if __name__ == "__main__":
    unittest.main()
