"""`ack_to_ack` from Block Acks. HT/VHT/HE stations send data in A-MPDUs, answered by a Block
Ack rather than ACKs: a Block Ack from TA to RA acknowledges the A-MPDU RA sent to TA, so it
counts for RA's last data frame when that frame went to TA (the BSSID for uplink data, the
station for downlink data) within ACK_WINDOW_NS, and then exactly as an ACK does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.dot11.records import Frame
from analyzer.roam.acks import ACK_WINDOW_NS
from analyzer.roam.records import Roam
from analyzer.roam.tracker import Tracker
from analyzer.run.dispatch import run
from analyzer.simulate.frames import RADIOTAP_LEN
from tests.roam.ack_scenarios import acked_roam, assert_ack_to_ack, expected_ack_to_ack
from tests.roam.factory import AP1, AP2, AP3, STA, STA2, Air, ms


def _why(roam: Roam) -> str:
    return {m.what: m.why for m in roam.missing}["latency.ack_to_ack"]


def _gap(old: Frame, new: Frame) -> float:
    return round((new.ts_ns - old.ts_ns) / 1e6, 3)


def _roam_to_ap2(air: Air, t: float = 100.0) -> float:
    """PSK roam AP1 -> AP2 starting at `t` ms; returns the time of M4."""
    return air.psk_connect(t, bssid=AP2, reassoc=True, current_ap=AP1)


def _emitted_at(air: Air) -> list[tuple[Frame, Roam]]:
    """Each roam with the frame whose feeding completed it."""
    tracker, out = Tracker(), []
    for frame in air.frames:
        out += [(frame, r) for r in tracker.feed(frame) if isinstance(r, Roam)]
    out += [(air.frames[-1], r) for r in tracker.finish() if isinstance(r, Roam)]
    return out


def test_block_ack_after_data_gives_ack_to_ack() -> None:
    """Downlink on the old BSS answered by the station, uplink on the new one by the AP."""
    air = Air()
    air.data(0, bssid=AP1)
    air.block_ack(0.05, STA, AP1)
    air.data(10, bssid=AP1, to_ds=False)
    old = air.block_ack(10.05, AP1, STA)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    new = air.block_ack(m4 + 1.04, STA, AP2)
    (roam,), _ = air.run()
    assert roam.outcome == "success" and roam.kind == "roam"
    assert roam.latency_ms["ack_to_ack"] == _gap(old, new) == 101.99
    assert "latency.ack_to_ack" not in {m.what for m in roam.missing}


def _script(block: bool) -> Air:
    """Traffic on both BSSes, each data frame answered by an ACK or by a Block Ack, some not
    answered at all, and the roam held for its first acknowledged data frame."""
    air = Air()

    def answer(t: float, sta: str, bssid: str, uplink: bool) -> None:
        ra, ta = (sta, bssid) if uplink else (bssid, sta)
        _ = air.block_ack(t, ra, ta) if block else air.ack(t, ra)

    air.data(0, bssid=AP1)
    answer(0.05, STA, AP1, True)
    air.data(20, bssid=AP1, to_ds=False)
    answer(20.04, STA, AP1, False)
    air.data(30, bssid=AP1)  # not answered
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)  # not answered: the roam waits
    air.data(m4 + 3, bssid=AP2, to_ds=False)
    answer(m4 + 3.05, STA, AP2, False)
    air.data(m4 + 5, bssid=AP2)
    answer(m4 + 5.05, STA, AP2, True)
    return air


def test_a_block_ack_counts_as_the_ack_it_replaces() -> None:
    """The same traffic acknowledged by ACKs or by Block Acks: the same roam, emitted at the
    same frame (the first acknowledgement of data on the new BSSID)."""
    (at_ack, by_ack), = _emitted_at(_script(block=False))
    (at_ba, by_ba), = _emitted_at(_script(block=True))
    assert (at_ack.index, at_ack.ts_ns) == (at_ba.index, at_ba.ts_ns)
    assert by_ack.to_dict() == by_ba.to_dict()
    assert by_ba.latency_ms["ack_to_ack"] is not None


def _unanswered(air: Air, t: float, bssid: str, fault: str) -> None:
    """The station's data frame and a Block Ack that does not acknowledge it."""
    if fault == "downlink_other_transmitter":
        air.data(t, bssid=bssid, to_ds=False)
        air.block_ack(t + 0.05, bssid, STA2)  # another station answers the AP
        return
    air.data(t, bssid=bssid)
    if fault == "other_transmitter":
        air.block_ack(t + 0.05, STA, AP3)  # to the station, from an AP it did not send to
    elif fault == "reversed":
        air.block_ack(t + 0.05, bssid, STA)  # from the station itself
    elif fault == "too_late":
        air.block_ack(t + ACK_WINDOW_NS / 1e6 + 0.1, STA, bssid)
    elif fault == "nothing_acked":
        air.block_ack(t + 0.05, STA, bssid, bitmap=bytes(8))  # every MPDU of the burst lost


def _roam_with(fault: str) -> tuple[Roam, Frame, Frame, float]:
    """A roam whose old BSS's last data frame and new BSS's first are not acknowledged (the
    Block Ack after each has `fault`); the ones before and after are."""
    air = Air()
    air.data(0, bssid=AP1)
    old = air.block_ack(0.05, STA, AP1)
    _unanswered(air, 20, AP1, fault)
    m4 = _roam_to_ap2(air)
    _unanswered(air, m4 + 1, AP2, fault)
    air.data(m4 + 9, bssid=AP2)
    new = air.block_ack(m4 + 9.05, STA, AP2)
    (roam,), _ = air.run()
    return roam, old, new, m4


@pytest.mark.parametrize(
    "fault", ["other_transmitter", "downlink_other_transmitter", "reversed"]
)
def test_block_ack_from_another_transmitter_does_not_count(fault: str) -> None:
    """A Block Ack to the data frame's transmitter from anyone but its receiver answers some
    other frame."""
    roam, old, new, m4 = _roam_with(fault)
    assert roam.latency_ms["data_gap"] == pytest.approx(m4 + 1 - 20)
    assert roam.latency_ms["ack_to_ack"] == _gap(old, new)


def test_block_ack_outside_window_does_not_count() -> None:
    roam, old, new, m4 = _roam_with("too_late")
    assert roam.latency_ms["data_gap"] == pytest.approx(m4 + 1 - 20)
    assert roam.latency_ms["ack_to_ack"] == _gap(old, new)


def test_block_ack_with_an_empty_bitmap_does_not_count() -> None:
    """A bitmap of zeros acknowledges none of the burst's MPDUs."""
    roam, old, new, _ = _roam_with("nothing_acked")
    assert roam.latency_ms["ack_to_ack"] == _gap(old, new)


def test_block_ack_with_a_bandwidth_signalling_ta_counts() -> None:
    """A VHT AP's TA with the Individual/Group bit set (bandwidth signalling) is still the AP."""
    air = Air()
    air.data(0, bssid=AP1)
    old = air.block_ack(0.05, STA, "0b" + AP1[2:])
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    new = air.block_ack(m4 + 1.05, STA, "0b" + AP2[2:])
    (roam,), _ = air.run()
    assert roam.latency_ms["ack_to_ack"] == _gap(old, new)


def test_block_acks_alone_make_the_roam_wait_for_acknowledged_data() -> None:
    """No ACK in the capture, only Block Acks: the roam still waits for its first acknowledged
    data frame rather than completing at its first data frame."""
    air = Air()
    air.data(0, bssid=AP1)
    old = air.block_ack(0.05, STA, AP1)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    air.data(m4 + 2, bssid=AP2)
    new = air.block_ack(m4 + 2.05, STA, AP2)
    air.beacon(m4 + 50, AP2)
    (at, roam), = _emitted_at(air)
    assert at is new
    assert roam.latency_ms["ack_to_ack"] == _gap(old, new)
    assert roam.latency_ms["data_gap"] == pytest.approx(m4 + 1)


def test_without_block_ack_on_the_new_bss_the_wait_is_bounded() -> None:
    air = Air()
    air.data(0, bssid=AP1)
    air.block_ack(0.05, STA, AP1)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    air.beacon(m4 + 1200, AP2)
    (at, roam), = _emitted_at(air)
    assert at.ts_ns == ms(m4 + 1200)
    assert roam.latency_ms["ack_to_ack"] is None
    assert "no acknowledged data frame on the new BSSID within 1 s" in _why(roam)


# --- end to end: a builder capture with Block Acks -------------------------------------------


def _block_acked_data(frames: list[tuple[int, bytes]]) -> list[tuple[int, str]]:
    """(Block Ack time, BSSID) of every data frame the next frame (background beacons aside)
    acknowledges: a Block Ack (FC 0x94) from the data frame's receiver to its transmitter,
    bitmap bit 0 set. Read from the bytes, as an oracle."""
    out = []
    frames = [(ts, f) for ts, f in frames if f[RADIOTAP_LEN] != 0x80]
    for (_, prev), (ts, frame) in zip(frames, frames[1:], strict=False):
        mac, ba = prev[RADIOTAP_LEN:], frame[RADIOTAP_LEN:]
        if ba[0] != 0x94 or mac[0] != 0x88 or ba[4:10] != mac[10:16] or ba[10:16] != mac[4:10]:
            continue
        if not ba[20] & 0x01:
            continue
        bssid = mac[4:10] if mac[1] & 0x01 else mac[10:16]  # ToDS: A1, FromDS: A2
        out.append((ts, bssid.hex(":")))
    return out


@pytest.mark.parametrize("lost", [(), ("data",)], ids=["every_ack", "first_data_acks_lost"])
def test_builder_roam_with_block_acks_end_to_end(tmp_path: Path, lost: tuple[str, ...]) -> None:
    """Data answered by Block Acks, management and EAPOL frames by ACKs; the sniffer hears
    them all, or misses the Block Acks of the roam's first data frames."""
    sc = acked_roam(lost, block_acks=True)
    sc.write(tmp_path / "roam.pcapng")
    frames = list(sc.frames())
    conn = sc.truth()["connections"][-1]
    expected = expected_ack_to_ack(_block_acked_data(frames), conn)
    assert_ack_to_ack(run([str(tmp_path / "roam.pcapng")]).roams[-1], expected, lost)
