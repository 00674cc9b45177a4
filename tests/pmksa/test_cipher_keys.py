"""Keys derived by the negotiated AKM and pairwise cipher, read back from builder captures.

A KDF-based PTK (SHA-256/384 AKMs) has the PTK length in its input, so a 32-byte TK
(GCMP-256, CCMP-256) changes the KCK too: a check that assumed CCMP-128 fails every MIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.config.keys import KeyRing, parse_key
from analyzer.crypto.keys import derive_ptk, pmk_from_passphrase
from analyzer.crypto.mic import verify_eapol_mic
from analyzer.roam.keycheck import session_keys
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from analyzer.simulate import scenario as simulate

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
PASSPHRASE = "correct horse battery"


def _psk_sha256(cipher: str, tmp_path: Path) -> tuple[Analysis, dict[str, Any], KeyRing]:
    sc = simulate.Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="psk-sha256", passphrase=PASSPHRASE, cipher=cipher)
    sc.sta("c", STA).beacons("ap1", 2).connect("c", "ap1").data("c", 4)
    sc.write(tmp_path / "psk.pcapng")
    keys = parse_key(f"wpa-pwd:{PASSPHRASE}")
    return run([str(tmp_path / "psk.pcapng")], keys=keys), sc.truth(), keys


def _suite_b_192(tmp_path: Path) -> tuple[Analysis, dict[str, Any], KeyRing]:
    """Full EAP to AP1 and AP2 (Suite-B-192, GCMP-256), then back to AP1 with the PMKSA."""
    sc = simulate.Scenario(seed=6)
    for name, bssid, chan in (("ap1", AP1, 36), ("ap2", AP2, 40)):
        sc.ap(name, bssid, "corp", chan, akm="suite-b-192", cipher="gcmp-256")
    sc.sta("c", STA).connect("c", "ap1").data("c", 2).wait(300)
    sc.roam("c", "ap2").data("c", 2).wait(300).roam("c", "ap1").data("c", 2)
    sc.write(tmp_path / "suiteb.pcapng")
    truth = sc.truth()
    keys = KeyRing(msks=tuple(bytes.fromhex(c["msk"]) for c in truth["connections"]
                              if c["msk"]))
    return run([str(tmp_path / "suiteb.pcapng")], keys=keys), truth, keys


def test_gcmp256_psk_sha256_mic_verifies_with_32_byte_tk(tmp_path: Path) -> None:
    analysis, truth, keys = _psk_sha256("gcmp-256", tmp_path)
    (roam,) = analysis.roams
    assert roam.akm == "PSK-SHA256" and roam.mic_valid is True
    (ptk,) = session_keys(roam, keys)
    assert len(ptk.tk) == 32 and ptk.tk.hex() == truth["connections"][0]["tk"]
    assert not [f for f in analysis.findings if f.code.startswith("MIC_")]


def test_ccmp256_psk_sha256_mic_verifies_with_32_byte_tk(tmp_path: Path) -> None:
    analysis, truth, keys = _psk_sha256("ccmp-256", tmp_path)
    (roam,) = analysis.roams
    assert roam.mic_valid is True
    assert [k.tk.hex() for k in session_keys(roam, keys)] == [truth["connections"][0]["tk"]]


def test_gcmp128_psk_sha256_keeps_a_16_byte_tk(tmp_path: Path) -> None:
    analysis, truth, keys = _psk_sha256("gcmp", tmp_path)
    (roam,) = analysis.roams
    assert roam.mic_valid is True
    (ptk,) = session_keys(roam, keys)
    assert len(ptk.tk) == 16 and ptk.tk.hex() == truth["connections"][0]["tk"]


def test_a_ccmp128_sized_ptk_would_not_verify_the_gcmp256_m2(tmp_path: Path) -> None:
    """Why the cipher matters: KDF-SHA-256 of 384 instead of 512 bits gives another KCK."""
    analysis, _, keys = _psk_sha256("gcmp-256", tmp_path)
    (roam,) = analysis.roams
    (ptk,) = session_keys(roam, keys)
    eapol = {m: raw for m, _, raw in roam.evidence.eapol_keys}
    m1, m2 = eapol["M1"], eapol["M2"]
    m2 = m2[: 4 + int.from_bytes(m2[2:4], "big")]
    aa, spa = bytes.fromhex(AP1.replace(":", "")), bytes.fromhex(STA.replace(":", ""))
    pmk = pmk_from_passphrase(PASSPHRASE, b"lab")
    short = derive_ptk(pmk, aa, spa, m1[17:49], m2[17:49], akm=6, cipher=4)
    assert short.kck != ptk.kck
    assert not verify_eapol_mic(short.kck, m2, 3, 6)
    assert verify_eapol_mic(ptk.kck, m2, 3, 6)


def test_suite_b_192_full_eap_with_gcmp256_mics_verify_with_the_msk(tmp_path: Path) -> None:
    """PMK = MSK[0:48], KDF-SHA-384, KCK 24 / KEK 32 / TK 32, 24-byte HMAC-SHA-384 MICs."""
    analysis, truth, keys = _suite_b_192(tmp_path)
    assert [r.akm for r in analysis.roams] == ["SuiteB-192"] * 3
    assert all(r.mic_valid is True for r in analysis.roams)
    tks = [k.tk.hex() for r in analysis.roams for k in session_keys(r, keys)]
    assert tks == [c["tk"] for c in truth["connections"]]
    assert all(len(bytes.fromhex(t)) == 32 for t in tks)


def test_suite_b_pmkid_from_the_kck_verifies_when_offered_back(tmp_path: Path) -> None:
    """The PMKSA of the first full EAP is named from that handshake's KCK (HMAC-SHA-384):
    offered in the Reassociation back to AP1 (and echoed in M1, M2), it verifies."""
    analysis, truth, _ = _suite_b_192(tmp_path)
    back = analysis.roams[-1]
    assert back.pmksa is not None and back.pmksa.verdict == "hit"
    offered = truth["connections"][-1]["pmkids_offered"]
    assert list(back.pmkids_offered) == offered and len(offered) == 1
    sightings = [(p.where, p.pmkid.hex(), p.verified) for p in analysis.inventory.pmkids]
    assert sightings and all(v is True for _, _, v in sightings)
    assert {pid for _, pid, _ in sightings} == set(offered)


def test_suite_b_pmkid_is_unknown_without_the_handshake_that_named_it(tmp_path: Path) -> None:
    """Keyed only with AP2's MSK: the PMKID offered back to AP1 names a KCK nobody here
    derived, so it stays null (not PMKID_INVALID), and AP1's MICs are not judged."""
    analysis, truth, _ = _suite_b_192(tmp_path)
    ap2_msk = bytes.fromhex(truth["connections"][1]["msk"])
    path = tmp_path / "suiteb.pcapng"
    again = run([str(path)], keys=KeyRing(msks=(ap2_msk,)))
    assert [r.mic_valid for r in again.roams] == [None, True, None]
    assert all(p.verified is None for p in again.inventory.pmkids)
    assert "PMKID_INVALID" not in {f.code for f in again.findings}
    assert "MIC_INVALID" not in {f.code for f in again.findings}
