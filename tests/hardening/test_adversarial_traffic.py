"""Adversarial traffic: floods of random station MACs or BSSIDs and endless half-open
handshakes keep the roam engine's state bounded (expiry, then caps with a finding), whether
frames come from a file through the pipeline or one at a time as from a live interface."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest

from analyzer.capture import RawRecord
from analyzer.dot11 import Frame, Malformed, decode
from analyzer.roam import inventory
from analyzer.roam.caps import Limits
from analyzer.roam.records import Finding, Roam
from analyzer.roam.tracker import Tracker
from analyzer.run.dispatch import run
from tests.roam.factory import AP1, Air

from . import hostile as h

CAP = 100
FLOOD = 2_000


def mac(rng: random.Random) -> str:
    return h.random_mac(rng.getrandbits(48)).hex(":")


def cap_findings(found: list[Roam | Finding]) -> list[Finding]:
    return [f for f in found if isinstance(f, Finding) and f.code == "STATE_CAP_REACHED"]


def test_random_mac_probe_flood_stays_under_the_station_cap_and_says_so_once() -> None:
    rng, air = random.Random(1), Air()
    for i in range(FLOOD):
        air.probe_req(i * 0.1, mac(rng))
    tracker, out, most = Tracker(limits=Limits(stations=CAP)), [], 0
    for frame in air.frames:
        out += tracker.feed(frame)
        most = max(most, tracker.active_stations)
    assert most <= CAP
    (finding,) = cap_findings(out)
    assert "stations" in finding.message and finding.severity == "warning"
    assert tracker.caps.evicted["stations"] >= FLOOD - CAP


def test_half_open_handshakes_stay_bounded_and_every_attempt_is_accounted_for() -> None:
    """An evicted open attempt is counted under STATE_CAP_REACHED, never dropped silently."""
    rng, air = random.Random(2), Air()
    for i in range(FLOOD):
        sta = mac(rng)
        air.auth(i * 0.1, sta, AP1)
        air.key(i * 0.1 + 0.05, "M1", sta=sta, bssid=AP1)
    tracker, out, most = Tracker(limits=Limits(stations=CAP)), [], 0
    for frame in air.frames:
        out += tracker.feed(frame)
        most = max(most, tracker.active_stations)
    out += tracker.finish()
    roams = [r for r in out if isinstance(r, Roam)]
    assert most <= CAP and len(roams) + tracker.caps.evicted["open attempts"] == FLOOD
    assert {r.outcome for r in roams} == {"incomplete"} and len(roams) <= CAP
    assert sorted(f.message.split(" tracked")[0] for f in cap_findings(out)) == [
        f"more than {CAP} open attempts", f"more than {CAP} stations"
    ]


def test_a_succeeded_attempt_of_an_evicted_station_is_still_reported() -> None:
    rng, air = random.Random(8), Air()
    air.psk_connect(0)
    for i in range(3 * CAP):
        air.probe_req(100 + i * 0.1, mac(rng))
    tracker, out = Tracker(limits=Limits(stations=CAP)), []
    for frame in air.frames:
        out += tracker.feed(frame)
    (roam,) = [r for r in out if isinstance(r, Roam)]
    assert roam.outcome == "success" and "open attempts" not in tracker.caps.evicted


def test_endless_half_open_handshakes_expire_without_reaching_a_cap() -> None:
    rng, air = random.Random(3), Air()
    for i in range(FLOOD):
        air.auth(i * 10.0, mac(rng), AP1)  # 100 new stations a second, none ever answered
    tracker, out, most = Tracker(timeout_s=0.5, station_idle_s=1.0), [], 0
    for frame in air.frames:
        out += tracker.feed(frame)
        most = max(most, tracker.active_stations)
    assert most < 400 and not cap_findings(out)
    assert sum(isinstance(r, Roam) and r.failure_reason is not None for r in out) > FLOOD * 0.9


def test_random_bssid_beacon_flood_stays_under_the_bss_cap() -> None:
    rng, air = random.Random(4), Air()
    for i in range(FLOOD):
        air.beacon(i * 0.1, mac(rng))
    tracker, out = Tracker(limits=Limits(bss=CAP)), []
    for frame in air.frames:
        out += tracker.feed(frame)
        assert len(tracker._bss) <= CAP
    assert len(cap_findings(out)) == 1 and tracker.caps.evicted["BSSIDs"] >= FLOOD - CAP


def test_station_totals_are_capped_for_the_summary() -> None:
    rng, air = random.Random(5), Air()
    for i in range(FLOOD):
        air.auth(i * 10.0, mac(rng), AP1)
    tracker = Tracker(timeout_s=0.5, limits=Limits(tally=CAP))
    out = []
    for frame in air.frames:
        out += tracker.feed(frame)
    out += tracker.finish()
    assert len(tracker.stations()) <= CAP
    assert [f.message.split(" tracked")[0] for f in cap_findings(out)] == [
        f"more than {CAP} station totals"
    ]


def flood_capture(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    frames = []
    for i in range(n):
        sa = h.random_mac(rng.getrandbits(48))
        frames.append(h.auth_req(sa) if i % 2 else h.probe_req(sa, b"free wifi"))
    return h.pcap(frames)


def test_flood_in_file_mode_is_bounded_through_the_pipeline() -> None:
    tracker = Tracker(limits=Limits(stations=CAP))
    analysis = run([io.BytesIO(flood_capture(FLOOD, 6))], tracker=tracker)  # type: ignore[list-item]
    assert tracker.active_stations <= CAP
    assert [f.code for f in analysis.findings].count("STATE_CAP_REACHED") >= 1
    forged = len(analysis.roams) + tracker.caps.evicted.get("open attempts", 0)
    assert forged == FLOOD // 2  # one attempt per forged Auth: reported or counted


def records(blob: bytes) -> Iterator[RawRecord]:
    """Records as a live source hands them over: one at a time, nothing read ahead."""
    from analyzer.capture import open_capture

    with open_capture(io.BytesIO(blob)) as cap:
        yield from cap


def test_flood_in_live_mode_is_bounded_when_results_are_streamed() -> None:
    tracker, most, results = Tracker(limits=Limits(stations=CAP)), 0, 0
    for rec in records(flood_capture(FLOOD, 7)):
        item = decode(rec)
        if isinstance(item, Frame | Malformed):
            results += len(tracker.feed(item))
            most = max(most, tracker.active_stations)
    assert most <= CAP and results > 0


def test_pmkid_sightings_of_a_forged_association_flood_are_capped_with_a_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inventory, "MAX_PMKID_SIGHTINGS", CAP)
    rng = random.Random(8)
    frames = [h.assoc_req_with_pmkid(h.random_mac(rng.getrandbits(48)), rng.randbytes(16))
              for _ in range(3 * CAP)]  # fmt: skip
    analysis = run([io.BytesIO(h.pcap(frames))])  # type: ignore[list-item]
    assert analysis.inventory.counts["assoc_req"] == 3 * CAP
    assert len(analysis.inventory.pmkids) == CAP
    assert analysis.inventory.pmkids[-1].pmkid == frames[CAP - 1][-16:]
    [cap] = [f for f in analysis.findings if f.code == "STATE_CAP_REACHED" and "PMKID" in f.message]
    assert cap.frame == CAP + 1 and f"{2 * CAP} later" in cap.message
