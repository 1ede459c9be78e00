#!/usr/bin/python
# -*- coding: utf-8 -*-
# Applies a tlaunch launch spec on the managed host through `tlaunch apply --json`
# (man tlaunch-apply, schemas/apply.v1.schema.json): changed, the diff and the failure come from
# tlaunch's own report, never from guessing.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apply
short_description: Apply a tlaunch launch spec (launch policy files and TPM NV indices)
version_added: "0.1.0"
description:
  - Runs C(tlaunch apply SPEC --json) on the managed host. tlaunch builds the spec (launch
    policy, grub.cfg entries, reference manifest) into O(output_dir) and provisions the TPM NV
    indices of the spec, changing only what differs.
  - The task reports C(changed) exactly when tlaunch wrote a file or defined, undefined or wrote an
    NV index, as its JSON report says (C(changed) of schemas/apply.v1.schema.json). A second run
    of the same spec reports C(ok) and sends no NV command that writes.
  - In check mode tlaunch runs with C(--dry-run) and C(changed) says whether a real run would
    change something. Nothing is written, neither files nor NV.
  - In diff mode the task shows the output files and NV indices before and after (files by state,
    indices by definition and whether they are written), and after a real run the old and new
    grub.cfg entries.
  - On failure the task fails with tlaunch's message and its exit status as RV(rc) (see
    C(man tlaunch) EXIT STATUS). Other hosts are not affected.
  - The owner password never appears on a command line. O(owner_auth) is passed to tlaunch in
    the environment of the one command (tlaunch's C(env:) secret syntax); O(owner_auth_file)
    names a file on the host (C(file:)).
options:
  spec:
    description: Path of the launch spec on the managed host (schemas/launch-spec.v1.schema.json).
    type: path
    required: true
  output_dir:
    description: Directory for the build outputs, where C(tlaunch doctor) looks for them.
    type: path
    default: /var/lib/tlaunch
  replace:
    description:
      - Undefine and redefine NV indices whose definition conflicts with the spec (their content
        is lost). Without it such a conflict fails the task with exit status 7 and changes
        nothing.
    type: bool
    default: false
  running_kernel:
    description:
      - The running kernel a C(kernels) rule of the spec keeps (default C(uname -r) on the host).
        An empty string keeps none.
    type: str
  tcti:
    description:
      - TCTI of the host's TPM, for example C(device:/dev/tpmrm0) or
        C(swtpm:host=127.0.0.1,port=2321). Unset, tlaunch uses C(TPM2TOOLS_TCTI), then C(TCTI)
        from its environment (the task's C(environment)), then C(device:/dev/tpmrm0).
    type: str
  owner_auth:
    description:
      - Owner hierarchy password (keep it in Ansible Vault). Reaches tlaunch in the environment
        of the command only, never its arguments.
    type: str
  owner_auth_file:
    description: A file on the host holding the owner hierarchy password.
    type: path
  tlaunch_bin:
    description: The tlaunch program (a name looked up in PATH, or a path).
    type: str
    default: tlaunch
notes:
  - tlaunch takes the owner password only; the indices of a launch spec have no passwords of
    their own to give.
  - Supports check mode (C(--dry-run)) and diff mode.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author:
  - tlaunch developers
"""

EXAMPLES = r"""
- name: Apply the launch policy
  tlaunch.launch.apply:
    spec: /etc/tlaunch/launch-spec.json
    owner_auth: "{{ vault_tpm_owner_password }}"
  register: policy

- name: Apply on a TPM reached over a TCTI of its own
  tlaunch.launch.apply:
    spec: /etc/tlaunch/launch-spec.json
    tcti: "swtpm:host=127.0.0.1,port=2321"
"""

RETURN = r"""
result:
  description: What tlaunch did, C(applied), C(unchanged), C(dry-run), C(conflict) or C(failed).
  returned: when tlaunch made its plan
  type: str
  sample: applied
entries_changed:
  description: The grub.cfg entries tlaunch builds from the spec differ from the last run's, so
    the system's grub.cfg needs regenerating (C(update-grub)).
  returned: when tlaunch made its plan
  type: bool
nv_write_commands:
  description: TPM2_NV_Write commands this run sent (0 in check mode and when nothing changed).
  returned: when tlaunch made its plan
  type: int
report:
  description: The whole C(tlaunch apply --json) document (schemas/apply.v1.schema.json).
  returned: when tlaunch made its plan
  type: dict
rc:
  description: tlaunch's exit status (C(man tlaunch) EXIT STATUS).
  returned: always
  type: int
stderr:
  description: What tlaunch printed on standard error.
  returned: always
  type: str
cmd:
  description: The command that ran. Never holds a password.
  returned: always
  type: list
  elements: str
"""

import os

from ansible_collections.tlaunch.launch.plugins.module_utils import tlaunch

GRUB_FILE = "grub.cfg"


def read_text(path):
    try:
        with open(path, "r") as f:
            return f.read()
    except (IOError, OSError):
        return ""


def state_lines(report, after):
    """One line per output file and per NV index, as it is before or after the run."""
    lines = []
    for f in report["files"]:
        if after:
            lines.append("file %s: %d bytes, as built" % (f["path"], f["size"]))
        elif f["state"] == "new":
            lines.append("file %s: absent" % f["path"])
        elif f["state"] == "changed":
            lines.append("file %s: other content (%s)" % (f["path"], f["detail"]))
        else:
            lines.append("file %s: %d bytes, as built" % (f["path"], f["size"]))
    for s in report["nv"]:
        label = "nv %s (%s)" % (s["handle"], s["name"] or "other")
        want, cur = s["want"], s["current"]
        if s["action"] == "unchanged" or after:
            content = ""
            if s["content"] is not None:
                content = ", %d bytes of %s" % (s["content"]["size"], s["content"]["source"])
            if s["action"] == "unchanged" and s["content"] is None:
                content = ", content kept"
            lines.append("%s: %s, %s, %d bytes%s" % (
                label, want["hierarchy"], want["attributes"], want["size"], content))
        elif cur is None:
            lines.append("%s: not defined" % label)
        else:
            lines.append("%s: %s, %d bytes, %s, other content (%s)" % (
                label, cur["attributes"], cur["size"],
                "written" if cur["written"] else "never written", s["reason"]))
    return "\n".join(lines) + "\n"


def main():
    module = tlaunch.tpm_module(dict(
        spec=dict(type="path", required=True),
        output_dir=dict(type="path", default="/var/lib/tlaunch"),
        replace=dict(type="bool", default=False),
        running_kernel=dict(type="str"),
    ))
    p = module.params
    args = ["apply", p["spec"], "-o", p["output_dir"], "--json"]
    if p["replace"]:
        args.append("--replace")
    if p["running_kernel"] is not None:
        args += ["--running-kernel", p["running_kernel"]]
    if module.check_mode:
        args.append("--dry-run")

    grub_path = os.path.join(p["output_dir"], GRUB_FILE)
    grub_before = read_text(grub_path) if module._diff else ""
    report, result = tlaunch.run_report(module, args)
    if report is not None:
        totals = report.get("totals") or {}
        result.update(
            result=report["result"],
            entries_changed=report["entries_changed"],
            nv_write_commands=totals.get("nv_write_commands", 0),
            report=report,
            changed=report["changed"],
        )
    if result["rc"] != 0 or report is None:
        tlaunch.fail(module, result, "tlaunch apply")

    if module._diff:
        diffs = [dict(before_header="before", after_header="after",
                      before=state_lines(report, False), after=state_lines(report, True))]
        if not module.check_mode and report["entries_changed"]:
            diffs.append(dict(before_header=grub_path + " (before)", after_header=grub_path,
                              before=grub_before, after=read_text(grub_path)))
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
