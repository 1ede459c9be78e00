#!/usr/bin/env python3
"""A relay between QEMU's TPM emulator backend and swtpm that can make the TPM stop answering
in the middle of a command.

    tpm-chardev-proxy.py --listen QEMU_SOCK --connect SWTPM_SOCK --log FILE [--hang-at CC:N[:LOC]]

QEMU (`-chardev socket,path=QEMU_SOCK -tpmdev emulator,chardev=...`) connects to QEMU_SOCK as if
it were swtpm's control channel (`swtpm socket --ctrl type=unixio,path=SWTPM_SOCK`). The control
channel carries swtpm's control commands (a big-endian u32 command code, then its payload); one
of them, CMD_SET_DATAFD, passes a socket for the TPM commands themselves as SCM_RIGHTS ancillary
data. The relay forwards control bytes unchanged both ways, and whenever QEMU passes a socket it
hands swtpm one end of its own socket pair instead, so that every TPM command (TPM 2.0 Part 1
section 18: tag, u32 size, u32 code) passes through it. QEMU tells swtpm the locality of the
commands that follow with CMD_SET_LOCALITY (control command 5, one byte); the relay notes it.
Each command is logged as "<seconds> 0x<cc> <name> loc=<l>"; each response as "<seconds> rsp
0x<rc>".

With --hang-at CC:N[:LOC], the N-th command with code CC (counting only those sent at locality
LOC, when given) is forwarded to swtpm (which executes it) but its response is swallowed and
nothing is forwarded afterwards: to the guest the TPM stopped answering in the middle of that
command. The relay logs "hang" and keeps every socket open until
QEMU goes away, so QEMU's backend waits forever, as for a dead TPM.
"""
import argparse
import array
import os
import socket
import struct
import sys
import threading
import time

NAMES = {
    0x144: "Startup", 0x145: "Shutdown", 0x14E: "NV_Read", 0x169: "NV_ReadPublic",
    0x137: "NV_Write", 0x17A: "GetCapability", 0x17E: "PCR_Read", 0x182: "PCR_Extend",
    0x143: "SelfTest", 0x17B: "GetRandom", 0x176: "StartAuthSession", 0x165: "FlushContext",
}
T0 = time.monotonic()
LOG_LOCK = threading.Lock()


def log(f, text):
    with LOG_LOCK:
        f.write("%.3f %s\n" % (time.monotonic() - T0, text))
        f.flush()


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_message(sock):
    """One TPM command or response: the 10-byte header, then the size it announces."""
    head = recv_exact(sock, 10)
    if head is None:
        return None
    size = struct.unpack(">I", head[2:6])[0]
    rest = recv_exact(sock, size - 10) if size > 10 else b""
    return None if rest is None else head + rest


class Relay:
    def __init__(self, args, logf):
        self.logf = logf
        self.hang_cc, self.hang_n, self.hang_loc = None, 0, None
        if args.hang_at:
            parts = args.hang_at.split(":")
            self.hang_cc, self.hang_n = int(parts[0], 0), int(parts[1])
            if len(parts) > 2:
                self.hang_loc = int(parts[2])
        self.seen = 0
        self.locality = 0

    def data(self, qemu_data, swtpm_data):
        """TPM commands from QEMU to swtpm and the responses back, one at a time."""
        while True:
            cmd = recv_message(qemu_data)
            if cmd is None:
                return
            cc = struct.unpack(">I", cmd[6:10])[0]
            loc = self.locality
            log(self.logf, "0x%03x %s loc=%d" % (cc, NAMES.get(cc, "?"), loc))
            swtpm_data.sendall(cmd)
            rsp = recv_message(swtpm_data)
            if rsp is None:
                return
            if cc == self.hang_cc and (self.hang_loc is None or loc == self.hang_loc):
                self.seen += 1
            if cc == self.hang_cc and self.seen == self.hang_n:
                self.hang_cc = None
                log(self.logf, "hang: response to 0x%03x #%d swallowed; nothing forwarded from "
                    "now on" % (cc, self.hang_n))
                # Keep the sockets open (QEMU waits for the response) until QEMU closes its end.
                while qemu_data.recv(4096):
                    pass
                return
            log(self.logf, "rsp 0x%03x" % struct.unpack(">I", rsp[6:10])[0])
            qemu_data.sendall(rsp)

    def control_to_swtpm(self, qemu_ctrl, swtpm_ctrl):
        fds_size = socket.CMSG_SPACE(4 * struct.calcsize("i"))
        while True:
            msg, anc, _flags, _addr = qemu_ctrl.recvmsg(4096, fds_size)
            if not msg:
                swtpm_ctrl.shutdown(socket.SHUT_WR)
                return
            fds = []
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(payload[: len(payload) - (len(payload) % a.itemsize)])
                    fds.extend(a)
            if not fds:
                if msg[:4] == b"\0\0\0\x05" and len(msg) >= 5:  # CMD_SET_LOCALITY
                    self.locality = msg[4]
                swtpm_ctrl.sendall(msg)
                continue
            # CMD_SET_DATAFD: give swtpm our own socket and relay between the two.
            qemu_data = socket.socket(fileno=fds[0])
            for extra in fds[1:]:
                os.close(extra)
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            swtpm_ctrl.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                        array.array("i", [theirs.fileno()]))])
            theirs.close()
            log(self.logf, "data channel set up (control command 0x%08x)" %
                struct.unpack(">I", msg[:4])[0])
            threading.Thread(target=self.data, args=(qemu_data, ours), daemon=True).start()

    @staticmethod
    def control_to_qemu(swtpm_ctrl, qemu_ctrl):
        while True:
            b = swtpm_ctrl.recv(4096)
            if not b:
                return
            qemu_ctrl.sendall(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True, help="socket path QEMU's chardev connects to")
    ap.add_argument("--connect", required=True, help="swtpm's unixio control socket")
    ap.add_argument("--log", required=True)
    ap.add_argument("--hang-at", help="CC:N[:LOC], e.g. 0x182:1:2 = the first PCR_Extend at "
                    "locality 2")
    ap.add_argument("--pid-file")
    args = ap.parse_args()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    try:
        os.unlink(args.listen)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(args.listen)
    server.listen(1)
    with open(args.log, "w") as logf:
        relay = Relay(args, logf)
        qemu_ctrl, _ = server.accept()
        server.close()
        swtpm_ctrl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        swtpm_ctrl.connect(args.connect)
        log(logf, "QEMU connected; relaying to %s" % args.connect)
        back = threading.Thread(target=Relay.control_to_qemu, args=(swtpm_ctrl, qemu_ctrl),
                                daemon=True)
        back.start()
        try:
            relay.control_to_swtpm(qemu_ctrl, swtpm_ctrl)
        except OSError as e:
            log(logf, "control channel closed: %s" % e)
        log(logf, "QEMU went away")
    return 0


if __name__ == "__main__":
    sys.exit(main())
