#!/usr/bin/env python3
"""Writes a synthetic SINIT ACM: a file tboot's is_sinit_acmod() (and so tboot's
remove_txt_modules(), and the tlaunch launcher's module layout, libpolicy txt_modules.h) takes for
a SINIT authenticated code module. It is NOT executable code and carries no signature; only the
fields those checks read are set, as laid out in tboot's acm_hdr_t / acm_info_table_t
(Intel TXT Software Development Guide, "Authenticated Code Module Format"):

  offset 0   module_type 2 (chipset)      offset 4   header_len 0xA1 dwords (644 bytes)
  offset 16  module_vendor 0x8086         offset 24  size, in dwords (the whole file)
  offset 124 scratch_size 0x8F dwords     offset 1216 information table: ACM UUID v3,
                                          chipset_acm_type 1 (SINIT), version 9

Usage: make-test-acm.py OUTPUT [SIZE]     (SIZE: bytes, a multiple of 4, at least 4096; default 8192)
The content is deterministic: the same size gives the same bytes.
"""
import struct
import sys

ACM_UUID_V3 = bytes([0xaa, 0x3a, 0xc0, 0x7f, 0xa7, 0x46, 0xdb, 0x18,
                     0x2e, 0xac, 0x69, 0x8f, 0x8d, 0x41, 0x7f, 0x5a])


def acm(size):
    if size % 4 or size < 4096:
        raise SystemExit("make-test-acm: SIZE must be a multiple of 4 and at least 4096")
    filler = b"tlaunch synthetic SINIT ACM (not code, not signed) "
    b = bytearray((filler * (size // len(filler) + 1))[:size])
    struct.pack_into("<HHIIHHIIIHH", b, 0,
                     2, 0,          # module_type (chipset), module_subtype
                     0xA1,          # header_len (dwords)
                     0,             # header_ver
                     0, 0,          # chipset_id, flags
                     0x8086,        # module_vendor
                     0x20261204,    # date
                     size // 4,     # size (dwords)
                     0, 0)          # txt_svn, se_svn
    struct.pack_into("<II", b, 120, 64, 0x8F)  # key_size, scratch_size
    info = ACM_UUID_V3 + struct.pack("<BBH", 1, 9, 52)  # SINIT, info table version 9, length
    b[1216:1216 + len(info)] = info
    return bytes(b)


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    size = int(sys.argv[2], 0) if len(sys.argv) == 3 else 8192
    with open(sys.argv[1], "wb") as f:
        f.write(acm(size))


if __name__ == "__main__":
    main()
