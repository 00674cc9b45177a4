"""Large, fast frame mixes for the benchmark. `bench_mix` (mix "default"): ~25 % beacons, ~55 %
data, ~15 % control, probes. Mix "control": ~30 % control frames (ACKs and Block Acks answering
the data frame before them, RTS/CTS), ~29 % protected data, ~16 % data in the clear, ~20 %
beacons, probes.

Background frames are copies of templates built once, with the radiotap TSFT, the sequence
number, the beacon TSF or the CCMP PN patched in place and the FCS recomputed: about 1 M
frames in a few seconds. Patching the PN invalidates the CCMP MIC, so background data frames do
not decrypt validly (they are random traffic under random keys anyway). The few dozen roams
interleaved with them are built by :class:`Scenario` and are fully valid (PSK and 802.1X with
PMKSA caching; the PSK passphrase is ``BENCH_PASSPHRASE``).
"""

from __future__ import annotations

import heapq
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.crypto.ccmp import ccmp_encrypt

from . import elements, steps
from .frames import (
    RADIOTAP_LEN,
    Radio,
    ack,
    block_ack,
    cts,
    data_header,
    on_air,
    probe_req,
    rts,
)
from .payloads import ETH_IPV4, llc, udp
from .scenario import START_NS, Scenario

BENCH_PASSPHRASE = "bench passphrase"
BENCH_SSID = "benchnet"
N_APS = 6
N_STAS = 40
CHANNELS = (36, 44, 149)
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_TA_AT = RADIOTAP_LEN + 10
_SEQ_AT = RADIOTAP_LEN + 22
_TSF_AT = RADIOTAP_LEN + 24
_PN_AT = RADIOTAP_LEN + 26
BEACON_SHARE, DATA_SHARE, CONTROL_SHARE = 0.25, 0.55, 0.15
ANSWER_NS = 40_000  # an ACK or Block Ack follows the data frame it answers by this much


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of the background frames (the rest are probe requests). `answers`: a control
    frame after a data frame is its ACK or Block Ack (else RTS/CTS, an ACK to anyone)."""

    beacon: float
    protected: float
    clear: float
    control: float
    answers: bool


MIXES = {
    "default": Mix(BEACON_SHARE, DATA_SHARE, 0.0, CONTROL_SHARE, False),
    "control": Mix(0.20, 0.29, 0.16, 0.30, True),
}


@dataclass(frozen=True, slots=True)
class Template:
    """One frame on the air as bytes, and which fields the generator patches."""

    data: bytes
    kind: str


def _bssid(i: int) -> str:
    return f"00:1f:f3:be:00:{i:02x}"


def _sta(i: int) -> str:
    return f"02:be:00:00:{i >> 8:02x}:{i & 0xFF:02x}"


def _add_aps(sc: Scenario) -> None:
    """Even APs: PSK on ``benchnet``; odd APs: 802.1X on ``benchnet-eap``."""
    for i in range(N_APS):
        eap = i % 2 == 1
        sc.ap(
            f"ap{i}",
            _bssid(i),
            BENCH_SSID + ("-eap" if eap else ""),
            CHANNELS[i % 3],
            akm="8021x" if eap else "psk",
            passphrase=None if eap else BENCH_PASSPHRASE,
        )


def _roams(n_roams: int, duration_s: float, seed: int) -> Scenario:
    sc = Scenario("pcapng", seed)
    _add_aps(sc)
    step = duration_s / (n_roams + 1)
    for k in range(n_roams):
        name, a = f"r{k}", 2 * (k % 3) + (k // 3) % 2
        b, back = (a + 2) % N_APS, k % 4 == 1 and a % 2 == 1
        sc.sta(name, _sta(0x100 + k))
        sc.at(step * (k + 0.5)).connect(name, f"ap{a}").data(name, 4).wait(300)
        sc.roam(name, f"ap{b}").data(name, 4)
        if back:
            sc.wait(300).roam(name, f"ap{a}").data(name, 4)
    return sc


def _templates(seed: int) -> dict[str, list[bytes]]:
    rng = random.Random(seed)
    sc = Scenario("pcapng", seed)
    out: dict[str, list[bytes]] = {"beacon": [], "data": [], "control": [], "probe": [],
                                   "clear": [], "ack": [], "block_ack": [], "clear_ack": [],
                                   "clear_block_ack": []}
    _add_aps(sc)
    aps = list(sc.aps.values())
    for ap in aps:
        out["beacon"].append(on_air(steps.beacon_frame(sc, ap, START_NS), _radio(ap.freq_mhz)))
    for i in range(N_STAS):
        ap, sta = aps[i % N_APS], bytes.fromhex(_sta(i).replace(":", ""))
        tk, radio = rng.randbytes(16), _radio(ap.freq_mhz, 108)
        for uplink in (True, False):
            header = data_header(sta, ap.bssid, uplink, protected=True, peer=steps.ROUTER)
            packet = udp(
                bytes((10, 1, 0, i)),
                bytes((10, 1, 255, 1)),
                5004,
                5004,
                rng.randbytes(rng.choice((120, 240, 900))),
            )
            body = ccmp_encrypt(tk, header, 1, llc(ETH_IPV4, packet))
            out["data"].append(on_air(header + body, radio))
            clear = data_header(sta, ap.bssid, uplink, peer=steps.ROUTER)
            out["clear"].append(on_air(clear + llc(ETH_IPV4, packet), radio))
            ta, ra = (sta, ap.bssid) if uplink else (ap.bssid, sta)
            for name in ("ack", "clear_ack"):
                out[name].append(on_air(ack(ta), _radio(ap.freq_mhz, 12)))
            for name in ("block_ack", "clear_block_ack"):
                out[name].append(on_air(block_ack(ta, ra, 0, 0), _radio(ap.freq_mhz, 12)))
        ctl = (ack(sta), rts(ap.bssid, sta), cts(sta), ack(ap.bssid))
        out["control"] += [on_air(f, _radio(ap.freq_mhz, 12)) for f in ctl]
        ies = elements.ssid(ap.ssid) + elements.rates(ap.freq_mhz)
        out["probe"].append(on_air(probe_req(sta, ies), _radio(ap.freq_mhz)))
    return out


def _radio(freq_mhz: int, rate: int = 12) -> Radio:
    return Radio(0, freq_mhz, -60, rate)


def _background(
    n: int, duration_ns: int, seed: int, mix: Mix = MIXES["default"]
) -> Iterator[tuple[int, bytes]]:
    """``n`` patched template frames in time order over ``duration_ns``."""
    rng = random.Random(seed)
    t = _templates(seed)
    beacons, data, control, probes = t["beacon"], t["data"], t["control"], t["probe"]
    clear = t["clear"]
    answers = {"data": (t["ack"], t["block_ack"]), "clear": (t["clear_ack"], t["clear_block_ack"])}
    seqs = [0] * 256
    pn = [1] * len(data)
    gap = duration_ns // max(n, 1)
    ts = START_NS
    b_edge = mix.beacon
    d_edge = b_edge + mix.protected
    e_edge = d_edge + mix.clear
    c_edge = e_edge + mix.control
    last: tuple[str, int] | None = None  # the data frame just sent: its templates, its index
    rand, crc, pack64, pack16, pack32 = (
        rng.random,
        zlib.crc32,
        _U64.pack_into,
        _U16.pack_into,
        _U32.pack_into,
    )
    for _ in range(n):
        if mix.answers:
            r = rand()
            answer = e_edge <= r < c_edge and last is not None
            ts += rng.randrange(1, ANSWER_NS if answer else 2 * gap)
        else:
            ts += rng.randrange(1, 2 * gap)
            r = rand()
        sent, last = last, None
        if r < b_edge:
            k = int(r * 1e6) % len(beacons)
            buf = bytearray(beacons[k])
            pack64(buf, _TSF_AT, (ts - START_NS) // 1000)
        elif r < d_edge:
            k = int(r * 1e6) % len(data)
            buf = bytearray(data[k])
            pn[k] += 1
            p = pn[k]
            buf[_PN_AT] = p & 0xFF
            buf[_PN_AT + 1] = (p >> 8) & 0xFF
            pack32(buf, _PN_AT + 4, p >> 16)
            last = ("data", k)
        elif r < e_edge:
            k = int(r * 1e6) % len(clear)
            buf = bytearray(clear[k])
            last = ("clear", k)
        elif r < c_edge:
            if mix.answers and sent is not None:
                acks, block_acks = answers[sent[0]]
                k = sent[1]
                buf = bytearray(acks[k] if int(r * 1e6) % 3 else block_acks[k])
                if buf[RADIOTAP_LEN] == 0x94:  # the Block Ack's starting sequence number
                    pack16(buf, RADIOTAP_LEN + 18, seqs[_slot(data[k])] << 4)
            else:
                buf = bytearray(control[int(r * 1e6) % len(control)])
            pack64(buf, 8, ts // 1000)
            pack32(buf, len(buf) - 4, crc(memoryview(buf)[RADIOTAP_LEN:-4]))
            yield ts, bytes(buf)
            continue
        else:
            k = int(r * 1e6) % len(probes)
            buf = bytearray(probes[k])
        slot = _slot(buf)
        seqs[slot] = (seqs[slot] + 1) & 0xFFF
        pack16(buf, _SEQ_AT, seqs[slot] << 4)
        pack64(buf, 8, ts // 1000)
        pack32(buf, len(buf) - 4, crc(memoryview(buf)[RADIOTAP_LEN:-4]))
        yield ts, bytes(buf)


def _slot(frame: bytes | bytearray) -> int:
    """The sequence counter a frame's transmitter uses (by two octets of its TA)."""
    return (frame[_TA_AT + 1] + frame[_TA_AT + 5]) & 0xFF


def bench_mix(
    n_frames: int = 1_000_000, seed: int = 1, mix: str = "default"
) -> Iterator[tuple[int, bytes]]:
    """``n_frames`` (ts_ns, radiotap frame) in time order: background (shares by ``mix``, a
    key of MIXES) plus complete roams."""
    shares = MIXES[mix]
    n_roams = max(2, min(36, n_frames // 25_000))
    duration_s = max(2.0 * n_roams, n_frames * shares.beacon / (N_APS * 9.77))
    roams = list(_roams(n_roams, duration_s, seed).frames())
    background = _background(max(0, n_frames - len(roams)), int(duration_s * 1e9), seed, shares)
    yield from heapq.merge(background, roams, key=lambda f: f[0])
