"""The roam engine per station: partitions of the stations, each with its own tracker, merged,
give exactly one tracker's results, also when what fires a station's deadline is another
station's frame."""

from __future__ import annotations

from copy import deepcopy
from itertools import count

import pytest

from analyzer.capture import CaptureInfo
from analyzer.dot11.records import Frame, MacHeader, Malformed
from analyzer.roam.acks import Holds
from analyzer.roam.attempt import Attempt, Stage
from analyzer.roam.caps import Limits
from analyzer.roam.partition import HOLDS, SWEEP, PartOutput, merge, owner
from analyzer.roam.records import Finding, Roam, StationSummary
from analyzer.roam.station import Station, note_malformed
from analyzer.roam.tracker import Tracker
from analyzer.run.jobs import Chunk
from analyzer.run.partitions import run_part

from .factory import AP1, AP2, Air

Items = list[tuple[int, Frame | Malformed]]
Results = tuple[list[Roam | Finding], list[StationSummary]]


def macs_by_partition(parts: int, per_part: int) -> list[list[str]]:
    """Station MACs, `per_part` of each partition."""
    found: list[list[str]] = [[] for _ in range(parts)]
    for n in count(1):
        mac = f"02:00:00:00:{n >> 8:02x}:{n & 0xFF:02x}"
        group = found[owner(mac, parts)]
        if len(group) < per_part:
            group.append(mac)
        if all(len(g) == per_part for g in found):
            return found
    raise AssertionError("unreachable")


def in_order(air: Air) -> Items:
    """The frames as a capture holds them: time order, numbered 1, 2, ..."""
    frames = sorted(air.frames, key=lambda f: (f.ts_ns, f.index))
    return [(pos, frame._replace(index=pos)) for pos, frame in enumerate(frames, 1)]


def one_tracker(items: Items, tracker: Tracker | None = None) -> Results:
    tracker = tracker or Tracker()
    out: list[Roam | Finding] = []
    for _, item in items:
        out.extend(tracker.feed(item))
    out.extend(tracker.finish())
    return out, tracker.stations()


def partitions(items: Items, parts: int, limits: Limits | None = None) -> list[PartOutput]:
    """Each partition's output, the items given to the partition driver (analyzer.run.partitions)
    as one chunk of whole frames."""
    chunk = Chunk(CaptureInfo("air", "pcap", [127], frames=len(items)))
    for pos, item in items:
        chunk.index.append(pos)
        chunk.ts.append(item.ts_ns)
        chunk.tid.append(-1)
        chunk.objects.append(item)
    info = CaptureInfo("air", "pcap", [127])
    runs = [run_part([chunk], deepcopy(info), part, parts, limits) for part in range(parts)]
    assert all(run.output is not None for run in runs)
    return [run.output for run in runs]  # type: ignore[misc]


def busy_air() -> tuple[Air, dict[str, str]]:
    """Stations of both partitions (of 2) whose deadlines only another station's frames reach:
    after a few beacons and one acknowledged frame, `busy` alone sends data on AP1, every
    50 ms. `stall0`/`stall1` stop mid-roam to AP2: their attempts time out at one sweep.
    `held0`/`held1` roam to AP2 and send data nobody acknowledges: their attempts wait for it,
    and give up at one frame of `busy`. `late0` roams to AP2 later. AP1 then deauthenticates
    everyone at once, and the stalled stations connect again."""
    (s0, h0, b0, l0), (s1, h1, _, _) = macs_by_partition(2, 4)
    who = {"busy": b0, "stall1": s1, "stall0": s0, "held1": h1, "held0": h0, "late0": l0}
    air = Air()
    for t in range(0, 400, 100):
        air.beacon(t, AP1)
        air.beacon(t + 50, AP2)
    for n, sta in enumerate(who.values()):
        air.psk_connect(10 + 20 * n, sta, AP1)
    air.acked_data(190, b0, AP1)
    for t in range(200, 9000, 50):
        air.data(t + 0.3, b0, AP1)
    for sta, t in ((s1, 500), (s0, 500.5)):
        air.auth(t, sta, AP2)
        air.auth(t + 1, sta, AP2, seq=2)
        air.assoc_req(t + 2, sta, AP2, reassoc=True, current_ap=AP1)
    for sta, t in ((h1, 1000), (h0, 1000.2)):
        m4 = air.psk_connect(t, sta, AP2, reassoc=True, current_ap=AP1)
        air.data(m4 + 10, sta, AP2)
    m4 = air.psk_connect(6000, l0, AP2, reassoc=True, current_ap=AP1)
    air.acked_data(m4 + 5, l0, AP2)
    air.deauth(7000.1, "ff:ff:ff:ff:ff:ff", AP1)
    for n, sta in enumerate((s0, s1)):
        air.psk_connect(7100 + 20 * n, sta, AP1)
    return air, who


def test_partitions_merge_to_one_trackers_results_when_other_stations_fire_the_clock() -> None:
    items = in_order(busy_air()[0])
    single = one_tracker(items)
    for parts in (2, 3, 5):
        assert merge(partitions(items, parts)) == single, parts


def test_busy_air_times_out_releases_and_deauthenticates_in_both_partitions() -> None:
    """What the scenario is there for: at one position both partitions emit from a sweep
    (the two stalled roams time out), at another both release a held roam, and one broadcast
    deauthentication disconnects stations of both."""
    air, who = busy_air()
    outputs = partitions(in_order(air), 2)
    results, _ = merge(outputs)
    roams = {r.sta: r for r in results if isinstance(r, Roam) and r.to_bssid == AP2}
    assert {roams[who[s]].failure_reason for s in ("stall0", "stall1")} == {"no_progress"}
    assert all(roams[who[s]].outcome == "success" for s in ("held0", "held1"))
    again = [r for r in results if isinstance(r, Roam) and r.t_start_ns > 7_000_000_000]
    assert {r.sta for r in again} == {who["stall0"], who["stall1"]}
    assert roams[who["late0"]].outcome == "success"
    assert {r.trigger.type for r in again} == {"deauth"}
    for phase in (SWEEP, HOLDS):
        positions = [{key[0] for key, _, _ in out.emitted if key[1] == phase} for out in outputs]
        assert positions[0] & positions[1], phase
    assert all(o.inexact is None for o in outputs)


@pytest.mark.parametrize("parts", [2, 3])
def test_each_partition_reports_only_its_own_stations(parts: int) -> None:
    air, _ = busy_air()
    for out in partitions(in_order(air), parts):
        stas = {r.sta for _, _, r in out.emitted if isinstance(r, Roam)}
        assert stas and all(owner(sta, parts) == out.part for sta in stas)
        assert all(owner(s.sta, parts) == out.part for s in out.stations)


def test_attempt_ids_follow_the_order_attempts_were_opened_in() -> None:
    items = in_order(busy_air()[0])
    results, _ = merge(partitions(items, 2))
    roams = sorted((r for r in results if isinstance(r, Roam)), key=lambda r: r.id)
    assert [r.id for r in roams] == list(range(1, len(roams) + 1))
    assert [r.t_start_ns for r in roams] == sorted(r.t_start_ns for r in roams)


def test_a_partition_that_reaches_its_share_of_a_cap_says_so() -> None:
    """Twelve stations, a cap of 8: each of 2 partitions may keep 4, so one tracker's cap
    (which it may also reach) cannot be stood for."""
    air = Air()
    for group in macs_by_partition(2, 6):
        for n, sta in enumerate(group):
            air.probe_req(n, sta)
    outputs = partitions(in_order(air), 2, Limits(stations=8))
    assert all(o.inexact is not None and "stations" in o.inexact for o in outputs)
    assert all(o.inexact is None for o in partitions(in_order(air), 2))


def test_held_attempts_released_together_come_in_the_order_their_waits_ended() -> None:
    holds = Holds(wait_ns=1_000)
    stations = []
    for mac, first_data in (("02:00:00:00:00:09", 300), ("02:00:00:00:00:01", 100),
                            ("02:00:00:00:00:05", 100)):  # fmt: skip
        st = Station(mac, 0)
        st.attempt = Attempt(1, mac, AP2, 0, Stage.AWAIT_DATA, first_data_ns=first_data)
        holds.hold(st, st.attempt, first_data)
        stations.append(st)
    over, due = holds.release(5_000)
    assert [st.mac for st, _ in over] == ["02:00:00:00:00:01", "02:00:00:00:00:05",
                                          "02:00:00:00:00:09"]  # fmt: skip
    assert due > 5_000


def test_a_malformed_frame_is_named_in_both_stations_open_attempts() -> None:
    a, b = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
    stations = {}
    for mac in (a, b):
        st = Station(mac, 0)
        st.attempt = Attempt(1, mac, AP1, 0, Stage.AUTH)
        stations[mac] = st
    header = MacHeader(0, 11, 0, 0, a, b, AP1, None, 1, 0, None, None, 24)
    note_malformed(stations, Malformed(7, 0, 0, "mac", "cut short", None, header))
    assert stations[a].attempt.malformed == [7] and stations[b].attempt.malformed == [7]


def test_an_aps_frame_to_one_partitions_station_ends_its_data_wait_in_the_other() -> None:
    """AP1 sends data to `q`, then a Probe Response to `p` (another partition), and the ACK
    that follows answers the Probe Response: `q`'s data frame stays unacknowledged, so `q`'s
    last acknowledged data on AP1, where its roam's ack_to_ack starts, is the earlier one."""
    (p,), (q,) = macs_by_partition(2, 1)
    air = Air()
    air.beacon(0, AP1)
    air.beacon(1, AP2)
    air.psk_connect(10, p, AP1)
    air.psk_connect(40, q, AP1)
    air.acked_data(150, q, AP1)
    air.data(200, q, AP1, to_ds=False)
    air.probe_resp(200.1, p, AP1)
    air.ack(200.15, AP1)
    m4 = air.psk_connect(300, q, AP2, reassoc=True, current_ap=AP1)
    air.acked_data(m4 + 5, q, AP2)
    items = in_order(air)
    single = one_tracker(items)
    assert merge(partitions(items, 2)) == single
    roam = next(r for r in single[0] if isinstance(r, Roam) and r.to_bssid == AP2)
    assert roam.latency_ms["ack_to_ack"] == pytest.approx(m4 + 5.05 - 150.05, abs=1e-3)
