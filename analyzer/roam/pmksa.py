"""The PMKSA model of both sides, learned from the capture, and the judge that feeds it.

Per (station, authenticator address) the model holds the newest PMKSA: created by a full EAP,
SAE or OWE (its PMKID from the M1 KDE that follows, or computed when a key gives the PMK),
by a pre-authentication (EAP over 0x88C7 with the target AP through the current one; no PMKID
shows on the air, so the entry holds none until its first use, and a key confirms the PMKID
offered then), or by an OKC hit (inheriting its origin's age); dropped after an AP miss or
status 53; aged by the expected lifetime. Roams must be fed in completion order, as the tracker
emits them; the pre-authentications a roam record carries are learned in time order around it
(those completed before the attempt started first).
Memory: at most `MAX_PER_STA` entries per station, `MAX_STATIONS` stations (oldest evicted).
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.config.expectations import Expectations
from analyzer.config.keys import KeyRing
from analyzer.roam import keycheck
from analyzer.roam.keycheck import KeyCheck
from analyzer.roam.records import Finding, PmksaVerdict, Preauth, Roam
from analyzer.roam.verdicts import Cached, Context, Violation, finding, judge, violations

MAX_PER_STA = 32  # wpa_supplicant's PMKSA cache size
MAX_STATIONS = 4096
MAX_VERIFIED = 65536
_CREATES = {"full_8021x": "eap", "sae": "sae", "owe": "owe"}
_FORGETS = frozenset({"ap_miss", "sae_pmkid_rejected", "stale", "sta_fallback"})


class PmksaModel:
    """(station, AA) -> the newest `Cached` PMKSA; the only mutable PMKSA state."""

    def __init__(self) -> None:
        self._by_sta: dict[str, dict[str, Cached]] = {}

    def here(self, sta: str, aa: str) -> Cached | None:
        return self._by_sta.get(sta, {}).get(aa)

    def ess(self, sta: str, aa: str, ssid: str | None) -> Cached | None:
        """The newest PMKSA of `sta` at another AP of the same SSID (an OKC source)."""
        others = [c for a, c in self._by_sta.get(sta, {}).items()
                  if a != aa and c.origin != "okc" and (ssid is None or c.ssid in (None, ssid))]
        return max(others, key=lambda c: c.created_ns, default=None)

    def put(self, sta: str, entry: Cached) -> None:
        entries = self._by_sta.pop(sta, {})
        self._by_sta[sta] = entries  # most recently used station last
        entries.pop(entry.aa, None)
        entries[entry.aa] = entry
        if len(entries) > MAX_PER_STA:
            del entries[min(entries, key=lambda a: entries[a].created_ns)]
        if len(self._by_sta) > MAX_STATIONS:
            del self._by_sta[next(iter(self._by_sta))]

    def drop(self, sta: str, aa: str) -> None:
        self._by_sta.get(sta, {}).pop(aa, None)


class PmksaJudge:
    """Feeds the model with each completed roam and judges it; keys checked on the way."""

    def __init__(self, expectations: Expectations | None = None,
                 keys: KeyRing | None = None) -> None:
        self.expectations = expectations or Expectations()
        self.keys = keys or KeyRing()
        self.model = PmksaModel()
        # (station, BSSID, PMKID) -> verified, for the inventory's PMKID sightings
        self.verified: dict[tuple[str, str, bytes], bool | None] = {}
        # (station, AA) -> PMKIDs an attempt proved (SAE scalars, Suite-B KCK): an offer of
        # one in a later attempt verifies
        self.proved: dict[tuple[str, str], frozenset[bytes]] = {}
        self.derived = keycheck.Derivations()  # one PBKDF2 per SSID, bounded per run

    def feed(self, roam: Roam) -> tuple[Roam, list[Finding]]:
        """The roam with `pmksa` and `mic_valid` set, and the findings they raise."""
        pre = roam.evidence.preauths
        before = [p for p in pre if p.end_ns <= roam.t_start_ns]
        out = self._preauths(before, roam.ssid)
        refused = self.derived.refused
        keys = keycheck.check(roam, self.keys, self.proved.get((roam.sta, roam.to_bssid),
                                                               frozenset()), self.derived)
        if refused == 0 < self.derived.refused:
            out.append(_derivation_cap(roam, self.derived.limit))
        ctx = self._context(roam, keys)
        verdict = judge(ctx)
        self._learn(roam, verdict, ctx, keys)
        out += keycheck.findings(roam, keys)
        bad = finding(roam, verdict)
        if bad is not None:
            out.append(bad)
        self._remember(roam, keys)
        out += self._preauths([p for p in pre if p.end_ns > roam.t_start_ns], roam.ssid)
        return replace(roam, pmksa=verdict, mic_valid=keys.mic_valid), out

    def _preauths(self, done: list[Preauth], ssid: str | None) -> list[Finding]:
        """A successful pre-authentication creates the PMKSA (station, target AA)."""
        out = []
        for p in done:
            if not p.success:
                continue
            self.model.put(p.sta, Cached(p.aa, frozenset(), p.end_ns, p.end_frame, "preauth",
                                         None, p.via))
            exp = self.expectations
            if not exp.ap(p.aa, ssid).preauth and exp.ap_states("preauth", p.aa, ssid):
                out.append(_preauth_unexpected(p))
        return out

    def violations(self, roam: Roam) -> list[Violation]:
        """How a judged roam broke the expectations (for `check`)."""
        exp = self.expectations
        return violations(roam, exp.ap(roam.to_bssid, roam.ssid), exp.sta(roam.sta, roam.ssid))

    def _remember(self, roam: Roam, keys: KeyCheck) -> None:
        if len(self.verified) > MAX_VERIFIED:
            self.verified.clear()
        if keys.derived:
            if len(self.proved) > MAX_STATIONS:
                self.proved.clear()
            pair = (roam.sta, roam.to_bssid)
            self.proved[pair] = self.proved.get(pair, frozenset()) | keys.derived
        for value, ok in keys.pmkids.items():
            self.verified[(roam.sta, roam.to_bssid, value)] = ok

    def _context(self, roam: Roam, keys: KeyCheck) -> Context:
        exp = self.expectations
        return Context(
            roam, exp.ap(roam.to_bssid, roam.ssid), exp.sta(roam.sta, roam.ssid),
            self.model.here(roam.sta, roam.to_bssid),
            self.model.ess(roam.sta, roam.to_bssid, roam.ssid), keys,
        )

    def _learn(self, roam: Roam, verdict: PmksaVerdict, ctx: Context, keys: KeyCheck) -> None:
        if verdict.verdict in _FORGETS:
            self.model.drop(roam.sta, roam.to_bssid)
        if verdict.verdict == "okc_hit" and ctx.ess is not None:
            self.model.put(roam.sta, replace(
                ctx.ess, aa=roam.to_bssid, pmkids=_pmkids(roam, keys), origin="okc"))
            return
        if verdict.verdict == "hit" and ctx.here is None:
            self.model.put(roam.sta, _entry(roam, "cache", keys))  # PMKSA from before the capture
            return
        here = ctx.here
        if verdict.verdict == "hit" and here is not None and here.origin == "preauth" \
                and not here.pmkids:
            # its first use shows the PMKID; the entry keeps its age and origin
            self.model.put(roam.sta, replace(here, pmkids=_pmkids(roam, keys)))
            return
        origin = _CREATES.get(roam.method)
        if origin is None or not _created(roam):
            return
        self.model.put(roam.sta, _entry(roam, origin, keys))


def _preauth_unexpected(p: Preauth) -> Finding:
    """Informational: the expectations say this AP does not pre-authenticate."""
    via = f" via {p.via}" if p.via else ""
    msg = (f"pre-authentication with {p.aa}{via} completed (EAP-Success frame {p.end_frame}) "
           "although the expectations set preauth = false (rsn_preauth=0) for this AP: its "
           "configuration differs from the file")
    return Finding("PREAUTH_NOT_EXPECTED", "info", p.end_frame, p.sta, p.aa, msg)


def _created(roam: Roam) -> bool:
    """EAP Success, a successful SAE exchange, or an OWE association with keys following."""
    ev = roam.evidence
    if roam.method == "full_8021x":
        return ev.eap_success
    if roam.method == "sae":
        return bool(ev.auth_statuses) and ev.auth_statuses[-1] == 0
    return ev.assoc_status == 0 and ev.m1_count > 0


def _entry(roam: Roam, origin: str, keys: KeyCheck) -> Cached:
    ev = roam.evidence
    phase = roam.phase("eap") or roam.phase("auth")
    created = phase.end_ns if phase is not None else roam.t_start_ns
    frame = ev.m1_frame or ev.first_eap_frame or ev.assoc_req_frame
    return Cached(roam.to_bssid, _pmkids(roam, keys), created, frame, origin, roam.ssid)


def _pmkids(roam: Roam, keys: KeyCheck) -> frozenset[bytes]:
    """The PMKIDs the attempt showed (M1 KDE, an accepted offer) or a key lets us compute."""
    ids = set(roam.evidence.m1_pmkids) | keys.pmk_names
    ids.update(p for p, ok in keys.pmkids.items() if ok)
    if not ids and roam.outcome == "success" and not roam.evidence.eap_seen:
        ids.update(bytes.fromhex(p) for p in roam.pmkids_offered)
    return frozenset(ids)


def _derivation_cap(roam: Roam, limit: int) -> Finding:
    """STATE_CAP_REACHED, once: SSIDs beyond the first `limit` get no passphrase PMK."""
    from analyzer.roam import findings as fnd

    msg = (f"passphrase keys derived for {limit} distinct SSIDs (one PBKDF2 each): attempts "
           "on further SSIDs (from this one on) are checked without them")
    return fnd.make("STATE_CAP_REACHED", roam.evidence.assoc_req_frame, roam.sta,
                    roam.to_bssid, msg, roam.id)
