"""Hostile bytes built by hand with struct: frames, records and blocks whose lengths lie."""

from __future__ import annotations

import struct

RADIOTAP = bytes.fromhex("0000080000000000")  # version 0, it_len 8, no fields
BSSID = bytes.fromhex("020000000001")
PCAP_MAGIC = 0xA1B2C3D4
MAX_SNAPLEN = 0x4000000  # what the pcap reader accepts as the largest record


def mgmt_header(subtype: int, sa: bytes, bssid: bytes = BSSID, da: bytes = b"\xff" * 6) -> bytes:
    """IEEE 802.11-2020 9.3.3.2: management frame header, little-endian."""
    return struct.pack("<HH6s6s6sH", subtype << 4, 0, da, sa, bssid, 0x10)


def beacon(elements: bytes, bssid: bytes = BSSID) -> bytes:
    fixed = struct.pack("<QHH", 0, 100, 0x0011)
    return RADIOTAP + mgmt_header(8, bssid, bssid) + fixed + elements


def element(eid: int, body: bytes, length: int | None = None) -> bytes:
    return bytes((eid, len(body) if length is None else length)) + body


def radiotap(it_len: int, *present: int, tail: bytes = b"") -> bytes:
    words = b"".join(struct.pack("<I", w) for w in present) or b"\0\0\0\0"
    return struct.pack("<BBH", 0, 0, it_len) + words + tail


def pcap_header(linktype: int = 127, snaplen: int = 65535) -> bytes:
    return struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(data: bytes, caplen: int | None = None, ts: int = 1) -> bytes:
    n = len(data) if caplen is None else caplen
    return struct.pack("<IIII", ts, 0, n, max(n, len(data))) + data


def pcap(frames: list[bytes], linktype: int = 127, snaplen: int = 65535) -> bytes:
    return pcap_header(linktype, snaplen) + b"".join(
        pcap_record(f, ts=n + 1) for n, f in enumerate(frames)
    )


def block(btype: int, body: bytes, length: int | None = None) -> bytes:
    body += b"\0" * (-len(body) & 3)
    total = len(body) + 12
    head = length if length is not None else total
    return struct.pack("<II", btype, head) + body + struct.pack("<I", head)


def pcapng_head(linktype: int = 127) -> bytes:
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    return shb + block(1, struct.pack("<HHI", linktype, 0, 0))


def epb(data: bytes, ts: int = 1) -> bytes:
    return block(6, struct.pack("<IIIII", 0, 0, ts, len(data), len(data)) + data)


def pcapng(frames: list[bytes], linktype: int = 127) -> bytes:
    return pcapng_head(linktype) + b"".join(epb(f, n + 1) for n, f in enumerate(frames))


def probe_req(sa: bytes, ssid: bytes = b"") -> bytes:
    return RADIOTAP + mgmt_header(4, sa, b"\xff" * 6) + element(0, ssid)


def auth_req(sa: bytes, bssid: bytes = BSSID) -> bytes:
    """Open System authentication, sequence 1 (IEEE 802.11-2020 9.3.3.12)."""
    return RADIOTAP + mgmt_header(11, sa, bssid, bssid) + struct.pack("<HHH", 0, 1, 0)


def rsne_with_pmkid(pmkid: bytes) -> bytes:
    """RSNE: CCMP group and pairwise, AKM 802.1X (00-0F-AC:1), one PMKID."""
    suites = bytes.fromhex("0100000fac04" "0100000fac04" "0100000fac01") + b"\x00\x00"
    return element(48, suites + b"\x01\x00" + pmkid)


def assoc_req_with_pmkid(sa: bytes, pmkid: bytes, bssid: bytes = BSSID) -> bytes:
    """An Association Request offering one PMKID, as a roaming station sends it."""
    fixed = struct.pack("<HH", 0x0011, 10)
    body = fixed + element(0, b"corp") + rsne_with_pmkid(pmkid)
    return RADIOTAP + mgmt_header(0, sa, bssid, bssid) + body


def random_mac(rng_bits: int) -> bytes:
    """A locally administered unicast address, as MAC randomisation makes them."""
    mac = bytearray(rng_bits.to_bytes(6, "little"))
    mac[0] = (mac[0] | 0x02) & 0xFE
    return bytes(mac)
