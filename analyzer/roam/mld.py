"""Wi-Fi 7 multi-link devices: which link addresses belong to which MLD.

Frames between MLDs carry the addresses of the links they travel on; the station and the AP
are their MLDs (IEEE 802.11be-2024 35.3): keys, PMKIDs and the Current AP address use the MLD
MAC addresses. The map is learned from Basic Multi-Link elements (analyzer.dot11.mlo): the
MLD MAC address of the sender of a Beacon, Probe Response, Authentication or (Re)Association
frame, and the link addresses of its Per-STA Profiles. Events are then rewritten to MLD
addresses, so an MLD moving to another AP MLD is one roam, and traffic on its other links is
its traffic, not other stations'. Bounded: at most `MAX_LINKS` link addresses.
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.dot11.elements import decode_elements
from analyzer.dot11.records import AssocReq, AssocResp, Auth, Beacon, MultiLink
from analyzer.roam.events import Event, EventType
from analyzer.roam.records import Finding, MldLinkInfo, Roam
from analyzer.roam.station import channel_of

MAX_LINKS = 4096
MLO_LINK_CHANGE = "MLO_LINK_CHANGE"
_RESPONSE_FIXED = 4  # a (Re)Association Response STA Profile: Capability, Status Code


class MldMap:
    """Link address -> MLD MAC address; the links each (station MLD, AP MLD) set up."""

    def __init__(self) -> None:
        self.links: dict[str, str] = {}
        self._setup: dict[tuple[str, str], dict[int, MldLinkInfo]] = {}
        self._before: dict[tuple[str, str], dict[int, MldLinkInfo]] = {}  # replaced set-ups

    def learn(self, ev: Event) -> None:
        """Take the Basic Multi-Link element of a management frame, if it has one."""
        body = ev.detail
        elements = getattr(body, "elements", None)
        ml: MultiLink | None = getattr(elements, "multi_link", None)
        if ml is None:
            return
        own = ev.bssid if ev.from_ap else ev.sta
        self._add(own, ml.mld_mac)
        for link in ml.links:
            if link.address is not None:
                self._add(link.address, ml.mld_mac)
        if isinstance(body, AssocReq | AssocResp):
            self._links(ev, body, ml)

    def _add(self, link: str, mld: str) -> None:
        if link != mld and (link in self.links or len(self.links) < MAX_LINKS):
            self.links[link] = mld

    def _links(self, ev: Event, body: AssocReq | AssocResp, ml: MultiLink) -> None:
        sta, ap = self.links.get(ev.sta, ev.sta), self.links.get(ev.bssid, ev.bssid)
        table = self._setup.setdefault((sta, ap), {})
        if isinstance(body, AssocReq) and table:  # a new association: its links start again
            self._before[(sta, ap)] = dict(table)
            table.clear()
        own = ml.link_id if ml.link_id is not None else 0
        radio = ev.frame.radio
        here = table.get(own, MldLinkInfo(own, None, None, None))
        table[own] = replace(here, sta=ev.sta, ap=ev.bssid,
                             channel=channel_of(radio.freq_mhz) if radio else here.channel)
        for link in ml.links:
            old = table.get(link.link_id, MldLinkInfo(link.link_id, None, None, None))
            if isinstance(body, AssocReq):
                table[link.link_id] = replace(old, sta=link.address)
            else:
                channel = decode_elements(link.profile, _RESPONSE_FIXED).channel
                table[link.link_id] = replace(old, ap=link.address, channel=channel)
        for kept in (self._setup, self._before):
            if len(kept) > MAX_LINKS:
                del kept[next(iter(kept))]

    def beacon(self, bssid: str, ml: MultiLink) -> None:
        """A Beacon's Basic Multi-Link element: the AP MLD of the affiliated AP `bssid`."""
        if self.links.get(bssid) != ml.mld_mac:
            self._add(bssid, ml.mld_mac)

    def canonical(self, ev: Event) -> Event:
        """The event with MLD MAC addresses for the station, the AP and `via`."""
        links = self.links
        sta, bssid = links.get(ev.sta, ev.sta), links.get(ev.bssid, ev.bssid)
        via = None if ev.via is None else links.get(ev.via, ev.via)
        if sta == ev.sta and bssid == ev.bssid and via == ev.via:
            return ev
        return replace(ev, sta=sta, bssid=bssid, via=via)

    def link_change(self, roam: Roam) -> Finding | None:
        """MLO_LINK_CHANGE: a (re)association of an MLD with the AP MLD it was associated with
        that set up other links: links added or removed within one AP MLD, not a roam."""
        before = self._before.pop((roam.sta, roam.to_bssid), None)
        if before is None or roam.kind != "reconnect" or roam.outcome != "success":
            return None
        now = {x.link_id: x for x in roam.mlo_links}
        added = sorted(now.keys() - before.keys())
        removed = sorted(before.keys() - now.keys())
        if not added and not removed:
            return None
        def say(ids: list[int], table: dict[int, MldLinkInfo]) -> str:
            return ", ".join(f"{i} ({table[i].sta} - {table[i].ap}, channel "
                             f"{table[i].channel})" for i in ids) or "none"
        msg = (f"links of {roam.sta} with AP MLD {roam.to_bssid} changed: added "
               f"{say(added, now)}; removed {say(removed, before)}")
        return Finding(MLO_LINK_CHANGE, "info", roam.frames[0] if roam.frames else None,
                       roam.sta, roam.to_bssid, msg, roam.id)

    def setup(self, sta: str, ap: str) -> tuple[MldLinkInfo, ...]:
        """The links of the association of station MLD `sta` with AP MLD `ap` (by link ID)."""
        table = self._setup.get((sta, ap))
        return () if not table else tuple(table[k] for k in sorted(table))


def learns(ev: Event) -> bool:
    """A frame whose elements may carry a Basic Multi-Link element."""
    return ev.type in _LEARN and isinstance(ev.detail, Auth | AssocReq | AssocResp | Beacon)


_LEARN = frozenset({EventType.AUTH, EventType.ASSOC_REQ, EventType.ASSOC_RESP,
                    EventType.PROBE_RESP})
