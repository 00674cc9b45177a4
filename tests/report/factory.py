"""Synthetic roam records and frame rows for report tests: no capture needed.

`story(n)` is n attempts of two stations moving between three APs, each with its frames
(auth, reassociation, an EAPOL 4-way with a retransmitted M3), alternating methods, some
failures, PMKSA verdicts on every other attempt (the rest have none, as before the judge).
"""

from __future__ import annotations

from typing import Any

from analyzer import api
from analyzer.roam.records import Missing, Phase, PmksaVerdict, Roam, Trigger
from analyzer.run import engine

STAS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
APS = ("0a:00:00:00:01:00", "0a:00:00:00:02:00", "0a:00:00:00:03:00")
HOSTILE_SSID = "<script>alert(1)</script>"
T0_NS = 1_700_000_000_000_000_000
MS = 1_000_000
VERDICTS = (
    PmksaVerdict("hit", True, "PMKID cached at this AP accepted"),
    PmksaVerdict("ap_miss", False, "AP ignored a valid cached PMKID and ran full EAP",
                 pmksa_age_s=12.5, evidence=(3, 9)),
    PmksaVerdict("unknown", None, "M1 not captured"),
)
SCRIPT = (  # (kind, from station?, detail) of the frames of one attempt
    ("auth", True, {"auth_seq": 1, "algorithm": 0}),
    ("auth", False, {"auth_seq": 2, "status": "success"}),
    ("reassoc_req", True, {"pmkids": "11" * 16}),
    ("reassoc_resp", False, {"status": "success"}),
    ("eapol", False, {"eapol_type": "Key", "message": "M1", "pmkid": "11" * 16}),
    ("eapol", True, {"eapol_type": "Key", "message": "M2"}),
    ("eapol", False, {"eapol_type": "Key", "message": "M3"}),
    ("eapol", False, {"eapol_type": "Key", "message": "M3", "retry": True}),
    ("eapol", True, {"eapol_type": "Key", "message": "M4"}),
)


def roam(i: int, ssid: str = "lab", judged: bool = True) -> tuple[Roam, list[dict[str, Any]]]:
    """Attempt number i (1-based) and its frame rows."""
    sta = STAS[i % 2]
    k = i // 2
    src, dst = APS[k % 3], APS[(k + 1) % 3]
    start = T0_NS + i * 700 * MS
    outcome = "failed" if i % 7 == 0 else "success"
    method = ("pmksa_cache", "full_8021x", "psk")[i % 3]
    frames = _frames(i, sta, dst, start)
    phases = (
        Phase("probe", start - 40 * MS, start - 5 * MS, 4, 0),
        Phase("auth", start, start + 2 * MS, 2, 0),
        Phase("assoc", start + 3 * MS, start + (5 + i % 4) * MS, 2, 0),
        Phase("4way", start + 9 * MS, start + (20 + i % 13) * MS, 5, 1),
    )
    if method == "full_8021x":
        phases = phases[:3]  # EAP missing from the capture, 4-way after it
        missing = (Missing("latency.eap", "no EAP frames seen"),)
    else:
        missing = (Missing("latency.eap", f"not applicable: no EAP in a {method} connection"),)
    end = start + (20 + i % 13) * MS
    latency = {"auth": 2.0, "assoc": 2.0 + i % 4, "control_plane": (end - start) / MS}
    record = Roam(
        id=i, sta=sta, from_bssid=None if i < 2 else src, to_bssid=dst, ssid=ssid,
        channel_from=1, channel_to=36, kind="initial" if i < 2 else "roam", method=method,
        akm="WPA-EAP", eap_method=None, trigger=Trigger("none_seen"), outcome=outcome,
        failure_reason=None if outcome == "success" else "no M4", t_start_ns=start, t_end_ns=end,
        phases=phases, latency_ms=latency, missing=missing, rssi_old_dbm=-70, rssi_new_dbm=-50,
        pmkids_offered=("11" * 16,), pmkid_m1="11" * 16,
        frames=tuple(f["frame"] for f in frames),
        pmksa=VERDICTS[i % 3] if judged and i % 2 else None,
    )
    return record, frames


def _frames(i: int, sta: str, ap: str, start: int) -> list[dict[str, Any]]:
    rows = []
    for j, (kind, up, detail) in enumerate(SCRIPT):
        ta, ra = (sta, ap) if up else (ap, sta)
        rows.append({
            "capture": 0, "frame": i * 20 + j, "ts": (start + j * 2 * MS) / 1e9, "kind": kind,
            "sta": sta, "bssid": ap, "ta": ta, "ra": ra, "seq": j, "retry": False,
            "signal_dbm": -50 - j if up else None, **detail,
        })
    return rows


def story(n: int, ssid: str = "lab", judged: bool = True) -> api.Analysis:
    """An api.Analysis of n synthetic attempts."""
    collector = api.Collector()
    roams = []
    for i in range(1, n + 1):
        record, frames = roam(i, ssid, judged)
        roams.append(record)
        collector.rows.extend(frames)
        collector.signal.extend(
            {"ts": f["ts"], "ta": f["ta"], "signal_dbm": f["signal_dbm"]}
            for f in frames if f["signal_dbm"] is not None
        )
    return api.Analysis(engine.Analysis(captures=[], roams=roams), collector)
