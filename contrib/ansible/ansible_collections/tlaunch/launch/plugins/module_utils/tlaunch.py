# -*- coding: utf-8 -*-
# Shared by the tlaunch.launch modules: the options every module takes to reach the TPM
# (tlaunch binary, TCTI, owner authorization) and running tlaunch with them.
#
# The owner password never goes on tlaunch's argument list (where ps and /proc/PID/cmdline show
# it to every user): a password given as a module parameter reaches tlaunch in the environment of
# that one command (tlaunch's secret syntax env:NAME, man tlaunch-apply); a password file on the
# host is named with file:PATH.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.basic import AnsibleModule

# The variable the owner password travels in (only in the environment of the tlaunch command).
AUTH_ENV = "TLAUNCH_ANSIBLE_OWNER_AUTH"

# man/tlaunch.1 EXIT STATUS.
EXIT_NAMES = {
    1: "failed",
    2: "usage",
    3: "invalid input",
    4: "file",
    5: "TPM refused a command",
    6: "no TPM",
    7: "conflict",
}


def tpm_argument_spec():
    return dict(
        tlaunch_bin=dict(type="str", default="tlaunch"),
        tcti=dict(type="str"),
        owner_auth=dict(type="str", no_log=True),
        owner_auth_file=dict(type="path"),
    )


def tpm_module(argument_spec):
    """An AnsibleModule with the module's own options and the TPM options (check mode: every
    tlaunch module either changes nothing or has a dry run)."""
    spec = dict(argument_spec)
    spec.update(tpm_argument_spec())
    return AnsibleModule(
        argument_spec=spec,
        mutually_exclusive=[["owner_auth", "owner_auth_file"]],
        supports_check_mode=True,
    )


def tlaunch_path(module):
    binary = module.params["tlaunch_bin"]
    if "/" in binary:
        return binary
    return module.get_bin_path(binary, required=True)


def run_tlaunch(module, args, check_rc=False):
    """Runs `tlaunch ARGS` with --tcti/--auth from the module's parameters.

    Returns (rc, stdout, stderr, argv). argv never holds a secret: the owner password (if given)
    is only in the command's environment.
    """
    argv = [tlaunch_path(module)] + list(args)
    env = {}
    if module.params.get("tcti"):
        argv += ["--tcti", module.params["tcti"]]
    if module.params.get("owner_auth"):
        env[AUTH_ENV] = module.params["owner_auth"]
        argv += ["--auth", "env:" + AUTH_ENV]
    elif module.params.get("owner_auth_file"):
        argv += ["--auth", "file:" + module.params["owner_auth_file"]]
    rc, out, err = module.run_command(argv, environ_update=env, check_rc=check_rc)
    return rc, out, err, argv


def run_report(module, args):
    """Runs tlaunch ARGS (a verb with --json). Returns (report or None, result dict for
    exit_json/fail_json with rc, stderr, cmd)."""
    rc, out, err, argv = run_tlaunch(module, args)
    return parse_json(out), dict(rc=rc, stderr=err, cmd=argv, changed=False)


def fail(module, result, what):
    """Fails the task with tlaunch's message and exit status."""
    result["msg"] = error_message(result["rc"], result["stderr"], what)
    module.fail_json(**result)


def parse_json(text):
    """The JSON document tlaunch printed on stdout, or None (an error before it had one)."""
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def error_message(rc, stderr, what):
    """tlaunch's own message (its stderr lines), with the exit code and its meaning."""
    lines = [line for line in (stderr or "").splitlines() if line.strip()]
    message = "\n".join(lines) if lines else "no message"
    return "%s failed with exit status %d (%s): %s" % (
        what, rc, EXIT_NAMES.get(rc, "unknown"), message)
