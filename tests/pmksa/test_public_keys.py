"""Keys from ../shared/pcaps/public/MANIFEST.tsv (`known_keys`) against the real captures."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analyzer.config.keys import parse_key
from analyzer.pipeline import Analysis, run

pytestmark = pytest.mark.public


def _manifest_key(public: Path, name: str) -> str:
    """The first key of a capture's `known_keys` column, in our --key syntax."""
    with open(public / "MANIFEST.tsv", newline="") as f:
        row = next(r for r in csv.DictReader(f, delimiter="\t") if r["file"] == name)
    words = row["known_keys"].split()
    if words[0] == "wpa-pwd":
        ssid = next((w.rstrip(";)") for w in words if w.startswith("Coherer")), None)
        return f"wpa-pwd:{words[1]}" + (f":{ssid}" if ssid else "")
    if words[0] == "msk":
        return f"msk:{words[1]}"
    return f"pmk:{words[2]}"  # "wpa-psk (PMK) HEX"


def _run(public: Path, name: str, key: str | None = None) -> Analysis:
    keys = parse_key(key or _manifest_key(public, name))
    return run([str(public / name)], keys=keys)


def test_wpa_induction_mic_verifies_with_the_manifest_passphrase(public_dir: Path) -> None:
    """MICs verify with Induction/Coherer. The AP's M1 PMKID does not derive from that PMK
    (no SHA-1/SHA-256 ordering of AA/SPA gives 592da880...): reported, not hidden."""
    analysis = _run(public_dir, "wpa-Induction.pcap.gz", "wpa-pwd:Induction:Coherer")
    (roam,) = analysis.roams
    assert roam.mic_valid is True
    assert [p.verified for p in analysis.inventory.pmkids] == [False]
    assert "MIC_INVALID" not in {f.code for f in analysis.findings}
    assert "PMKID_INVALID" in {f.code for f in analysis.findings}


def test_wpa2_psk_linksys_pmkids_and_mics_verify(public_dir: Path) -> None:
    analysis = _run(public_dir, "wpa2-psk-linksys.cap")
    keyed = [r for r in analysis.roams if r.method == "psk"]
    assert len(keyed) == 3 and all(r.mic_valid is True for r in keyed)
    assert analysis.inventory.pmkids and all(p.verified for p in analysis.inventory.pmkids)


def test_wpa2_ft_eap_msk_verifies_mics_and_pmkid(public_dir: Path) -> None:
    """FT-802.1X initial association: PTK from MSK[32:64] via PMK-R0/R1; M1's PMKID is the
    PMKSA's HMAC-SHA-1(MSK[0:32], "PMK Name" || AA || SPA), M2's RSNE carries PMKR1Name."""
    analysis = _run(public_dir, "wpa2-ft-eap.pcapng.gz")
    (roam,) = analysis.roams
    assert roam.mic_valid is True
    sightings = [(p.where, p.verified) for p in analysis.inventory.pmkids]
    assert sightings == [("m1", True), ("m2", True)]


def test_wpa3_sae_m1_pmkid_verifies_from_the_commit_scalars_without_a_key(
    public_dir: Path,
) -> None:
    """SAE PMKID = L((scalar + peer scalar) mod r, 0, 128): proved by the two commits alone;
    a passphrase that is not the network's leaves the MICs unjudged, the PMK verifies them."""
    name = "wpa3-sae.pcapng.gz"
    bare = run([str(public_dir / name)])
    assert [(p.where, p.verified) for p in bare.inventory.pmkids] == [("m1", True)]
    assert bare.roams[0].mic_valid is None
    with_pwd = _run(public_dir, name, "wpa-pwd:anypassphrase")
    assert [p.verified for p in with_pwd.inventory.pmkids] == [True]
    assert with_pwd.roams[0].mic_valid is None
    with_pmk = _run(public_dir, name)
    assert [p.verified for p in with_pmk.inventory.pmkids] == [True]
    assert with_pmk.roams[0].mic_valid is True


def test_sae_m1_pmkid_that_is_not_the_scalars_one_stays_unknown(public_dir: Path) -> None:
    """sae_simple_psk.pcapng (hostapd, Feb 2018) puts a PMKID in M1 that is not the commit
    scalars' one (hostapd then derived it from the PMK): unknown, never PMKID_INVALID."""
    analysis = run([str(public_dir / "sae_simple_psk.pcapng")])
    assert [(p.where, p.verified) for p in analysis.inventory.pmkids] == [("m1", None)]
    assert "PMKID_INVALID" not in {f.code for f in analysis.findings}


def test_wrong_passphrase_leaves_mics_unjudged_without_mic_invalid(public_dir: Path) -> None:
    """A key that verifies no M2 proves nothing about the handshake: mic_valid null, an info
    MIC_UNVERIFIED naming M2, PMKIDs null; never the error MIC_INVALID."""
    analysis = _run(public_dir, "wpa2-psk-linksys.cap", "wpa-pwd:notthepassword")
    keyed = [r for r in analysis.roams if r.method == "psk"]
    assert keyed and all(r.mic_valid is None for r in keyed)
    codes = [(f.code, f.severity) for f in analysis.findings if f.code.startswith("MIC_")]
    assert codes == [("MIC_UNVERIFIED", "info")] * len(keyed)
    assert all(p.verified is None for p in analysis.inventory.pmkids)


def test_no_key_leaves_verification_null(public_dir: Path) -> None:
    analysis = run([str(public_dir / "wpa2-psk-linksys.cap")])
    assert all(r.mic_valid is None for r in analysis.roams)
    assert all(p.verified is None for p in analysis.inventory.pmkids)
