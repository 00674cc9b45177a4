"""A small classic-BPF interpreter: the kernel filter run over frames in tests."""

from __future__ import annotations

import struct


def run_bpf(program: list[tuple[int, int, int, int]], pkt: bytes) -> int:
    """Linux classic BPF semantics for the opcodes the filter uses; an out-of-range load
    drops the packet (returns 0), as in the kernel."""
    a = x = pc = 0
    mem = [0] * 16
    while True:
        code, jt, jf, k = program[pc]
        pc += 1
        cls = code & 0x07
        try:
            if code == 0x30:
                a = pkt[k]
            elif code == 0x50:
                a = pkt[x + k]
            elif code == 0x40:
                a = struct.unpack_from(">I", pkt, x + k)[0] if x + k + 4 <= len(pkt) else None
                if a is None:
                    return 0
            elif code == 0x00:
                a = k
            elif code == 0x60:
                a = mem[k]
            elif code == 0x61:
                x = mem[k]
            elif code == 0x02:
                mem[k] = a
            elif code == 0x07:
                x = a
            elif code == 0x87:
                a = x
            elif cls == 0x04:
                src = x if code & 0x08 else k
                op = code & 0xF0
                a = {0x00: a + src, 0x40: a | src, 0x50: a & src, 0x60: a << src}[op] & 0xFFFFFFFF
            elif code == 0x05:
                pc += k
            elif code == 0x15:
                pc += jt if a == k else jf
            elif code == 0x45:
                pc += jt if a & k else jf
            elif code == 0x06:
                return k
            elif code == 0x16:
                return a
            else:
                raise AssertionError(f"opcode {code:#x} not modelled")
        except IndexError:
            return 0
