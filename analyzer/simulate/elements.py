"""Information elements (IEEE 802.11-2020 9.4.2), encoded little-endian with ``struct``."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

OUI_IEEE = b"\x00\x0f\xac"
CIPHER_CCMP = 4
# Pairwise/group cipher suites by name (00-0F-AC:n); the TK is 32 bytes for the -256 ones.
CIPHERS: dict[str, int] = {"ccmp": 4, "gcmp": 8, "gcmp-256": 9, "ccmp-256": 10}
AP_RSN_CAPS = 0x000C  # 16 PTKSA/GTKSA replay counters, as in the original report's AP RSNE

AKMS: dict[str, int] = {
    "8021x": 1,
    "psk": 2,
    "ft-8021x": 3,
    "ft-psk": 4,
    "8021x-sha256": 5,
    "psk-sha256": 6,
    "sae": 8,
    "suite-b": 11,
    "suite-b-192": 12,
    "owe": 18,
    "fils-sha256": 14,  # here with full EAP and the AEAD 4-way handshake, no FILS auth
}
FT_AKMS = frozenset({"ft-psk", "ft-8021x"})
EAP_AKMS = frozenset({"8021x", "ft-8021x", "8021x-sha256", "suite-b", "suite-b-192",
                      "fils-sha256"})
PSK_AKMS = frozenset({"psk", "ft-psk", "psk-sha256"})
SUITE_B_AKMS = frozenset({"suite-b", "suite-b-192"})


def element(eid: int, payload: bytes) -> bytes:
    if len(payload) > 255:
        raise ValueError(f"element {eid} payload is {len(payload)} bytes")
    return bytes((eid, len(payload))) + payload


def ext_element(ext_id: int, payload: bytes) -> bytes:
    return element(255, bytes((ext_id,)) + payload)


def ssid(name: bytes) -> bytes:
    return element(0, name)


def rates(freq_mhz: int) -> bytes:
    if freq_mhz < 3000:
        return element(1, bytes((0x82, 0x84, 0x8B, 0x96, 0x0C, 0x12, 0x18, 0x24)))
    return element(1, bytes((0x8C, 0x12, 0x98, 0x24, 0xB0, 0x48, 0x60, 0x6C)))


def channel_of(freq_mhz: int) -> int:
    if freq_mhz == 2484:
        return 14
    if freq_mhz < 3000:
        return (freq_mhz - 2407) // 5
    if freq_mhz >= 5950:
        return (freq_mhz - 5950) // 5
    return (freq_mhz - 5000) // 5


def ds_param(freq_mhz: int) -> bytes:
    return element(3, bytes((channel_of(freq_mhz),)))


def tim(dtim_count: int = 0, dtim_period: int = 1) -> bytes:
    return element(5, bytes((dtim_count, dtim_period, 0, 0)))


def ht_operation(freq_mhz: int) -> bytes:
    return element(61, bytes((channel_of(freq_mhz),)) + bytes(21))


def rm_capabilities(neighbor_report: bool = True) -> bytes:
    return element(70, bytes((0x02 if neighbor_report else 0, 0, 0, 0, 0)))


def ext_capabilities(bss_transition: bool = True) -> bytes:
    return element(127, bytes((0, 0, 0x08 if bss_transition else 0, 0, 0, 0, 0, 0)))


def suite(kind: int) -> bytes:
    return OUI_IEEE + bytes((kind,))


def rsne(
    akm: int,
    pmkids: Sequence[bytes] = (),
    caps: int = 0,
    pairwise: int = CIPHER_CCMP,
    group: int = CIPHER_CCMP,
) -> bytes:
    """RSNE with one pairwise cipher and one AKM; the PMKID list only when non-empty."""
    body = struct.pack("<H", 1) + suite(group)
    body += struct.pack("<H", 1) + suite(pairwise) + struct.pack("<H", 1) + suite(akm)
    body += struct.pack("<H", caps)
    if pmkids:
        body += struct.pack("<H", len(pmkids)) + b"".join(pmkids)
    return element(48, body)


def rsne_selecting(akms: Sequence[int], pairwise: Sequence[int], caps: int = 0,
                   group: int = CIPHER_CCMP) -> bytes:
    """An RSNE listing every given AKM and pairwise suite (a station must select one of each:
    more is an invalid selection, as a broken or hostile station sends)."""
    body = struct.pack("<H", 1) + suite(group)
    body += struct.pack("<H", len(pairwise)) + b"".join(suite(p) for p in pairwise)
    body += struct.pack("<H", len(akms)) + b"".join(suite(a) for a in akms)
    return element(48, body + struct.pack("<H", caps))


def mde(mdid: int, over_ds: bool = True) -> bytes:
    return element(54, struct.pack("<HB", mdid, 1 if over_ds else 0))


def fte(
    anonce: bytes = bytes(32),
    snonce: bytes = bytes(32),
    r0kh_id: bytes | None = None,
    r1kh_id: bytes | None = None,
    mic: bytes = bytes(16),
    element_count: int = 0,
    gtk: bytes | None = None,
) -> bytes:
    """FTE: MIC control, MIC, ANonce, SNonce, then R1KH-ID (1), GTK (2), R0KH-ID (3)."""
    body = struct.pack("<BB", 0, element_count) + mic + anonce + snonce
    if r1kh_id is not None:
        body += bytes((1, len(r1kh_id))) + r1kh_id
    if gtk is not None:
        body += bytes((2, len(gtk))) + gtk
    if r0kh_id is not None:
        body += bytes((3, len(r0kh_id))) + r0kh_id
    return element(55, body)


def fte_gtk_subelement(key_id: int, wrapped_key: bytes, key_len: int = 16) -> bytes:
    """GTK subelement payload: Key Info, Key Length, RSC (8), wrapped key."""
    return struct.pack("<HB", key_id & 3, key_len) + bytes(8) + wrapped_key


def timeout_interval(kind: int, value: int) -> bytes:
    return element(56, struct.pack("<BI", kind, value))


def neighbor_report(
    bssid: bytes,
    freq_mhz: int,
    preference: int | None = None,
    bssid_info: int = 0x0000_0C8F,
    phy_type: int = 9,
) -> bytes:
    """Neighbor Report: reachable, security, key scope, mobility domain, HT; op class by band."""
    op_class = 81 if freq_mhz < 3000 else 115 if freq_mhz < 5250 else 118
    body = bssid + struct.pack("<IBBB", bssid_info, op_class, channel_of(freq_mhz), phy_type)
    if preference is not None:
        body += bytes((3, 1, preference))
    return element(52, body)


def owe_dh(public_x: bytes, group: int = 19) -> bytes:
    return ext_element(32, struct.pack("<H", group) + public_x)


def concat(elements: Iterable[bytes]) -> bytes:
    return b"".join(elements)
