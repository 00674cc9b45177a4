"""802.11 frames and their radiotap encapsulation, encoded directly with ``struct``.

The builder is the test oracle, so it shares no code with ``analyzer/dot11``; and the benchmark
needs a million frames in seconds, which scapy (about 1-3 k frames/s) cannot give. Byte order:
radiotap and the 802.11 header/bodies are little-endian (IEEE 802.11-2020 9.2.2).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

BROADCAST = b"\xff" * 6
CAP_ESS = 0x0001
CAP_PRIVACY = 0x0010
DURATION = 0x013A

RT_TSFT, RT_FLAGS, RT_RATE, RT_CHANNEL, RT_DBM_SIGNAL, RT_ANTENNA = 0, 1, 2, 3, 5, 11
RT_PRESENT = sum(
    1 << b for b in (RT_TSFT, RT_FLAGS, RT_RATE, RT_CHANNEL, RT_DBM_SIGNAL, RT_ANTENNA)
)
RT_F_FCS = 0x10
RT_F_BAD_FCS = 0x40
# version, pad, it_len, it_present | TSFT u64 @8 | flags @16 | rate @17 | MHz, flags @18 | dBm @22
# | antenna @23: every field is naturally aligned relative to the header start.
_RADIOTAP = struct.Struct("<BBHIQBBHHbB")
RADIOTAP_LEN = _RADIOTAP.size

_MGMT = struct.Struct("<BBH6s6s6sH")
_QOS_DATA = struct.Struct("<BBH6s6s6sHH")
_RTS = struct.Struct("<BBH6s6s")
_CTL1 = struct.Struct("<BBH6s")
_BLOCK_ACK = struct.Struct("<BBH6s6sHH")  # FC, Duration, RA, TA, BA Control, SSC
_SEQ = struct.Struct("<H")

ST_ASSOC_REQ, ST_ASSOC_RESP, ST_REASSOC_REQ, ST_REASSOC_RESP = 0, 1, 2, 3
ST_PROBE_REQ, ST_PROBE_RESP, ST_BEACON = 4, 5, 8
ST_DISASSOC, ST_AUTH, ST_DEAUTH, ST_ACTION = 10, 11, 12, 13
BA_COMPRESSED = 2  # BA Type of the Compressed BlockAck variant (IEEE 802.11-2020 Table 9-24)
BA_NO_ACK = 0x0001  # BA Ack Policy: the Block Ack itself is not acknowledged


@dataclass(frozen=True, slots=True)
class Radio:
    """What the sniffer's radio reports about one received frame."""

    tsft_us: int
    freq_mhz: int
    signal_dbm: int
    rate_500kbps: int = 12


def channel_flags(freq_mhz: int, rate_500kbps: int) -> int:
    band = 0x0080 if freq_mhz < 3000 else 0x0100
    modulation = 0x0020 if rate_500kbps in (2, 4, 11, 22) else 0x0040
    return band | modulation


def radiotap(radio: Radio, flags: int = 0) -> bytes:
    return _RADIOTAP.pack(
        0,
        0,
        RADIOTAP_LEN,
        RT_PRESENT,
        radio.tsft_us & 0xFFFF_FFFF_FFFF_FFFF,
        flags,
        radio.rate_500kbps,
        radio.freq_mhz,
        channel_flags(radio.freq_mhz, radio.rate_500kbps),
        radio.signal_dbm,
        0,
    )


def fcs(frame: bytes) -> bytes:
    return struct.pack("<I", zlib.crc32(frame))


def on_air(frame: bytes, radio: Radio, with_fcs: bool = True, bad_fcs: bool = False) -> bytes:
    """Radiotap + frame [+ FCS]; a bad FCS is the right CRC with its bits flipped."""
    if bad_fcs:
        crc = struct.pack("<I", zlib.crc32(frame) ^ 0xFFFF_FFFF)
        return radiotap(radio, RT_F_FCS | RT_F_BAD_FCS) + frame + crc
    if with_fcs:
        return radiotap(radio, RT_F_FCS) + frame + fcs(frame)
    return radiotap(radio) + frame


def set_seq(frame: bytes, seq: int, retry: bool = False) -> bytes:
    """Patch the sequence number (fragment 0) and the Retry bit of a mgmt/data frame."""
    fc1 = frame[1] | 0x08 if retry else frame[1] & ~0x08
    return frame[:1] + bytes((fc1,)) + frame[2:22] + _SEQ.pack((seq & 0xFFF) << 4) + frame[24:]


def mgmt(subtype: int, da: bytes, sa: bytes, bssid: bytes, body: bytes, seq: int = 0) -> bytes:
    return _MGMT.pack(subtype << 4, 0, DURATION, da, sa, bssid, (seq & 0xFFF) << 4) + body


def qos_data_header(
    to_ds: bool, a1: bytes, a2: bytes, a3: bytes, tid: int = 0, protected: bool = False
) -> bytes:
    """QoS Data header (30 bytes); addresses as the DS bits say (DOMAIN §2)."""
    fc1 = (0x01 if to_ds else 0x02) | (0x40 if protected else 0)
    return _QOS_DATA.pack(0x88, fc1, 0x002C, a1, a2, a3, 0, tid & 0x0F)


def data_header(
    sta: bytes,
    bssid: bytes,
    uplink: bool,
    tid: int = 0,
    protected: bool = False,
    peer: bytes | None = None,
) -> bytes:
    """Header of a frame between ``sta`` and its AP; ``peer`` is the far end on the DS."""
    far = bssid if peer is None else peer
    if uplink:
        return qos_data_header(True, bssid, sta, far, tid, protected)
    return qos_data_header(False, sta, bssid, far, tid, protected)


def ack(ra: bytes) -> bytes:
    return _CTL1.pack(0xD4, 0, 0, ra)


def block_ack(
    ra: bytes, ta: bytes, tid: int, ssn: int, bitmap: bytes = b"\x01" + bytes(7)
) -> bytes:
    """Compressed Block Ack (IEEE 802.11-2020 9.3.1.8.2) from ``ta`` to ``ra``: BA Control
    (No Ack policy, BA Type 2, TID in B12-B15), Starting Sequence Control, 8-octet bitmap
    (bit n: sequence ``ssn + n`` received; by default the starting one only)."""
    control = BA_NO_ACK | BA_COMPRESSED << 1 | (tid & 0x0F) << 12
    return _BLOCK_ACK.pack(0x94, 0, 0, ra, ta, control, (ssn & 0xFFF) << 4) + bitmap


def set_ssn(frame: bytes, ssn: int) -> bytes:
    """Patch the starting sequence number (fragment 0) of a Block Ack from `block_ack`."""
    return frame[:18] + _SEQ.pack((ssn & 0xFFF) << 4) + frame[20:]


def cts(ra: bytes, duration: int = 0x00A0) -> bytes:
    return _CTL1.pack(0xC4, 0, duration, ra)


def rts(ra: bytes, ta: bytes, duration: int = 0x00B4) -> bytes:
    return _RTS.pack(0xB4, 0, duration, ra, ta)


def capabilities(freq_mhz: int, privacy: bool = True) -> int:
    short_slot = 0x0400 if freq_mhz < 3000 else 0
    return CAP_ESS | (CAP_PRIVACY if privacy else 0) | short_slot


def beacon(bssid: bytes, tsf_us: int, cap: int, elements: bytes, interval_tu: int = 100) -> bytes:
    body = struct.pack("<QHH", tsf_us, interval_tu, cap) + elements
    return mgmt(ST_BEACON, BROADCAST, bssid, bssid, body)


def probe_req(sta: bytes, elements: bytes, bssid: bytes = BROADCAST) -> bytes:
    return mgmt(ST_PROBE_REQ, bssid, sta, bssid, elements)


def probe_resp(
    bssid: bytes, sta: bytes, tsf_us: int, cap: int, elements: bytes, interval_tu: int = 100
) -> bytes:
    body = struct.pack("<QHH", tsf_us, interval_tu, cap) + elements
    return mgmt(ST_PROBE_RESP, sta, bssid, bssid, body)


def auth(
    da: bytes,
    sa: bytes,
    bssid: bytes,
    algorithm: int,
    auth_seq: int,
    status: int = 0,
    body: bytes = b"",
) -> bytes:
    """Authentication: algorithm 0 open, 2 FT, 3 SAE (DOMAIN §3)."""
    return mgmt(ST_AUTH, da, sa, bssid, struct.pack("<HHH", algorithm, auth_seq, status) + body)


def assoc_req(
    bssid: bytes,
    sta: bytes,
    cap: int,
    elements: bytes,
    current_ap: bytes | None = None,
    listen_interval: int = 10,
) -> bytes:
    """Association Request, or Reassociation Request when ``current_ap`` is given."""
    fixed = struct.pack("<HH", cap, listen_interval)
    if current_ap is None:
        return mgmt(ST_ASSOC_REQ, bssid, sta, bssid, fixed + elements)
    return mgmt(ST_REASSOC_REQ, bssid, sta, bssid, fixed + current_ap + elements)


def assoc_resp(
    bssid: bytes,
    sta: bytes,
    cap: int,
    status: int,
    aid: int,
    elements: bytes,
    reassoc: bool = False,
) -> bytes:
    subtype = ST_REASSOC_RESP if reassoc else ST_ASSOC_RESP
    aid_field = (aid | 0xC000) if status == 0 else 0
    return mgmt(subtype, sta, bssid, bssid, struct.pack("<HHH", cap, status, aid_field) + elements)


def deauth(da: bytes, sa: bytes, bssid: bytes, reason: int) -> bytes:
    return mgmt(ST_DEAUTH, da, sa, bssid, struct.pack("<H", reason))


def disassoc(da: bytes, sa: bytes, bssid: bytes, reason: int) -> bytes:
    return mgmt(ST_DISASSOC, da, sa, bssid, struct.pack("<H", reason))


def action(da: bytes, sa: bytes, bssid: bytes, body: bytes) -> bytes:
    return mgmt(ST_ACTION, da, sa, bssid, body)


def mac(text: str) -> bytes:
    """``"00:1f:f3:c0:89:0f"`` -> 6 bytes."""
    raw = bytes.fromhex(text.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    return raw


def mac_str(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)
