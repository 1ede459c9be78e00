#!/usr/bin/env python3
"""Runs the malformed-input corpus (tests/malformed/cases.json, files/) through the tools and
checks, for every run, the exact exit code, stdout and stderr, and that the run created, removed
or changed no file (the input itself, its companions and any pre-existing output stay byte for
byte and the directory holds nothing new: no output file, no left-over temporary file). The few
inputs the format accepts list the outputs they may write ("changes").

Each run happens in a fresh scratch directory holding the case's file under its own name and its
companion files ("extra"); the command is run there with LC_ALL=C and stdin from /dev/null, so
messages that name a file name it as the user typed it.

Tools are found through the environment (set by tests/malformed/CMakeLists.txt):
  TLAUNCH, TB_POLGEN, LCP2_CRTPOLELT, LCP2_CRTPOLLIST, LCP2_CRTPOL
Usage:
  run_malformed.py                 check every case (exit status 1 on any difference)
  run_malformed.py --record        write what the tools do now into cases.json (review the diff!)
  run_malformed.py --table         print the Markdown table of docs/robustness.md
  run_malformed.py -k NAME         only cases whose file name contains NAME
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = {"tlaunch": "TLAUNCH", "tb_polgen": "TB_POLGEN", "lcp2_crtpolelt": "LCP2_CRTPOLELT",
         "lcp2_crtpollist": "LCP2_CRTPOLLIST", "lcp2_crtpol": "LCP2_CRTPOL"}
TIMEOUT = 60  # seconds per run: a hang (an endless element loop) is a failure, not a stuck CI


def snapshot(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(root, n)
            rel = os.path.relpath(p, d)
            if os.path.isdir(p) and not os.path.islink(p):
                out[rel + "/"] = None
            else:
                with open(p, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def prepare(case, d):
    src = os.path.join(HERE, "files", case["file"])
    dst = os.path.join(d, case["file"])
    shutil.copyfile(src, dst)
    if case.get("pad_to"):
        with open(dst, "ab") as f:
            f.write(b" " * (case["pad_to"] - os.path.getsize(src)))
    for name, stored in case.get("extra", {}).items():
        shutil.copyfile(os.path.join(HERE, "files", stored), os.path.join(d, name))


def run(case, r):
    argv = [a.replace("{f}", case["file"]) for a in r["cmd"]]
    tool = os.environ.get(TOOLS[argv[0]])
    if not tool:
        raise SystemExit("set %s to the %s binary" % (TOOLS[argv[0]], argv[0]))
    with tempfile.TemporaryDirectory(prefix="tlaunch-malformed-") as d:
        prepare(case, d)
        before = snapshot(d)
        env = dict(os.environ, LC_ALL="C")
        try:
            p = subprocess.run([tool] + argv[1:], cwd=d, stdin=subprocess.DEVNULL,
                               capture_output=True, env=env, timeout=TIMEOUT)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            rc, out, err = "timeout", b"", b""
        after = snapshot(d)
    changed = sorted(set(k for k in set(before) | set(after) if before.get(k, 0) != after.get(k, 0)))
    return {"rc": rc, "stdout": out.decode("utf-8", "backslashreplace"),
            "stderr": err.decode("utf-8", "backslashreplace")}, changed


def first_line(s):
    s = s.strip("\n")
    return s.split("\n")[0] if s else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    path = os.path.join(HERE, "cases.json")
    with open(path) as f:
        cases = json.load(f)

    if a.table:
        print("| file | what is wrong | tool | exit | message (first line of stderr, or stdout) |")
        print("| --- | --- | --- | --- | --- |")
        for c in cases:
            for i, r in enumerate(c["runs"]):
                msg = first_line(r.get("stderr", "")) or first_line(r.get("stdout", ""))
                msg = msg.replace("|", "\\|")
                if len(msg) > 140:
                    msg = msg[:137] + "..."
                # "tlaunch lcp list show", "lcp2_crtpol --create": the words before the file or
                # the first option's value.
                words = [r["cmd"][0]]
                for x in r["cmd"][1:]:
                    if x == "{f}" or (words[-1].startswith("--") and len(words) > 1):
                        break
                    words.append(x)
                    if x.startswith("--"):
                        break
                tool = " ".join(words)
                print("| %s | %s | `%s` | %s | %s |" % (c["file"] if i == 0 else "",
                                                        c["why"] if i == 0 else "", tool,
                                                        r.get("rc"), msg))
        return 0

    failures = 0
    for c in cases:
        if a.k not in c["file"]:
            continue
        for r in c["runs"]:
            got, changed = run(c, r)
            label = "%s: %s" % (c["file"], " ".join(r["cmd"]))
            changed = [x for x in changed if x not in c.get("changes", [])]
            if changed:
                failures += 1
                print("FAIL %s\n  files created, removed or changed: %s" % (label, changed))
            if got["rc"] == "timeout" or (isinstance(got["rc"], int) and got["rc"] < 0):
                failures += 1
                print("FAIL %s\n  %s" % (label, "timed out" if got["rc"] == "timeout"
                                         else "killed by signal %d" % -got["rc"]))
                continue
            if a.record:
                r.update(got)
                continue
            for k in ("rc", "stdout", "stderr"):
                if k not in r:
                    failures += 1
                    print("FAIL %s\n  no recorded %s (run --record and review)" % (label, k))
                elif r[k] != got[k]:
                    failures += 1
                    print("FAIL %s\n  %s expected:\n%s\n  got:\n%s" % (label, k, r[k], got[k]))
    if a.record:
        with open(path, "w") as f:
            json.dump(cases, f, indent=1, ensure_ascii=False)
            f.write("\n")
    n = sum(len(c["runs"]) for c in cases if a.k in c["file"])
    print("%d runs over %d files: %d failure(s)" % (n, sum(1 for c in cases if a.k in c["file"]),
                                                    failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
