"""FT key checks: PMKR0Name in the FT Authentication, PMKR1Name and the FTE MICs of the
Reassociation frames (KCK of the PTK from PMK-R1), and honest MIC verdicts when tampered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.capture.writer import PcapngWriter
from analyzer.config.keys import parse_key
from analyzer.dot11.elements import walk_elements
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from analyzer.simulate import scenario as simulate

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
PASSPHRASE = "correct horse battery"
KEY = f"wpa-pwd:{PASSPHRASE}"


def _ft(cipher: str = "ccmp") -> Any:
    """Initial mobility-domain association to AP1 (4-way), FT over the air to AP2."""
    sc = simulate.Scenario(seed=7, fcs=False)
    for name, bssid, chan in (("ap1", AP1, 36), ("ap2", AP2, 44)):
        sc.ap(name, bssid, "lab", chan, akm="ft-psk", passphrase=PASSPHRASE, mdid=0x0201,
              cipher=cipher)
    sc.sta("c", STA).connect("c", "ap1").data("c", 2).wait(300)
    return sc.roam("c", "ap2", method="ft_over_air").data("c", 2)


def _write(frames: list[tuple[int, bytes]], path: Path) -> Path:
    with open(path, "wb") as f:
        ng = PcapngWriter(f)
        iface = ng.add_interface(127, "mon0")
        for ts, data in frames:
            ng.write(iface, ts, data)
    return path


def _flip_fte_mic(frame: bytes) -> bytes:
    """The same frame with one bit of its FTE MIC flipped (radiotap + 802.11 mgmt)."""
    rt = int.from_bytes(frame[2:4], "little")
    body = rt + 24 + (10 if frame[rt] == 0x20 else 4)  # Reassoc Req: + Current AP
    for eid, start, _ in walk_elements(frame, body):
        if eid == 55:
            pos = start + 2  # after MIC Control
            return frame[:pos] + bytes([frame[pos] ^ 1]) + frame[pos + 1:]
    raise AssertionError("no FTE")


def _analyse(frames: list[tuple[int, bytes]], tmp_path: Path, key: str = KEY) -> Analysis:
    return run([str(_write(frames, tmp_path / "ft.pcapng"))], keys=parse_key(key))


def test_ft_reassociation_fte_mics_verify_with_the_passphrase(tmp_path: Path) -> None:
    analysis = _analyse(list(_ft().frames()), tmp_path)
    initial, roam = analysis.roams
    assert roam.method == "ft_over_air" and roam.mic_valid is True
    assert initial.mic_valid is True


def test_ft_pmkr0name_and_pmkr1name_verify_with_the_passphrase(tmp_path: Path) -> None:
    """FT Authentication carries PMKR0Name = SHA-256("FT-R0N" || salt); the Reassociation
    Request PMKR1Name; both derive from the PSK, the SSID, MDID, R0KH-ID and the STA."""
    analysis = _analyse(list(_ft().frames()), tmp_path)
    where = {(p.where, p.verified) for p in analysis.inventory.pmkids}
    assert ("ft_auth", True) in where and ("reassoc_req", True) in where
    assert all(p.verified is True for p in analysis.inventory.pmkids)


def test_ft_with_gcmp256_derives_the_kck_from_a_longer_ptk(tmp_path: Path) -> None:
    """FT-PTK is a KDF of the PTK length: a GCMP-256 TK changes the KCK the FTE MIC uses."""
    analysis = _analyse(list(_ft("gcmp-256").frames()), tmp_path)
    assert [r.mic_valid for r in analysis.roams] == [True, True]


def test_tampered_fte_mic_with_the_right_key_is_mic_invalid(tmp_path: Path) -> None:
    """The Reassociation Request names a PMKR1Name the key derives (the key is right): a MIC
    that then fails is a real MIC failure."""
    frames = list(_ft().frames())
    reassoc = [i for i, (_, f) in enumerate(frames) if f[int.from_bytes(f[2:4], "little")] == 0x20]
    assert len(reassoc) == 1
    ts, frame = frames[reassoc[0]]
    frames[reassoc[0]] = (ts, _flip_fte_mic(frame))
    analysis = _analyse(frames, tmp_path)
    roam = analysis.roams[-1]
    assert roam.mic_valid is False
    bad = [f for f in analysis.findings if f.code == "MIC_INVALID"]
    assert len(bad) == 1 and bad[0].frame == reassoc[0] + 1 and bad[0].severity == "error"


def test_ft_roam_with_a_wrong_key_is_unverified_not_invalid(tmp_path: Path) -> None:
    analysis = _analyse(list(_ft().frames()), tmp_path, "wpa-pwd:not the passphrase")
    assert [r.mic_valid for r in analysis.roams] == [None, None]
    assert all(p.verified is None for p in analysis.inventory.pmkids)
    codes = [(f.code, f.severity) for f in analysis.findings if f.code.startswith(("MIC", "PMK"))]
    assert codes == [("MIC_UNVERIFIED", "info")] * 2


def test_tampered_m3_mic_after_a_verified_m2_is_mic_invalid(tmp_path: Path) -> None:
    """The key verified M2: an M3 whose MIC it fails was altered (or forged)."""
    sc = simulate.Scenario(seed=8, fcs=False)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASSPHRASE)
    sc.sta("c", STA).connect("c", "ap1").data("c", 2)
    frames = list(sc.frames())
    m3 = sc.truth()["connections"][0]["frames"]["m3"][0] - 1
    ts, frame = frames[m3]
    mic_at = frame.index(b"\xaa\xaa\x03\x00\x00\x00\x88\x8e") + 8 + 4 + 77  # EAPOL + 81
    frames[m3] = (ts, frame[:mic_at] + bytes([frame[mic_at] ^ 1]) + frame[mic_at + 1:])
    analysis = _analyse(frames, tmp_path)
    assert analysis.roams[0].mic_valid is False
    (bad,) = [f for f in analysis.findings if f.code == "MIC_INVALID"]
    assert bad.frame == m3 + 1 and "M3" in bad.message
