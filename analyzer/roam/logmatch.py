"""Log attempts aligned to the capture: which reached the air, and what each side decided.

An attempt of the supplicant's log matches the Authentication frame (transaction 1) from
that station to that BSSID. With times in the log, the clock offset is estimated first (the
offset most attempt/frame pairs agree on within `TOLERANCE_NS`) and each attempt takes the
nearest free frame; without times, the order of attempts is aligned to the order of frames
(longest common subsequence of BSSIDs). An attempt the driver refused never reached the
air: it becomes an entry of its own (`AUTH_NOT_TRANSMITTED`) placed before the attempt that
followed, with what the air shows in between (a single-channel scan) and the retry.
hostapd's decisions are placed by its own `authentication OK` lines, aligned the same way.
When the log names the PMKID an attempt offered, the attempt's (Re)Association Request on
the air is read for it (`PMKID_NOT_AS_LOGGED` when it carries another or none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from analyzer.dot11.records import AssocReq, Auth, Frame, Kind, MacHeader
from analyzer.logs.explain import explain, what_follows
from analyzer.logs.records import Attempt, Decision, LogEvent, ParsedLog
from analyzer.roam.findings import make
from analyzer.roam.records import Finding, Roam

TOLERANCE_NS = 1_000_000_000
MAX_LCS_CELLS = 4_000_000
AUTH_NOT_TRANSMITTED = "AUTH_NOT_TRANSMITTED"
PMKID_NOT_AS_LOGGED = "PMKID_NOT_AS_LOGGED"
REQUESTS = ("assoc", "reassoc")
_REQUEST_NAMES = {"assoc": "Association Request", "reassoc": "Reassociation Request"}


@dataclass(frozen=True, slots=True)
class AirFrame:
    """A station's Authentication (transaction 1), Probe Request or (Re)Association Request
    on the air; `pmkids` (hex) are those of its RSN element."""

    index: int
    ts_ns: int
    kind: str  # auth | probe | assoc | reassoc
    sta: str
    bssid: str | None
    freq_mhz: int | None
    pmkids: tuple[str, ...] = ()


class AirCollector:
    """A frame sink for `analyzer.run.dispatch.run`: keeps the station's Authentication and
    Probe Request frames (first transmissions only), the anchors of the alignment, and its
    (Re)Association Requests (retries too: a lost first one carries the same PMKIDs)."""

    def __init__(self) -> None:
        self.frames: list[AirFrame] = []

    def __call__(self, capture: int, frame: Frame) -> None:
        header = frame.header
        if not isinstance(header, MacHeader) or header.ta is None:
            return
        freq = frame.radio.freq_mhz if frame.radio is not None else None
        body = frame.body
        if isinstance(body, AssocReq) and header.ta != header.addr3:
            rsne = body.elements.rsne
            pmkids = tuple(p.hex() for p in rsne.pmkids) if rsne is not None else ()
            self.frames.append(AirFrame(frame.index, frame.ts_ns, REQUESTS[body.reassoc],
                                        header.ta, header.addr3, freq, pmkids))
            return
        if header.retry:
            return
        if frame.kind == Kind.PROBE_REQ:
            bssid = header.addr3 if header.addr3 != "ff:ff:ff:ff:ff:ff" else None
            self.frames.append(AirFrame(frame.index, frame.ts_ns, "probe", header.ta, bssid, freq))
        elif frame.kind == Kind.AUTH and isinstance(frame.body, Auth) and frame.body.seq == 1 \
                and header.ta != header.addr3:
            self.frames.append(
                AirFrame(frame.index, frame.ts_ns, "auth", header.ta, header.addr3, freq))


@dataclass(frozen=True, slots=True)
class Placement:
    """One log attempt on the capture's clock."""

    attempt: Attempt
    on_air: bool | None  # True: its frame was captured; False: never sent; None: unknown
    frame: int | None = None
    air_ts_ns: int | None = None  # frame time, or the estimate for an attempt never sent
    roam_id: int | None = None  # the roam it matched, or (never sent) the roam that followed
    probes: tuple[int, ...] = ()  # Probe Requests between a failure and what followed
    scan_freqs: tuple[int, ...] = ()
    scan_ts_ns: int | None = None  # the first of those Probe Requests
    explanation: str | None = None
    follows: str | None = None  # what came next on the air, in words


@dataclass(frozen=True, slots=True)
class PmksaCheck:
    """The roam's PMKSA verdict against what the logs say each side decided."""

    roam_id: int
    verdict: str | None
    status: str  # confirmed | contradicted | unknown | missing
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "status": self.status, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class PmkidOnAir:
    """The PMKID the log says an attempt offered, against its (Re)Association Request.
    status: other | none (the frame carries another PMKID, or none) | not_captured."""

    attempt: int  # the attempt's index (0-based; shown from 1)
    line: int
    sta: str | None
    bssid: str
    logged: str  # hex
    status: str
    frame: int | None = None
    request: str | None = None  # assoc | reassoc
    carried: tuple[str, ...] = ()
    roam_id: int | None = None
    missing: str | None = None  # not_captured: what was not found

    @property
    def message(self) -> str:
        said = (f"attempt #{self.attempt + 1}: the log says PMKID {_short(self.logged)} was "
                f"offered to {self.bssid} (log line {self.line})")
        if self.status == "not_captured":
            return f"{said}; {self.missing}"
        name = _REQUEST_NAMES.get(self.request or "", "(Re)Association Request")
        carries = ("none" if self.status == "none" else
                   "another: " + ", ".join(_short(p) for p in self.carried))
        return f"{said}; the {name} (frame {self.frame}) carries {carries}"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "logged": self.logged, "frame": self.frame,
                "request": self.request, "carried": list(self.carried),
                "message": self.message}


def _short(pmkid: str) -> str:
    return pmkid[:8] + "…"


@dataclass(frozen=True, slots=True)
class Correlation:
    method: str  # timestamps | order | none
    offset_ns: int | None  # capture time - log time, when estimated
    placements: tuple[Placement, ...]
    ap_decisions: dict[int, tuple[Decision, ...]]  # roam id -> hostapd decisions
    checks: dict[int, PmksaCheck]
    findings: tuple[Finding, ...]
    pmkids: tuple[PmkidOnAir, ...] = ()  # only where the log and the air disagree


# --- alignment ---------------------------------------------------------------------------


def _fits(a: Attempt, f: AirFrame) -> bool:
    return f.kind == "auth" and f.bssid == a.bssid and (a.sta is None or a.sta == f.sta)


def estimate_offset(attempts: Sequence[Attempt], air: Sequence[AirFrame]) -> int | None:
    """The capture-minus-log offset most (attempt, frame) pairs agree on, or None."""
    deltas = sorted(f.ts_ns - a.ts_ns for a in attempts if a.ts_ns is not None
                    for f in air if _fits(a, f))
    if not deltas:
        return None
    best: list[int] = []
    lo = 0
    for hi, d in enumerate(deltas):
        while d - deltas[lo] > TOLERANCE_NS:
            lo += 1
        if hi - lo + 1 > len(best):
            best = deltas[lo:hi + 1]
    return int(median(best))


def _by_time(sent: Sequence[Attempt], air: Sequence[AirFrame], offset: int
             ) -> dict[int, AirFrame]:
    used: set[int] = set()
    out: dict[int, AirFrame] = {}
    for a in sent:
        assert a.ts_ns is not None
        want = a.ts_ns + offset
        options = [f for f in air if _fits(a, f) and f.index not in used
                   and abs(f.ts_ns - want) <= TOLERANCE_NS]
        if options:
            f = min(options, key=lambda f: abs(f.ts_ns - want))
            used.add(f.index)
            out[a.index] = f
    return out


def _by_order(sent: Sequence[Attempt], air: Sequence[AirFrame]) -> dict[int, AirFrame]:
    """Longest common subsequence of (attempt, frame) pairs that fit."""
    frames = [f for f in air if f.kind == "auth"]
    n, m = len(sent), len(frames)
    if n * m > MAX_LCS_CELLS:
        return {}
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = (table[i + 1][j + 1] + 1 if _fits(sent[i], frames[j])
                           else max(table[i + 1][j], table[i][j + 1]))
    out: dict[int, AirFrame] = {}
    i = j = 0
    while i < n and j < m:
        if _fits(sent[i], frames[j]) and table[i][j] == table[i + 1][j + 1] + 1:
            out[sent[i].index] = frames[j]
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def align(attempts: Sequence[Attempt], air: Sequence[AirFrame]
          ) -> tuple[str, int | None, dict[int, AirFrame]]:
    """(method, offset, attempt index -> its Authentication frame)."""
    sent = [a for a in attempts if a.outcome != "driver_failed"]
    if not sent or not air:
        return "none", None, {}
    if all(a.ts_ns is not None for a in sent):
        offset = estimate_offset(sent, air)
        if offset is not None:
            return "timestamps", offset, _by_time(sent, air, offset)
    return "order", None, _by_order(sent, air)


# --- placing attempts ----------------------------------------------------------------------


def _roam_of(frame: AirFrame, roams: Sequence[Roam]) -> Roam | None:
    for r in roams:
        if frame.index in r.frames:
            return r
    return next((r for r in roams if r.sta == frame.sta and r.to_bssid == frame.bssid
                 and r.t_start_ns <= frame.ts_ns <= r.t_end_ns), None)


def _place(attempts: Sequence[Attempt], matched: dict[int, AirFrame], offset: int | None,
           air: Sequence[AirFrame], roams: Sequence[Roam]) -> list[Placement]:
    out: list[Placement] = []
    for k, a in enumerate(attempts):
        f = matched.get(a.index)
        if f is not None:
            roam = _roam_of(f, roams)
            out.append(Placement(a, True, f.index, f.ts_ns, roam.id if roam else None))
        elif a.outcome == "driver_failed":
            out.append(_never_sent(a, attempts[k + 1:], attempts[:k], matched, offset, air,
                                   roams))
        else:
            out.append(Placement(a, None))
    return out


def _never_sent(a: Attempt, later: Sequence[Attempt], earlier: Sequence[Attempt],
                matched: dict[int, AirFrame], offset: int | None, air: Sequence[AirFrame],
                roams: Sequence[Roam]) -> Placement:
    nxt = next((matched[b.index] for b in later if b.index in matched), None)
    prev = next((matched[b.index] for b in reversed(earlier) if b.index in matched), None)
    if a.ts_ns is not None and offset is not None:
        start: int | None = a.ts_ns + offset
    else:
        start = prev.ts_ns if prev is not None else None
    end = nxt.ts_ns if nxt is not None else None
    probes = [f for f in air if f.kind == "probe" and (a.sta is None or f.sta == a.sta)
              and (start is None or f.ts_ns >= start) and (end is None or f.ts_ns < end)
              and (nxt is None or f.sta == nxt.sta)]
    freqs = tuple(sorted({f.freq_mhz for f in probes if f.freq_mhz is not None}))
    roam = _roam_of(nxt, roams) if nxt is not None else None
    guess = start if start is not None else (probes[0].ts_ns if probes else None)
    return Placement(a, False, None, guess, roam.id if roam else None,
                     tuple(f.index for f in probes), freqs,
                     probes[0].ts_ns if probes else None, explain(a.error),
                     _follows(a, probes, freqs, nxt, roam, bool(air)))


def _follows(a: Attempt, probes: Sequence[AirFrame], freqs: tuple[int, ...],
             nxt: AirFrame | None, roam: Roam | None, captured: bool) -> str:
    parts = []
    if probes:
        single = len(freqs) == 1 and freqs[0] == a.freq_mhz
        what = "a single-channel scan" if single else "a scan"
        span = f"frames {probes[0].index}-{probes[-1].index}" if len(probes) > 1 \
            else f"frame {probes[0].index}"
        parts.append(f"{what}: {len(probes)} Probe Request(s) on "
                     f"{', '.join(map(str, freqs)) or '?'} MHz ({span})")
    elif (hint := what_follows(a)) is not None:
        parts.append(hint + ("; no Probe Request seen in the capture" if captured else ""))
    if nxt is not None:
        same = "the retry to the same BSS" if nxt.bssid == a.bssid else f"an attempt to {nxt.bssid}"
        result = f", roam {roam.id} {roam.outcome}" if roam else ""
        if roam is not None and roam.pmksa is not None:
            result += f" (PMKSA {roam.pmksa.verdict})"
        parts.append(f"then {same}: Authentication frame {nxt.index}{result}")
    if not captured:
        return "; ".join(parts) + " (no capture given)"
    return "; ".join(parts) or "nothing from this station in the capture afterwards"


# --- hostapd -------------------------------------------------------------------------------


def _ap_anchor(e: LogEvent) -> bool:
    return e.name == "HOSTAPD" and e.text.startswith(("authentication OK", "authenticated"))


def _ap_decisions(log: ParsedLog, air: Sequence[AirFrame], roams: Sequence[Roam]
                  ) -> dict[int, list[Decision]]:
    """hostapd decisions per roam, placed by the `authentication OK` line before them."""
    anchors = [e for e in log.events if _ap_anchor(e) and e.sta and e.bssid]
    proxies = [Attempt(i, e.ts_ns, e.line, "ap", e.bssid or "", e.sta) for i, e in
               enumerate(anchors)]
    _, _, matched = align(proxies, air)
    out: dict[int, list[Decision]] = {}
    for d in log.decisions:
        if d.side != "ap":
            continue
        before = [p for p in proxies if p.line < d.line and p.sta in (d.sta, None)]
        frame = matched.get(before[-1].index) if before else None
        roam = _roam_of(frame, roams) if frame is not None else _only_roam(d, roams)
        if roam is not None:
            out.setdefault(roam.id, []).append(d)
    return out


def _only_roam(d: Decision, roams: Sequence[Roam]) -> Roam | None:
    """Without an anchor, a decision belongs to a roam only when exactly one fits."""
    fits = [r for r in roams if r.sta == d.sta and d.bssid in (None, r.to_bssid)]
    return fits[0] if len(fits) == 1 else None


# --- PMKSA: the verdict against the logs ------------------------------------------------------

_STA_SAYS = {
    "use_cached": "offered", "entry_found": "offered", "no_entry": "no_offer",
    "matched_pmkid": "ap_hit", "no_matching_pmkid": "ap_miss", "ap_refused_pmkid": "ap_miss",
    "sae_fallback": "ap_miss",
}
_AP_SAYS = {"ap_hit": "ap_hit", "ap_skip_eap": "ap_hit", "ap_okc_match": "okc",
            "ap_no_entry": "ap_miss"}
_CONFIRMS = {
    "hit": ({"ap_hit"}, {"ap_miss", "no_offer", "okc"}),
    "okc_hit": ({"okc"}, {"ap_miss", "no_offer"}),
    "ap_miss": ({"ap_miss"}, {"ap_hit", "okc"}),
    "sta_no_offer": ({"no_offer"}, {"offered"}),
    "sta_fallback": ({"ap_miss"}, {"ap_hit"}),
}


def said(decisions: Sequence[Decision]) -> set[str]:
    """What the decisions say, in the verdicts' terms."""
    out = {_STA_SAYS[d.kind] for d in decisions if d.side == "sta" and d.kind in _STA_SAYS}
    out |= {_AP_SAYS[d.kind] for d in decisions if d.side == "ap" and d.kind in _AP_SAYS}
    if any(d.kind == "sta_pmkid" for d in decisions) and not out & {"ap_hit", "okc"}:
        out.add("ap_miss")  # hostapd logs the hit right after the STA PMKID, or nothing
    return out


def check(roam: Roam, decisions: Sequence[Decision]) -> PmksaCheck:
    if roam.pmksa is None:
        return PmksaCheck(roam.id, None, "missing",
                          "no PMKSA verdict on this roam (the PMKSA judge did not run)")
    verdict = roam.pmksa.verdict
    says = said(decisions)
    yes, no = _CONFIRMS.get(verdict, (set(), set()))
    words = ", ".join(sorted(says)) or "nothing about PMKSA caching"
    if says & no:
        return PmksaCheck(roam.id, verdict, "contradicted", f"the logs say {words}")
    if says & yes:
        return PmksaCheck(roam.id, verdict, "confirmed", f"the logs say {words}")
    return PmksaCheck(roam.id, verdict, "unknown", f"the logs say {words}")


# --- everything --------------------------------------------------------------------------------


def correlate(logs: Sequence[ParsedLog], roams: Sequence[Roam], air: Sequence[AirFrame],
              captured: bool = True) -> Correlation:
    """Align every log with the capture (`captured`: one was given); a pure function of its
    inputs."""
    attempts = [a for log in logs for a in log.attempts]
    method, offset, matched = align(attempts, air)
    placements = _place(attempts, matched, offset, air, roams)
    ap: dict[int, list[Decision]] = {}
    for log in logs:
        for rid, ds in _ap_decisions(log, air, roams).items():
            ap.setdefault(rid, []).extend(ds)
    by_roam = {p.roam_id: p for p in placements if p.on_air and p.roam_id is not None}
    checks = {}
    for r in roams:
        own = list(by_roam[r.id].attempt.decisions) if r.id in by_roam else []
        if own or r.id in ap:
            checks[r.id] = check(r, own + ap.get(r.id, []))
    findings = tuple(_finding(p) for p in placements if p.on_air is False)
    pmkids = pmkids_on_air(placements, air) if captured else ()
    findings += tuple(_pmkid_finding(c) for c in pmkids if c.status != "not_captured")
    return Correlation(method, offset, tuple(placements),
                       {k: tuple(v) for k, v in ap.items()}, checks, findings, pmkids)


def _finding(p: Placement) -> Finding:
    a = p.attempt
    freq = f" ({a.freq_mhz} MHz)" if a.freq_mhz else ""
    err = f" failed at the driver with ret={a.error.ret} ({a.error.errno or a.error.message})" \
        if a.error else " was refused by the driver"
    msg = (f"log line {a.line}: the authentication to {a.bssid}{freq}{err} and never reached "
           f"the air. {p.explanation or ''} After it: {p.follows}.")
    return Finding(AUTH_NOT_TRANSMITTED, "warning", None, a.sta, a.bssid, " ".join(msg.split()),
                   p.roam_id)


# --- the PMKID the log names against the frame ---------------------------------------------------


def pmkids_on_air(placements: Sequence[Placement], air: Sequence[AirFrame]
                  ) -> tuple[PmkidOnAir, ...]:
    """Each attempt that the log says offered a PMKID and whose (Re)Association Request
    carries another, none, or was not captured (a driver-refused attempt never reached the
    air: AUTH_NOT_TRANSMITTED says so)."""
    frames = sorted(air, key=lambda f: (f.ts_ns, f.index))
    auths = {f.index: n for n, f in enumerate(frames) if f.kind == "auth"}
    anchors = {p.frame for p in placements if p.on_air}
    out = []
    for p in placements:
        pmkid = p.attempt.pmkid
        if pmkid is None or p.on_air is False:
            continue
        at = auths.get(p.frame) if p.frame is not None else None
        request = None if at is None else _request_after(frames, at, anchors)
        check = _pmkid_check(p, pmkid, request)
        if check is not None:
            out.append(check)
    return tuple(out)


def _request_after(frames: Sequence[AirFrame], at: int, anchors: set[int | None]
                   ) -> AirFrame | None:
    """The first (Re)Association Request from the station of the Authentication frame
    `frames[at]` to its BSSID, before the station's next attempt on the air."""
    auth = frames[at]
    for f in frames[at + 1:]:
        if f.sta != auth.sta:
            continue
        if f.kind == "auth" and f.index in anchors:
            return None
        if f.kind in REQUESTS and f.bssid == auth.bssid:
            return f
    return None


def _pmkid_check(p: Placement, pmkid: str, request: AirFrame | None) -> PmkidOnAir | None:
    a = p.attempt
    head = (a.index, a.line, a.sta, a.bssid, pmkid)
    if request is None:
        missing = ("no (Re)Association Request of this attempt was captured" if p.on_air
                   else "no frame of this attempt was found in the capture")
        if a.outcome not in ("associated", "connected", "unknown", "sent_to_driver"):
            missing += f" (the log's outcome: {a.outcome})"
        return PmkidOnAir(*head, "not_captured", roam_id=p.roam_id, missing=missing)
    if pmkid in request.pmkids:
        return None
    status = "other" if request.pmkids else "none"
    return PmkidOnAir(*head, status, request.index, request.kind, request.pmkids, p.roam_id)


def _pmkid_finding(c: PmkidOnAir) -> Finding:
    return make(PMKID_NOT_AS_LOGGED, c.frame, c.sta, c.bssid,
                c.message + ": the driver or firmware rewrote the RSN element, or the log and "
                "the capture are of different attempts", c.roam_id)
