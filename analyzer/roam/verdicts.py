"""Pure rules: one attempt + the PMKSA model's view + the expectations -> a `PmksaVerdict`.

The rules are tried in the order of `RULES`; the first that returns a verdict wins. Each
verdict's `as_expected` compares what happened with what the AP's and the station's settings
imply (DOMAIN §7); an unexpected verdict becomes a finding (`FINDING_OF`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzer.config.expectations import ApExpect, StaExpect
from analyzer.roam.keycheck import FT_AKMS, PSK_AKMS, KeyCheck
from analyzer.roam.records import Finding, PmksaVerdict, Roam

STATUS_INVALID_PMKID = 53
_NA_METHODS = {
    "psk": "PSK: the PSK is the PMK, nothing to cache",
    "ft_over_air": "FT: keys come from the FT key hierarchy, not a PMKSA",
    "ft_over_ds": "FT: keys come from the FT key hierarchy, not a PMKSA",
    "open": "open network: no keys",
}
FINDING_OF = {
    "hit": "PMKSA_UNEXPECTED_HIT",
    "okc_hit": "PMKSA_UNEXPECTED_OKC_HIT",
    "ap_miss": "PMKSA_UNEXPECTED_AP_MISS",
    "sta_no_offer": "PMKSA_STA_DID_NOT_OFFER",
    "sta_fallback": "PMKSA_STA_FALLBACK",
    "pmkid_mismatch": "PMKSA_PMKID_MISMATCH",
    "sae_pmkid_rejected": "PMKSA_SAE_PMKID_REJECTED",
    "stale": "PMKSA_STALE_ACCEPTED",
}
_SEVERITY = {"PMKSA_PMKID_MISMATCH": "error"}


@dataclass(frozen=True, slots=True)
class Cached:
    """A PMKSA the model holds for (station, AA): a snapshot, never mutated."""

    aa: str
    pmkids: frozenset[bytes]  # empty: created, but its PMKID was not seen (nor computed)
    created_ns: int
    frame: int | None  # where it was created (EAP Success, SAE Confirm, M1...)
    origin: str  # eap | sae | owe | okc | cache | preauth
    ssid: str | None
    via: str | None = None  # preauth: the AP the pre-authentication went through

    @property
    def how(self) -> str:
        """How the PMKSA was created, for reasons: '' except for pre-authentication."""
        if self.origin != "preauth":
            return ""
        via = f" via {self.via}" if self.via else ""
        return f" by pre-authentication{via}, EAP-Success frame {self.frame}"

    def age_s(self, ts_ns: int) -> float:
        return round((ts_ns - self.created_ns) / 1e9, 3)

    def matches(self, offered: tuple[bytes, ...]) -> bool:
        return not self.pmkids or bool(self.pmkids & set(offered))


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a rule may read."""

    roam: Roam
    ap: ApExpect
    sta: StaExpect
    here: Cached | None  # the model's PMKSA for (station, this AP)
    ess: Cached | None  # the newest PMKSA of the station at another AP of the same SSID
    keys: KeyCheck

    @property
    def offered(self) -> tuple[bytes, ...]:
        return tuple(bytes.fromhex(p) for p in self.roam.pmkids_offered)

    @property
    def eap(self) -> bool:
        ev = self.roam.evidence
        return ev.eap_seen or ev.eap_start

    @property
    def frames(self) -> tuple[int, ...]:
        ev = self.roam.evidence
        picks = (ev.assoc_req_frame, ev.first_eap_frame, ev.m1_frame)
        return tuple(sorted({f for f in picks if f is not None}))


Rule = Callable[[Context], PmksaVerdict | None]


def _v(ctx: Context, verdict: str, ok: bool | None, reason: str, entry: Cached | None = None,
       confirmed: bool | None = None) -> PmksaVerdict:
    extra = (entry.frame,) if entry is not None and entry.frame is not None else ()
    age = entry.age_s(ctx.roam.t_start_ns) if entry is not None else None
    return PmksaVerdict(verdict, ok, reason, age, tuple(sorted(set(ctx.frames + extra))),
                        confirmed)


# --- the rules, in order ---------------------------------------------------------------------


def not_applicable(ctx: Context) -> PmksaVerdict | None:
    roam = ctx.roam
    akm = roam.evidence.akm_suite
    why = _NA_METHODS.get(roam.method)
    if why is None and akm in PSK_AKMS:
        why = _NA_METHODS["psk"]
    if why is None and akm in FT_AKMS and not ctx.sta.ft_eap_pmksa_caching:
        why = "FT AKM: PMKSA caching not used (ft_eap_pmksa_caching=0)"
    return None if why is None else _v(ctx, "not_applicable", True, why)


def fils(ctx: Context) -> PmksaVerdict | None:
    """FILS authentication (12.11.2): a cached PMKID offered in the Authentication frame is a
    hit when the AP's Authentication frame names it; without it the AP authenticated afresh."""
    roam = ctx.roam
    if roam.method != "fils":
        return None
    if not ctx.offered:
        return no_offer(ctx) or _v(ctx, "not_applicable", True,
                                   "FILS authentication without a cached PMKSA creates one")
    taken = [p for p in roam.evidence.fils_ap_pmkids if p in ctx.offered]
    if not taken:
        if roam.outcome != "success" and not roam.evidence.auth_statuses:
            return _v(ctx, "unknown", None, "the AP's FILS Authentication frame not captured")
        should, why, entry = ap_should_have(ctx)
        return _v(ctx, "ap_miss", not should, "PMKID offered in FILS Authentication, the AP "
                  f"answered without it (a full FILS authentication); {why}", entry)
    confirmed = ctx.keys.pmkids.get(taken[0])
    head = f"FILS Shared Key authentication with PMKSA caching: the AP took PMKID {taken[0].hex()}"
    if ctx.here is not None and ctx.here.matches(ctx.offered):
        return _fils_hit(ctx, ctx.here, head, confirmed)
    if ctx.ess is not None and ctx.ess.pmkids & set(ctx.offered):
        ok = ctx.ap.okc and ctx.sta.okc
        return _v(ctx, "okc_hit", ok, f"{head}; PMK from {ctx.ess.aa} (OKC)", ctx.ess, confirmed)
    return _fils_hit(ctx, None, head, confirmed)


def _fils_hit(ctx: Context, entry: Cached | None, head: str, confirmed: bool | None
              ) -> PmksaVerdict:  # fmt: skip
    ok = ctx.ap.pmksa_caching and ctx.sta.pmksa_caching
    origin = "; the PMKSA predates the capture" if entry is None else ""
    off = "" if ok else "; PMKSA caching is off in the expectations"
    return _v(ctx, "hit", ok, f"{head}{origin}{off}", entry, confirmed)


def missing_assoc(ctx: Context) -> PmksaVerdict | None:
    if ctx.roam.evidence.assoc_req_frame is not None:
        return None
    return _v(ctx, "unknown", None,
              "no (Re)Association Request captured: the PMKIDs offered are unknown")


def sae_rejected(ctx: Context) -> PmksaVerdict | None:
    ev = ctx.roam.evidence
    if ev.assoc_status != STATUS_INVALID_PMKID and STATUS_INVALID_PMKID not in ev.auth_statuses:
        return None
    should, why, entry = ap_should_have(ctx)
    head = "the AP answered the offered PMKID with status 53 (invalid PMKID)"
    return _v(ctx, "sae_pmkid_rejected", not should, f"{head}; {why}", entry)


def stale(ctx: Context) -> PmksaVerdict | None:
    entry = _offered_entry(ctx)
    if entry is None or not ctx.offered:
        return None
    age = entry.age_s(ctx.roam.t_start_ns)
    limit = min(ctx.sta.lifetime_s, ctx.ap.lifetime_s)
    if age <= limit:
        return None
    if ctx.eap:
        why = (f"offered PMKSA is {age:.0f} s old, beyond its {limit:.0f} s lifetime; the AP "
               "ran full EAP, as it should")
        return _v(ctx, "stale", True, why, entry)
    why = f"the AP accepted a PMKSA {age:.0f} s old, beyond its {limit:.0f} s lifetime"
    return _v(ctx, "stale", False, why, entry)


def key_mismatch(ctx: Context) -> PmksaVerdict | None:
    if ctx.keys.m1_matches_pmk is not False or not ctx.eap:
        return None
    why = ("after full EAP, M1's PMKID does not derive from the PMK the 4-way handshake "
           "used (RADIUS server/MSK bug)")
    return _v(ctx, "pmkid_mismatch", False, why)


def fallback(ctx: Context) -> PmksaVerdict | None:
    ev = ctx.roam.evidence
    if not ev.m1_pmkids or ev.m1_frame is None or not ctx.eap:
        return None
    if ev.first_eap_frame is not None and ev.first_eap_frame < ev.m1_frame:
        return None
    took = "it sent EAPOL-Start" if ev.eap_start else "it did not answer"
    why = (f"M1 (frame {ev.m1_frame}) carried PMKID {ev.m1_pmkids[0].hex()}, which the station "
           f"did not take: {took}, then full EAP")
    return _v(ctx, "sta_fallback", False, why, ctx.here)


def ap_miss(ctx: Context) -> PmksaVerdict | None:
    if not ctx.offered or not ctx.eap:
        return None
    should, why, entry = ap_should_have(ctx)
    return _v(ctx, "ap_miss", not should, f"PMKID offered, the AP started EAP; {why}", entry)


def mismatch(ctx: Context) -> PmksaVerdict | None:
    m1 = ctx.roam.evidence.m1_pmkid
    if not ctx.offered or m1 is None or m1 in ctx.offered:
        return None
    why = f"M1's PMKID {m1.hex()} is none of the {len(ctx.offered)} PMKID(s) offered"
    return _v(ctx, "pmkid_mismatch", False, why)


def hit(ctx: Context) -> PmksaVerdict | None:
    ev = ctx.roam.evidence
    if not ctx.offered or (ev.m1_pmkid is None and not ev.m4_seen):
        return None
    used = ev.m1_pmkid or ctx.offered[0]
    confirmed = ctx.keys.pmkids.get(used)
    if ctx.here is not None and ctx.here.matches(ctx.offered):
        return _hit(ctx, ctx.here, confirmed)
    if ctx.ess is not None:
        ok = ctx.ap.okc and ctx.sta.okc
        why = (f"no earlier authentication to this AP; PMK from {ctx.ess.aa} reused (OKC)"
               + ("" if ok else "; OKC is off in the expectations"))
        return _v(ctx, "okc_hit", ok, why, ctx.ess, confirmed)
    return _hit(ctx, None, confirmed)


def _hit(ctx: Context, entry: Cached | None, confirmed: bool | None) -> PmksaVerdict:
    ok = ctx.ap.pmksa_caching and ctx.sta.pmksa_caching
    how = "M1's PMKID is the one offered" if ctx.roam.evidence.m1_pmkid else (
        "no PMKID KDE, 4-way handshake completed without EAP")
    origin = "; the PMKSA predates the capture" if entry is None else _preauth_note(ctx, entry)
    off = "" if ok else "; PMKSA caching is off in the expectations"
    return _v(ctx, "hit", ok, f"EAP skipped: {how}{origin}{off}", entry, confirmed)


def _preauth_note(ctx: Context, entry: Cached) -> str:
    """Where a pre-authenticated PMKSA came from (the station authenticated with this AP,
    so it is a plain hit, not OKC)."""
    if entry.origin != "preauth":
        return ""
    age = entry.age_s(ctx.roam.t_start_ns)
    return f"; the PMKSA was created{entry.how}, {age:g} s earlier"


def no_offer(ctx: Context) -> PmksaVerdict | None:
    if ctx.offered:
        return None
    entry = _valid(ctx, ctx.here)
    okc = _valid(ctx, ctx.ess) if ctx.sta.okc and ctx.ap.okc else None
    chosen = entry or okc
    if chosen is None:
        return None
    if entry is None:
        what = f"from {chosen.aa} usable by OKC"
    else:
        what = f"for this AP (created{entry.how})" if entry.how else "for this AP"
    expected = not ctx.sta.pmksa_caching
    why = f"no PMKID offered although a PMKSA {what} exists within its lifetime"
    return _v(ctx, "sta_no_offer", expected,
              why + ("; the station does not cache, as configured" if expected else ""), chosen)


def first_auth(ctx: Context) -> PmksaVerdict | None:
    if ctx.offered or not (ctx.eap or ctx.roam.method in ("sae", "owe")):
        return None
    return _v(ctx, "not_applicable", True,
              "no PMKSA with this AP yet: the full authentication creates one")


def unknown(ctx: Context) -> PmksaVerdict | None:
    ev = ctx.roam.evidence
    missing = "M1" if ev.m1_count == 0 else "M4"
    return _v(ctx, "unknown", None,
              f"neither EAP nor a usable 4-way handshake captured ({missing} missing)")


RULES: tuple[Rule, ...] = (
    not_applicable, fils, missing_assoc, sae_rejected, stale, key_mismatch, fallback, ap_miss,
    mismatch, hit, no_offer, first_auth, unknown,
)


def judge(ctx: Context) -> PmksaVerdict:
    for rule in RULES:
        verdict = rule(ctx)
        if verdict is not None:
            return verdict
    raise AssertionError("the last rule always answers")


# --- helpers ---------------------------------------------------------------------------------


def _valid(ctx: Context, entry: Cached | None) -> Cached | None:
    if entry is None:
        return None
    limit = min(ctx.sta.lifetime_s, ctx.ap.lifetime_s)
    return entry if entry.age_s(ctx.roam.t_start_ns) <= limit else None


def _offered_entry(ctx: Context) -> Cached | None:
    if ctx.here is not None and ctx.here.matches(ctx.offered):
        return ctx.here
    if ctx.ess is not None and ctx.ess.pmkids & set(ctx.offered):
        return ctx.ess
    return ctx.ess if ctx.here is None and ctx.ap.okc else None


def ap_should_have(ctx: Context) -> tuple[bool, str, Cached | None]:
    """Whether the AP should have found a PMKSA for the offered PMKIDs, and why."""
    if not ctx.ap.pmksa_caching:
        return False, "the AP has PMKSA caching disabled, as expected", None
    here = ctx.here
    if here is not None and here.matches(ctx.offered):
        age = here.age_s(ctx.roam.t_start_ns)
        if age <= ctx.ap.lifetime_s:
            how = here.how or f" (frame {here.frame})"
            return True, (f"it created this PMKSA {age:.0f} s earlier{how}, "
                          f"within its {ctx.ap.lifetime_s:.0f} s lifetime"), here
        return False, f"its PMKSA is {age:.0f} s old, past its lifetime", here
    ess = _valid(ctx, ctx.ess)
    if ctx.ap.okc and ess is not None:
        age = ess.age_s(ctx.roam.t_start_ns)
        return True, f"OKC is on and the PMK from {ess.aa} is {age:.0f} s old", ess
    return False, "no PMKSA for the offered PMKID was created in the capture", None


def finding(roam: Roam, verdict: PmksaVerdict) -> Finding | None:
    """The finding of an unexpected verdict (None when as expected or undecided)."""
    code = FINDING_OF.get(verdict.verdict)
    if verdict.as_expected is not False or code is None:
        return None
    ev = roam.evidence
    frame = ev.assoc_req_frame or ev.first_eap_frame or ev.m1_frame or (
        roam.frames[0] if roam.frames else None)
    return Finding(code, _SEVERITY.get(code, "warning"), frame, roam.sta, roam.to_bssid,
                   f"{verdict.verdict}: {verdict.reason}", roam.id)


# --- check -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a roam broke the expectations: a PMKSA verdict or a latency threshold."""

    roam_id: int
    sta: str
    bssid: str
    what: str  # "pmksa" | "latency"
    message: str
    frames: tuple[int, ...]


def violations(roam: Roam, ap: ApExpect, sta: StaExpect) -> list[Violation]:
    """What `check` reports for one judged roam (latency: control-plane milliseconds)."""
    out = []
    v = roam.pmksa
    if v is not None and v.as_expected is False:
        out.append(Violation(roam.id, roam.sta, roam.to_bssid, "pmksa",
                             f"{v.verdict}: {v.reason}", v.evidence))
    limit = _limit(roam.method, ap, sta)
    took = roam.latency_ms.get("control_plane")
    if limit is not None and took is not None and took > limit:
        msg = f"{roam.method} {roam.kind} took {took:.1f} ms (max_roam_ms {limit:g})"
        out.append(Violation(roam.id, roam.sta, roam.to_bssid, "latency", msg, roam.frames))
    return out


def _limit(method: str, ap: ApExpect, sta: StaExpect) -> float | None:
    limits = [t.get(method, t.get("default")) for t in (ap.max_roam_ms, sta.max_roam_ms)]
    found = [x for x in limits if x is not None]
    return min(found) if found else None
