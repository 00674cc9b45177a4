"""Cheap work per forged input: a passphrase costs one PBKDF2 per distinct SSID, at most
MAX_DERIVED per run (a finding says when the bound is reached); millions of empty records
are counted, and past a bound the capture is marked damaged instead of read for hours."""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import analyzer
from analyzer.config import load_keys
from analyzer.roam import keycheck
from analyzer.simulate.scenario import Scenario

from .hostile import pcap_header

REPO = Path(__file__).resolve().parents[2]
PASS = "correct horse battery"


def _many_ssids(path: Path, n: int) -> None:
    """A station connecting to `n` PSK APs, each with an SSID of its own (one passphrase)."""
    sc = Scenario(seed=3).sta("s", "02:00:00:00:00:10")
    for k in range(n):
        sc.ap(f"a{k}", f"02:00:00:00:01:{k:02x}", f"net-{k}", 1 + k % 11, "psk", PASS)
    for k in range(n):
        sc.beacons(f"a{k}", 1).connect("s", f"a{k}").data("s", 2)
    sc.write(path)


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The SSIDs each PBKDF2 of the run was for."""
    seen: list[bytes] = []
    real = keycheck.pmk_from_passphrase

    def counted(passphrase: bytes, ssid: bytes) -> bytes:
        seen.append(ssid)
        return real(passphrase, ssid)

    monkeypatch.setattr(keycheck, "pmk_from_passphrase", counted)
    return seen


def test_a_passphrase_costs_one_pbkdf2_per_distinct_ssid(tmp_path: Path, derivations) -> None:
    path = tmp_path / "repeat.pcap"
    sc = (Scenario(seed=4).ap("a", "02:00:00:00:01:00", "net", 1, "psk", PASS)
          .ap("b", "02:00:00:00:02:00", "net", 6, "psk", PASS).sta("s", "02:00:00:00:00:10"))
    sc.beacons("a", 1).beacons("b", 1).connect("s", "a").data("s", 2)
    for _ in range(3):
        sc.roam("s", "b").data("s", 2).roam("s", "a").data("s", 2)
    sc.write(path)
    result = analyzer.load(str(path), keys=load_keys([f"wpa-pwd:{PASS}"]))
    assert len(result.roams) == 7 and set(result.roams["mic_valid"]) == {True}
    assert derivations == [b"net"]


def test_passphrase_derivations_are_bounded_per_run_with_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, derivations
) -> None:
    monkeypatch.setattr(keycheck, "MAX_DERIVED", 3)
    path = tmp_path / "forged.pcap"
    _many_ssids(path, 6)
    result = analyzer.load(str(path), keys=load_keys([f"wpa-pwd:{PASS}"]))
    assert len(derivations) == 3 and len(set(derivations)) == 3
    caps = result.findings[result.findings["code"] == "STATE_CAP_REACHED"]
    assert len(caps) == 1 and "3 distinct SSIDs" in caps.iloc[0]["message"]
    checked = result.roams.sort_values("id")["mic_valid"].tolist()
    assert checked[:3] == [True] * 3 and all(v is not True for v in checked[3:])


def test_millions_of_empty_records_mark_the_capture_damaged_after_a_bound(
    tmp_path: Path,
) -> None:
    """A gzip of zeros after a pcap header: each 16 zero bytes an empty record. Counted, and
    past MAX_EMPTY the rest is not read: the capture is damaged (exit 3)."""
    from analyzer.capture.pcap import MAX_EMPTY

    path = tmp_path / "zeros.pcap.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(pcap_header())
        zeros = bytes(16 << 16)
        for _ in range(-(-(MAX_EMPTY + 100_000) * 16 // len(zeros))):
            f.write(zeros)
    done = subprocess.run([sys.executable, "-m", "analyzer", "analyze", str(path), "--format",
                           "json", "--quiet"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 3, done.stderr
    cap = json.loads(done.stdout)["captures"][0]
    assert cap["truncated"] and cap["frames"] == MAX_EMPTY
    assert any("empty records" in w for w in cap["warnings"])
    assert struct.calcsize("<IIII") == 16
