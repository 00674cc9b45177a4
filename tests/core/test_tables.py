"""The core's per-frame tables (analyzer._core._Tables): data frames, ACKs and repeated beacons
done in C on the tracker's objects must leave `analyze --format json` byte-identical to the
pure path at every edge of what they take over: a beacon body seen before whose elements would
teach the BSS something again (SSID, RSN capabilities), bodies that cycle (DTIM count), the ACK
window, Null frames, group-addressed stations, full tables (pending ACKs, last data per BSSID),
and roams (attempts, holds waiting for the first acknowledged data) among them."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.capture.writer import write_capture
from analyzer.run.engine import Analysis, CaptureResult, Engine, open_captures
from analyzer.simulate.frames import Radio, ack, data_header, mac, on_air, probe_req, set_seq
from analyzer.simulate.payloads import ETH_IPV4, llc
from tests.core.test_exactness import assert_same, assert_same_split, engine, needs_core
from tests.roam.scenarios import AP1, AP2, PASS, STA

RADIO = Radio(0, 5180, -55, 108)
RADIO_24 = Radio(0, 2437, -61, 12)
T0 = 1_714_557_600_000_000_000


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    """These captures teach the decoder's memo thousands of transmitters: leave it empty for
    the tests that count its hits."""
    from analyzer.dot11.decode import _MEMO

    yield
    _MEMO.clear()


def tracker_tables(path: Path, pure: bool) -> tuple:
    """The state the tables touch, after the capture's last frame (before `finish`)."""
    with engine(pure):
        (capture,) = open_captures([str(path)])
        eng = Engine(Analysis([CaptureResult(capture.info)]))
        eng.run_capture(capture)
    t = eng.tracker
    stations = {mac: (st.last_ns, st.current_bssid, list(st.last_data.items()),
                      list(st.last_acked.items()), repr(st.attempt), repr(st.probe),
                      repr(st.steering))
                for mac, st in t._stations.items()}  # fmt: skip
    dedup = ([(ta, list(w.items())) for ta, w in t._dedup._by_ta.items()],
             list(t._dedup._asked.items()), t._dedup.evicted)
    unacked = [(tx, ts, st.mac, bssid) for tx, (ts, st, bssid) in t._unacked.items()]
    pn = (list(t._pn._last.items()), list(t._pn._pending.items()))
    return (t._now, t.frames, t.acks, t._next_sweep, t._hold_due, t._last_ts, t._last_index,
            pn, stations, unacked, dedup,
            {b: repr(bss) for b, bss in t._bss.items()}, dict(eng.analysis.inventory.counts),
            [repr(r) for r in eng.analysis.roams], [repr(f) for f in eng.analysis.findings])


def assert_same_tables(path: Path) -> None:
    assert tracker_tables(path, False) == tracker_tables(path, True)


def assert_same_all_along(path: Path, frames: list[tuple[int, bytes]], first: int,
                          step: int) -> None:
    """The whole capture's JSON, then the tables after every `step` frames from `first`."""
    write_capture(path, frames)
    assert_same(path)
    for end in range(first, len(frames), step):
        write_capture(path, frames[:end])
        assert_same_tables(path)


def _elements_at(frame: bytes) -> int:
    return (frame[2] | frame[3] << 8) + 24 + 12


def _patched(frame: bytes, element_id: int, patch) -> bytes | None:
    """A beacon with one element's body changed by `patch`, FCS recomputed."""
    buf = bytearray(frame)
    p, end = _elements_at(frame), len(frame) - 4
    while p + 2 <= end:
        eid, elen = buf[p], buf[p + 1]
        if eid == element_id:
            buf[p + 2 : p + 2 + elen] = patch(bytes(buf[p + 2 : p + 2 + elen]))
            rt = buf[2] | buf[3] << 8
            struct.pack_into("<I", buf, len(buf) - 4, zlib.crc32(buf[rt:-4]))
            return bytes(buf)
        p += 2 + elen
    return None


def _beacon_variants(frame: bytes) -> list[bytes]:
    ssid = _patched(frame, 0, lambda b: bytes([b[0] ^ 0x01]) + b[1:])
    rsn_caps = _patched(frame, 48, lambda b: b[:-2] + bytes([b[-2] ^ 0x80, b[-1]]))
    dtim = _patched(frame, 5, lambda b: bytes([(b[0] + 1) & 0xFF]) + b[1:])
    channel = _patched(frame, 3, lambda b: bytes([b[0] + 4]) + b[1:])
    return [v for v in (ssid, rsn_caps, dtim, channel) if v is not None]


def _roaming_capture() -> list[tuple[int, bytes]]:
    from analyzer.simulate.scenario import Scenario

    sc = Scenario(seed=7, acks=True)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS)
    sc.ap("ap2", AP2, "lab", 36, akm="psk", passphrase=PASS)
    sc.sta("c", STA)
    sc.beacons("ap1", 3).beacons("ap2", 3)
    sc.connect("c", "ap1").data("c", 30, 5).wait(50)
    sc.roam("c", "ap2").data("c", 30, 5).wait(1500).data("c", 10, 300)
    sc.roam("c", "ap1").data("c", 10, 2)
    return list(sc.frames())


def test_repeated_beacons_that_would_teach_the_bss_again_identical(tmp_path: Path) -> None:
    frames = _roaming_capture()
    by_bss: dict[bytes, bytes] = {}
    for _, f in frames:
        rt = f[2] | f[3] << 8
        if f[rt] == 0x80:
            by_bss.setdefault(f[rt + 16 : rt + 22], f)
    beacons = list(by_bss.values())  # one per BSSID
    assert len(beacons) == 2
    first, last = _beacon_variants(beacons[0]), _beacon_variants(beacons[-1])
    assert len(first) == len(last) == 4
    # three bodies per BSSID, so that the core remembers them all (it keeps four)
    cycle = [beacons[0], first[0], beacons[0], first[3], beacons[-1], last[1], beacons[-1],
             last[2], beacons[0], beacons[-1]]
    out = []
    for n, (ts, f) in enumerate(frames):
        out.append((ts, f))
        if n + 1 < len(frames):
            # the variants while the roams happen, then the first bodies again (the BSS
            # learns them back: a beacon seen before is no reason to skip that)
            beacon = cycle[n % len(cycle)] if n < len(frames) - 30 else beacons[-(n % 2)]
            out.append(((ts + frames[n + 1][0]) // 2, beacon))
    path = tmp_path / "beacons.pcap"
    write_capture(path, out)
    assert_same(path)
    assert_same_tables(path)
    for end in range(40, len(out), 7):  # what each BSS has learned, all along
        write_capture(path, out[:end])
        assert_same_tables(path)
    assert_same_split(path)


def _data(sta: bytes, bssid: bytes, uplink: bool, null: bool = False) -> bytes:
    header = bytearray(data_header(sta, bssid, uplink))
    if null:
        header[0] = 0xC8  # QoS Null
        return on_air(bytes(header), RADIO)
    return on_air(bytes(header) + llc(ETH_IPV4, bytes(40)), RADIO)


def _station(i: int) -> bytes:
    return bytes((0x02, 0, 0, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF))


def test_full_tables_ack_window_nulls_and_group_stations_identical(tmp_path: Path) -> None:
    """5000 stations (more pending frames than MAX_UNACKED), one station on 12 BSSIDs (more
    than MAX_BSSIDS), ACKs inside and outside the 1 ms window, Null frames, a
    group-addressed station, downlink to stations never seen."""
    ap = mac(AP1)
    ts = T0
    frames: list[tuple[int, bytes]] = []

    def put(frame: bytes, step_ns: int = 5_000) -> None:
        nonlocal ts
        ts += step_ns
        frames.append((ts, frame))

    for rnd in range(2):
        for i in range(5000):
            sta = _station(i)
            put(_data(sta, ap, uplink=True, null=i % 7 == 0))
            if i % 3 == 0:
                put(on_air(ack(sta), RADIO), 30_000 if i % 2 else 1_100_000)
            if rnd and i % 5 == 0:
                put(_data(_station(i + 900_000), ap, uplink=False))  # never seen: dropped
                put(on_air(ack(ap), RADIO))
    roamer = _station(77)
    for k in range(40):
        bssid = bytes((0x00, 0x11, 0x22, 0x33, 0x45, k % 12))
        put(_data(roamer, bssid, uplink=k % 2 == 0))
        put(on_air(ack(roamer if k % 2 == 0 else bssid), RADIO), 10_000)
    put(_data(bytes.fromhex("030000000001"), ap, uplink=True))  # group bit: not a station
    put(_data(_station(5), ap, uplink=True), 3_000_000_000)  # a sweep is due
    path = tmp_path / "tables.pcap"
    write_capture(path, frames)
    assert_same(path)
    assert_same_tables(path)
    cut = tmp_path / "cut.pcap"  # the state midway: pending ACKs, stations on many BSSIDs
    for end in (4000, *range(9000, len(frames), 397)):
        write_capture(cut, frames[:end])
        assert_same_tables(cut)


test_repeated_beacons_that_would_teach_the_bss_again_identical = needs_core(
    test_repeated_beacons_that_would_teach_the_bss_again_identical)
test_full_tables_ack_window_nulls_and_group_stations_identical = needs_core(
    test_full_tables_ack_window_nulls_and_group_stations_identical)


def _block_ack(ra: bytes, ta: bytes, control: int, rest: bytes, bad_fcs: bool = False,
               wrong_fcs: bool = False) -> bytes:
    frame = on_air(struct.pack("<BBH6s6sH", 0x94, 0, 0, ra, ta, control) + rest, RADIO,
                   bad_fcs=bad_fcs)
    return frame[:-1] + bytes([frame[-1] ^ 0x01]) if wrong_fcs else frame


@needs_core
def test_block_acks_identical(tmp_path: Path) -> None:
    """Block Acks of every variant after data frames: matching or not (TA, a bandwidth
    signalling TA, a bitmap of zeros), too short for their variant, a bad FCS, a receiver
    with an attempt under way (the roam of `_roaming_capture`)."""
    ap = mac(AP1)
    ts = T0
    frames = list(_roaming_capture())
    roamer = mac(STA)
    ssc = struct.pack("<H", 5 << 4)
    variants = [
        (2 << 1, ssc + b"\x01" + bytes(7)),  # compressed, acknowledges
        (2 << 1, ssc + bytes(8)),  # compressed, nothing acknowledged
        (2 << 1, ssc + bytes(32)),  # compressed, HE: the bitmap is the rest
        (2 << 1, ssc + bytes(3)),  # too short: Malformed
        (0, ssc + b"\x00" * 127 + b"\x80"),  # basic
        (0, ssc + bytes(128) + b"\x01"),  # basic, nothing acknowledged, an octet after
        (1 << 1, ssc + b"\x02" + bytes(8)),  # extended compressed
        (1 << 1, ssc + bytes(8) + b"\x40"),  # extended compressed: RBUFCAP, not bitmap
        (3 << 1, b"\x00" * 6),  # multi-TID: not read, acknowledges
        (2 << 1 | 1, ssc + b"\xff" + bytes(7)),  # No Ack policy
        (0, b""),  # BA Control only
    ]
    extra: list[tuple[int, bytes]] = []
    for k in range(400):
        sta = roamer if k % 4 == 0 else _station(k % 37)
        ts += 400_000
        extra.append((ts, _data(sta, ap, uplink=k % 3 != 0)))
        control, rest = variants[k % len(variants)]
        ta = ap if k % 3 else sta
        if k % 11 == 0:
            ta = bytes((ta[0] | 0x01,)) + ta[1:]  # bandwidth signalling TA
        ra = sta if k % 3 else ap
        if k % 13 == 0:
            ra, ta = ta, ra  # not the data frame's peer
        extra.append((ts + (30_000 if k % 5 else 2_000_000), _block_ack(
            ra, ta, control, rest, bad_fcs=k % 17 == 0, wrong_fcs=k % 19 == 7)))
    shift = frames[0][0] - T0 - 100_000_000
    frames += [(t + shift, f) for t, f in extra]
    frames.sort(key=lambda tf: tf[0])
    assert_same_all_along(tmp_path / "block_acks.pcap", frames, 100, 61)


@needs_core
def test_probe_requests_identical(tmp_path: Path) -> None:
    """Probe Requests of known and unknown stations, bursts and scans 2 s apart, retries and
    sequence numbers seen before (Dedup), a bad FCS, a roam's attempt under way, a BTM
    Request's steering log, among the roams of `_roaming_capture`."""
    from analyzer.simulate import elements
    from analyzer.simulate.scenario import Scenario

    sc = Scenario(seed=3, acks=True)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS)
    sc.ap("ap2", AP2, "lab", 36, akm="psk", passphrase=PASS)
    sc.sta("c", STA)
    sc.beacons("ap1", 2).connect("c", "ap1").data("c", 10, 5).wait(100)
    sc.probe("c", "ap2").wait(20).btm("ap1", "c", ["ap2"]).data("c", 10, 5)
    frames = list(sc.frames())
    ies = [elements.ssid(b"lab") + elements.rates(5180), elements.ssid(b"") + elements.rates(5180)]
    extra: list[tuple[int, bytes]] = []
    ts = frames[0][0] - 50_000_000
    seqs: dict[bytes, int] = {}
    for k in range(600):
        sta = mac(STA) if k % 5 == 0 else _station(k % 9)
        ts += 3_000_000 if k % 50 else 2_100_000_000  # a new scan now and then
        if k % 9 == 0:
            extra.append((ts, _data(sta, mac(AP1), uplink=True)))  # the station known
            ts += 10_000
        # the station's sequence number again now and then: a retry, a replay or a copy
        seq = seqs[sta] = seqs.get(sta, k) + (k % 7 != 3)
        frame = set_seq(probe_req(sta, ies[k % 2 if k % 7 != 3 else 0]), seq & 0xFFF,
                        retry=k % 11 == 4)
        radio = RADIO_24 if k % 10 == 0 else RADIO  # another channel for the steering log
        extra.append((ts, on_air(frame, radio, bad_fcs=k % 23 == 5)))
        if k % 29 == 0:
            raw = extra[-1][1]
            extra[-1] = (ts, raw[:-1] + bytes([raw[-1] ^ 0x10]))  # a wrong FCS
    for t, f in list(frames):  # probes while the station's attempts are under way
        if f[(f[2] | f[3] << 8)] in (0xD0, 0xB0, 0x20, 0x88):  # after a BTM Request too
            seq = seqs[mac(STA)] = seqs[mac(STA)] + 1
            probe = set_seq(probe_req(mac(STA), ies[0]), seq & 0xFFF)
            extra.append((t + 100_000, on_air(probe, RADIO_24 if seq % 2 else RADIO)))
    frames = sorted(frames + extra, key=lambda tf: tf[0])
    assert_same_all_along(tmp_path / "probes.pcap", frames, 50, 37)


# The Python code the tables mirror (analyzer._core._core._Tables). A change to any of it
# changes what the tables must do: mirror it there (or let the tables hand such frames to
# Python), then record the new fingerprint here.
MIRRORED = (
    "analyzer.roam.tracker:Tracker._clock",
    "analyzer.roam.tracker:Tracker.feed",
    "analyzer.roam.tracker:Tracker.data_seen",
    "analyzer.roam.tracker:Tracker._pn_seen",
    "analyzer.roam.pn:PnTracker.seen",
    "analyzer.roam.tracker:Tracker._data_fields",
    "analyzer.roam.tracker:Tracker.ack_seen",
    "analyzer.roam.tracker:Tracker._control",
    "analyzer.roam.tracker:Tracker.beacon_seen",
    "analyzer.roam.tracker:Tracker._frame",
    "analyzer.roam.tracker:Tracker._event",
    "analyzer.roam.tracker:Tracker._station",
    "analyzer.roam.tracker:Tracker._expire",
    "analyzer.roam.tracker:Tracker._steering_event",
    "analyzer.roam.acks:Unacked.ack",
    "analyzer.roam.acks:Unacked.block_ack",
    "analyzer.roam.acks:individual",
    "analyzer.roam.station:Station.saw_data",
    "analyzer.roam.station:Station.saw_acked",
    "analyzer.roam.station:Station.probed",
    "analyzer.roam.station:Bss.learn",
    "analyzer.roam.dedup:Dedup.check",
    "analyzer.roam.dedup:Dedup.asked",
    "analyzer.roam.dedup:Dedup._window",
    "analyzer.roam.dedup:Dedup._remember",
    "analyzer.roam.dedup:Seen",
    "analyzer.roam.events:to_event",
    "analyzer.roam.events:mgmt_roles",
    "analyzer.roam.inventory:Inventory.add",
    "analyzer.roam.inventory:Inventory.count_beacon",
    "analyzer.dot11.control:decode_block_ack",
)
FINGERPRINT = "aef009bade3fc0da"


def _fingerprint() -> str:
    import hashlib
    import importlib
    import inspect

    digest = hashlib.sha256()
    for name in MIRRORED:
        module, _, qualname = name.partition(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        digest.update(inspect.getsource(obj).encode())
    return digest.hexdigest()[:16]


def test_the_code_the_tables_mirror_is_unchanged() -> None:
    assert _fingerprint() == FINGERPRINT, (
        "code that analyzer._core._Tables mirrors changed: mirror the change in _core.pyx "
        "(or hand those frames to Python there), then set FINGERPRINT to the new value")


def _ccmp(sta: bytes, bssid: bytes, uplink: bool, pn: int, key_id: int = 0, mic: int = 0,
          retry: bool = False) -> bytes:
    header = bytearray(data_header(sta, bssid, uplink, protected=True))
    if retry:
        header[1] |= 0x08
    ccmp = bytes((pn & 0xFF, pn >> 8 & 0xFF, 0, 0x20 | key_id << 6)) + (pn >> 16).to_bytes(4,
                                                                                         "little")
    return on_air(bytes(header) + ccmp + bytes(40) + mic.to_bytes(8, "little"), RADIO)


@needs_core
def test_packet_numbers_and_clock_jumps_identical(tmp_path: Path) -> None:
    """Protected data through the tables: PNs rising, repeated (the same MPDU, a retry, a
    reuse), under another key ID, both directions restarting (a rekey inside protected
    frames) or one (PN_REUSE), group PNs; and the clock stepping back and leaping forward."""
    ap = mac(AP1)
    ts = T0
    frames: list[tuple[int, bytes]] = []
    pns: dict[tuple[int, bool], int] = {}
    for k in range(3000):
        i, up = k % 6, (k // 6) % 2 == 0
        sta = _station(i)
        pn = pns.get((i, up), 100) + 1
        if k % 97 == 5:
            pn -= 3  # back: reuse, or a retransmission when the Retry bit says so
        if k % 211 == 7:
            pn = 1  # a restart of this direction; the other follows when k % 422 == 7
        pns[(i, up)] = pn
        ts += 50_000
        if k % 500 == 250:
            ts -= 5_000_000  # the clock steps back
        if k == 2200:
            ts += 2 * 3600 * 10**9  # and leaps forward
        if k % 9 == 0:
            frames.append((ts, _data(sta, ap, uplink=True)))  # clear data: the station known
            ts += 1_000
        frames.append((ts, _ccmp(sta, ap, up, pn, key_id=1 if k % 331 == 3 else 0,
                                 mic=k % 13, retry=k % 97 == 5 and k % 2 == 1)))
        if k % 7 == 0:
            frames.append((ts + 20_000, on_air(ack(sta if up else ap), RADIO)))
    group = bytes.fromhex("01005e000001")
    for k in range(40):
        ts += 30_000
        frames.append((ts, _ccmp(group, ap, False, 50 - k if k % 10 == 0 else 60 + k)))
    assert_same_all_along(tmp_path / "pn.pcap", frames, 200, 143)


@needs_core
def test_packet_numbers_after_the_keys_are_dropped_identical(tmp_path: Path) -> None:
    """A Deauthentication between a station and its AP drops their PN tables (PnTracker.forget);
    the core, which finds those tables by the pair's identity, must not go on writing into the
    dropped ones when the PNs after it run on above them (an unchanged key: no restart)."""
    from analyzer.simulate.frames import deauth

    ap = mac(AP1)
    ts = T0
    frames: list[tuple[int, bytes]] = []
    pns: dict[tuple[int, bool], int] = {}
    for k in range(2400):
        i, up = k % 4, (k // 4) % 2 == 0
        sta = _station(i)
        if k % 9 == 0:
            frames.append((ts, _data(sta, ap, uplink=True)))  # clear data: the station known
            ts += 1_000
        if k % 150 == 149:  # the tables of this pair dropped, the PNs go on
            frames.append((ts, on_air(deauth(ap, sta, ap, 3), RADIO)))
            ts += 1_000
        if k % 400 == 399:  # ... or start again below where they were
            pns = {key: 10 + key[0] for key in pns}
        pn = pns.get((i, up), 100) + 1
        pns[(i, up)] = pn
        ts += 50_000
        frames.append((ts, _ccmp(sta, ap, up, pn)))
    assert_same_all_along(tmp_path / "pn-dropped.pcap", frames, 300, 211)
