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


def tpm_mutually_exclusive():
    return [["owner_auth", "owner_auth_file"]]


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
