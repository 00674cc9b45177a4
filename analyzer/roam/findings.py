"""Finding codes, their severities, and the rules applied when an attempt closes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from analyzer.roam.dedup import Seen
from analyzer.roam.events import Event
from analyzer.roam.records import Finding, Roam

SEVERITY: dict[str, str] = {
    "HANDSHAKE_INCOMPLETE": "warning",
    "M3_RETRANSMITTED": "warning",
    "REPLAYED_FRAME": "warning",
    "ASSOC_REJECTED": "error",
    "AUTH_REJECTED": "error",
    "EAP_FAILURE": "error",
    "DEAUTH_DURING_ROAM": "error",
    "ZERO_ANONCE": "error",
    "REPLAY_COUNTER_MISMATCH": "warning",
    "ANONCE_CHANGED": "error",
    "SLOW_ROAM": "warning",
    "STATE_CAP_REACHED": "warning",
    "INVALID_RSNE_SELECTION": "error",
    "HANDSHAKE_RESTART_INJECTED": "warning",
    "M3_REPLAYED": "warning",
    "PN_REPLAYED": "warning",
    "FT_REASSOC_REPLAYED": "warning",
    "GROUP_KEY_REPLAYED": "warning",
    "KEY_REINSTALLATION": "error",
    "CLOCK_JUMP": "warning",
    "UNANSWERED_ATTEMPTS": "warning",
    "PMKID_NOT_AS_LOGGED": "warning",
    "PN_REUSE": "warning",  # error when the same PN carries another frame (analyzer.roam.pn)
}

DEFAULT_SLOW_ROAM_MS = 150.0


def make(
    code: str, frame: int | None, sta: str | None, bssid: str | None, message: str,
    roam_id: int | None = None,
) -> Finding:
    return Finding(code, SEVERITY.get(code, "info"), frame, sta, bssid, message, roam_id)


def replayed(
    what: str, frame: int, ts_ns: int, sta: str, bssid: str, first: Seen
) -> Finding:
    dt = (ts_ns - first.ts_ns) / 1e9
    msg = (f"{what} frame {frame} repeats frame {first.index} "
           f"({dt:.3f} s later) without being a retransmission; not a new attempt")
    return make("REPLAYED_FRAME", frame, sta, bssid, msg)


def rekey(group: bool, frames: list[int], messages: list[str], sta: str, bssid: str,
          inside: bool = False) -> Finding:  # fmt: skip
    """A handshake in the clear on an association already keyed (never a roam); `inside`:
    found by decrypting the protected frames that carried it (analyzer.decrypt)."""
    what = "Group key handshake" if group else "PTK rekey (new 4-way handshake)"
    seen = ", ".join(f"{m} {i}" for m, i in zip(messages, frames, strict=True))
    code = "GROUP_KEY_HANDSHAKE" if group else "PTK_REKEY"
    where = " inside protected frames (decrypted)" if inside else ""
    return make(code, frames[0], sta, bssid, f"{what} on the association{where}: {seen}")


def reauthentication(frames: list[int], what: list[str], sta: str, bssid: str) -> Finding:
    """An EAP exchange found by decryption inside protected frames of a keyed association:
    a re-authentication (802.1X reauth timer, or the station's EAPOL-Start). `what`: each EAP
    packet as Request/Identity, Response/TLS, Success..."""
    methods = sorted({w.split("/", 1)[1] for w in what if "/" in w} - {"Identity"})
    end = what[-1] if what[-1] in ("Success", "Failure") else "no Success/Failure seen"
    msg = (f"EAP re-authentication inside protected frames (decrypted): {len(frames)} EAP "
           f"packets, frames {frames[0]}-{frames[-1]}, method {', '.join(methods) or 'none'}, "
           f"ending {end}" + (f" (frame {frames[-1]})" if end in ("Success", "Failure") else ""))
    return make("EAP_REAUTHENTICATION", frames[0], sta, bssid, msg)


def pn_replayed(frame: int, sta: str | None, bssid: str) -> Finding:
    """A protected frame, without the Retry bit, whose packet number its transmitter already
    used under this key and TID: found by the decryption pass (analyzer.decrypt)."""
    msg = ("protected frame with a packet number at or below one already used under the same "
           "key, transmitter and TID, and no Retry bit: a replayed frame, or a key installed "
           "again (nonce reuse, the CVE-2017-13077 pattern); not used")
    return make("PN_REPLAYED", frame, sta, bssid, msg)


def aggregate(findings: list[Finding]) -> list[Finding]:
    """One finding per station and cause (code, station, BSSID, message): a repeat adds its
    frame and counts, and the message says how many ("115× ..."); order of first raising."""
    groups: dict[tuple[str, str | None, str | None, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.code, f.sta, f.bssid, f.message), []).append(f)
    out = []
    for same in groups.values():
        first = same[0]
        if len(same) == 1:
            out.append(first)
            continue
        frames = tuple(n for f in same for n in (f.frames or (f.frame,)) if n is not None)
        out.append(replace(first, count=len(same), frames=frames,
                           message=f"{len(same)}× {first.message}"))
    return out


def key_replayed(message: str, counter: int, highest: int, ev: Event) -> Finding:
    """An AP's key message (M3, G1) whose replay counter the AP already used on this
    association, after its handshake completed: a copy, never a new handshake."""
    code = "GROUP_KEY_REPLAYED" if message == "G1" else "M3_REPLAYED"
    cve = "CVE-2017-13080" if message == "G1" else "CVE-2017-13077"
    msg = (f"{message} with replay counter {counter} after the handshake completed (the AP had "
           f"reached {highest}): an AP never reuses a counter, so this is a replay ({cve} "
           "pattern); a station that installs its key again reuses packet numbers")
    return make(code, ev.index, ev.sta, ev.bssid, msg)


def on_close(roam: Roam, slow_roam_ms: Mapping[str, float]) -> list[Finding]:
    """Findings judged on the finished attempt: an unfinished handshake, a slow roam."""
    out = []
    if roam.outcome != "success" and _handshake_started(roam):
        out.append(_finding(roam, "HANDSHAKE_INCOMPLETE", _incomplete_message(roam)))
    slow = _slow(roam, slow_roam_ms)
    if slow is not None:
        out.append(slow)
    return out


def _handshake_started(roam: Roam) -> bool:
    return roam.phase("4way") is not None


def _incomplete_message(roam: Roam) -> str:
    ev = roam.evidence
    seen = [f"M1x{ev.m1_count}" if ev.m1_count else "", "M2" if ev.m2_seen else "",
            f"M3x{ev.m3_count}" if ev.m3_count else ""]
    got = ", ".join(s for s in seen if s) or "no pairwise message"
    return f"4-way handshake not completed ({got}; outcome {roam.outcome})"


def _slow(roam: Roam, thresholds: Mapping[str, float]) -> Finding | None:
    took = roam.latency_ms.get("control_plane")
    if roam.kind != "roam" or roam.outcome != "success" or took is None:
        return None
    limit = thresholds.get(roam.method, thresholds.get("default", DEFAULT_SLOW_ROAM_MS))
    if took <= limit:
        return None
    msg = f"{roam.method} roam took {took:.1f} ms of control plane (threshold {limit:.0f} ms)"
    return _finding(roam, "SLOW_ROAM", msg)


def _finding(roam: Roam, code: str, message: str) -> Finding:
    frame = roam.frames[0] if roam.frames else None
    return make(code, frame, roam.sta, roam.to_bssid, message, roam.id)
