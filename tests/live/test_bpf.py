"""The kernel filter, run by a small classic-BPF interpreter over real and generated frames:
it must keep exactly what the hot-path prefilter `peek` calls management or EAPOL."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.live import HEADER_CUT, SNAPLEN, bpf_program
from analyzer.dot11.decode import UNSURE, peek
from analyzer.dot11.records import Kind
from analyzer.simulate.bench import bench_mix
from analyzer.simulate.library import eap_pmksa_roam, ft_roam, ht_roam, psk_roam
from tests.live.bpf import run_bpf

PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "pcaps" / "public"


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
