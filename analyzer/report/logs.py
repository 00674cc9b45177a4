"""The `logs` document (JSON) and its table: log attempts, PMKSA decisions, their roams.

Shape (docs/logs.md): `logs`, `alignment`, `attempts` (one per attempt the supplicant
started, with `on_air` true/false/null), `pmksa_events`, `events`, `findings`; with captures
also `captures` and `roams`, each roam with `log` (its attempt, what was never sent before
it, both sides' decisions, the PMKSA check, and a timeline mixing log and air).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from rich.table import Table
from rich.text import Text

from analyzer.logs.records import ParsedLog
from analyzer.report.safe import clean, seconds
from analyzer.report.text import clock, console_for
from analyzer.roam.logmatch import Correlation, Placement, PmkidOnAir
from analyzer.roam.records import Roam

_NS = 1e9


def attempt_entry(p: Placement, pmkid: PmkidOnAir | None = None) -> dict[str, Any]:
    entry = p.attempt.to_dict()
    entry.update(
        on_air=p.on_air, frame=p.frame, air_ts=seconds(p.air_ts_ns), roam_id=p.roam_id,
        explanation=p.explanation, follows=p.follows, probes=list(p.probes),
        pmkid_on_air=None if pmkid is None else pmkid.to_dict(),
    )
    return entry


def logs_document(logs: Sequence[ParsedLog], corr: Correlation,
                  roams: Sequence[Roam] = (), captures: list[dict[str, Any]] | None = None
                  ) -> dict[str, Any]:
    pmkids = {c.attempt: c for c in corr.pmkids}
    doc: dict[str, Any] = {
        "logs": [log.to_dict() for log in logs],
        "alignment": _alignment(logs, corr, captures is not None),
        "attempts": [attempt_entry(p, pmkids.get(p.attempt.index)) for p in corr.placements],
        "pmksa_events": _pmksa_events(logs),
        "events": [e.to_dict() for log in logs for e in log.events],
        "findings": [f.to_dict() | {"roam_id": f.roam_id} for f in corr.findings],
    }
    if captures is not None:
        doc["captures"] = captures
        doc["roams"] = [_roam_entry(r, corr) for r in roams]
    return doc


def _alignment(logs: Sequence[ParsedLog], corr: Correlation, with_capture: bool
               ) -> dict[str, Any]:
    matched = sum(1 for p in corr.placements if p.on_air)
    if not with_capture:
        note = "no capture: on_air is false only for attempts the driver refused"
    elif corr.method == "order":
        note = "the log has no times: attempts aligned to frames by their order"
    elif corr.method == "timestamps":
        note = "log times shifted by the offset most attempt/frame pairs agree on"
    else:
        note = "nothing to align (no attempt sent, or no Authentication frame captured)"
    return {
        "method": corr.method,
        "offset_s": None if corr.offset_ns is None else corr.offset_ns / _NS,
        "matched": matched,
        "attempts": len(corr.placements),
        "dated": [log.dated for log in logs],
        "note": note,
    }


def _pmksa_events(logs: Sequence[ParsedLog]) -> list[dict[str, Any]]:
    rows = [d.to_dict() for log in logs for d in log.decisions]
    rows += [e.to_dict() | {"kind": "cache_added_event", "side": "sta"}
             for log in logs for e in log.events if e.name == "PMKSA-CACHE-ADDED"]
    return sorted(rows, key=lambda r: (r["log"], r["line"]))


def _roam_entry(roam: Roam, corr: Correlation) -> dict[str, Any]:
    entry = roam.to_dict()
    matched = [p for p in corr.placements if p.on_air and p.roam_id == roam.id]
    before = [p for p in corr.placements if p.on_air is False and p.roam_id == roam.id]
    decisions = [d for p in matched for d in p.attempt.decisions]
    decisions += list(corr.ap_decisions.get(roam.id, ()))
    if not (matched or before or decisions):
        entry["log"] = None
        return entry
    check = corr.checks.get(roam.id)
    entry["log"] = {
        "attempt": attempt_entry(matched[0], _pmkid_of(corr, matched[0])) if matched else None,
        "not_transmitted": [attempt_entry(p) for p in before],
        "decisions": [d.to_dict() for d in decisions],
        "pmksa_check": None if check is None else check.to_dict(),
        "timeline": _timeline(roam, matched, before),
    }
    return entry


def _pmkid_of(corr: Correlation, p: Placement) -> PmkidOnAir | None:
    return next((c for c in corr.pmkids if c.attempt == p.attempt.index), None)


def _timeline(roam: Roam, matched: list[Placement], before: list[Placement]
              ) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in before:
        a = p.attempt
        err = a.error.errno or a.error.message if a.error else "refused"
        rows.append(_row(p.air_ts_ns, "log", None, False,
                         f"attempt to {a.bssid} ({a.freq_mhz} MHz) failed at the driver "
                         f"({err}): no frame on the air"))
        if p.probes:
            freqs = ", ".join(map(str, p.scan_freqs))
            rows.append(_row(p.scan_ts_ns, "air", p.probes[0], True,
                             f"{len(p.probes)} Probe Request(s) on {freqs} MHz"))
    for p in matched:
        rows.append(_row(p.air_ts_ns, "log+air", p.frame, True,
                         f"attempt to {p.attempt.bssid} (log line {p.attempt.line}): "
                         f"Authentication frame {p.frame}"))
    for ph in roam.phases:
        rows.append(_row(ph.start_ns, "air", None, True, f"phase {ph.name}"))
    verdict = roam.pmksa.verdict if roam.pmksa else None
    rows = _in_time_order(rows)
    rows.append(_row(roam.t_end_ns, "air", None, True,
                     f"roam {roam.outcome}" + (f", PMKSA {verdict}" if verdict else "")))
    return rows


def _in_time_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stable by time; a row without a time keeps the place of the row before it."""
    keyed, last = [], float("-inf")
    for i, row in enumerate(rows):
        last = row["ts"] if row["ts"] is not None else last
        keyed.append((last, i, row))
    return [row for _, _, row in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _row(ts_ns: int | None, source: str, frame: int | None, on_air: bool, text: str
         ) -> dict[str, Any]:
    return {"ts": seconds(ts_ns), "source": source, "frame": frame, "on_air": on_air,
            "text": text}


# --- the table -------------------------------------------------------------------------------


def unrecognised_logs(doc: dict[str, Any]) -> list[str]:
    """The logs in which no line was recognised (not a wpa_supplicant/hostapd debug log?)."""
    logs = doc["logs"]
    seen = {e.get("log") for key in ("pmksa_events", "events", "attempts") for e in doc[key]}
    return [log["path"] for log in logs if log["path"] not in seen]


def print_logs(doc: dict[str, Any], out: TextIO) -> None:
    console = console_for(out)
    al = doc["alignment"]
    offset = "" if al["offset_s"] is None else f", offset {al['offset_s']:+.6f} s"
    console.print(Text(f"Alignment: {al['method']}{offset}; {al['matched']} of "
                       f"{al['attempts']} attempts matched to frames ({al['note']})"))
    console.print(_attempts_table(doc["attempts"]))
    for a in doc["attempts"]:
        if a["pmkid_on_air"] is not None:
            console.print(Text(clean(a["pmkid_on_air"]["message"]) or ""))
    if doc["pmksa_events"]:
        console.print(_decisions_table(doc["pmksa_events"]))
    for roam in doc.get("roams", []):
        if roam.get("log"):
            console.print(_roam_table(roam))
    for f in doc["findings"]:
        line = f"{f['severity']}: {f['code']} {f['bssid'] or ''}: {f['message']}"
        console.print(Text(clean(line) or ""))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def _add(table: Table, *values: object) -> None:
    table.add_row(*(Text("-" if v is None else clean(str(v)) or "") for v in values))


def _on_air(value: bool | None, outcome: str) -> str:
    if value is None:
        return "sent to driver" if outcome != "driver_failed" else "?"
    return "yes" if value else "no"


def _attempts_table(rows: list[dict[str, Any]]) -> Table:
    table = _table("Attempts (supplicant log)", "#", "time", "line", "bssid", "freq", "pmkid",
                   "rsne", "outcome", "on air", "frame", "error")
    for a in rows:
        rsne = a["rsne"]
        suites = None if rsne is None else (
            f"{rsne['group']}/{'+'.join(rsne['pairwise'])}/{'+'.join(rsne['akm'])} "
            f"caps {rsne['capabilities']}")
        err = a["error"]
        _add(table, a["index"] + 1, clock(a["ts"]) if a["ts"] is not None else None, a["line"],
             a["bssid"], a["freq_mhz"], (a["pmkid"] or "")[:8] or None, suites, a["outcome"],
             _on_air(a["on_air"], a["outcome"]), a["frame"],
             None if err is None else f"ret={err['ret']} {err['errno'] or err['message']}")
    return table


def _decisions_table(rows: list[dict[str, Any]]) -> Table:
    table = _table("PMKSA decisions", "log", "line", "side", "kind", "sta", "bssid", "pmkid")
    for d in rows:
        _add(table, d["log"], d["line"], d["side"], d["kind"], d["sta"], d["bssid"],
             (d.get("pmkid") or "")[:8] or None)
    return table


def _roam_table(roam: dict[str, Any]) -> Table:
    log = roam["log"]
    check = log["pmksa_check"]
    title = f"Roam {roam['id']} {roam['sta']} -> {roam['to_bssid']}"
    if check:
        title += f": PMKSA {check['verdict']} {check['status']} ({check['reason']})"
    table = _table(title, "time", "source", "frame", "on air", "what")
    for row in log["timeline"]:
        _add(table, clock(row["ts"]) if row["ts"] is not None else None, row["source"],
             row["frame"], "yes" if row["on_air"] else "no", row["text"])
    return table


# --- the whole run ---------------------------------------------------------------------------


def logs_report(log_paths: Sequence[str], capture_paths: Sequence[str] = ()
                ) -> tuple[dict[str, Any], bool]:
    """Read the logs (and the captures), correlate, and return (document, capture damaged)."""
    from datetime import UTC, datetime

    from analyzer.logs.files import load_lines, parse_logs
    from analyzer.report.jsonout import capture_entry
    from analyzer.roam.logmatch import AirCollector, correlate
    from analyzer.run.dispatch import run

    texts = load_lines(log_paths)
    if not capture_paths:
        logs = parse_logs(log_paths, texts)
        return logs_document(logs, correlate(logs, [], [], captured=False)), False
    air = AirCollector()
    analysis = run(list(capture_paths), sinks=[air])
    first = min((c.info.first_ts_ns for c in analysis.captures
                 if c.info.first_ts_ns is not None), default=None)
    year = None if first is None else datetime.fromtimestamp(first / 1e9, tz=UTC).year
    logs = parse_logs(log_paths, texts, year)
    corr = correlate(logs, analysis.roams, air.frames)
    captures = [capture_entry(c) for c in analysis.captures]
    return logs_document(logs, corr, analysis.roams, captures), analysis.truncated
