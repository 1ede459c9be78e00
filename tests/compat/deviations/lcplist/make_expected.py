#!/usr/bin/env python3
"""Derives the expected outputs of two list golden vectors under tlaunch's documented
deviations (docs/compat.md "lcp2_crtpollist") from the upstream golden outputs themselves, without
using tlaunch code:

  * --nosig (docs/compat.md#lcp-nosig) writes the list up to the modulus (list-errors, l200.lst);
  * the RSA-3072 list that upstream cannot show (docs/compat.md#lcp-rsa3072) is shown as the
    RSA-2048 lists are, per pollist2.c's format strings (list-sign-201-rsa3072-sha384-rev7).

    make_expected.py VECTORS_DIR OUT_DIR        (writes OUT_DIR/<case>/...)
    make_expected.py VECTORS_DIR OUT_DIR --check (exit 1 if OUT_DIR differs)

Standard library only.
"""

import os
import struct
import sys


def rd(path):
    with open(path, "rb") as f:
        return f.read()


def hex_lines(prefix, data, per_line=16):
    """lcputils.c dump_hex()."""
    out = ""
    for i in range(0, len(data), per_line):
        out += prefix + "".join("%02x " % b for b in data[i:i + per_line]) + "\n"
    return out


MLE2_LINES = 11  # the show block of a sha256 mle2 element with one hash (header included)


def make(v, out):
    res = {}

    def put(case, name, data):
        res[os.path.join(case, name)] = data if isinstance(data, bytes) else data.encode()

    # --- list-errors: step 13 --sign --nosig writes the list up to the modulus.
    c = os.path.join(v, "list-errors")
    mle2 = rd(c + "/mle2.elt")
    signed = rd(os.path.join(v, "list-sign-200-rsa2048-sha256/list.lst"))
    e = struct.unpack_from("<I", signed, 4)[0]
    modulus_le = signed[8 + e + 4:8 + e + 4 + 256]
    put("list-errors", "l200.lst",
        struct.pack("<HHI", 0x200, 0x14, len(mle2)) + mle2 + struct.pack("<HH", 0, 256) + modulus_le)

    # --- list-sign-201-rsa3072-sha384-rev7: shown (upstream cannot verify it).
    case = "list-sign-201-rsa3072-sha384-rev7"
    c = os.path.join(v, case)
    lst = rd(c + "/list.lst")
    e = struct.unpack_from("<I", lst, 4)[0]
    sig = lst[8 + e:]
    rev, k = struct.unpack_from("<HH", sig, 0)
    # The mle2 element block as upstream prints it inside a list (list-create-200's golden show).
    create = rd(os.path.join(v, "list-create-200/steps/04.stdout")).decode().split("\n")
    mle_block = create[create.index(" policy_element[1]:") + 1:][:MLE2_LINES - 1]
    text = ("policy list file: list.lst\n version: 0x201\n sig_alg: 0x14, TPM_ALG_RSASSA\n"
            " policy_elements_size: 0x%x (%u)\n policy_element[0]:\n" % (e, e))
    text += "\n".join(mle_block) + "\n"
    text += " signature:\n     revocation_counter: 0x%x (%u)\n     pubkey_size: 0x%x (%u)\n" % (
        rev, rev, k, k)
    text += "     pubkey_value:\n" + hex_lines("    \t", sig[4:4 + k])
    text += "     sig_block:\n" + hex_lines("    \t", sig[4 + k:4 + 2 * k])
    text += "signature verified\n"
    put(case, "05.stdout", text)
    return res


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    v, out = sys.argv[1], sys.argv[2]
    check = "--check" in sys.argv[3:]
    res = make(v, out)
    bad = []
    for rel, data in sorted(res.items()):
        p = os.path.join(out, rel)
        if check:
            if not os.path.exists(p) or rd(p) != data:
                bad.append(rel)
            continue
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    if bad:
        print("differ from a fresh derivation: " + ", ".join(bad))
        return 1
    print("%s %d files" % ("checked" if check else "wrote", len(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
