#!/usr/bin/env python3
"""Replays one golden-vector case (tests/compat/vectors/README.md) against our tools.

    run_vector.py CASE_DIR --bin DIR [--bin DIR ...] [--deviations DIR] [--docs docs/compat.md]
                  [--not-shipped DIR] [--keep] [-v]

Procedure (README, "Replaying a case"):
  1. copy the case folder to a scratch folder;
  2. delete every file whose manifest role starts with "output";
  3. run `gen` if present and check the sha256 of the files it generates;
  4. run each line of `cmd` with `bash -c` from inside the folder, stdin /dev/null, LC_ALL=C,
     our binaries first on PATH;
  5. compare per line the exit status, stdout and stderr (steps/NN.* or rc/stdout/stderr), then
     every output file byte for byte, except the byte ranges / stdout lines listed in
     `nondeterministic`; no other file may appear (e.g. a temp file left by a write).

Deviations. tests/compat/deviations/<case>.json (when present) documents where we deliberately
differ from upstream. Every entry names the docs/compat.md section that explains it
("compat": "docs/compat.md#anchor"; the anchor must exist). Format:

  {
    "steps": [ {"step": 5, "compat": "docs/compat.md#...", "rc": 0,
                "stdout": "...", "stdout_file": "rel/path", "stderr": "", "stderr_file": "..."} ],
    "files": [ {"file": "x.pol", "compat": "docs/compat.md#...",
                "same_as": "vl.pol" | "sha256": "hex" | "content_file": "rel/path" | "absent": true} ],
    "checks": [ {"cmd": "tlaunch lcp list verify list.lst ...", "after_step": 5 (default: end),
                 "rc": 0, "stdout_contains": "...", "covers": "what varying bytes it verifies"} ]
  }

A step entry replaces only the keys it gives (the others keep upstream's expectation); *_file
paths are relative to the deviations file's folder. "checks" are extra commands (e.g. a
signature verification standing in for the byte ranges `nondeterministic` excludes); they run
in the scratch folder with the same environment and must exit with "rc" (default 0).

Exit status: 0 pass, 1 mismatch, 2 bad usage/case, 77 skipped (an input that is not shipped is
unavailable). Standard library only.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
TOOL_TIMEOUT = 600


class CaseError(Exception):
    """The case or a deviations file is malformed (not a mismatch of our tools)."""


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def parse_manifest(case):
    entries = []
    path = os.path.join(case, "manifest")
    if not os.path.exists(path):
        raise CaseError("no manifest in %s" % case)
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 3)
            if len(parts) != 4:
                raise CaseError("manifest line not 'role sha256 size name': %r" % line)
            role, digest, size, name = parts
            entries.append({"role": role, "sha256": digest, "size": int(size), "name": name})
    return entries


_RANGE = re.compile(r"\[(\d+),(\d+)\)")


def parse_nondeterministic(case):
    """{'files': {name: [(start, end)]}, 'lines': {('stdout'|'stderr', step): {1-based lines}}}."""
    result = {"files": {}, "lines": {}}
    path = os.path.join(case, "nondeterministic")
    if not os.path.exists(path):
        return result
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"file (.+?): bytes varying[^:]*:\s*(.*)$", line.strip())
            if m:
                ranges = [(int(a), int(b)) for a, b in _RANGE.findall(m.group(2))]
                if not ranges:
                    raise CaseError("no byte ranges in nondeterministic line %r" % line)
                result["files"].setdefault(m.group(1), []).extend(ranges)
                continue
            m = re.match(r"(stdout|stderr) of step (\d+)[^:]*:\s*(.*)$", line.strip())
            if m:
                nums = {int(x) for x in m.group(3).split()}
                result["lines"].setdefault((m.group(1), int(m.group(2))), set()).update(nums)
    return result


def slug(heading):
    """GitHub-style anchor of a Markdown heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def compat_anchors(docs):
    anchors = set()
    if docs and os.path.exists(docs):
        with open(docs, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"#+\s+(.*)$", line)
                if m:
                    anchors.add(slug(m.group(1)))
                for a in re.findall(r'<a (?:name|id)="([^"]+)"', line):
                    anchors.add(a)
    return anchors


def load_deviations(path, anchors):
    if not path or not os.path.exists(path):
        return {"steps": [], "files": [], "checks": []}
    with open(path, encoding="utf-8") as f:
        dev = json.load(f)
    base = os.path.dirname(os.path.abspath(path))
    unknown = set(dev) - {"steps", "files", "checks", "comment"}
    if unknown:
        raise CaseError("%s: unknown keys %s" % (path, sorted(unknown)))
    for kind in ("steps", "files"):
        for entry in dev.get(kind, []):
            ref = entry.get("compat", "")
            m = re.match(r"docs/compat\.md#(.+)$", ref)
            if not m:
                raise CaseError("%s: %s entry %r lacks a 'compat': 'docs/compat.md#section' reference"
                                % (path, kind, entry))
            if m.group(1) not in anchors:
                raise CaseError("%s: docs/compat.md has no section #%s" % (path, m.group(1)))
            for key in ("stdout_file", "stderr_file", "content_file"):
                if key in entry:
                    entry[key] = os.path.join(base, entry[key])
    dev.setdefault("steps", [])
    dev.setdefault("files", [])
    dev.setdefault("checks", [])
    return dev


def run_line(line, cwd, env):
    p = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TOOL_TIMEOUT)
    rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return rc, p.stdout, p.stderr


def show(b, limit=3000):
    s = b.decode("utf-8", errors="backslashreplace")
    return s if len(s) <= limit else s[:limit] + "\n...[%d more chars]" % (len(s) - limit)


def diff_lines(name, want, got, masked):
    """Line-wise comparison; masked = 1-based line numbers that may differ."""
    wl = want.split(b"\n")
    gl = got.split(b"\n")
    problems = []
    if len(wl) != len(gl):
        problems.append("%s: %d lines expected, %d produced" % (name, len(wl) - 1, len(gl) - 1))
    for i, (a, b) in enumerate(zip(wl, gl), start=1):
        if a != b and i not in masked:
            problems.append("%s line %d:\n  expected: %s\n  produced: %s" % (name, i, show(a, 400),
                                                                             show(b, 400)))
            if len(problems) > 6:
                problems.append("%s: (more differences not shown)" % name)
                break
    return problems


def diff_bytes(name, want, got, ranges):
    if len(want) != len(got):
        return ["%s: %d bytes expected, %d produced" % (name, len(want), len(got))]
    masked = bytearray(len(want))
    for a, b in ranges:
        for i in range(a, min(b, len(want))):
            masked[i] = 1
    for i in range(len(want)):
        if want[i] != got[i] and not masked[i]:
            return ["%s: first differing byte at offset %d (expected %02x, produced %02x)"
                    % (name, i, want[i], got[i])]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case")
    ap.add_argument("--bin", action="append", default=[], help="folder with our tools (repeatable)")
    ap.add_argument("--deviations", help="folder with <case>.json deviation files")
    ap.add_argument("--docs", help="docs/compat.md, whose sections deviations must reference")
    ap.add_argument("--not-shipped", help="folder holding input(not-shipped) files")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    case = os.path.abspath(args.case)
    name = os.path.basename(case.rstrip("/"))
    try:
        manifest = parse_manifest(case)
        nondet = parse_nondeterministic(case)
        dev_path = os.path.join(args.deviations, name + ".json") if args.deviations else None
        dev = load_deviations(dev_path, compat_anchors(args.docs))
    except (CaseError, ValueError) as e:
        print("%s: bad case: %s" % (name, e), file=sys.stderr)
        return 2

    with open(os.path.join(case, "cmd"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]

    scratch_root = tempfile.mkdtemp(prefix="vector-%s-" % name)
    work = os.path.join(scratch_root, name)
    problems = []
    try:
        shutil.copytree(case, work, symlinks=True)
        for e in manifest:
            if e["role"].startswith("output"):
                p = os.path.join(work, e["name"])
                if os.path.lexists(p):
                    os.unlink(p)
        for e in manifest:
            if e["role"] == "input(not-shipped)":
                src = os.path.join(args.not_shipped, e["name"]) if args.not_shipped else None
                if not src or not os.path.exists(src):
                    print("SKIP %s: input %s is not shipped with the vectors (sha256 %s); pass "
                          "--not-shipped DIR holding it" % (name, e["name"], e["sha256"]))
                    return SKIP
                if sha256_file(src) != e["sha256"]:
                    print("SKIP %s: %s does not have the sha256 the case was made with" %
                          (name, src))
                    return SKIP
                shutil.copyfile(src, os.path.join(work, e["name"]))

        env = dict(os.environ)
        env["LC_ALL"] = "C"
        env.pop("POSIXLY_CORRECT", None)
        env["PATH"] = os.pathsep.join([os.path.abspath(b) for b in args.bin] + [env.get("PATH", "")])

        if os.path.exists(os.path.join(work, "gen")):
            rc, out, err = run_line("bash gen", work, env)
            if rc != 0:
                problems.append("gen failed with rc %d: %s" % (rc, show(err)))
            for e in manifest:
                if e["role"] == "generated":
                    p = os.path.join(work, e["name"])
                    if not os.path.exists(p) or sha256_file(p) != e["sha256"]:
                        problems.append("gen: %s missing or with another sha256" % e["name"])
            if problems:
                raise RuntimeError("gen")
        before = set()
        for root, _dirs, files in os.walk(work):
            for fn in files:
                before.add(os.path.relpath(os.path.join(root, fn), work))

        # Expected values per step.
        steps_dir = os.path.join(case, "steps")
        multi = os.path.isdir(steps_dir)
        if not multi and len(lines) != 1:
            raise CaseError("%d command lines but no steps/ folder" % len(lines))
        step_dev = {d["step"]: d for d in dev["steps"]}
        checks_after = {}
        for c in dev["checks"]:
            checks_after.setdefault(c.get("after_step", len(lines)), []).append(c)

        for i, line in enumerate(lines, start=1):
            if multi:
                pre = os.path.join(steps_dir, "%02d" % i)
                want_rc = int(read_bytes(pre + ".rc").split()[0])
                want_out = read_bytes(pre + ".stdout")
                want_err = read_bytes(pre + ".stderr")
            else:
                want_rc = int(read_bytes(os.path.join(case, "rc")).split()[0])
                want_out = read_bytes(os.path.join(case, "stdout"))
                want_err = read_bytes(os.path.join(case, "stderr"))
            d = step_dev.get(i, {})
            if "rc" in d:
                want_rc = d["rc"]
            if "stdout" in d:
                want_out = d["stdout"].encode()
            if "stdout_file" in d:
                want_out = read_bytes(d["stdout_file"])
            if "stderr" in d:
                want_err = d["stderr"].encode()
            if "stderr_file" in d:
                want_err = read_bytes(d["stderr_file"])

            rc, out, err = run_line(line, work, env)
            tag = "step %d (%s)" % (i, line)
            if args.verbose:
                print("%s -> rc %d" % (tag, rc))
            if rc != want_rc:
                problems.append("%s: rc %d expected, %d produced\n  stderr: %s" %
                                (tag, want_rc, rc, show(err, 800)))
            problems += diff_lines("%s stdout" % tag, want_out, out,
                                   nondet["lines"].get(("stdout", i), set()))
            problems += diff_lines("%s stderr" % tag, want_err, err,
                                   nondet["lines"].get(("stderr", i), set()))
            for c in checks_after.get(i, []):
                crc, cout, cerr = run_line(c["cmd"], work, env)
                if crc != c.get("rc", 0):
                    problems.append("check after step %d (%s): rc %d expected, %d produced\n  %s%s"
                                    % (i, c["cmd"], c.get("rc", 0), crc, show(cout, 800),
                                       show(cerr, 800)))
                elif "stdout_contains" in c and c["stdout_contains"].encode() not in cout:
                    problems.append("check after step %d (%s): stdout lacks %r" %
                                    (i, c["cmd"], c["stdout_contains"]))

        # Output files.
        file_dev = {d["file"]: d for d in dev["files"]}
        known = set(before)
        for e in manifest:
            if not e["role"].startswith("output"):
                continue
            known.add(e["name"])
            if e["name"] in file_dev:
                continue
            p = os.path.join(work, e["name"])
            if not os.path.exists(p):
                problems.append("output %s was not written" % e["name"])
                continue
            problems += diff_bytes("output %s" % e["name"], read_bytes(os.path.join(case, e["name"])),
                                   read_bytes(p), nondet["files"].get(e["name"], []))
        for fname, d in file_dev.items():
            known.add(fname)
            p = os.path.join(work, fname)
            if d.get("absent"):
                if os.path.lexists(p):
                    problems.append("%s should not exist (%s)" % (fname, d["compat"]))
                continue
            if not os.path.exists(p):
                problems.append("%s was not written (%s)" % (fname, d["compat"]))
                continue
            got = read_bytes(p)
            if "same_as" in d:
                ref = os.path.join(case, d["same_as"])
                if not os.path.exists(ref):
                    ref = os.path.join(work, d["same_as"])
                if got != read_bytes(ref):
                    problems.append("%s differs from %s (%s)" % (fname, d["same_as"], d["compat"]))
            if "sha256" in d and hashlib.sha256(got).hexdigest() != d["sha256"]:
                problems.append("%s: sha256 %s expected (%s)" % (fname, d["sha256"], d["compat"]))
            if "content_file" in d and got != read_bytes(d["content_file"]):
                problems.append("%s differs from %s (%s)" % (fname, d["content_file"], d["compat"]))
        for root, _dirs, files in os.walk(work):
            for fn in files:
                rel = os.path.relpath(os.path.join(root, fn), work)
                if rel not in known:
                    problems.append("unexpected file left in the case folder: %s" % rel)
    except CaseError as e:
        print("%s: bad case: %s" % (name, e), file=sys.stderr)
        return 2
    except RuntimeError:
        pass
    except subprocess.TimeoutExpired as e:
        problems.append("timeout after %ss: %s" % (TOOL_TIMEOUT, e.cmd))
    finally:
        if args.keep:
            print("scratch folder kept: %s" % work)
        else:
            shutil.rmtree(scratch_root, ignore_errors=True)

    if problems:
        print("FAIL %s" % name)
        for p in problems:
            print("  " + p.replace("\n", "\n  "))
        return 1
    print("PASS %s%s" % (name, " (with %d documented deviation(s))" %
                         (len(dev["steps"]) + len(dev["files"])) if dev["steps"] or dev["files"]
                         else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
