"""Wi-Fi 7 multi-link devices in the scenario builder.

The scenario is described, keyed and encrypted with MLD MAC addresses, as the standard has it
for frames between MLDs (802.11be-2024 12.7.1.3: PMKID, PTK with the MLD MAC addresses;
12.5.2.3.3 / 12.5.4.3.3: CCMP/GCMP AAD and nonce of individually addressed frames use the MLD
MAC addresses). On output each frame is put on one link: its addresses become that link's
addresses and its radio that link's frequency. Management frames of an association and EAPOL
travel on link 0 (the association link), protected data rotates over the links. A Basic
Multi-Link element is appended to Beacons, Probe Responses, Authentication and (Re)Association
frames: the sender's MLD MAC address and, in (Re)Association frames, a Per-STA Profile per
other link with its link address (and, from the AP, its channel in an HT Operation element).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

from .elements import channel_of, element
from .frames import Radio

_EXT_MULTI_LINK = 107
_LINK_ID_PRESENT = 0x0010  # Multi-Link Control presence bitmap (9.4.2.322.2.1)
_COMPLETE, _STA_MAC = 0x0010, 0x0020  # STA Control (9.4.2.322.2.4)
_BEACON, _PROBE_RESP, _AUTH = 8, 5, 11
_ASSOC_REQ, _ASSOC_RESP, _REASSOC_REQ, _REASSOC_RESP = 0, 1, 2, 3
_CAPABILITY = 0x0411  # ESS, privacy, short slot time
_HT_OPERATION = 61


@dataclass(frozen=True, slots=True)
class MldLink:
    link_id: int
    address: bytes
    freq_mhz: int


def basic_multi_link(mld: bytes, link_id: int | None = None,
                     profiles: tuple[bytes, ...] = ()) -> bytes:
    """A Basic Multi-Link element: Common Info (MLD MAC address [, Link ID Info]) and
    Per-STA Profile subelements (each under 255 octets here: no fragments)."""
    control = _LINK_ID_PRESENT if link_id is not None else 0
    common = mld + (bytes([link_id]) if link_id is not None else b"")
    body = bytes([_EXT_MULTI_LINK]) + struct.pack("<H", control) + bytes([1 + len(common)])
    body += common + b"".join(bytes([0, len(p)]) + p for p in profiles)
    return element(255, body)


def per_sta_profile(link: MldLink, response: bool) -> bytes:
    """STA Control, STA Info (its link address), STA Profile: Capability Information [Status
    Code 0, HT Operation with the link's primary channel in a response]."""
    control = link.link_id | _COMPLETE | _STA_MAC
    profile = struct.pack("<H", _CAPABILITY)
    if response:
        profile += struct.pack("<H", 0) + element(_HT_OPERATION,
                                                  bytes([channel_of(link.freq_mhz)]) + bytes(21))
    return struct.pack("<H", control) + bytes([7]) + link.address + profile


@dataclass(slots=True)
class MloPlan:
    """The MLDs of a scenario: MLD MAC address -> its links (link 0 first)."""

    aps: dict[bytes, list[MldLink]] = field(default_factory=dict)
    # station MLD -> its link addresses (link 0 first) from each time on
    stas: dict[bytes, list[tuple[int, list[bytes]]]] = field(default_factory=dict)
    _now_ns: int = 0
    _next: dict[tuple[bytes, bytes], int] = field(default_factory=dict)
    # MLD -> (the AP MLD, the link) of its last frame: where an ACK to it goes
    _last: dict[bytes, tuple[bytes, int]] = field(default_factory=dict)

    def reset(self) -> None:
        """Before each pass over the frames: the same frames go on the same links."""
        self._next.clear()
        self._last.clear()

    def links_of(self, sta: bytes) -> list[bytes]:
        """The station MLD's links at the time of the frame being rewritten."""
        current = self.stas[sta][0][1]
        for since, links in self.stas[sta]:
            if since <= self._now_ns:
                current = links
        return current

    def rewrite(self, frame: bytes, radio: Radio, ts_ns: int = 0) -> tuple[bytes, Radio]:
        """`frame` (MAC header onwards, no FCS) sent at `ts_ns` on one link, with its ML
        element."""
        self._now_ns = ts_ns
        ftype, subtype = (frame[0] >> 2) & 3, frame[0] >> 4
        if ftype == 1:
            return self._control(frame, radio)
        a1, a2, a3 = frame[4:10], frame[10:16], frame[16:22]
        ap = next((a for a in (a3, a2, a1) if a in self.aps), None)
        sta = next((a for a in (a1, a2) if a in self.stas), None)
        if ap is None:  # a wildcard Probe Request: from the station's link 0 address
            return (frame, radio) if sta is None else (self._swap(frame, b"", 0), radio)
        link = self._link(ap, sta, ftype == 2 and bool(frame[1] & 0x40))
        frame = self._addresses(frame, ap, sta, link) + self._element(frame, ftype, subtype,
                                                                      ap, sta)
        self._last[ap] = self._last[sta or ap] = (ap, link)
        return frame, replace(radio, freq_mhz=self.aps[ap][link].freq_mhz)

    def _link(self, ap: bytes, sta: bytes | None, rotate: bool) -> int:
        if not rotate or sta is None:
            return 0
        n = self._next.get((ap, sta), 0)
        self._next[(ap, sta)] = n + 1
        return n % min(len(self.aps[ap]), len(self.links_of(sta)))

    def _address(self, mac: bytes, ap: bytes, sta: bytes | None, link: int) -> bytes:
        if mac == ap:
            return self.aps[ap][link].address
        if mac == sta:
            return self.links_of(sta)[link]
        return mac

    def _addresses(self, frame: bytes, ap: bytes, sta: bytes | None, link: int) -> bytes:
        a1, a2, a3 = (self._address(frame[i:i + 6], ap, sta, link) for i in (4, 10, 16))
        return frame[:4] + a1 + a2 + a3 + frame[22:]

    def _control(self, frame: bytes, radio: Radio) -> tuple[bytes, Radio]:
        """An ACK or Block Ack: on the link of the frame it answers (its RA's last link)."""
        last = self._last.get(frame[4:10])
        if last is None:
            return frame, radio
        ap, link = last
        return self._swap(frame, ap, link), replace(radio, freq_mhz=self.aps[ap][link].freq_mhz)

    def _swap(self, frame: bytes, ap: bytes, link: int) -> bytes:
        """Every MLD address among A1 and A2 (A3 of management frames too) on `link`."""
        def one(mac: bytes) -> bytes:
            if mac == ap:
                return self.aps[ap][link].address
            if mac in self.stas and link < len(self.links_of(mac)):
                return self.links_of(mac)[link]
            return mac
        n = 22 if (frame[0] >> 2) & 3 == 0 else 16 if len(frame) >= 16 else 10
        return frame[:4] + b"".join(one(frame[i:i + 6]) for i in range(4, n, 6)) + frame[n:]

    def _element(self, frame: bytes, ftype: int, subtype: int, ap: bytes,
                 sta: bytes | None) -> bytes:
        if ftype != 0:
            return b""
        from_ap = frame[10:16] == ap
        if subtype in (_BEACON, _PROBE_RESP) or (subtype == _AUTH and from_ap):
            return basic_multi_link(ap, 0)
        if subtype == _AUTH and sta is not None:
            return basic_multi_link(sta)
        if subtype in (_ASSOC_REQ, _REASSOC_REQ) and sta is not None:
            links = self.links_of(sta)
            others = tuple(per_sta_profile(MldLink(i, a, self.aps[ap][i].freq_mhz), False)
                           for i, a in enumerate(links[1:len(self.aps[ap])], start=1))
            return basic_multi_link(sta, None, others)
        if subtype in (_ASSOC_RESP, _REASSOC_RESP):
            n = len(self.links_of(sta)) if sta is not None else 1
            return basic_multi_link(ap, 0, tuple(per_sta_profile(x, True)
                                                 for x in self.aps[ap][1:n]))
        return b""
