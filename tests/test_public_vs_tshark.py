"""On every real capture, our `counts` and `pmkids` agree with tshark run in the same test."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from tests.conftest import public_capture_params

FIELDS = (
    "frame.number",
    "wlan.fc.type_subtype",
    "wlan.fc.retry",
    "eapol.type",
    "wlan_rsna_eapol.keydes.msgnr",
    "eap.code",
    "wlan.pmkid.akms",
    "wlan.rsn.ie.pmkid",
    "wlan_rsna_eapol.keydes.key_info",
    "wlan.fcs.status",
)

SUBTYPE_KEYS = {
    0x00: "assoc_req",
    0x01: "assoc_resp",
    0x02: "reassoc_req",
    0x03: "reassoc_resp",
    0x04: "probe_req",
    0x05: "probe_resp",
    0x08: "beacon",
    0x0A: "disassoc",
    0x0B: "auth",
    0x0C: "deauth",
    0x0D: "action",
}


def tshark_rows(tshark: str, path: Path) -> list[dict[str, str]]:
    args = [
        tshark,
        "-r",
        str(path),
        "-n",
        "-o",
        "wlan.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
        *[a for f in FIELDS for a in ("-e", f)],
    ]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]


def tshark_inventory(rows: list[dict[str, str]], skip: set[int]) -> tuple[Counter[str], set]:
    counts: Counter[str] = Counter()
    pmkids: set[tuple[int, str]] = set()
    for row in rows:
        number = int(row["frame.number"])
        if number in skip:
            continue
        key = _tshark_key(row)
        if key is None:
            continue
        counts[key] += 1
        if row["wlan.fc.retry"] in ("1", "True"):
            counts["retransmissions"] += 1
        for field in ("wlan.pmkid.akms", "wlan.rsn.ie.pmkid"):
            for value in filter(None, row[field].split(",")):
                pmkids.add((number, value.replace(":", "")))
    return counts, pmkids


def _tshark_key(row: dict[str, str]) -> str | None:
    subtype = int(row["wlan.fc.type_subtype"].split(",")[0] or "-1", 0)
    if subtype in SUBTYPE_KEYS:
        return SUBTYPE_KEYS[subtype]
    if row["eapol.type"] == "3" and row["wlan_rsna_eapol.keydes.key_info"]:
        info = int(row["wlan_rsna_eapol.keydes.key_info"], 0)
        if not info & 0x0008:
            return "eapol_group"
        return f"eapol_m{row['wlan_rsna_eapol.keydes.msgnr']}"
    if row["eapol.type"] == "0" and row["eap.code"]:
        return "eap"
    return None


@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: p.name)
def test_counts_and_pmkids_agree_with_tshark(path: Path, tshark: str) -> None:
    """Frames with a bad FCS are malformed on our side, so tshark's FCS check leaves them out."""
    document = analysis_document(run([str(path)]))
    ours = document["counts"]
    rows = tshark_rows(tshark, path)
    bad_fcs = {int(r["frame.number"]) for r in rows if r["wlan.fcs.status"] == "0"}
    theirs, their_pmkids = tshark_inventory(rows, bad_fcs)
    expected = {key: theirs.get(key, 0) for key in ours}
    assert ours == expected
    our_pmkids = {(p["frame"], p["pmkid"]) for p in document["pmkids"]}
    assert our_pmkids == their_pmkids
    assert document["captures"][0]["malformed"] >= len(bad_fcs)
