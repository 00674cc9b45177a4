"""The kernel filter, run by a small classic-BPF interpreter over real and generated frames:
it must keep exactly what the hot-path prefilter `peek` calls management or EAPOL."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.live import HEADER_CUT, SNAPLEN, bpf_program
from analyzer.dot11.decode import UNSURE, peek
from analyzer.dot11.records import Kind
from analyzer.simulate.bench import bench_mix
from analyzer.simulate.library import eap_pmksa_roam, ft_roam, ht_roam, psk_roam

PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "pcaps" / "public"


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


def _frames() -> list[bytes]:
    out = [data for _, data in itertools.islice(bench_mix(30_000), 30_000)]
    for make in (psk_roam, eap_pmksa_roam, ft_roam, ht_roam):
        out += [data for _, data in make().frames()]
    for path in sorted(PUBLIC.glob("*")):
        if path.suffix in (".tsv", ".md"):
            continue
        with open_capture(path) as cap:
            out += [r.data for r in itertools.islice(cap, 5000) if r.linktype == 127]
    return out


FRAMES = _frames()


@pytest.mark.parametrize("data_headers", [False, True])
def test_filter_keeps_management_and_eapol_whole_like_peek(data_headers: bool) -> None:
    """Management and EAPOL frames pass whole; data frames are cut to their headers and ACKs
    and Block Acks pass whole (or all are dropped); other control frames never pass. Checked
    on every frame against `peek`."""
    program = bpf_program(data_headers)
    seen: dict[str, int] = {}
    for data in FRAMES:
        kind = peek(127, data)
        snap = run_bpf(program, data)
        it_len = data[2] | data[3] << 8
        if kind == int(Kind.DATA):
            want = it_len + HEADER_CUT if data_headers else 0
            label = "data"
        elif kind == int(Kind.CONTROL):
            want = SNAPLEN if data_headers else 0
            label = "block_ack" if data[it_len] == 0x94 else "ack"
        elif kind < 0 or kind == UNSURE:
            want, label = 0, "other"
        else:
            want, label = SNAPLEN, "kept"
        assert snap == want, (label, data[:64].hex())
        seen[label] = seen.get(label, 0) + 1
    assert seen["kept"] > 1000 and seen["data"] > 1000 and seen["other"] > 100
    assert seen["ack"] > 100 and seen["block_ack"] > 10


def test_filter_drops_a_frame_shorter_than_its_radiotap_header() -> None:
    """A load past the end of the packet drops it, as the kernel does."""
    assert run_bpf(bpf_program(True), b"\x00\x00\x40\x00" + b"\x00" * 8) == 0
