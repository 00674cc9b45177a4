"""Damaged captures never raise while iterating: they stop and say so."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.capture import open_capture
from analyzer.errors import CaptureError

from .capbytes import epb, idb, pcap, shb, small_pcapng, spb

SAMPLES = [
    pcap([(1, 2, b"abc"), (3, 4, b"x" * 30), (5, 6, b"")]),
    pcap([(1, 2, b"abc"), (3, 4, b"defg")], endian=">", nano=True),
    small_pcapng(),
    shb(">")
    + idb(127, ">", tsresol=0x85, tsoffset=3)
    + epb(0, 99, b"be", ">")
    + spb(b"s", endian=">")
    + shb()
    + idb(1)
    + idb(105)
    + epb(1, 7, b"second"),
]

mutations = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), edits=mutations, cut=st.integers(0, 400))
def test_mutated_or_cut_capture_never_raises_while_iterating(
    sample: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    blob = bytearray(sample)
    for pos, value in edits:
        blob[pos % len(blob)] = value
    data = bytes(blob[: min(cut, len(blob))])
    try:
        cap = open_capture(io.BytesIO(data), name="fuzz")
    except CaptureError as exc:
        assert "fuzz" in str(exc)
        return
    records = list(cap)
    info = cap.info
    assert info.frames == len(records)
    assert [r.index for r in records] == list(range(1, len(records) + 1))
    assert all(len(r.data) <= len(data) for r in records)
    assert all(0 <= r.interface < max(1, len(info.linktypes)) for r in records)
    if info.truncated:
        assert info.warnings
    if len(data) < len(sample) and not info.truncated and sample[4:8] == data[4:8]:
        assert len(records) <= len(list(open_capture(io.BytesIO(sample))))
