"""Roam engine output records: one connection attempt (`Roam`), its phases, and `Finding`s.

Times are integer nanoseconds in the records and float seconds (`t_start`, `t_end`) in the
JSON shape of `to_dict()`. MAC addresses are lower-case. A latency that cannot be computed
is None, and `missing` says why; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LATENCY_KEYS = (
    "auth", "assoc", "eap", "4way", "control_plane", "data_gap", "handoff", "ack_to_ack",
    "l3_up", "l3_down", "dhcp", "to_ip_traffic",
)
# filled only by the decryption pass (analyzer.decrypt); None with a reason without keys
RECOVERY_KEYS = ("l3_up", "l3_down", "dhcp", "to_ip_traffic")
PHASE_NAMES = ("probe", "auth", "assoc", "eap", "4way", "first_data")
METHODS = (
    "full_8021x", "pmksa_cache", "okc", "ft_over_air", "ft_over_ds", "sae", "sae_pmksa_cache",
    "psk", "owe", "fils", "open", "unknown",
)
KINDS = ("initial", "roam", "reconnect")
OUTCOMES = ("success", "failed", "incomplete")
TRIGGER_TYPES = ("deauth", "disassoc", "btm_request", "none_seen")


def _seconds(ts_ns: int | None) -> float | None:
    return None if ts_ns is None else ts_ns / 1e9


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of an attempt: probe, auth, assoc, eap, 4way or first_data."""

    name: str
    start_ns: int
    end_ns: int
    frames: int
    retransmissions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": _seconds(self.start_ns),
            "end": _seconds(self.end_ns),
            "frames": self.frames,
            "retransmissions": self.retransmissions,
        }


@dataclass(frozen=True, slots=True)
class Trigger:
    """What made the station move: the last deauth/disassoc or BTM Request before the attempt."""

    type: str  # deauth | disassoc | btm_request | none_seen
    reason: str | None = None  # reason name of a deauth/disassoc (also a disassoc after BTM)
    frame: int | None = None
    btm_accepted: bool | None = None  # None: no BTM Response seen
    btm_status: int | None = None
    target_in_candidates: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "reason": self.reason,
            "frame": self.frame,
            "btm_accepted": self.btm_accepted,
            "btm_status": self.btm_status,
            "target_in_candidates": self.target_in_candidates,
        }


NO_TRIGGER = Trigger("none_seen")


@dataclass(frozen=True, slots=True)
class Missing:
    """An expected frame not seen, or a latency that could not be computed, and why."""

    what: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "why": self.why}


@dataclass(frozen=True, slots=True)
class Preauth:
    """An RSN pre-authentication (IEEE 802.11-2020 12.6.10.2, DOMAIN §7): EAP between a
    station and a target AP (`aa`, the authenticator the PMKSA is for) over ethertype 0x88C7,
    carried through the station's current AP (`via`; None when not known). Not an attempt:
    the station stays associated where it is. `success`: it ended with EAP-Success."""

    sta: str
    aa: str
    via: str | None
    start_ns: int
    end_ns: int  # the EAP-Success or EAP-Failure
    end_frame: int
    frames: tuple[int, ...]
    success: bool
    eap_method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sta": self.sta,
            "aa": self.aa,
            "via": self.via,
            "start": _seconds(self.start_ns),
            "end": _seconds(self.end_ns),
            "end_frame": self.end_frame,
            "frames": list(self.frames),
            "success": self.success,
            "eap_method": self.eap_method,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the PMKSA model needs to judge caching: EAP, the M1 PMKID, status codes."""

    eap_seen: bool = False
    eap_start: bool = False
    eap_identity_request: bool = False
    eap_success: bool = False
    eap_failure: bool = False
    m1_pmkid: bytes | None = None
    m1_count: int = 0
    m2_seen: bool = False
    m3_count: int = 0
    m4_seen: bool = False
    auth_algorithm: int | None = None
    auth_statuses: tuple[int, ...] = ()
    assoc_status: int | None = None
    reassoc: bool = False
    current_ap: str | None = None
    # an offered/M1 PMKID seen before from this BSSID, or a pre-authentication with it
    pmkid_known_at_bssid: bool | None = None
    first_eap_frame: int | None = None
    m1_frame: int | None = None
    malformed_frames: tuple[int, ...] = ()
    # For the PMKSA model and key checks; never serialised (raw EAPOL stays internal).
    akm_suite: int | None = None
    m1_pmkids: tuple[bytes, ...] = ()  # distinct PMKID KDEs of the M1s, in order
    eapol_keys: tuple[tuple[str, int, bytes], ...] = ()  # (M1..M4, frame, EAPOL PDU)
    mdid: int | None = None
    r0kh_id: bytes | None = None
    r1kh_id: str | None = None
    assoc_req_frame: int | None = None
    pairwise_cipher: int | None = None  # the station's RSNE: the negotiated pairwise suite
    # SAE: (group, the station's commit scalar, the AP's) of the exchange that finished
    sae_scalars: tuple[int, bytes, bytes] | None = None
    # FT frames for the key checks: (FTE MIC transaction sequence: 1/2 FT Authentication or
    # FT Request/Response, 5/6 Reassociation Request/Response; frame; raw RSNE, MDE, FTE,
    # RSNXE elements with their headers, b"" when absent)
    ft_frames: tuple[tuple[int, int, bytes, bytes, bytes, bytes], ...] = ()
    # pre-authentications the station completed since its previous attempt record, handed
    # to the PMKSA judge with this one (analyzer.roam.preauth)
    preauths: tuple[Preauth, ...] = ()
    # FILS: the PMKIDs in the AP's Authentication frame (the PMKSA it took for the offer)
    fils_ap_pmkids: tuple[bytes, ...] = ()
    # M3/M4 not captured: the AP's protected data frame the success was inferred from
    inferred_from: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "eap_seen": self.eap_seen,
            "eap_start": self.eap_start,
            "eap_identity_request": self.eap_identity_request,
            "eap_success": self.eap_success,
            "eap_failure": self.eap_failure,
            "m1_pmkid": None if self.m1_pmkid is None else self.m1_pmkid.hex(),
            "m1_count": self.m1_count,
            "m2_seen": self.m2_seen,
            "m3_count": self.m3_count,
            "m4_seen": self.m4_seen,
            "auth_algorithm": self.auth_algorithm,
            "auth_statuses": list(self.auth_statuses),
            "assoc_status": self.assoc_status,
            "reassoc": self.reassoc,
            "current_ap": self.current_ap,
            "pmkid_known_at_bssid": self.pmkid_known_at_bssid,
            "first_eap_frame": self.first_eap_frame,
            "m1_frame": self.m1_frame,
            "malformed_frames": list(self.malformed_frames),
        }


PMKSA_VERDICTS = (
    "hit", "okc_hit", "ap_miss", "sta_no_offer", "sta_fallback", "pmkid_mismatch",
    "sae_pmkid_rejected", "stale", "not_applicable", "unknown",
)


@dataclass(frozen=True, slots=True)
class PmksaVerdict:
    """How PMKSA caching went on one attempt, judged against the expectations (DOMAIN §7).

    `as_expected` is None when the verdict is `unknown`; `confirmed` says whether a key proved
    an OKC PMKID (None: no key applies, or not an OKC hit); `evidence` lists frame indices."""

    verdict: str
    as_expected: bool | None
    reason: str
    pmksa_age_s: float | None = None
    evidence: tuple[int, ...] = ()
    confirmed: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "as_expected": self.as_expected,
            "reason": self.reason,
            "pmksa_age_s": self.pmksa_age_s,
            "evidence": list(self.evidence),
            "confirmed": self.confirmed,
        }


@dataclass(frozen=True, slots=True)
class FtDetails:
    """Fast BSS Transition facts of an attempt under an FT AKM (IEEE 802.11-2020 13)."""

    initial: bool  # the initial mobility domain association (full EAP or PSK, then 4-way)
    transition: str | None  # over_air | over_ds | not_captured (the Reassociation alone); None
    mdid: int | None
    r0kh_id: str | None
    r1kh_id: str | None
    pmkr1_name: str | None  # the PMKID in the FT Reassociation Request's RSNE

    def to_dict(self) -> dict[str, Any]:
        return {
            "initial": self.initial,
            "transition": self.transition,
            "mdid": self.mdid,
            "r0kh_id": self.r0kh_id,
            "r1kh_id": self.r1kh_id,
            "pmkr1_name": self.pmkr1_name,
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """One BSS a Neighbor Report element (9.4.2.36) offered."""

    bssid: str
    channel: int
    op_class: int
    preference: int | None  # BSS Transition Candidate Preference (255 most preferred)

    def to_dict(self) -> dict[str, Any]:
        return {"bssid": self.bssid, "channel": self.channel, "op_class": self.op_class,
                "preference": self.preference}


@dataclass(frozen=True, slots=True)
class Steering:
    """What 802.11k/v offered (analyzer.roam.steering): the neighbor report or BTM candidate
    list the station had when it started an attempt.

    `probed_channels`: channels of the station's Probe Requests after the offer;
    `probed_candidates`: candidates it probed (a Probe Request on the candidate's channel or
    to its BSSID, or the candidate's Probe Response to it); `chosen_rank`: the target's
    1-based place in the list (None when not listed); `age_ms`: offer to attempt start."""

    source: str  # neighbor_report | btm_request
    frame: int
    request_frame: int | None  # the station's Neighbor Report Request (or BTM Query)
    offered_by: str
    candidates: tuple[Candidate, ...]
    age_ms: float
    probed_channels: tuple[int, ...]
    probed_candidates: tuple[str, ...]
    chosen: str
    chosen_rank: int | None

    @property
    def chosen_listed(self) -> bool:
        return self.chosen_rank is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "frame": self.frame,
            "request_frame": self.request_frame,
            "offered_by": self.offered_by,
            "candidates": [c.to_dict() for c in self.candidates],
            "age_ms": self.age_ms,
            "probed_channels": list(self.probed_channels),
            "probed_candidates": list(self.probed_candidates),
            "chosen": self.chosen,
            "chosen_listed": self.chosen_listed,
            "chosen_rank": self.chosen_rank,
        }


@dataclass(frozen=True, slots=True)
class Recovery:
    """What decrypting an attempt's first protected frames showed (analyzer.decrypt): the
    first decrypted frame and IP packet each way after the control plane, the first DHCP
    exchange and the station's ARP for its gateway. Frame indices are 1-based; None: not
    seen within the frames decrypted for it."""

    first_up_frame: int | None = None  # station -> AP
    first_down_frame: int | None = None  # AP -> station (individually addressed)
    first_ip_up_frame: int | None = None
    first_ip_down_frame: int | None = None
    dhcp: tuple[tuple[str, int], ...] = ()  # (Discover|Offer|Request|ACK|NAK, frame)
    gateway: str | None = None  # the DHCP ACK's router, else the station's first ARP target
    arp_request_frame: int | None = None  # the station's ARP for the gateway
    arp_reply_frame: int | None = None
    decrypted: int = 0  # frames of the association decrypted for it
    undecryptable: int = 0  # protected frames of the association no known key opened

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_up_frame": self.first_up_frame,
            "first_down_frame": self.first_down_frame,
            "first_ip_up_frame": self.first_ip_up_frame,
            "first_ip_down_frame": self.first_ip_down_frame,
            "dhcp": [{"message": m, "frame": f} for m, f in self.dhcp],
            "gateway": self.gateway,
            "arp_request_frame": self.arp_request_frame,
            "arp_reply_frame": self.arp_reply_frame,
            "decrypted": self.decrypted,
            "undecryptable": self.undecryptable,
        }


@dataclass(frozen=True, slots=True)
class MldLinkInfo:
    """One link of an association between Wi-Fi 7 MLDs (analyzer.roam.mld): link ID, the
    station's and the AP's link addresses, channel."""

    link_id: int
    sta: str | None
    ap: str | None
    channel: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"link_id": self.link_id, "sta": self.sta, "ap": self.ap, "channel": self.channel}


@dataclass(frozen=True, slots=True)
class Roam:
    """One connection attempt of a station: initial connection, roam or reconnect."""

    id: int
    sta: str
    from_bssid: str | None
    to_bssid: str
    ssid: str | None
    channel_from: int | None
    channel_to: int | None
    kind: str
    method: str
    akm: str | None
    eap_method: str | None
    trigger: Trigger
    outcome: str
    failure_reason: str | None
    t_start_ns: int
    t_end_ns: int
    phases: tuple[Phase, ...]
    latency_ms: Mapping[str, float | None]
    missing: tuple[Missing, ...]
    rssi_old_dbm: int | None
    rssi_new_dbm: int | None
    pmkids_offered: tuple[str, ...]
    pmkid_m1: str | None
    frames: tuple[int, ...]
    frames_dropped: int = 0  # frame indices beyond the per-attempt cap
    evidence: Evidence = field(default_factory=Evidence)
    pmksa: PmksaVerdict | None = None  # set by the PMKSA judge (analyzer.roam.pmksa)
    mic_valid: bool | None = None  # EAPOL-Key MICs checked with the user's keys
    ft: FtDetails | None = None  # an FT AKM's attempt
    steering: Steering | None = None  # the 802.11k/v offer the attempt followed
    mlo_links: tuple[MldLinkInfo, ...] = ()  # an association between MLDs: its links
    recovery: Recovery | None = None  # with keys: what decryption showed (analyzer.decrypt)

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sta": self.sta,
            "from_bssid": self.from_bssid,
            "to_bssid": self.to_bssid,
            "ssid": self.ssid,
            "channel_from": self.channel_from,
            "channel_to": self.channel_to,
            "kind": self.kind,
            "method": self.method,
            "akm": self.akm,
            "eap_method": self.eap_method,
            "trigger": self.trigger.to_dict(),
            "outcome": self.outcome,
            "failure_reason": self.failure_reason,
            "t_start": _seconds(self.t_start_ns),
            "t_end": _seconds(self.t_end_ns),
            "phases": [p.to_dict() for p in self.phases],
            "latency_ms": {k: self.latency_ms.get(k) for k in LATENCY_KEYS},
            "missing": [m.to_dict() for m in self.missing],
            "rssi_old_dbm": self.rssi_old_dbm,
            "rssi_new_dbm": self.rssi_new_dbm,
            "pmkids_offered": list(self.pmkids_offered),
            "pmkid_m1": self.pmkid_m1,
            "frames": list(self.frames),
            "frames_dropped": self.frames_dropped,
            "pmksa": None if self.pmksa is None else self.pmksa.to_dict(),
            "mic_valid": self.mic_valid,
            "ft": None if self.ft is None else self.ft.to_dict(),
            "steering": None if self.steering is None else self.steering.to_dict(),
            "mlo_links": [x.to_dict() for x in self.mlo_links],
            "recovery": None if self.recovery is None else self.recovery.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """An anomaly with a stable SCREAMING_SNAKE code; `frame` is the 1-based frame index."""

    code: str
    severity: str  # info | warning | error
    frame: int | None
    sta: str | None
    bssid: str | None
    message: str
    roam_id: int | None = None  # the attempt it belongs to, when there is one
    count: int = 1  # how many times it was raised (findings.aggregate)
    frames: tuple[int, ...] = ()  # every frame that raised it, when more than one

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "frame": self.frame,
            "sta": self.sta,
            "bssid": self.bssid,
            "message": self.message,
            "count": self.count,
            "frames": list(self.frames) if self.frames else
            ([] if self.frame is None else [self.frame]),
        }


@dataclass(frozen=True, slots=True)
class StationSummary:
    """Per-station totals over the capture."""

    sta: str
    bssids: tuple[str, ...]
    attempts: int
    roams: int
    success: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "sta": self.sta,
            "bssids": list(self.bssids),
            "attempts": self.attempts,
            "roams": self.roams,
            "success": self.success,
        }
