"""Every finding code the analyzer can raise is documented in docs/findings.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# constants in analyzer/roam that are not finding codes
NOT_FINDINGS = {"SUPPORTED_LINKTYPES", "GROUP_HANDSHAKE", "NO_TRIGGER", "PSK_AKMS", "FT_AKMS"}
CODE = re.compile(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"')


def _raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "analyzer" / "roam").glob("*.py"):
        codes |= set(CODE.findall(path.read_text()))
    return codes - NOT_FINDINGS


def test_every_finding_code_is_documented() -> None:
    doc = (ROOT / "docs" / "findings.md").read_text()
    documented = set(re.findall(r"\| `([A-Z0-9_]+)` \|", doc))
    raised = _raised_codes()
    assert "ASSOC_COMEBACK" in raised and "PTK_REKEY" in raised  # the scan sees the source
    assert raised <= documented, sorted(raised - documented)


def test_documented_severities_match_the_code() -> None:
    from analyzer.roam.findings import SEVERITY

    doc = (ROOT / "docs" / "findings.md").read_text()
    for code, severity in SEVERITY.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{code}` |"))
        assert row.split("|")[2].strip().startswith(severity), code
