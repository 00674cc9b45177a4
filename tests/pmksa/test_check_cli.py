"""`roam-analyzer check` exit codes and `analyze` JSON with verdicts and key checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from tests.pmksa.scenarios import AP1, original


def _capture(tmp_path: Path, back: dict[str, Any] | None = None) -> tuple[str, Any]:
    sc = original(back)
    path = tmp_path / "roams.pcap"
    sc.write(path)
    return str(path), sc


def test_check_exits_0_when_every_verdict_is_as_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _capture(tmp_path)
    assert main(["check", path]) == 0
    assert "OK: 3 attempts" in capsys.readouterr().out


def test_check_exits_1_and_prints_the_violation_with_its_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _capture(tmp_path, {"ap_miss": True})
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "ap_miss" in x)
    assert f"-> {AP1}: pmksa: ap_miss" in line and "[frames " in line
    assert "FAIL: 1 of 3" in out


def test_check_with_hostapd_conf_disabling_caching_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _capture(tmp_path, {"ap_miss": True})
    conf = tmp_path / "hostapd.conf"
    conf.write_text(f"bssid={AP1}\ndisable_pmksa_caching=1\n")
    assert main(["check", path, "--expect", str(conf)]) == 0


def test_check_exits_1_on_a_latency_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _capture(tmp_path)
    toml = tmp_path / "lab.toml"
    toml.write_text("[defaults.sta]\nmax_roam_ms = { pmksa_cache = 0.001 }\n")
    assert main(["check", path, "--expect", str(toml)]) == 1
    assert "latency: pmksa_cache roam took" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra", [["--key", "wpa-psk:12"], ["--expect", "/nonexistent.toml"], ["--keys", "/nope"]]
)
def test_check_exits_2_on_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    path, _ = _capture(tmp_path)
    assert main(["check", path, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("roam-analyzer: ") and err.count("\n") == 1


def test_analyze_json_carries_verdicts_mic_validity_and_verified_pmkids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, sc = _capture(tmp_path)
    msks = [c["msk"] for c in sc.truth()["connections"] if c["msk"]]
    keys = [a for m in msks for a in ("--key", f"msk:{m}")]
    assert main(["analyze", path, "--format", "json", "--quiet", *keys]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    back = doc["roams"][-1]
    assert back["pmksa"]["verdict"] == "hit" and back["pmksa"]["as_expected"] is True
    assert all(r["mic_valid"] is True for r in doc["roams"])
    assert doc["pmkids"] and all(p["verified"] is True for p in doc["pmkids"])
    assert not any(m in out for m in msks)


def test_analyze_takes_wiresharks_key_list_as_keys_with_a_note_for_its_wep_entry(
    public_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--keys ../shared/pcaps/80211_keys` (Wireshark's test list): the GCMP-256 handshake
    verifies; WEP is skipped with a note on stderr; no key is printed anywhere."""
    keys_file = public_dir.parent / "80211_keys"
    capture = str(public_dir / "wpa-gcmp-256.pcapng.gz")
    assert main(["analyze", capture, "--format", "json", "--keys", str(keys_file)]) == 0
    out, err = capsys.readouterr()
    (roam,) = json.loads(out)["roams"]
    assert roam["mic_valid"] is True
    assert "WEP key skipped" in err
    secrets = [line.split(",")[1].strip('"') for line in keys_file.read_text().splitlines()
               if line.startswith('"')]
    assert not any(s in out + err for s in secrets)
