#!/usr/bin/env python3
"""Structural check of tlaunch-launcher.elf after linking (fails the build if it is wrong).

Checks what the loaders and lcp2_mlehash rely on:
  * ELF32, EM_386, ET_EXEC, exactly one PT_LOAD segment;
  * a Multiboot2 header in the first 32 KiB of the file, 8-byte aligned, checksum 0
    (Multiboot2 Specification §3.1.1);
  * a Multiboot 1 header in the first 8 KiB, 4-byte aligned, checksum 0 (Multiboot 0.6.96 §3.1.1);
  * the MLE header, found as lcp2_mlehash finds it (PT_LOAD segments packed from offset 0, UUID at
    a 16-byte boundary; docs/reference/lcp.md §11), with offsets inside the image.
"""
import struct
import sys

MLE_UUID = bytes.fromhex("5aac82906f47a7740f5c55a2cb51b642")


def fail(msg):
    sys.exit(f"check_image: {msg}")


def main(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        fail("not a little-endian ELF32 file")
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    e_phoff, = struct.unpack_from("<I", data, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 42)
    if e_type != 2 or e_machine != 3:
        fail(f"e_type {e_type} / e_machine {e_machine}: want EXEC / EM_386")
    loads = []
    for i in range(e_phnum):
        p_type, p_offset, _, p_paddr, p_filesz, p_memsz = struct.unpack_from(
            "<IIIIII", data, e_phoff + i * e_phentsize)
        if p_type == 1:
            loads.append((p_offset, p_paddr, p_filesz, p_memsz))
    if len(loads) != 1:
        fail(f"{len(loads)} PT_LOAD segments, want exactly one")

    mb2 = [o for o in range(0, min(len(data), 32768) - 16, 8)
           if struct.unpack_from("<I", data, o)[0] == 0xE85250D6
           and sum(struct.unpack_from("<IIII", data, o)) & 0xFFFFFFFF == 0]
    if not mb2:
        fail("no valid Multiboot2 header in the first 32 KiB")
    mb1 = [o for o in range(0, min(len(data), 8192) - 12, 4)
           if struct.unpack_from("<I", data, o)[0] == 0x1BADB002
           and sum(struct.unpack_from("<III", data, o)) & 0xFFFFFFFF == 0]
    if not mb1:
        fail("no valid Multiboot 1 header in the first 8 KiB")

    off, _, filesz, memsz = loads[0]
    image = data[off:off + filesz] + bytes(memsz - filesz)
    mle = [o for o in range(0, len(image) - 52, 16) if image[o:o + 16] == MLE_UUID]
    if len(mle) != 1:
        fail(f"{len(mle)} MLE headers found, want one")
    (length, version, entry, first_page, start, end, caps, cl_start,
     cl_end) = struct.unpack_from("<9I", image, mle[0] + 16)
    if length != 0x34:
        fail(f"MLE header length {length:#x}")
    if not (0 < start < end <= filesz and start <= entry < end and start <= cl_start < cl_end <= end):
        fail(f"MLE offsets out of order: start {start:#x} end {end:#x} entry {entry:#x} "
             f"cmdline {cl_start:#x}-{cl_end:#x} file-backed size {filesz:#x}")
    print(f"check_image: ok: Multiboot2 @{mb2[0]:#x}, Multiboot1 @{mb1[0]:#x}, "
          f"MLE @{mle[0]:#x} v{version:#x} measured {start:#x}-{end:#x}, "
          f"cmdline {cl_start:#x}-{cl_end:#x}, image {memsz:#x} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
