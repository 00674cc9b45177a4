"""The sessions a Wi-Fi engineer would read in each real capture, pinned as golden JSON.

Regenerate only on purpose: `python -m pytest tests/test_golden_public.py --update-golden`, then
read the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from tests.conftest import public_capture_params

GOLDEN = Path(__file__).parent / "golden"
ROAM_FIELDS = (
    "sta",
    "from_bssid",
    "to_bssid",
    "ssid",
    "kind",
    "method",
    "akm",
    "eap_method",
    "outcome",
    "failure_reason",
    "latency_ms",
    "pmkids_offered",
    "pmkid_m1",
    "ft",
)


def pinned(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "roams": [
            {
                **{k: r[k] for k in ROAM_FIELDS},
                "trigger": r["trigger"]["type"],
                "missing": sorted(m["what"] for m in r["missing"]),
            }
            for r in document["roams"]
        ],
        "findings": sorted({(f["code"], f["frame"]) for f in document["findings"]}),
        "stations": document["stations"],
    }


@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: p.name)
def test_public_capture_sessions_match_golden(path: Path, update_golden: bool) -> None:
    got = json.loads(json.dumps(pinned(analysis_document(run([str(path)])))))
    golden = GOLDEN / (path.name.split(".")[0] + ".json")
    if update_golden:
        golden.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    assert golden.exists(), f"no golden file for {path.name}: run with --update-golden"
    assert got == json.loads(golden.read_text())


def _roams(name: str) -> list[dict[str, Any]]:
    return json.loads((GOLDEN / f"{name}.json").read_text())["roams"]


def test_golden_files_say_what_an_engineer_reads_there(public_dir: Path) -> None:
    """The pinned files are not just whatever the code said: the key facts are asserted here."""
    induction = _roams("wpa-Induction")
    assert [(r["method"], r["outcome"], r["kind"]) for r in induction] == [
        ("psk", "success", "initial")
    ]
    ft_eap = _roams("wpa2-ft-eap")
    assert ft_eap[0]["akm"] == "FT-802.1X" and ft_eap[0]["eap_method"] == "PEAP"
    assert ft_eap[0]["latency_ms"]["eap"] is not None
    assert ft_eap[0]["method"] == "full_8021x" and ft_eap[0]["ft"]["initial"] is True
    n02 = _roams("n-02")  # status 30 + Timeout Interval, SA Query, the station comes back
    assert [(r["outcome"], r["failure_reason"]) for r in n02] == [("success", None)]
    assert n02[0]["latency_ms"]["control_plane"] > 3900  # the comeback is what it cost
    n02_codes = [code for code, _ in json.loads((GOLDEN / "n-02.json").read_text())["findings"]]
    assert "ASSOC_REJECTED" not in n02_codes and "ASSOC_COMEBACK" in n02_codes
    assert _roams("wpa3-sae")[0]["method"] == "sae"
    assert _roams("owe")[0]["method"] == "owe"
    eap_tls = _roams("wpa-eap-tls")
    assert (
        eap_tls[0]["sta"] == "24:77:03:d2:5e:a8" and eap_tls[0]["to_bssid"] == "10:6f:3f:0e:33:3c"
    )
    assert eap_tls[0]["eap_method"] == "TLS"
    decode = json.loads((GOLDEN / "wpa-test-decode.json").read_text())  # M3/M4 not captured
    assert [(r["outcome"], r["failure_reason"]) for r in decode["roams"]] == [("success", None)]
    assert {"M3", "M4"} <= set(decode["roams"][0]["missing"]) and not decode["findings"]
    again = _roams("ping_I_E_R_E-fromclient")[1]  # reassociation without Authentication
    assert again["kind"] == "reconnect" and "auth_req" not in again["missing"]
    assert again["latency_ms"]["control_plane"] is not None
    for name in ("wpa-ccmp-256", "wpa-gcmp-256", "wpa-gcmp", "wpa_ptk_extended_key_id"):
        assert [(r["method"], r["outcome"], r["kind"]) for r in _roams(name)] == [
            ("psk", "success", "initial")
        ], name
    ext = json.loads((GOLDEN / "wpa_ptk_extended_key_id.json").read_text())
    assert [code for code, _ in ext["findings"]] == ["EXTENDED_KEY_ID"]  # rekeys: no roams
    linksys = _roams("wpa2-psk-linksys")
    assert len(linksys) == 4 and [r["outcome"] for r in linksys].count("failed") == 1


@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: p.name)
def test_every_attempt_has_one_end_point(path: Path) -> None:
    """t_end, the end of the last control-plane phase and control_plane agree (issue 15.12)."""
    doc = analysis_document(run([str(path)]))
    comeback = "ASSOC_COMEBACK" in {f["code"] for f in doc["findings"]}
    for r in doc["roams"]:
        phases = {p["name"]: p for p in r["phases"]}
        last = phases.get("4way") or phases.get("assoc")
        if r["outcome"] != "success" or last is None or r["latency_ms"]["control_plane"] is None:
            continue
        assert r["t_end"] == last["end"], (path.name, r["id"])
        first = phases.get("auth") or phases["assoc"]
        if comeback:
            continue  # control_plane starts at the first exchange, before the comeback
        expected = (last["end"] - first["start"]) * 1e3
        assert abs(r["latency_ms"]["control_plane"] - expected) < 2e-3, (path.name, r["id"])


ATTACK_CODES = {"DEAUTH_FLOOD", "M3_REPLAYED", "HANDSHAKE_RESTART_INJECTED",
                "FT_REASSOC_REPLAYED", "GROUP_KEY_REPLAYED", "INVALID_RSNE_SELECTION",
                "REPLAYED_FRAME"}


@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: p.name)
def test_no_attack_is_seen_in_ordinary_real_captures(path: Path) -> None:
    """None of these captures holds an attack: no attack finding is a false alarm."""
    codes = {f["code"] for f in analysis_document(run([str(path)]))["findings"]}
    assert not codes & ATTACK_CODES, (path.name, codes & ATTACK_CODES)


@pytest.mark.parametrize("name", ["eap-pmksa-roam", "ft-roam", "psk-roam"])
def test_no_attack_is_seen_in_the_shipped_scenarios(name: str) -> None:
    path = Path(__file__).resolve().parent.parent / "pcaps" / f"{name}.pcapng"
    codes = {f["code"] for f in analysis_document(run([str(path)]))["findings"]}
    assert not codes & ATTACK_CODES
