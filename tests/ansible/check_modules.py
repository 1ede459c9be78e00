#!/usr/bin/python3
"""Offline checks of the tlaunch.launch modules in the spirit of ansible-test's validate-modules
(which needs a virtualenv it downloads pip into, so it cannot run offline):

- ansible-doc parses each module's DOCUMENTATION, EXAMPLES and RETURN;
- the documented options are exactly the argument_spec's, with the same type, default, required,
  choices and elements; options that carry a password are no_log and documented as such;
- every task in EXAMPLES uses the module with documented options only;
- the role's meta/argument_specs.yml lists exactly the variables of defaults/main.yml.

Run with the python that has ansible (Debian: /usr/bin/python3), COLLECTIONS set to the directory
holding ansible_collections/.
"""
import importlib
import json
import os
import subprocess
import sys

import yaml

COLLECTIONS = os.environ["COLLECTIONS"]
NS, NAME = "tlaunch", "launch"
ROOT = os.path.join(COLLECTIONS, "ansible_collections", NS, NAME)
SECRET_WORDS = ("auth", "password", "secret")
problems = []


def problem(msg):
    problems.append(msg)
    print("FAIL: " + msg)


class Captured(Exception):
    pass


def argument_spec_of(module_name):
    """The argument_spec the module passes to AnsibleModule (main() stopped right there)."""
    sys.path.insert(0, COLLECTIONS)
    mod = importlib.import_module("ansible_collections.%s.%s.plugins.modules.%s" % (NS, NAME, module_name))
    seen = {}

    def capture(**kwargs):
        seen.update(kwargs)
        raise Captured()

    # The modules make their AnsibleModule through module_utils (tpm_module) or directly.
    utils = importlib.import_module("ansible_collections.%s.%s.plugins.module_utils.tlaunch" % (NS, NAME))
    utils.AnsibleModule = capture
    mod.AnsibleModule = capture
    try:
        mod.main()
    except Captured:
        pass
    return seen


def check_module(module_name, doc):
    fqcn = "%s.%s.%s" % (NS, NAME, module_name)
    options = doc["doc"].get("options", {})
    if not doc.get("return"):
        problem("%s: RETURN is empty" % fqcn)
    if not doc.get("examples"):
        problem("%s: EXAMPLES is empty" % fqcn)
    kwargs = argument_spec_of(module_name)
    spec = kwargs["argument_spec"]
    if set(spec) != set(options):
        problem("%s: argument_spec %s != documented options %s" % (fqcn, sorted(spec), sorted(options)))
    for name in set(spec) & set(options):
        a, d = spec[name], options[name]
        for key, dflt in (("type", "str"), ("default", None), ("required", False), ("choices", None),
                          ("elements", None)):
            av, dv = a.get(key, dflt), d.get(key, dflt)
            if key == "default" and av == [] and dv is None:
                dv = []
            if av != dv:
                problem("%s: option %s: %s is %r in argument_spec, %r in DOCUMENTATION" % (fqcn, name, key, av, dv))
        if any(w in name for w in SECRET_WORDS) and a.get("type") != "path" and not a.get("no_log"):
            problem("%s: option %s holds a secret but is not no_log" % (fqcn, name))
    if kwargs.get("supports_check_mode") != (doc["doc"].get("attributes", {}).get("check_mode", {}).get("support") in ("full", "partial")):
        problem("%s: supports_check_mode disagrees with attributes.check_mode" % fqcn)
    for task in yaml.safe_load(doc["examples"]) or []:
        args = task.get(fqcn)
        if args is None:
            continue
        unknown = set(args) - set(options)
        if unknown:
            problem("%s: EXAMPLES task %r uses undocumented options %s" % (fqcn, task.get("name"), sorted(unknown)))


def check_role():
    defaults = yaml.safe_load(open(os.path.join(ROOT, "roles", "policy", "defaults", "main.yml")))
    specs = yaml.safe_load(open(os.path.join(ROOT, "roles", "policy", "meta", "argument_specs.yml")))
    documented = specs["argument_specs"]["main"]["options"]
    if set(defaults) != set(documented):
        problem("role policy: defaults %s != argument_specs %s" % (sorted(set(defaults) - set(documented)),
                                                                   sorted(set(documented) - set(defaults))))


def main():
    modules = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules")) if f.endswith(".py"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    r = subprocess.run(["ansible-doc", "--json"] + ["%s.%s.%s" % (NS, NAME, m) for m in modules],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        problem("ansible-doc: " + r.stderr)
        return 1
    docs = json.loads(r.stdout)
    for m in modules:
        check_module(m, docs["%s.%s.%s" % (NS, NAME, m)])
    r = subprocess.run(["ansible-doc", "--json", "-t", "role", "%s.%s.policy" % (NS, NAME)],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        problem("ansible-doc -t role: " + r.stderr)
    check_role()
    print("%d module(s), role policy: %s" % (len(modules), "FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
