#!/usr/bin/env python3
"""The tlaunch.launch collection (contrib/ansible) run by the real ansible-playbook against two
hosts, each with its own TPM (swtpm), as docs/fleet.md describes.

The hosts are reached over the `local` connection: both "hosts" are directories on this machine
(ROOT/boot with the example's files, ROOT/var/lib/tlaunch for apply's outputs, ROOT/boot/grub for
the grub.cfg the handler writes) and each has its TPM through its own TCTI host variable. That
exercises everything the collection does on a host (module transfer, check mode, diff, handlers,
vault, per-host failure) without SSH servers or guests, which the run would spend most of its
time starting.

Each TPM is reached through tests/integration/tpm-proxy.py, which logs every TPM command on the
wire: NV writes are counted there, independently of what tlaunch reports, and the NV indices
are read back with tpm2-tools.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import sys
import unittest

TLAUNCH = os.environ["TLAUNCH"]
SOURCE = os.environ["TLAUNCH_SOURCE_DIR"]
COLLECTIONS = os.path.join(SOURCE, "contrib", "ansible")
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import swtpm_env  # noqa: E402  (tests/integration/swtpm_env.py)

PROXY = os.path.join(SOURCE, "tests", "integration", "tpm-proxy.py")
EXAMPLE = os.path.join(SOURCE, "examples", "launch-spec.json")
PLAYBOOK = os.path.join(SOURCE, "tests", "ansible", "site.yml")
VLP, ERROR = "0x01C10131", "0x01C10132"
HOSTS = ("alpha", "beta")
OWNER_PASSWORD = "fleet-owner-Secret-42"  # alpha's TPM has this owner password (in the vault)
# Writes to NV, as the proxy names them.
NV_WRITES = ("NV_DefineSpace", "NV_Write", "NV_UndefineSpace", "NV_UndefineSpaceSpecial")


def role_vars(spec):
    """The role's variables that template the example spec (relative paths: the spec sits in
    ROOT, next to ROOT/boot)."""
    return {
        "tlaunch_spec_description": spec["description"],
        "tlaunch_policy": spec["policy"],
        "tlaunch_banks": spec["banks"],
        "tlaunch_launcher": spec["launcher"],
        "tlaunch_entries": spec["entries"],
        "tlaunch_sinits": spec["sinits"],
        "tlaunch_nv": spec["nv"],
        "tlaunch_grub": spec["grub"],
        "tlaunch_spec_extra": {"pcr_map": spec["pcr_map"]},
    }


class Fleet(unittest.TestCase):
    def setUp(self):
        self.t0 = time.monotonic()
        self.tmp = tempfile.mkdtemp(prefix="tlaunch-ansible-")
        self.hosts = {}
        for name in HOSTS:
            h = {"tpm": os.path.join(self.tmp, name, "tpm"), "root": os.path.join(self.tmp, name, "root"),
                 "log": os.path.join(self.tmp, name, "tpm-commands.log")}
            env = swtpm_env.start(h["tpm"])
            h["env"], h["port"] = env, int(env["SWTPM_PORT"])
            shutil.copytree(os.path.join(SOURCE, "examples", "boot"), os.path.join(h["root"], "boot"))
            os.makedirs(os.path.join(h["root"], "boot", "grub"))
            os.makedirs(os.path.join(h["root"], "etc", "default"))
            open(h["log"], "w").close()
            self.hosts[name] = h
        # alpha's owner has a password; the play gets it from an Ansible Vault variable.
        r = self.tools("alpha", "tpm2_changeauth", "-c", "o", OWNER_PASSWORD)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.spec = json.load(open(EXAMPLE))
        self.write_inventory()

    def tearDown(self):
        for h in self.hosts.values():
            swtpm_env.stop(h["tpm"])
        shutil.rmtree(self.tmp)

    def tools(self, host, *args):
        return subprocess.run(list(args), capture_output=True, text=True, env=self.hosts[host]["env"])

    def write_inventory(self):
        vault_pass = os.path.join(self.tmp, "vault-pass")
        with open(vault_pass, "w") as f:
            f.write("fleet-test-vault\n")
        self.vault_pass = vault_pass
        r = subprocess.run(["ansible-vault", "encrypt_string", "--vault-password-file", vault_pass,
                            "--name", "tlaunch_owner_auth", OWNER_PASSWORD],
                           capture_output=True, text=True, env=self.ansible_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        inv = os.path.join(self.tmp, "inventory")
        os.makedirs(os.path.join(inv, "host_vars"))
        hosts = {}
        for name, h in self.hosts.items():
            root = h["root"]
            hosts[name] = {
                "ansible_connection": "local",
                "ansible_python_interpreter": "/usr/bin/python3",
                "tlaunch_bin": TLAUNCH,
                # The host's TPM, through the logging relay.
                "tlaunch_tcti": "cmd:exec python3 %s --port %d --log %s" % (PROXY, h["port"], h["log"]),
                "tlaunch_spec_path": os.path.join(root, "launch-spec.json"),
                "tlaunch_state_dir": os.path.join(root, "var", "lib", "tlaunch"),
                "tlaunch_defaults_file": os.path.join(root, "etc", "default", "tlaunch"),
                "tlaunch_grub_refresh_command": [TLAUNCH, "grub", os.path.join(root, "launch-spec.json"),
                                                 "-o", os.path.join(root, "boot", "grub", "grub.cfg")],
                "tlaunch_doctor_root": root,
                # What a test machine lacks: no Intel TXT CPU, and no launcher ever ran against
                # the host's swtpm, so doctor reports its PCR 17-19 as an unmeasured boot.
                "tlaunch_doctor_ignore": ["smx", "TXT", "this boot was not measured"],
            }
        with open(os.path.join(inv, "hosts.yml"), "w") as f:
            # "beta_first": the same hosts, beta first, for the canary playbook.
            json.dump({"all": {"children": {"tlaunch": {"hosts": hosts},
                                            "beta_first": {"hosts": {"beta": {}, "alpha": {}}}}}}, f, indent=1)
        os.makedirs(os.path.join(inv, "group_vars"))
        with open(os.path.join(inv, "group_vars", "tlaunch.json"), "w") as f:
            json.dump(role_vars(self.spec), f, indent=1)
        with open(os.path.join(inv, "host_vars", "alpha.yml"), "w") as f:
            f.write(r.stdout)
        self.inventory = inv

    def ansible_env(self):
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_HOME": os.path.join(self.tmp, "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.tmp, "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.tmp, "ansible-remote-tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(SOURCE, "tests", "ansible", "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "record_results",
            "TLAUNCH_ANSIBLE_RESULTS": os.path.join(self.tmp, "results.json"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_GALAXY_SERVER_LIST": "",
        })
        env.pop("TPM2TOOLS_TCTI", None)
        return env

    def play(self, *args, playbook=PLAYBOOK, extra=None):
        cmd = ["ansible-playbook", "-i", self.inventory, "--vault-password-file", self.vault_pass,
               playbook, *args]
        if extra is not None:
            path = os.path.join(self.tmp, "extra.json")
            json.dump(extra, open(path, "w"))
            cmd += ["-e", "@" + path]
        t = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.ansible_env())
        print("  ansible-playbook %s: exit %d in %.1f s" % (" ".join(args), r.returncode, time.monotonic() - t))
        results = os.path.join(self.tmp, "results.json")
        if not os.path.exists(results):
            self.fail("ansible-playbook wrote no results (exit %d):\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
        with open(results) as f:
            doc = json.load(f)
        os.remove(results)
        self.last_output = r.stdout
        self.assertNotIn(OWNER_PASSWORD, r.stdout + r.stderr)
        return r.returncode, doc

    @staticmethod
    def task(doc, name, host):
        """The result of task NAME (the last play that ran it) on HOST, or None."""
        found = None
        for play in doc["plays"]:
            for t in play["tasks"]:
                # Role tasks are named "ROLE : NAME".
                if t["task"]["name"].split(" : ")[-1] == name and host in t["hosts"]:
                    found = t["hosts"][host]
        return found

    def nv_commands(self, host):
        with open(self.hosts[host]["log"]) as f:
            names = [line.split()[1] for line in f if len(line.split()) > 1]
        return {n: names.count(n) for n in NV_WRITES if names.count(n)}, len(names)

    def nv_defined(self, host):
        r = self.tools(host, "tpm2_getcap", "handles-nv-index")
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted("0x%08X" % int(l.strip("- ").strip(), 16) for l in r.stdout.splitlines() if l.strip())

    def snapshot(self, host):
        """Every file under ROOT with its mtime and content."""
        snap = {}
        for d, _, files in os.walk(self.hosts[host]["root"]):
            for n in files:
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    snap[p] = (os.stat(p).st_mtime_ns, f.read())
        return snap

    def grub_cfg(self, host):
        p = os.path.join(self.hosts[host]["root"], "boot", "grub", "grub.cfg")
        return open(p).read() if os.path.exists(p) else None

    def test_fleet(self):
        apply_task = "Apply the launch policy (files and TPM NV)"

        # 1. Check mode on new hosts: would change, changes nothing (no NV command that writes,
        #    no file; the spec is previewed in a temporary file that is removed).
        before = {h: self.snapshot(h) for h in HOSTS}
        rc, doc = self.play("--check", "--diff")
        self.assertEqual(rc, 0, json.dumps(doc["stats"]))
        for h in HOSTS:
            res = self.task(doc, apply_task, h)
            self.assertIsNotNone(res, self.last_output)
            self.assertTrue(res["changed"], res)
            self.assertEqual(res["result"], "dry-run")
            self.assertIn("--dry-run", res["cmd"])
            self.assertEqual(self.nv_commands(h)[0], {})
            self.assertEqual(self.nv_defined(h), [])
            self.assertEqual(self.snapshot(h), before[h])
            after = res["diff"][0]["after"]
            self.assertIn("nv %s (vlp): owner, ownerwrite|policywrite|authread|no_da" % VLP, after)
            self.assertIn("nv %s (vlp): not defined" % VLP, res["diff"][0]["before"])
        # The owner password reached tlaunch through the environment: never in the command.
        alpha_cmd = self.task(doc, apply_task, "alpha")["cmd"]
        self.assertIn("env:TLAUNCH_ANSIBLE_OWNER_AUTH", alpha_cmd)
        self.assertFalse(any(OWNER_PASSWORD in a for a in alpha_cmd))

        # 2. First run: changed on both; indices defined and written (tpm2-tools, the wire);
        #    the handler wrote grub.cfg; doctor verified.
        rc, doc = self.play("--diff")
        self.assertEqual(rc, 0, json.dumps(doc["stats"]))
        first = {}
        for h in HOSTS:
            self.assertGreater(doc["stats"][h]["changed"], 0)
            self.assertEqual(doc["stats"][h]["failures"], 0)
            res = self.task(doc, apply_task, h)
            self.assertEqual((res["changed"], res["result"], res["entries_changed"]), (True, "applied", True))
            writes, _ = self.nv_commands(h)
            self.assertEqual(writes.get("NV_DefineSpace"), 2, writes)
            self.assertEqual(writes.get("NV_Write"), res["nv_write_commands"])
            self.assertEqual(self.nv_defined(h), [VLP, ERROR])
            pub = self.tools(h, "tpm2_nvreadpublic", VLP).stdout
            self.assertIn("written", pub)
            vlp = open(os.path.join(self.hosts[h]["root"], "var", "lib", "tlaunch", "vlp.pol"), "rb").read()
            r = subprocess.run(["tpm2_nvread", VLP, "-C", VLP, "-s", str(len(vlp))], capture_output=True,
                               env=self.hosts[h]["env"])
            self.assertEqual(r.stdout, vlp)
            self.assertEqual(self.task(doc, "Refresh GRUB", h)["changed"], True)
            self.assertIn("menuentry", self.grub_cfg(h))
            health = self.task(doc, "Verify with tlaunch doctor", h)
            self.assertFalse(health.get("failed", False), health)
            self.assertEqual(health["problems"], [])
            self.assertEqual([e["verdict"] for e in health["doctor"]["boot"]["entries"]], ["pass", "pass"])
            self.assertIn("TLAUNCH_SPEC=", open(os.path.join(self.hosts[h]["root"], "etc", "default", "tlaunch")).read())
            # Diff of a real run: the grub.cfg entries, old (none) and new.
            self.assertEqual(len(res["diff"]), 2)
            self.assertIn("menuentry", res["diff"][1]["after"])
            first[h] = (self.nv_commands(h), self.snapshot(h), vlp)

        # 3. Second run: ok everywhere, no NV command that writes, no file touched, no handler.
        rc, doc = self.play()
        self.assertEqual(rc, 0, json.dumps(doc["stats"]))
        for h in HOSTS:
            self.assertEqual(doc["stats"][h]["changed"], 0, json.dumps(doc["stats"]))
            res = self.task(doc, apply_task, h)
            self.assertEqual((res["changed"], res["result"], res["nv_write_commands"]), (False, "unchanged", 0))
            self.assertEqual(self.nv_commands(h)[0], first[h][0][0])  # the same writes as before
            self.assertGreater(self.nv_commands(h)[1], first[h][0][1])  # (it did talk to the TPM)
            self.assertEqual(self.snapshot(h), first[h][1])
            self.assertIsNone(self.task(doc, "Refresh GRUB", h))

        # 4. A new kernel command line, in check mode: both would change, nothing changes.
        v2 = role_vars(self.spec)
        for e in v2["tlaunch_entries"]:
            e["kernel"]["cmdline"] += " quiet"
        rc, doc = self.play("--check", "--diff", extra=v2)
        self.assertEqual(rc, 0, json.dumps(doc["stats"]))
        for h in HOSTS:
            res = self.task(doc, apply_task, h)
            self.assertEqual((res["changed"], res["entries_changed"]), (True, True))
            self.assertEqual({s["handle"]: s["action"] for s in res["report"]["nv"]},
                             {VLP: "rewrite", ERROR: "unchanged"})
            self.assertEqual(self.nv_commands(h)[0], first[h][0][0])
            self.assertEqual(self.snapshot(h), first[h][1])

        # 5. Rolled out for real while beta's TPM is down: beta fails (tlaunch's message and exit
        #    status 6), alpha is changed, rewritten, refreshed and verified.
        self.assertTrue(swtpm_env.stop(self.hosts["beta"]["tpm"]))
        beta_before = self.snapshot("beta")
        rc, doc = self.play(extra=v2)
        self.assertEqual(rc, 2, json.dumps(doc["stats"]))
        self.assertEqual(doc["stats"]["beta"]["failures"], 1, json.dumps(doc["stats"]))
        self.assertEqual(doc["stats"]["alpha"]["failures"], 0, json.dumps(doc["stats"]))
        fail = self.task(doc, apply_task, "beta")
        self.assertTrue(fail["failed"])
        self.assertEqual(fail["rc"], 6)
        self.assertIn("exit status 6 (no TPM)", fail["msg"])
        self.assertIn("tlaunch: error:", fail["msg"])
        self.assertIn("the TPM could not be reached", fail["msg"])
        res = self.task(doc, apply_task, "alpha")
        self.assertEqual((res["changed"], res["result"]), (True, "applied"))
        writes = self.nv_commands("alpha")[0]
        self.assertEqual(writes.get("NV_DefineSpace"), 2)  # no index redefined
        self.assertGreater(writes.get("NV_Write"), first["alpha"][0][0]["NV_Write"])
        self.assertIn(" quiet", self.grub_cfg("alpha"))
        self.assertFalse(self.task(doc, "Verify with tlaunch doctor", "alpha").get("failed", False))
        # The replaced spec is kept once, as .previous (no dated backups pile up).
        self.assertEqual(sorted(os.listdir(self.hosts["alpha"]["root"])),
                         ["boot", "etc", "launch-spec.json", "launch-spec.json.previous", "var"])
        # beta: only the spec (the template, before apply) changed; its state and grub.cfg did not.
        after = self.snapshot("beta")
        changed = sorted(p for p in set(after) | set(beta_before) if after.get(p) != beta_before.get(p))
        root = self.hosts["beta"]["root"]
        self.assertTrue(all(p.startswith(os.path.join(root, "launch-spec.json")) for p in changed), changed)

        # 6. The canary playbook with beta (TPM still down) as the canary: beta fails, the play
        #    stops before the second batch, alpha is not touched.
        alpha_before = (self.nv_commands("alpha"), self.snapshot("alpha"))
        v3 = role_vars(self.spec)
        for e in v3["tlaunch_entries"]:
            e["kernel"]["cmdline"] += " splash"
        v3["tlaunch_hosts"] = "beta_first"
        rc, doc = self.play(playbook="tlaunch.launch.canary", extra=v3)
        self.assertEqual(rc, 2, json.dumps(doc["stats"]))
        self.assertEqual(self.task(doc, apply_task, "beta")["rc"], 6)
        self.assertNotIn("alpha", doc["stats"])
        self.assertEqual((self.nv_commands("alpha"), self.snapshot("alpha")), alpha_before)

        # 7. Rollback of alpha with the collection's playbook (the spec kept as .previous).
        rc, doc = self.play("--limit", "alpha", playbook="tlaunch.launch.rollback")
        self.assertEqual(rc, 0, json.dumps(doc["stats"]))
        res = self.task(doc, "Apply it", "alpha")
        self.assertEqual((res["changed"], res["entries_changed"]), (True, True))
        r = subprocess.run(["tpm2_nvread", VLP, "-C", VLP, "-s", str(len(first["alpha"][2]))],
                           capture_output=True, env=self.hosts["alpha"]["env"])
        self.assertEqual(r.stdout, first["alpha"][2])
        self.assertNotIn(" quiet", self.grub_cfg("alpha"))
        self.assertFalse(self.task(doc, "Verify with tlaunch doctor", "alpha").get("failed", False))
        print("  total %.1f s" % (time.monotonic() - self.t0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
