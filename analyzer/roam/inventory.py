"""Frame counts and the PMKIDs seen on the air: the capture's inventory, before any roam logic."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from analyzer.dot11.records import (
    AssocReq,
    Auth,
    Eap,
    Eapol,
    EapolKey,
    EthHeader,
    Frame,
    Kind,
    MacHeader,
)
from analyzer.roam import findings as fnd
from analyzer.roam.events import resolve_key
from analyzer.roam.records import Finding

# PMKID sightings are listed one by one (they are evidence); beyond this many, from a flood of
# forged (Re)Association Requests, later ones are only counted, so memory stays bounded.
MAX_PMKID_SIGHTINGS = 100_000
_AUTH_PMKIDS = {2: "ft_auth", 4: "fils_auth", 5: "fils_auth", 6: "fils_auth"}
_KEYED_KINDS = frozenset({Kind.EAPOL, Kind.ASSOC_REQ, Kind.REASSOC_REQ})
MAX_AKMS = 65_536  # (station, BSSID) pairs whose AKM resolves an EAPOL-Key's MIC length

COUNT_KEYS = (
    "beacon",
    "probe_req",
    "probe_resp",
    "auth",
    "assoc_req",
    "assoc_resp",
    "reassoc_req",
    "reassoc_resp",
    "deauth",
    "disassoc",
    "action",
    "eapol_m1",
    "eapol_m2",
    "eapol_m3",
    "eapol_m4",
    "eapol_group",
    "eap",
    "retransmissions",
)

_KIND_KEYS = {
    Kind.BEACON: "beacon",
    Kind.PROBE_REQ: "probe_req",
    Kind.PROBE_RESP: "probe_resp",
    Kind.AUTH: "auth",
    Kind.ASSOC_REQ: "assoc_req",
    Kind.ASSOC_RESP: "assoc_resp",
    Kind.REASSOC_REQ: "reassoc_req",
    Kind.REASSOC_RESP: "reassoc_resp",
    Kind.DEAUTH: "deauth",
    Kind.DISASSOC: "disassoc",
    Kind.ACTION: "action",
}

_BEACON = Kind.BEACON

_MESSAGE_KEYS = {
    "M1": "eapol_m1",
    "M2": "eapol_m2",
    "M3": "eapol_m3",
    "M4": "eapol_m4",
    "G1": "eapol_group",
    "G2": "eapol_group",
}


@dataclass(frozen=True, slots=True)
class PmkidSighting:
    """A PMKID as it appeared in one frame."""

    capture: int
    frame: int
    ts_ns: int
    where: str  # assoc_req | reassoc_req | ft_auth | m1 | m2
    sta: str | None
    bssid: str | None
    pmkid: bytes
    verified: bool | None = None  # by the user's keys; None when no key applies


@dataclass(slots=True)
class Inventory:
    """Counts per frame type (retransmissions included) and the PMKID sightings, up to
    `max_pmkids` of them (the rest counted in `pmkids_dropped`)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    pmkids: list[PmkidSighting] = field(default_factory=list)
    max_pmkids: int = field(default_factory=lambda: MAX_PMKID_SIGHTINGS)
    pmkids_dropped: int = 0
    first_dropped_frame: int | None = None
    akms: dict[tuple[str | None, str | None], int] = field(default_factory=dict)

    def count_beacon(self, fc_flags: int) -> None:
        """`add` of a beacon with an 802.11 header, given its Frame Control flags."""
        counts = self.counts
        counts["beacon"] += 1
        if fc_flags & 0x08:
            counts["retransmissions"] += 1

    def add(self, capture: int, frame: Frame) -> None:
        if frame.kind is _BEACON:  # the most common counted kind: no PMKID, no EAPOL message
            counts = self.counts
            counts["beacon"] += 1
            header = frame.header
            if isinstance(header, MacHeader) and header.fc_flags & 0x08:
                counts["retransmissions"] += 1
            return
        if frame.kind in _KEYED_KINDS:
            frame = self._with_akm(frame)
        key = _count_key(frame)
        if key is None:
            return
        self.counts[key] += 1
        header = frame.header
        if isinstance(header, MacHeader) and header.retry:
            self.counts["retransmissions"] += 1
        sightings = _pmkids_of(frame)
        if not sightings:
            return
        room = self.max_pmkids - len(self.pmkids)
        if room < len(sightings):
            if not self.pmkids_dropped:
                self.first_dropped_frame = frame.index
            self.pmkids_dropped += len(sightings) - max(room, 0)
            sightings = sightings[: max(room, 0)]
        sta, bssid = frame_roles(frame)
        for where, pmkid in sightings:
            self.pmkids.append(
                PmkidSighting(capture, frame.index, frame.ts_ns, where, sta, bssid, pmkid)
            )


    def _with_akm(self, frame: Frame) -> Frame:
        """Learn a (Re)Association Request's AKM; an EAPOL-Key whose MIC length the decoder
        could not tell, decoded again with its association's AKM (as the tracker does)."""
        body = frame.body
        if isinstance(body, AssocReq):
            rsne = body.elements.rsne or body.elements.wpa
            if rsne is not None and rsne.akms:
                if len(self.akms) >= MAX_AKMS:
                    self.akms.clear()
                self.akms[frame_roles(frame)] = rsne.akms[0]
            return frame
        if not isinstance(body, Eapol) or not isinstance(body.body, EapolKey):
            return frame
        key = body.body
        if key.message is not None and len(key.mic_lengths) <= 1:
            return frame
        akm = self.akms.get(frame_roles(frame))
        resolved = resolve_key(key, body.raw, akm, None)
        return frame if resolved is key else frame._replace(body=replace(body, body=resolved))


def pmkid_cap_finding(inventory: Inventory) -> Finding:
    """STATE_CAP_REACHED for the PMKID sightings no longer listed."""
    msg = (f"more than {inventory.max_pmkids} PMKID sightings: {inventory.pmkids_dropped} later "
           "ones are not listed in pmkids (a flood of forged (Re)Association Requests?)")
    return fnd.make("STATE_CAP_REACHED", inventory.first_dropped_frame, None, None, msg)


def _count_key(frame: Frame) -> str | None:
    if frame.kind != Kind.EAPOL:
        return _KIND_KEYS.get(frame.kind)
    body = frame.body.body if isinstance(frame.body, Eapol) else None
    if isinstance(body, EapolKey):
        return _MESSAGE_KEYS.get(body.message or "")
    if isinstance(body, Eap):
        return "eap"
    return None


def _pmkids_of(frame: Frame) -> list[tuple[str, bytes]]:
    body = frame.body
    if isinstance(body, AssocReq) and body.elements.rsne is not None:
        where = "reassoc_req" if body.reassoc else "assoc_req"
        return [(where, p) for p in body.elements.rsne.pmkids]
    if isinstance(body, Auth) and body.elements.rsne is not None:
        where = _AUTH_PMKIDS.get(body.algorithm)
        return [] if where is None else [(where, p) for p in body.elements.rsne.pmkids]
    if isinstance(body, Eapol) and isinstance(body.body, EapolKey):
        key = body.body
        if key.message == "M1" and key.pmkid is not None:
            return [("m1", key.pmkid)]
        if key.message == "M2" and key.rsne is not None:
            return [("m2", p) for p in key.rsne.pmkids]
    return []


def frame_roles(frame: Frame) -> tuple[str | None, str | None]:
    """(station, BSSID) of a management or EAPOL frame; neither for a control frame (an ACK's
    only address, RA, may be either; so may a Block Ack's)."""
    header = frame.header
    if isinstance(header, EthHeader):
        from_ap = _eapol_from_ap(frame)
        return (header.dst, header.src) if from_ap else (header.src, header.dst)
    if not isinstance(header, MacHeader) or header.ftype == 1:
        return None, None
    bssid = header.bssid
    if header.ftype == 2:
        return header.sta, bssid
    sender = header.addr2
    return (header.addr1, bssid) if sender == bssid else (sender, bssid)


def _eapol_from_ap(frame: Frame) -> bool:
    body = frame.body.body if isinstance(frame.body, Eapol) else None
    if isinstance(body, EapolKey):
        return body.ack
    if isinstance(body, Eap):
        return body.code in (1, 3, 4)
    return False
