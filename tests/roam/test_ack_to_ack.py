"""`ack_to_ack`: IEEE 802.11.2 BSS transition time, from the ACK of the station's last
acknowledged data frame on the old BSS to the ACK of its first on the new one.

An ACK names only its receiver (RA), the transmitter of the frame it answers; it counts for
that transmitter's last data frame when it follows it within ACK_WINDOW_NS.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.dot11.records import Frame
from analyzer.roam.acks import ACK_WINDOW_NS
from analyzer.roam.records import Roam
from analyzer.roam.tracker import ACK_WAIT_NS, Tracker
from analyzer.run.dispatch import run
from analyzer.simulate.frames import RADIOTAP_LEN
from tests.roam.ack_scenarios import (
    acked_roam,
    assert_ack_to_ack,
    expected_ack_to_ack,
)
from tests.roam.factory import AP1, AP2, STA, STA2, Air, ms


def _why(roam: Roam, what: str = "latency.ack_to_ack") -> str:
    return {m.what: m.why for m in roam.missing}[what]


def _gap(old_ack: Frame, new_ack: Frame) -> float:
    return round((new_ack.ts_ns - old_ack.ts_ns) / 1e6, 3)


def _roam_to_ap2(air: Air, t: float = 100.0) -> float:
    """PSK roam AP1 -> AP2 starting at `t` ms; returns the time of M4."""
    return air.psk_connect(t, bssid=AP2, reassoc=True, current_ap=AP1)


def _feed(air: Air, tracker: Tracker | None = None) -> list[tuple[Frame, list[Roam]]]:
    """Each frame with the roams its feeding completed (the end of input last)."""
    tracker = tracker or Tracker()
    out = []
    for frame in sorted(air.frames, key=lambda f: (f.ts_ns, f.index)):
        out.append((frame, [r for r in tracker.feed(frame) if isinstance(r, Roam)]))
    out.append((air.frames[-1], [r for r in tracker.finish() if isinstance(r, Roam)]))
    return out


def test_measured_from_the_last_acked_data_on_the_old_bss_to_the_first_on_the_new() -> None:
    air = Air()
    air.acked_data(0, bssid=AP1)
    air.data(10, bssid=AP1, to_ds=False)
    old_ack = air.ack(10.02, AP1)  # the station acknowledges the AP's downlink frame
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    new_ack = air.ack(m4 + 1.04, STA)  # the AP acknowledges the station's uplink frame
    air.acked_data(m4 + 5, bssid=AP2)
    (roam,), _ = air.run()
    assert roam.outcome == "success" and roam.kind == "roam"
    assert roam.latency_ms["ack_to_ack"] == _gap(old_ack, new_ack) == 102.02
    assert "latency.ack_to_ack" not in {m.what for m in roam.missing}


def _unanswered(air: Air, t: float, bssid: str, fault: str) -> None:
    """A data frame from the station whose ACK is missing, to someone else, or too late."""
    air.data(t, bssid=bssid)
    if fault == "other_ra":
        air.ack(t + 0.05, STA2)
    elif fault == "too_late":
        air.ack(t + ACK_WINDOW_NS / 1e6 + 0.1, STA)


@pytest.mark.parametrize("fault", ["missing", "other_ra", "too_late"])
def test_data_without_its_ack_is_not_acknowledged_data(fault: str) -> None:
    air = Air()
    air.data(0, bssid=AP1)
    old_ack = air.ack(0.05, STA)
    _unanswered(air, 20, AP1, fault)  # the old BSS's last data frame, but not acknowledged
    m4 = _roam_to_ap2(air)
    _unanswered(air, m4 + 1, AP2, fault)  # the new BSS's first data frame, likewise
    air.data(m4 + 9, bssid=AP2)
    new_ack = air.ack(m4 + 9.05, STA)
    (roam,), _ = air.run()
    assert roam.latency_ms["data_gap"] == pytest.approx(m4 + 1 - 20)
    assert roam.latency_ms["ack_to_ack"] == _gap(old_ack, new_ack)


def test_an_ack_after_a_null_or_management_frame_answers_that_frame_not_earlier_data() -> None:
    """Null frames carry no data (as for data_gap); an ACK answers the frame just before it."""
    air = Air()
    air.data(0, bssid=AP1)
    old_ack = air.ack(0.05, STA)
    air.data(10, bssid=AP1)
    air.data(10.2, bssid=AP1, null=True)  # power save
    air.ack(10.25, STA)
    air.data(20, bssid=AP1)
    air.probe_req(20.2)
    air.ack(20.25, STA)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2, null=True)
    air.ack(m4 + 1.05, STA)
    air.data(m4 + 2, bssid=AP2)
    new_ack = air.ack(m4 + 2.05, STA)
    (roam,), _ = air.run()
    assert roam.latency_ms["ack_to_ack"] == _gap(old_ack, new_ack)


def test_without_any_ack_it_is_null_and_nothing_else_changes() -> None:
    """No ACK in the capture: the roam completes at its first data frame, as before ACKs were
    read; with them it waits for the first acknowledged one, and only ack_to_ack differs
    (a retransmitted M4 while it waits is not counted, as it is not after completion)."""

    def script(acks: bool) -> Air:
        air = Air()
        air.data(0, bssid=AP1)
        if acks:
            air.ack(0.05, STA)
        _roam_to_ap2(air)
        air.data(112, bssid=AP2)  # M4 was at 111; this one is not acknowledged
        air.retry(air.frames[-2], 112.5)  # M4 again, Retry bit set
        air.data(113, bssid=AP2)
        if acks:
            air.ack(113.05, STA)
        return air

    plain, acked = _feed(script(False)), _feed(script(True))
    (at_plain,) = [f for f, roams in plain if roams]
    (at_acked,) = [f for f, roams in acked if roams]
    assert at_plain.ts_ns == ms(112) and at_acked.ts_ns == ms(113.05)
    (r_plain,) = [r for _, roams in plain for r in roams]
    (r_acked,) = [r for _, roams in acked for r in roams]
    assert r_plain.latency_ms["ack_to_ack"] is None
    assert "no ACK or Block Ack frames captured" in _why(r_plain)
    assert r_acked.latency_ms["ack_to_ack"] == 113.0
    drop = {"latency_ms", "missing", "frames"}
    d_plain, d_acked = r_plain.to_dict(), r_acked.to_dict()
    assert {k: v for k, v in d_plain.items() if k not in drop} == \
        {k: v for k, v in d_acked.items() if k not in drop}
    assert {k: v for k, v in d_plain["latency_ms"].items() if k != "ack_to_ack"} == \
        {k: v for k, v in d_acked["latency_ms"].items() if k != "ack_to_ack"}
    assert len(d_plain["frames"]) == len(d_acked["frames"])  # indices shift by the ACK frame


def test_waiting_for_the_first_acked_data_is_bounded() -> None:
    """ACKs are being captured, but none answers the station's data on the new BSS (Block Ack,
    say): the roam waits ACK_WAIT_NS after its first data frame, then says why."""
    air = Air()
    air.acked_data(0, bssid=AP1)
    m4 = _roam_to_ap2(air)
    for k in range(30):
        air.data(m4 + 1 + k * 100, bssid=AP2)
    emitted = [(f, roams) for f, roams in _feed(air) if roams]
    (frame, (roam,)), = emitted
    waited = frame.ts_ns - ms(m4 + 1)
    assert ACK_WAIT_NS < waited <= ACK_WAIT_NS + ms(100)
    assert roam.latency_ms["ack_to_ack"] is None
    assert roam.latency_ms["data_gap"] == pytest.approx(m4 + 1)
    assert "no acknowledged data frame on the new BSSID within 1 s" in _why(roam)


def test_the_capture_ending_while_waiting_says_so() -> None:
    air = Air()
    air.acked_data(0, bssid=AP1)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    (roam,), _ = air.run()
    assert roam.latency_ms["data_gap"] is not None
    assert _why(roam) == "capture ended before any acknowledged data on the new BSSID"


def test_a_new_attempt_ends_the_wait() -> None:
    air = Air()
    air.acked_data(0, bssid=AP1)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    air.auth(m4 + 50, STA, AP1)
    roams, _ = air.run()
    assert roams[0].to_bssid == AP2 and roams[0].latency_ms["data_gap"] is not None
    assert "next attempt started before any acknowledged data" in _why(roams[0])


@pytest.mark.parametrize("old_side", ["no_data", "not_acked"])
def test_no_acknowledged_data_on_the_old_bss(old_side: str) -> None:
    air = Air()
    air.acked_data(0, bssid=AP2, sta=STA2)  # ACKs are being captured
    if old_side == "not_acked":
        air.data(5, bssid=AP1)
    else:
        air.beacon(5, AP1)
    air.assoc_req(20, STA, AP1)  # an association with AP1 but no data there
    air.assoc_resp(21, STA, AP1)
    air.fourway(22)
    m4 = _roam_to_ap2(air)
    air.acked_data(m4 + 1, bssid=AP2)
    roams, _ = air.run()
    roam = roams[-1]
    assert roam.kind == "roam" and roam.latency_ms["ack_to_ack"] is None
    want = "acknowledged (ACK" if old_side == "not_acked" else "no data frame of the station"
    assert want in _why(roam)


def test_initial_connection_and_failed_attempt_are_not_measured() -> None:
    air = Air()
    air.psk_connect(0)
    air.acked_data(20)
    air.auth(100, STA, AP2)
    air.auth(101, STA, AP2, seq=2, status=17)
    initial, failed = air.run()[0]
    assert "not applicable" in _why(initial)
    assert _why(failed) == "attempt failed"


def test_reconnect_to_the_same_bssid_uses_acked_data_before_and_after() -> None:
    air = Air()
    air.psk_connect(0)
    air.data(20, bssid=AP1, to_ds=False)
    old_ack = air.ack(20.03, AP1)
    m4 = air.psk_connect(200, reassoc=True, current_ap=AP1)
    air.data(m4 + 2, bssid=AP1, to_ds=False)
    new_ack = air.ack(m4 + 2.03, AP1)
    roams, _ = air.run()
    assert roams[-1].kind == "reconnect"
    assert roams[-1].latency_ms["ack_to_ack"] == _gap(old_ack, new_ack)


def test_acked_data_on_the_old_bss_during_an_ft_over_ds_exchange_counts() -> None:
    """The station keeps its data flowing through the current AP while it talks FT with the
    target via that AP: the old BSS's last acknowledged data is the last one before moving."""
    air = Air()
    air.acked_data(0, bssid=AP1)
    air.ft_request(100, STA, AP1, AP2)
    air.ft_response(102, STA, AP1, AP2)
    air.data(105, bssid=AP1)
    old_ack = air.ack(105.05, STA)
    air.assoc_req(110, STA, AP2, akm=4, reassoc=True, current_ap=AP1)
    air.assoc_resp(111, STA, AP2, reassoc=True)
    air.data(115, bssid=AP2)
    new_ack = air.ack(115.05, STA)
    roams, _ = air.run()
    assert roams[-1].method == "ft_over_ds"
    assert roams[-1].latency_ms["ack_to_ack"] == _gap(old_ack, new_ack)


def test_data_waiting_for_an_ack_is_forgotten_after_the_window() -> None:
    """Bounded state: data frames of many transmitters, none acknowledged, do not pile up."""
    air = Air()
    for k in range(2000):
        air.data(k * 0.01, sta=f"02:00:00:00:{k >> 8:02x}:{k & 0xFF:02x}", bssid=AP1)
    air.beacon(1500, AP1)
    tracker = Tracker()
    for frame in air.frames:
        tracker.feed(frame)
    assert len(tracker._unacked) == 0


# --- end to end: a builder capture with ACKs -------------------------------------------------


def _acked_data(frames: list[tuple[int, bytes]]) -> list[tuple[int, str]]:
    """(ACK time, BSSID) of every data frame the frame right after it acknowledges: an ACK
    (FC 0xD4) whose RA is the data frame's transmitter. Read from the bytes, as an oracle."""
    out = []
    for (_, prev), (ts, frame) in zip(frames, frames[1:], strict=False):
        mac, ack = prev[RADIOTAP_LEN:], frame[RADIOTAP_LEN:]
        if ack[0] != 0xD4 or mac[0] != 0x88 or ack[4:10] != mac[10:16]:
            continue
        bssid = mac[4:10] if mac[1] & 0x01 else mac[10:16]  # ToDS: A1, FromDS: A2
        out.append((ts, bssid.hex(":")))
    return out


@pytest.mark.parametrize("lost", [(), ("data",)], ids=["every_ack", "first_data_acks_lost"])
def test_builder_roam_with_acks_end_to_end(tmp_path: Path, lost: tuple[str, ...]) -> None:
    """The sniffer hears every ACK, or misses those of the roam's first data frames (then the
    first acknowledged data comes from the traffic after it)."""
    sc = acked_roam(lost)
    sc.write(tmp_path / "roam.pcapng")
    roam = run([str(tmp_path / "roam.pcapng")]).roams[-1]
    expected = expected_ack_to_ack(_acked_data(list(sc.frames())), sc.truth()["connections"][-1])
    assert_ack_to_ack(roam, expected, lost)


def test_a_flood_of_transmitters_within_the_window_stays_bounded() -> None:
    from analyzer.roam.acks import MAX_UNACKED

    air = Air()
    for k in range(3 * MAX_UNACKED):
        air.data(k * 0.0001, sta=f"02:00:00:{k >> 16:02x}:{k >> 8 & 0xFF:02x}:{k & 0xFF:02x}")
    tracker = Tracker()
    for frame in air.frames:
        tracker.feed(frame)
        assert len(tracker._unacked) <= MAX_UNACKED


def test_a_held_roam_goes_out_on_the_first_frame_past_its_wait_whoever_sends_it() -> None:
    """The station falls silent after its first (unacknowledged) data frame: the roam is
    emitted by the first frame of anyone once the wait is over, not by the station's next data
    frame or the once-a-second sweep; live, where the wait is short, that is what bounds the
    delay before a roam is printed."""
    air = Air()
    air.acked_data(0, bssid=AP1)
    m4 = _roam_to_ap2(air)
    air.data(m4 + 1, bssid=AP2)
    for k in range(1, 40):
        air.beacon(m4 + 1 + k * 10, AP1)  # beacons every 10 ms, nothing from the station
    tracker = Tracker(ack_wait_s=0.05)
    emitted = [(f, roams) for f, roams in _feed(air, tracker) if roams]
    (frame, (roam,)), = emitted
    assert frame.ts_ns - ms(m4 + 1) == ms(60)  # the first beacon more than 50 ms later
    assert "within 0.05 s of the first data frame" in _why(roam)
