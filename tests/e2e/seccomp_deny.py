#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""seccomp_deny.py NAME[,NAME...] CMD [ARG...] - runs CMD with the named system
calls failing with EPERM, as a container's seccomp profile makes them (Docker's
default profile refuses io_uring_setup). Only the io_uring calls are known:
their numbers are the same on every Linux architecture (425-427)."""
import ctypes
import os
import struct
import sys

NUMBERS = {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, EPERM = 0x7fff0000, 0x00050000, 1
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    nrs = [NUMBERS[n] for n in sys.argv[1].split(",")]
    prog = [(BPF_LD_W_ABS, 0, 0, 0)]   # seccomp_data.nr
    for i, nr in enumerate(nrs):
        prog.append((BPF_JEQ_K, len(nrs) - i, 0, nr))   # to the EPERM return
    prog += [(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW), (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM)]
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)
    fprog = SockFprog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        print("seccomp_deny: %s" % os.strerror(ctypes.get_errno()), file=sys.stderr)
        return 77
    os.execvp(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
