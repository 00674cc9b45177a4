"""Key reinstallation, proven from packet numbers without keys (issue 19): after a replayed
M3 (the station's key) or an answered FT Reassociation replay (the AP's key), the victim's
packet numbers restarting under the same key ID show it installed the key again and reuses
nonces. A second pass over the file, only when such a replay was found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.capture import RawRecord
from analyzer.dot11.header import decode_header
from analyzer.dot11.linklayer import decode_link
from analyzer.dot11.protected import packet_number, protected_parts
from analyzer.roam import findings as fnd
from analyzer.roam.records import Finding

WINDOW_NS = 5_000_000_000  # how long after the replay the victim's frames are looked at
# whose key the replay makes the victim install again: the station's (M3) or the AP's (FT)
VICTIM = {"M3_REPLAYED": ("station", "CVE-2017-13077"),
          "FT_REASSOC_REPLAYED": ("AP", "CVE-2017-13082")}


@dataclass(slots=True)
class _Watch:
    trigger: Finding
    replay_frame: int
    ta: str
    ra: str
    who: str
    cve: str
    before: tuple[int, int, int] | None = None  # (PN, key ID, frame) of the last frame before
    after: tuple[int, int, int] | None = None  # of the first frame after
    until_ns: int | None = None


def watches(findings: list[Finding]) -> list[_Watch]:
    out = []
    for f in findings:
        victim = VICTIM.get(f.code)
        if victim is None or f.sta is None or f.bssid is None or f.frame is None:
            continue
        who, cve = victim
        ta, ra = (f.sta, f.bssid) if who == "station" else (f.bssid, f.sta)
        out.append(_Watch(f, f.frame, ta, ra, who, cve))
    return out


def find_reinstallations(found: list[_Watch], records: Iterable[RawRecord]) -> list[Finding]:
    """KEY_REINSTALLATION for each watch whose victim's PN went back after the replay."""
    pending = list(found)
    for rec in records:
        if not pending:
            break
        pair = _pn_of(rec)
        for w in [w for w in pending if pair is not None and pair[0:2] == (w.ta, w.ra)]:
            _see(w, rec, pair[2], pair[3])
        pending = [w for w in pending if w.after is None and
                   (w.until_ns is None or rec.ts_ns <= w.until_ns)]
    return [_finding(w) for w in found if _restarted(w)]


def _see(w: _Watch, rec: RawRecord, pn: int, key_id: int) -> None:
    if rec.index < w.replay_frame:
        w.before = (pn, key_id, rec.index)
    elif w.after is None:
        if w.until_ns is None:
            w.until_ns = rec.ts_ns + WINDOW_NS
        w.after = (pn, key_id, rec.index)


def _pn_of(rec: RawRecord) -> tuple[str, str, int, int] | None:
    """(TA, RA, PN, key ID) of a protected unicast data frame that is no MAC retry."""
    parts = protected_parts(rec.linktype, rec.data)
    if parts is None:
        return None
    header, body = parts
    try:
        _, start, end = decode_link(rec.linktype, rec.data)
        hdr = decode_header(rec.data, start, end)
    except Exception:  # noqa: BLE001 - protected_parts decoded it already
        return None
    if hdr.retry or hdr.addr2 is None or int(hdr.addr1[:2], 16) & 1:
        return None
    number = packet_number(body)
    return None if number is None else (hdr.addr2, hdr.addr1, number[0], number[1])


def _restarted(w: _Watch) -> bool:
    return (w.before is not None and w.after is not None and w.after[1] == w.before[1]
            and w.after[0] <= w.before[0])


def _finding(w: _Watch) -> Finding:
    assert w.before is not None and w.after is not None
    msg = (f"after the replay (frame {w.replay_frame}) the {w.who}'s packet numbers went back "
           f"under the same key ID {w.after[1]}: PN {w.before[0]} (frame {w.before[2]}) then "
           f"PN {w.after[0]} (frame {w.after[2]}): it installed its key again and reuses "
           f"nonces ({w.cve}, key reinstallation)")
    return fnd.make("KEY_REINSTALLATION", w.after[2], w.trigger.sta, w.trigger.bssid, msg,
                    w.trigger.roam_id)
