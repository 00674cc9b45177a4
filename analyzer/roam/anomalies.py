"""Pure checks of what a station asks for against what the standard allows (issue 19):
no state, one frame's fields in, the problems found out."""

from __future__ import annotations

from analyzer.dot11.records import Rsne

MFPC, MFPR = 0x0080, 0x0040  # RSN Capabilities: management frame protection capable/required
# statuses an invalid RSNE selection explains (IEEE 802.11-2020 Table 9-50)
RSNE_STATUSES = frozenset({31, 40, 41, 42, 43, 44, 45})


def rsne_selection(rsne: Rsne | None, ap_capabilities: int | None) -> list[str]:
    """Why a (Re)Association Request's RSNE is not a valid selection (12.6.3): it must name
    exactly one AKM and one pairwise cipher, and be MFP capable when the AP requires MFP."""
    if rsne is None or rsne.wpa1:
        return []
    problems = []
    if len(rsne.akms) != 1:
        problems.append(f"{len(rsne.akms)} AKMs selected, not one")
    if len(rsne.pairwise_ciphers) != 1:
        problems.append(f"{len(rsne.pairwise_ciphers)} pairwise ciphers selected, not one")
    caps = rsne.capabilities or 0
    if ap_capabilities is not None and ap_capabilities & MFPR and not caps & MFPC:
        problems.append("not MFP capable (MFPC 0) while the AP requires MFP (MFPR 1)")
    return problems
