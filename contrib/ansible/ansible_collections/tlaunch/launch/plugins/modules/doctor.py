#!/usr/bin/python
# -*- coding: utf-8 -*-
# Reports `tlaunch doctor --json` (man tlaunch-doctor, schemas/doctor.v1.schema.json): the TPM,
# the NV indices, the last launch error, the policy against grub.cfg and /boot.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: doctor
short_description: Report the launch policy health of a host (tlaunch doctor)
version_added: "0.1.0"
description:
  - Runs C(tlaunch doctor --json) on the managed host and returns its report. It is read-only, doctor
    sends no TPM command that writes.
  - The report says whether the TPM is reachable, whether the NV indices the launcher reads are
    there and as the last C(tlaunch apply) made them, the error the launcher recorded at the last
    launch, and for every grub.cfg entry whether the policy accepts it.
  - By default the task only reports (C(ok) with RV(healthy) false when doctor lists problems);
    with O(fail_on_problems) it fails when a problem not matched by O(ignore_problems) remains,
    which is how a canary host stops a rollout.
options:
  fail_on_problems:
    description: Fail the task when doctor reports a problem that O(ignore_problems) does not match.
    type: bool
    default: false
  ignore_problems:
    description:
      - Regular expressions (Python C(re.search)); problems they match are listed in
        RV(ignored_problems) and do not fail the task (for example C(smx) on a machine without
        Intel TXT).
    type: list
    elements: str
    default: []
  root:
    description: Prefix of every host path doctor reads (a host whose system is mounted elsewhere).
    type: path
  state_dir:
    description: Where C(tlaunch apply) wrote the build (default ROOT/var/lib/tlaunch).
    type: path
  grub_cfg:
    description: grub.cfg to check (default ROOT/boot/grub/grub.cfg).
    type: path
  boot_dir:
    description: Host directory GRUB's root device holds (default ROOT).
    type: path
  tcti:
    description:
      - TCTI of the host's TPM. Unset, tlaunch uses C(TPM2TOOLS_TCTI), then C(TCTI), then
        C(device:/dev/tpmrm0).
    type: str
  owner_auth:
    description: Owner password for indices only the owner can read (environment of the command only).
    type: str
  owner_auth_file:
    description: A file on the host holding the owner password.
    type: path
  tlaunch_bin:
    description: The tlaunch program (a name looked up in PATH, or a path).
    type: str
    default: tlaunch
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - tlaunch developers
"""

EXAMPLES = r"""
- name: Verify the canary
  tlaunch.launch.doctor:
    fail_on_problems: true
    ignore_problems:
      - smx
  register: health

- name: Show what doctor found
  ansible.builtin.debug:
    var: health.problems
"""

RETURN = r"""
healthy:
  description: doctor found nothing to report (its exit status was 0).
  returned: always
  type: bool
problems:
  description: The problems doctor reported that O(ignore_problems) does not match.
  returned: when doctor printed its report
  type: list
  elements: str
ignored_problems:
  description: The problems O(ignore_problems) matched.
  returned: when doctor printed its report
  type: list
  elements: str
doctor:
  description: The whole C(tlaunch doctor --json) document (schemas/doctor.v1.schema.json).
  returned: when doctor printed its report
  type: dict
rc:
  description: doctor's exit status (0 healthy, 1 problems, 6 no TPM; C(man tlaunch-doctor)).
  returned: always
  type: int
cmd:
  description: The command that ran. Never holds a password.
  returned: always
  type: list
  elements: str
"""

import re

from ansible_collections.tlaunch.launch.plugins.module_utils import tlaunch


def main():
    module = tlaunch.tpm_module(dict(
        fail_on_problems=dict(type="bool", default=False),
        ignore_problems=dict(type="list", elements="str", default=[]),
        root=dict(type="path"),
        state_dir=dict(type="path"),
        grub_cfg=dict(type="path"),
        boot_dir=dict(type="path"),
    ))
    p = module.params
    args = ["doctor", "--json"]
    for option, name in (("--root", "root"), ("--state-dir", "state_dir"),
                         ("--grub-cfg", "grub_cfg"), ("--boot-dir", "boot_dir")):
        if p[name]:
            args += [option, p[name]]
    try:
        patterns = [re.compile(x) for x in p["ignore_problems"]]
    except re.error as e:
        module.fail_json(msg="ignore_problems: %s" % e)

    report, result = tlaunch.run_report(module, args)
    rc = result["rc"]
    result["healthy"] = rc == 0
    if report is None:
        tlaunch.fail(module, result, "tlaunch doctor")
    problems = [x for x in report["problems"] if not any(r.search(x) for r in patterns)]
    result.update(
        doctor=report,
        problems=problems,
        ignored_problems=[x for x in report["problems"] if x not in problems],
    )
    if p["fail_on_problems"] and (problems or rc not in (0, 1)):
        result["msg"] = "tlaunch doctor (exit status %d) reports: %s" % (
            rc, "; ".join(problems) or result["stderr"].strip())
        module.fail_json(**result)
    # Ansible takes a result with a non-zero rc for a failure unless it says otherwise: doctor's
    # exit status 1 (problems) fails the task only under fail_on_problems, for the problems left.
    module.exit_json(failed=False, **result)


if __name__ == "__main__":
    main()
