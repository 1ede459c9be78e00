#!/usr/bin/env python3
"""A TPM command relay for tpm2-tss's `cmd:` TCTI: counts and logs TPM commands, and can cut
the TPM off in the middle of a sequence.

    TCTI="cmd:exec python3 tpm-proxy.py --port P --log FILE [--kill-after CC:N --kill-pid PID]"

("exec": otherwise the shell that the cmd TCTI starts keeps the response pipe open and the
TCTI never sees the end of it when the TPM is cut off.)

Reads TPM 2.0 command buffers on stdin (TPM_ST tag, u32 size, u32 command code, big-endian:
TPM 2.0 Part 1 section 18), forwards each to swtpm's TCP server port (raw buffers), writes the
response to stdout, and appends "0x<cc> <name>" to FILE for every command. With --kill-after
CC:N, once the N-th command with code CC has been answered, the process PID (swtpm) is killed
with SIGKILL and no further command gets an answer (the TCTI sees a transport failure).
Used by the integration tests and bench/provision to count commands of tlaunch and tpm2-tools
the same way.
"""
import argparse
import os
import signal
import socket
import struct
import sys
import time

NAMES = {
    0x11F: "NV_UndefineSpaceSpecial", 0x122: "NV_UndefineSpace", 0x12A: "NV_DefineSpace", 0x137: "NV_Write", 0x138: "NV_WriteLock", 0x14E: "NV_Read",
    0x14F: "NV_ReadLock", 0x169: "NV_ReadPublic", 0x176: "StartAuthSession",
    0x17A: "GetCapability", 0x165: "FlushContext", 0x151: "PolicySecret",
    0x16C: "PolicyCommandCode", 0x171: "PolicyOR", 0x145: "Shutdown", 0x144: "Startup",
    0x139: "DictionaryAttackLockReset", 0x17B: "GetRandom", 0x18A: "TestParms", 0x13B: "NV_ChangeAuth",
}


def read_exact(read, n):
    buf = b""
    while len(buf) < n:
        chunk = read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log")
    ap.add_argument("--kill-after", help="CC:N, e.g. 0x137:1 = after the first NV_Write")
    ap.add_argument("--kill-pid", type=int)
    args = ap.parse_args()
    kill_cc, kill_n = None, 0
    if args.kill_after:
        cc, n = args.kill_after.split(":")
        kill_cc, kill_n = int(cc, 0), int(n)
    # tpm2-tss's cmd TCTI leaves the original pipe ends open in its child: holding the write end
    # of our own stdout pipe would keep the TCTI from ever seeing EOF. Keep only 0, 1, 2.
    os.closerange(3, 4096)
    seen = {}
    sock = socket.create_connection((args.host, args.port))
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    log = open(args.log, "a") if args.log else None
    dead = False
    while True:
        header = read_exact(stdin.read, 10)
        if header is None:
            break
        _, size, cc = struct.unpack(">HII", header)
        body = read_exact(stdin.read, size - 10) if size > 10 else b""
        if body is None:
            break
        if dead:
            # swtpm is gone: swallow the command, answer nothing (closed stdout = EOF).
            continue
        if log:
            log.write("0x%03x %s\n" % (cc, NAMES.get(cc, "?")))
            log.flush()
        sock.sendall(header + body)
        rheader = read_exact(sock.recv, 10)
        if rheader is None:
            break
        _, rsize, _ = struct.unpack(">HII", rheader)
        rbody = read_exact(sock.recv, rsize - 10) if rsize > 10 else b""
        stdout.write(rheader + rbody)
        stdout.flush()
        seen[cc] = seen.get(cc, 0) + 1
        if kill_cc is not None and cc == kill_cc and seen[cc] == kill_n and args.kill_pid:
            os.kill(args.kill_pid, signal.SIGKILL)
            for _ in range(100):
                try:
                    os.kill(args.kill_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.01)
            if log:
                log.write("# swtpm killed\n")
                log.flush()
            dead = True
            os.close(1)  # the TCTI reads EOF: a transport failure
    return 0


if __name__ == "__main__":
    sys.exit(main())
