#!/usr/bin/env python3
"""scripts/format itself: --check names a file that is not formatted and exits 1, changes nothing,
and passes once scripts/format has reformatted the tree (run on a scratch copy that is not a git
checkout, so the file list comes from `find`, build folders excluded)."""
import os
import shutil
import subprocess
import sys
import tempfile

src = os.environ["TLAUNCH_SOURCE_DIR"]
BAD = "int  f( int x ){return x+1;}\n"


def run(root, *args):
    return subprocess.run([os.path.join(root, "scripts", "format"), *args], capture_output=True,
                          text=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "scripts"))
        shutil.copy(os.path.join(src, "scripts", "format"), os.path.join(tmp, "scripts"))
        shutil.copy(os.path.join(src, ".clang-format"), tmp)
        os.makedirs(os.path.join(tmp, "lib"))
        os.makedirs(os.path.join(tmp, "build", "test"))
        with open(os.path.join(tmp, "lib", "good.cpp"), "w") as f:
            f.write("int g(int x) { return x - 1; }\n")
        with open(os.path.join(tmp, "lib", "bad.h"), "w") as f:
            f.write(BAD)
        with open(os.path.join(tmp, "build", "test", "generated.cpp"), "w") as f:
            f.write(BAD)  # build folders are not ours to format

        r = run(tmp, "--check")
        failures = []
        if r.returncode != 1:
            failures.append(f"--check on an unformatted file exited {r.returncode}, not 1")
        if "lib/bad.h" not in r.stderr:
            failures.append("--check did not name lib/bad.h:\n" + r.stderr)
        if "good.cpp" in r.stderr or "generated.cpp" in r.stderr:
            failures.append("--check named a formatted or a build file:\n" + r.stderr)
        with open(os.path.join(tmp, "lib", "bad.h")) as f:
            if f.read() != BAD:
                failures.append("--check changed lib/bad.h")

        r = run(tmp)
        if r.returncode != 0:
            failures.append(f"scripts/format exited {r.returncode}: {r.stderr}")
        r = run(tmp, "--check")
        if r.returncode != 0:
            failures.append(f"--check after scripts/format exited {r.returncode}: {r.stderr}")
        with open(os.path.join(tmp, "build", "test", "generated.cpp")) as f:
            if f.read() != BAD:
                failures.append("scripts/format changed a file under build/")

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
