#!/usr/bin/env python3
"""Derives the expected outputs of the list-*/pol-* golden vectors under tlaunch's documented
deviations (docs/compat.md "lcp2_crtpollist", "lcp2_crtpol") from the upstream golden outputs
themselves, without using tlaunch code:

  * element order (docs/compat.md#lcp-element-order): lists hold the elements in command-line
    order, so each list is rebuilt from the vector's element files in that order; the element
    blocks of the golden --show texts are swapped and renumbered;
  * a list whose bytes change gets a new deterministic RSASSA-PKCS1-v1_5 signature made with
    `openssl dgst -sign` over lcp.md §5.2's signed range (stored little-endian), and PolicyHash
    is recomputed with hashlib (lcp.md §6);
  * --nosig (docs/compat.md#lcp-nosig) writes the list up to the modulus;
  * the RSA-3072 list that upstream cannot show (docs/compat.md#lcp-rsa3072) is shown as the
    RSA-2048 lists are, per pollist2.c's format strings.

    make_expected.py VECTORS_DIR OUT_DIR        (writes OUT_DIR/<case>/...)
    make_expected.py VECTORS_DIR OUT_DIR --check (exit 1 if OUT_DIR differs)

Standard library and the openssl command only.
"""

import hashlib
import os
import struct
import subprocess
import sys
import tempfile


def rd(path):
    with open(path, "rb") as f:
        return f.read()


def hex_lines(prefix, data, per_line=16):
    """lcputils.c dump_hex()."""
    out = ""
    for i in range(0, len(data), per_line):
        out += prefix + "".join("%02x " % b for b in data[i:i + per_line]) + "\n"
    return out


def rsa_sign_le(tbs, key, hash_name):
    with tempfile.TemporaryDirectory() as d:
        msg = os.path.join(d, "tbs")
        sig = os.path.join(d, "sig")
        with open(msg, "wb") as f:
            f.write(tbs)
        subprocess.run(["openssl", "dgst", "-" + hash_name, "-sign", key, "-out", sig, msg],
                       check=True)
        return rd(sig)[::-1]


def list2_rsa(version, elements, rev, modulus_le, key, hash_name):
    body = struct.pack("<HHI", version, 0x14, len(elements)) + elements
    tbs = body + struct.pack("<HH", rev, len(modulus_le)) + modulus_le
    return tbs + rsa_sign_le(tbs, key, hash_name)


def swap_elements(text, first_header, counts):
    """Swaps the two element blocks that start at the line `first_header`; counts maps the
    element type name to its block's line count (header included)."""
    lines = text.split("\n")
    i = lines.index(first_header)
    prefix = first_header[:first_header.index(" policy_element[")]

    def block_len(at):
        for name, n in counts.items():
            if "(%s)" % name in lines[at + 2]:
                return n
        raise ValueError("unknown element at line %d: %r" % (at, lines[at + 2]))

    n0 = block_len(i)
    n1 = block_len(i + n0)
    b0, b1 = lines[i:i + n0], lines[i + n0:i + n0 + n1]
    b1[0] = prefix + " policy_element[0]:"
    b0[0] = prefix + " policy_element[1]:"
    lines[i:i + n0 + n1] = b1 + b0
    return "\n".join(lines)


def replace_block(text, after_line, old_hex_prefix, new_block):
    """Replaces the hex dump that follows the line `after_line` (lines starting with
    old_hex_prefix) by new_block."""
    lines = text.split("\n")
    i = lines.index(after_line) + 1
    j = i
    while j < len(lines) and lines[j].startswith(old_hex_prefix):
        j += 1
    return "\n".join(lines[:i] + new_block.rstrip("\n").split("\n") + lines[j:])


COUNTS = {"sbios": 12, "mle2": 11}  # sha256, one hash each (the vectors' elements)


def make(v, out):
    res = {}

    def put(case, name, data):
        res[os.path.join(case, name)] = data if isinstance(data, bytes) else data.encode()

    # --- list-create-200 / list-create-300: header + mle2 + sbios.
    for case, ver in (("list-create-200", 0x200), ("list-create-300", 0x300)):
        c = os.path.join(v, case)
        elts = rd(c + "/mle2.elt") + rd(c + "/sbios.elt")
        put(case, "list.lst", struct.pack("<HHI", ver, 0x10 if ver == 0x200 else 0, len(elts)) + elts)
        first = " policy_element[0]:"
        put(case, "04.stdout", swap_elements(rd(c + "/steps/04.stdout").decode(), first, COUNTS))

    # --- list-errors: step 13 --sign --nosig writes the list up to the modulus.
    c = os.path.join(v, "list-errors")
    mle2 = rd(c + "/mle2.elt")
    signed = rd(os.path.join(v, "list-sign-200-rsa2048-sha256/list.lst"))
    e = struct.unpack_from("<I", signed, 4)[0]
    modulus_le = signed[8 + e + 4:8 + e + 4 + 256]
    put("list-errors", "l200.lst",
        struct.pack("<HHI", 0x200, 0x14, len(mle2)) + mle2 + struct.pack("<HH", 0, 256) + modulus_le)

    # --- list-sign-200-rsa2048-sha256: mle2 + sbios, RSA-2048 PKCS#1 SHA-256, rev 0.
    case = "list-sign-200-rsa2048-sha256"
    c = os.path.join(v, case)
    elts = rd(c + "/mle2.elt") + rd(c + "/sbios.elt")
    lst = list2_rsa(0x200, elts, 0, modulus_le, c + "/rsa2048_a.priv.pem", "sha256")
    put(case, "list.lst", lst)
    text = swap_elements(rd(c + "/steps/05.stdout").decode(), " policy_element[0]:", COUNTS)
    text = replace_block(text, "     sig_block:", "    \t", hex_lines("    \t", lst[-256:]))
    put(case, "05.stdout", text)

    # --- list-sign-201-rsa3072-sha384-rev7: shown (upstream cannot verify it).
    case = "list-sign-201-rsa3072-sha384-rev7"
    c = os.path.join(v, case)
    lst = rd(c + "/list.lst")
    e = struct.unpack_from("<I", lst, 4)[0]
    sig = lst[8 + e:]
    rev, k = struct.unpack_from("<HH", sig, 0)
    # The mle2 element block as upstream prints it inside a list (list-create-200's golden show).
    create = rd(os.path.join(v, "list-create-200/steps/04.stdout")).decode().split("\n")
    mle_block = create[create.index(" policy_element[1]:") + 1:][:COUNTS["mle2"] - 1]
    text = ("policy list file: list.lst\n version: 0x201\n sig_alg: 0x14, TPM_ALG_RSASSA\n"
            " policy_elements_size: 0x%x (%u)\n policy_element[0]:\n" % (e, e))
    text += "\n".join(mle_block) + "\n"
    text += " signature:\n     revocation_counter: 0x%x (%u)\n     pubkey_size: 0x%x (%u)\n" % (
        rev, rev, k, k)
    text += "     pubkey_value:\n" + hex_lines("    \t", sig[4:4 + k])
    text += "     sig_block:\n" + hex_lines("    \t", sig[4 + k:4 + 2 * k])
    text += "signature verified\n"
    put(case, "05.stdout", text)

    # --- list-sign-300-rsapss2048-sha256 / list-sign-200-ecdsa-p384: random signatures; only the
    # element blocks of the show move (the runner masks the signature lines).
    for case, step in (("list-sign-300-rsapss2048-sha256", "05"), ("list-sign-200-ecdsa-p384", "05")):
        c = os.path.join(v, case)
        put(case, step + ".stdout",
            swap_elements(rd(c + "/steps/%s.stdout" % step).decode(), " policy_element[0]:", COUNTS))

    # --- pol-list-30-unsigned-300: unsigned list mle2 + sbios; PolicyHash = H(H(list)).
    case = "pol-list-30-unsigned-300"
    c = os.path.join(v, case)
    elts = rd(c + "/mle2.elt") + rd(c + "/sbios.elt")
    lst = struct.pack("<HHI", 0x300, 0, len(elts)) + elts
    put(case, "list.lst", lst)
    hdr = b"Intel(R) TXT LCP_POLICY_DATA" + bytes(4) + bytes(3) + b"\x01"
    put(case, "p.dat", hdr + lst)
    ph = hashlib.sha256(hashlib.sha256(lst).digest()).digest()
    pol = rd(c + "/p.pol")
    put(case, "p.pol", pol[:38] + ph)
    text = rd(c + "/steps/05.stdout").decode()
    text = replace_block(text, "     policy_hash:", "    ", hex_lines("    ", ph))
    text = swap_elements(text, "         policy_element[0]:", COUNTS)
    put(case, "05.stdout", text)

    # --- pol-list-31-two-rsa-lists: b.lst = sbios + mle2 (its command-line order), RSA-2048
    # PKCS#1 SHA-384, rev 3.
    case = "pol-list-31-two-rsa-lists"
    c = os.path.join(v, case)
    a = rd(c + "/a.lst")
    elts = rd(c + "/sbios.elt") + rd(c + "/mle2.elt")
    b = list2_rsa(0x200, elts, 3, modulus_le, c + "/rsa2048_a.priv.pem", "sha384")
    put(case, "b.lst", b)
    put(case, "p.dat", hdr[:35] + b"\x02" + a + b)
    for step in ("08", "09"):
        text = rd(c + "/steps/%s.stdout" % step).decode()
        lines = text.split("\n")
        # The second list's element blocks (the first list has one element).
        second = [i for i, l in enumerate(lines) if l == "     list 1:"][0]
        head, tail = "\n".join(lines[:second]), "\n".join(lines[second:])
        counts = COUNTS if step == "08" else {"sbios": 4, "mle2": 4}
        tail = swap_elements(tail, "         policy_element[0]:", counts)
        if step == "08":
            tl = tail.split("\n")
            sb = tl.index("             sig_block:")
            tl[sb + 1:sb + 1 + 16] = hex_lines("            \t", b[-256:]).rstrip("\n").split("\n")
            tail = "\n".join(tl)
        put(case, step + ".stdout", head + "\n" + tail)

    # --- pol-list-32-ecdsa-300: list sbios + mle2 (ECDSA, random); only the show moves.
    case = "pol-list-32-ecdsa-300"
    c = os.path.join(v, case)
    put(case, "06.stdout", swap_elements(rd(c + "/steps/06.stdout").decode(),
                                         "         policy_element[0]:", COUNTS))
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
