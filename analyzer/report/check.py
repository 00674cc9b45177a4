"""What `check` says: every attempt counted once as judged as expected, not judged (and why),
or breaking the expectations; failed attempts counted besides. Nothing is called "as
expected" that was not judged."""

from __future__ import annotations

from collections import Counter
from typing import Any

from analyzer.report.safe import clean


def check_document(document: dict[str, Any], violations: list[Any], strict: bool) -> dict[str, Any]:
    """The `check --format json` object; `ok` is what the exit code says."""
    bad = {v.roam_id for v in violations}
    roams = document["roams"]
    not_judged: Counter[str] = Counter()
    as_expected = not_applicable = 0
    for roam in roams:
        if roam["id"] in bad:
            continue
        pmksa = roam.get("pmksa")
        if pmksa is None or pmksa.get("as_expected") is None:
            not_judged[clean(pmksa["reason"]) if pmksa else "no PMKSA verdict"] += 1
        else:
            as_expected += 1
            not_applicable += pmksa["verdict"] == "not_applicable"
    unjudged = sum(not_judged.values())
    ok = not bad and not (strict and (unjudged or not roams))
    return {
        "ok": ok,
        "strict": strict,
        "attempts": len(roams),
        "judged_as_expected": as_expected,
        "not_applicable": not_applicable,
        "not_judged": unjudged,
        "not_judged_reasons": dict(not_judged.most_common()),
        "broke_expectations": len(bad),
        "failed": sum(r["outcome"] == "failed" for r in roams),
        "incomplete": sum(r["outcome"] == "incomplete" for r in roams),
        "violations": [
            {"roam": v.roam_id, "sta": v.sta, "bssid": v.bssid, "what": v.what,
             "message": clean(v.message), "frames": list(v.frames)}
            for v in violations
        ],
        "captures": document["captures"],
        "sensors": document.get("sensors"),
    }


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_lines(result: dict[str, Any]) -> list[str]:
    """The violations, one line each, then the counts, then OK or FAIL (the last line)."""
    lines = []
    for v in result["violations"]:
        frames = ", ".join(map(str, v["frames"][:12])) + (" ..." if len(v["frames"]) > 12 else "")
        lines.append(f"roam {v['roam']} {v['sta']} -> {v['bssid']}: {v['what']}: "
                     f"{v['message']} [frames {frames or '-'}]")
    for reason, n in result["not_judged_reasons"].items():
        lines.append(f"not judged: {plural(n, 'attempt')}: {reason}")
    n = result["attempts"]
    na = result["not_applicable"]
    lines.append(
        f"{plural(n, 'attempt')}: {result['judged_as_expected']} judged as expected"
        + (f" ({na} with PMKSA caching not applicable)" if na else "")
        + f", {result['not_judged']} could not be judged, "
        f"{result['broke_expectations']} broke the expectations; "
        f"{plural(result['failed'], 'attempt')} failed, {result['incomplete']} incomplete"
    )
    lines.append(_verdict_line(result))
    return lines


def _verdict_line(result: dict[str, Any]) -> str:
    n, bad, unjudged = result["attempts"], result["broke_expectations"], result["not_judged"]
    if bad:
        return f"FAIL: {bad} of {n} attempts break the expectations"
    if not result["ok"]:
        what = "nothing to judge" if not n else f"{unjudged} of {n} could not be judged"
        return f"FAIL (--strict): {what}"
    if not n:
        return "OK: 0 attempts, nothing to judge (--strict fails on this)"
    if unjudged:
        return (f"OK: {plural(n, 'attempt')}, none breaks the expectations, but {unjudged} "
                "could not be judged (--strict fails on this)")
    na = result["not_applicable"]
    return (f"OK: {plural(n, 'attempt')}, all judged as expected"
            + (f" ({na} with PMKSA caching not applicable)" if na else ""))
