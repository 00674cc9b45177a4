"""Deauthentication/Disassociation floods (issue 19): bursts per (transmitter, receiver) pair,
and the signs that the frames were forged. Bounded: at most PAIRS pairs are watched."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from analyzer.roam import findings as fnd
from analyzer.roam.records import Finding

GAP_NS = 2_000_000_000  # a pair's burst ends after this long without one of its frames
FLOOD = 10  # frames in one burst that make it a flood
PAIRS = 4096
SEQS = 64  # sequence numbers kept per burst for the shared-counter test
_STA_NEVER = frozenset({6, 7})  # class 2/3 frame from a non-authenticated/associated STA: APs'
BROADCAST = "ff:ff:ff:ff:ff:ff"


@dataclass(slots=True)
class Burst:
    ta: str
    ra: str
    sta: str
    bssid: str
    from_ap: bool
    first_frame: int
    first_ns: int
    last_frame: int = 0
    last_ns: int = 0
    count: int = 0
    unprotected_on_pmf: int = 0
    odd_reasons: set[int] = field(default_factory=set)
    reasons: dict[int | None, int] = field(default_factory=dict)
    seqs: list[tuple[int, int]] = field(default_factory=list)  # (ts, sequence number)
    roams: list[int] = field(default_factory=list)  # first frames of attempts it triggered
    shared: bool = False  # its reverse pair's burst was numbered from the same counter

    def add(self, index: int, ts_ns: int, reason: int | None, seq: int | None, pmf: bool) -> None:
        self.count += 1
        self.last_frame, self.last_ns = index, ts_ns
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if pmf and reason is not None:
            self.unprotected_on_pmf += 1
        if not self.from_ap and reason in _STA_NEVER:
            self.odd_reasons.add(reason)
        if seq is not None and len(self.seqs) < SEQS:
            self.seqs.append((ts_ns, seq))


class FloodWatch:
    def __init__(self) -> None:
        self._bursts: OrderedDict[tuple[str, str], Burst] = OrderedDict()

    def add(self, ta: str, ra: str, sta: str, bssid: str, from_ap: bool, index: int,
            ts_ns: int, reason: int | None, seq: int | None, pmf: bool) -> list[Finding]:
        """One Deauthentication/Disassociation; the findings of bursts it ended."""
        out: list[Finding] = []
        key = (ta, ra)
        burst = self._bursts.get(key)
        if burst is not None and ts_ns - burst.last_ns > GAP_NS:
            out += self._close(key)
            burst = None
        if burst is None:
            if len(self._bursts) >= PAIRS:
                out += self._close(next(iter(self._bursts)))
            burst = self._bursts[key] = Burst(ta, ra, sta, bssid, from_ap, index, ts_ns)
        burst.add(index, ts_ns, reason, seq, pmf)
        return out

    def triggered(self, sta: str, bssids: tuple[str | None, ...], frame: int | None,
                  first_frame: int) -> None:
        """An attempt (starting at `first_frame`) whose trigger was a frame of a burst."""
        if frame is None:
            return
        for bssid in {b for b in bssids if b is not None}:
            for key in ((bssid, sta), (sta, bssid), (bssid, BROADCAST)):
                burst = self._bursts.get(key)
                if burst is not None and burst.first_frame <= frame <= burst.last_frame:
                    burst.roams.append(first_frame)

    def sweep(self, now_ns: int) -> list[Finding]:
        ended = [k for k, b in self._bursts.items() if now_ns - b.last_ns > GAP_NS]
        return [f for k in ended for f in self._close(k)]

    def finish(self) -> list[Finding]:
        return [f for k in list(self._bursts) for f in self._close(k)]

    def _close(self, key: tuple[str, str]) -> list[Finding]:
        burst = self._bursts.pop(key)
        if burst.count < FLOOD:
            return []
        reverse = self._bursts.get((key[1], key[0]))
        if reverse is not None and _one_counter(burst, reverse):
            burst.shared = reverse.shared = True
        return [_finding(burst, _signs(burst))]


def _signs(burst: Burst) -> list[str]:
    signs = []
    if burst.shared:
        signs.append("both directions share one sequence counter")
    if burst.unprotected_on_pmf:
        signs.append(f"{burst.unprotected_on_pmf} unprotected on a PMF association")
    if burst.odd_reasons:
        codes = ", ".join(str(r) for r in sorted(burst.odd_reasons))
        signs.append(f"reason {codes} claimed by the station, which only an AP sends")
    return signs


def _one_counter(a: Burst, b: Burst) -> bool:
    """Frames of both directions, in time order, numbered +1 from one to the next: one
    transmitter forged them all (each real device numbers its own frames)."""
    merged = sorted(a.seqs + b.seqs)
    if len(a.seqs) < 3 or len(b.seqs) < 3:
        return False
    steps = [(y - x) & 0xFFF for (_, x), (_, y) in zip(merged, merged[1:], strict=False)]
    return sum(1 for s in steps if s == 1) >= 0.8 * len(steps)


def _finding(burst: Burst, signs: list[str]) -> Finding:
    secs = max((burst.last_ns - burst.first_ns) / 1e9, 1e-3)
    reasons = ", ".join(f"{'protected' if r is None else r}×{n}"
                        for r, n in sorted(burst.reasons.items(), key=lambda i: -i[1]))
    who = "AP" if burst.from_ap else "station"
    msg = (f"{burst.count} Deauthentication/Disassociation frames {burst.ta} → {burst.ra} "
           f"(claimed by the {who}) in {secs:.2f} s ({burst.count / secs:.0f}/s), frames "
           f"{burst.first_frame}–{burst.last_frame}, reasons {reasons}")
    if signs:
        msg += "; forged: " + "; ".join(signs)
    if burst.roams:
        starts = ", ".join(str(r) for r in burst.roams)
        msg += f"; it triggered the attempts starting at frames {starts}"
    # forged frames are evidence of an attack: an error; a flood without them, a warning
    severity = "error" if signs else "warning"
    return replace(fnd.make("DEAUTH_FLOOD", burst.first_frame, burst.sta, burst.bssid, msg),
                   severity=severity)
