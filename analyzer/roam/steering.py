"""What 802.11k/v told a station before it moved (IEEE 802.11-2020 11.10.10 neighbor report,
11.21.7 BSS transition management), and what it then did: the candidates it was offered, the
channels it probed after the offer, the BSS it chose, how long after.

Per station, one `SteeringLog` (bounded: the last offer, at most `MAX_PROBED` channels and
BSSIDs) that the tracker feeds; the next attempt takes the offer as its `Steering` record.
BTM_IGNORED: a BTM Request the station neither answered nor followed with an attempt within
the window (or accepted and then stayed). TARGET_NOT_IN_CANDIDATES: a station that moved after
a BTM Request with a candidate list to a BSS not on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.dot11.records import BtmRequest, BtmResponse, NeighborReport
from analyzer.roam.records import Candidate, Finding, Steering

MAX_PROBED = 32
OFFER_WINDOW_NS = 60_000_000_000  # an offer older than this is not what the attempt followed
BTM_IGNORED, TARGET_NOT_IN_CANDIDATES = "BTM_IGNORED", "TARGET_NOT_IN_CANDIDATES"


def candidates_of(reports: tuple[NeighborReport, ...]) -> tuple[Candidate, ...]:
    """In order of preference when the reports carry one (else as listed)."""
    out = [Candidate(r.bssid, r.channel, r.op_class, r.preference) for r in reports]
    if any(c.preference is not None for c in out):
        out.sort(key=lambda c: -(c.preference or 0))
    return tuple(out)


@dataclass(slots=True)
class _Offer:
    source: str
    ts_ns: int
    frame: int
    request_frame: int | None
    offered_by: str
    candidates: tuple[Candidate, ...]
    channels: dict[int, None] = field(default_factory=dict)
    bssids: dict[str, None] = field(default_factory=dict)


@dataclass(slots=True)
class _PendingBtm:
    ts_ns: int
    frame: int
    bssid: str
    status: int | None = None
    response_frame: int | None = None


@dataclass(slots=True)
class SteeringLog:
    """A station's last 802.11k/v offer and what it probed since; its pending BTM Request."""

    request_frame: int | None = None
    offer: _Offer | None = None
    btm: _PendingBtm | None = None

    def requested(self, frame: int) -> None:
        self.request_frame = frame

    def neighbor_report(self, ts_ns: int, frame: int, ap: str,
                        reports: tuple[NeighborReport, ...]) -> None:
        self.offer = _Offer("neighbor_report", ts_ns, frame, self.request_frame, ap,
                            candidates_of(reports))
        self.request_frame = None

    def btm_request(self, ts_ns: int, frame: int, ap: str, req: BtmRequest) -> None:
        self.offer = _Offer("btm_request", ts_ns, frame, self.request_frame, ap,
                            candidates_of(req.candidates))
        self.request_frame = None
        self.btm = _PendingBtm(ts_ns, frame, ap)

    def btm_response(self, frame: int, resp: BtmResponse) -> None:
        if self.btm is not None and self.btm.status is None:
            self.btm.status, self.btm.response_frame = resp.status, frame

    def probed(self, channel: int | None, bssid: str | None) -> None:
        """A Probe Request of the station (on `channel`, to `bssid` unless wildcard) or a
        Probe Response to it from `bssid`, after the offer."""
        offer = self.offer
        if offer is None:
            return
        if channel is not None and len(offer.channels) < MAX_PROBED:
            offer.channels[channel] = None
        if bssid is not None and len(offer.bssids) < MAX_PROBED:
            offer.bssids[bssid] = None

    def take(self, ts_ns: int, to_bssid: str) -> Steering | None:
        """The offer the attempt starting now follows (consumed), if recent enough."""
        offer, self.offer, self.btm = self.offer, None, None
        if offer is None or ts_ns - offer.ts_ns > OFFER_WINDOW_NS:
            return None
        listed = [c.bssid for c in offer.candidates]
        probed = tuple(c.bssid for c in offer.candidates
                       if c.channel in offer.channels or c.bssid in offer.bssids)
        return Steering(
            offer.source, offer.frame, offer.request_frame, offer.offered_by, offer.candidates,
            (ts_ns - offer.ts_ns) / 1e6, tuple(offer.channels), probed, to_bssid,
            listed.index(to_bssid) + 1 if to_bssid in listed else None,
        )

    def ignored(self, now_ns: int, window_ns: int, sta: str) -> Finding | None:
        """BTM_IGNORED once the window passed with no attempt (and no answer, or an accept)."""
        btm = self.btm
        if btm is None or now_ns - btm.ts_ns <= window_ns:
            return None
        self.btm = None
        if btm.status is not None and btm.status != 0:
            return None  # rejected: an answer, on the trigger of a later attempt if any
        wait = f"{window_ns / 1e9:g} s"
        if btm.status is None:
            what = f"no BTM Response and no (re)association attempt within {wait}"
        else:
            what = (f"accepted (BTM Response frame {btm.response_frame}, status 0) but no "
                    f"(re)association attempt within {wait}")
        msg = f"BTM Request from {btm.bssid} (frame {btm.frame}): {what}"
        return Finding(BTM_IGNORED, "warning", btm.frame, sta, btm.bssid, msg)


def target_not_listed(steering: Steering | None, sta: str, roam_id: int,
                      assoc_frame: int) -> Finding | None:
    """TARGET_NOT_IN_CANDIDATES for an attempt after a BTM Request with a candidate list."""
    if (steering is None or steering.source != "btm_request" or not steering.candidates
            or steering.chosen_listed):
        return None
    listed = ", ".join(c.bssid for c in steering.candidates[:8])
    msg = (f"moved to {steering.chosen} {steering.age_ms:.0f} ms after the BTM Request (frame "
           f"{steering.frame}) whose candidates were {listed}")
    return Finding(TARGET_NOT_IN_CANDIDATES, "warning", assoc_frame, sta, steering.chosen, msg,
                   roam_id)
