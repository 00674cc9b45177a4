"""RSN pre-authentication, the tracker's side (IEEE 802.11-2020 12.6.10.2, DOMAIN §7).

A station associated with one AP runs EAP with another AP of the ESS (the target: its address
is the authenticator address, AA, of the PMKSA that results) through the current AP and the
DS, as EAPOL frames with ethertype 0x88C7: EAPOL-Start, EAP Request/Response ..., EAP-Success.
It is never a connection attempt: the station stays where it is, and no roam record is opened,
closed or touched by it. A completed exchange waits on the station until the station's next
attempt record carries it (`Evidence.preauths`) to the PMKSA judge, which creates the PMKSA
(station, AA) from it (analyzer.roam.pmksa). The AAs a station pre-authenticated with are
remembered, so that a later offer of a PMKID to one of them counts as known there.

Memory per station: at most MAX_OPEN exchanges in progress, MAX_DONE waiting, MAX_AAS AAs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.dot11.records import Eap
from analyzer.roam.events import Event
from analyzer.roam.records import Finding, Preauth

# wpa_supplicant gives up a pre-authentication after dot11RSNAConfigSATimeout (60 s)
RUN_TIMEOUT_NS = 60_000_000_000
MAX_OPEN = 4
MAX_DONE = 8
MAX_AAS = 8
MAX_FRAMES = 64
_SUCCESS, _FAILURE = 3, 4


@dataclass(slots=True)
class _Run:
    """One exchange in progress with a target AP."""

    aa: str
    via: str | None
    start_ns: int
    last_ns: int
    frames: list[int] = field(default_factory=list)
    eap_method: str | None = None

    def add(self, ev: Event) -> None:
        self.last_ns = max(self.last_ns, ev.ts_ns)
        if len(self.frames) < MAX_FRAMES:
            self.frames.append(ev.index)
        eap = ev.detail
        if isinstance(eap, Eap) and eap.code == 1 and eap.type is not None and eap.type > 3:
            self.eap_method = eap.type_name


@dataclass(slots=True)
class PreauthLog:
    """One station's pre-authentications: in progress, completed, and the AAs they reached."""

    open: dict[str, _Run] = field(default_factory=dict)
    done: list[Preauth] = field(default_factory=list)
    authenticated: dict[str, int] = field(default_factory=dict)  # AA -> its EAP-Success

    def on_event(self, ev: Event, current_bssid: str | None) -> Preauth | None:
        """Take one PREAUTH event; the exchange it completes (Success or Failure), if any.

        A Success or Failure with no earlier frame of the exchange (the capture began in its
        middle, or a second copy of the same Success) completes nothing."""
        run = self.open.get(ev.bssid)
        if run is not None and ev.ts_ns - run.last_ns > RUN_TIMEOUT_NS:
            del self.open[ev.bssid]
            run = None
        eap = ev.detail
        ends = isinstance(eap, Eap) and eap.code in (_SUCCESS, _FAILURE)
        if run is None:
            if ends:
                return None
            run = self._start(ev, current_bssid)
        run.add(ev)
        if not ends:
            return None
        del self.open[ev.bssid]
        return self._finish(run, ev, isinstance(eap, Eap) and eap.code == _SUCCESS)

    def take(self) -> tuple[Preauth, ...]:
        """The completed exchanges not yet handed over; the log forgets them."""
        out, self.done = tuple(self.done), []
        return out

    def reached(self, aa: str, before_ns: int) -> bool:
        """Whether a pre-authentication with `aa` succeeded before `before_ns`."""
        at = self.authenticated.get(aa)
        return at is not None and at <= before_ns

    def _start(self, ev: Event, current_bssid: str | None) -> _Run:
        if len(self.open) >= MAX_OPEN:
            del self.open[min(self.open, key=lambda a: self.open[a].last_ns)]
        run = self.open[ev.bssid] = _Run(ev.bssid, ev.via or current_bssid, ev.ts_ns, ev.ts_ns)
        return run

    def _finish(self, run: _Run, ev: Event, success: bool) -> Preauth:
        rec = Preauth(ev.sta, run.aa, run.via, run.start_ns, ev.ts_ns, ev.index,
                      tuple(run.frames), success, run.eap_method)
        self.done.append(rec)
        if len(self.done) > MAX_DONE:
            del self.done[0]
        if success:
            self.authenticated.pop(run.aa, None)
            self.authenticated[run.aa] = ev.ts_ns
            if len(self.authenticated) > MAX_AAS:
                del self.authenticated[next(iter(self.authenticated))]
        return rec


def failed(rec: Preauth) -> Finding:
    """PREAUTH_FAILED: the target AP ended the pre-authentication with EAP-Failure."""
    via = f" via {rec.via}" if rec.via else ""
    msg = (f"pre-authentication with {rec.aa}{via} ended with EAP-Failure (frame "
           f"{rec.end_frame}): no PMKSA with that AP; a roam to it will need full EAP")
    return Finding("PREAUTH_FAILED", "warning", rec.end_frame, rec.sta, rec.aa, msg)
