"""Keys from ../shared/pcaps/public/MANIFEST.tsv (`known_keys`) against the real captures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from analyzer.config.keys import KeyRing, load_keys, parse_key
from analyzer.roam.keycheck import session_keys
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis

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
    mics = [f for f in analysis.findings if f.code.startswith("MIC_")]
    assert [(f.code, f.severity) for f in mics] == [("MIC_UNVERIFIED", "info")]
    assert mics[0].count == len(keyed)  # one per station and cause, with a count
    assert all(p.verified is None for p in analysis.inventory.pmkids)


def test_no_key_leaves_verification_null(public_dir: Path) -> None:
    analysis = run([str(public_dir / "wpa2-psk-linksys.cap")])
    assert all(r.mic_valid is None for r in analysis.roams)
    assert all(p.verified is None for p in analysis.inventory.pmkids)


def _wireshark_keys(public: Path) -> KeyRing:
    """Wireshark's own test key list, as `--keys ../shared/pcaps/80211_keys` loads it."""
    return load_keys(files=[str(public.parent / "80211_keys")])


@pytest.mark.parametrize(
    ("name", "cipher", "tk"),
    [
        ("wpa-ccmp-256.pcapng.gz", 10,
         "4e6abbcf9dc0943936700b6825952218f58a47dfdf51dbb8ce9b02fd7d2d9e40"),
        ("wpa-gcmp-256.pcapng.gz", 9,
         "b3dc2ff2d88d0d34c1ddc421cea17f304af3c46acbbe7b6d808b6ebf1b98ec38"),
        ("wpa-gcmp.pcapng.gz", 8, "755a9c1c9e605d5ff62849e4a17a935c"),
        ("wpa2-psk-mfp.pcapng.gz", 4, "4e30e8c019bea43ea5262b10853b818d"),
        ("wpa3-sae.pcapng.gz", 4, "20a2e28f4329208044f4d7edca9e20a6"),
        ("owe.pcapng.gz", 4, "10f3deccc00d5c8f629fba7a0fff34aa"),
        ("wpa2-ft-eap.pcapng.gz", 4, "65471b64605bf2a04af296284cb4ae2a"),
    ],
)
def test_wireshark_key_list_verifies_mics_and_derives_the_tk_wireshark_asserts(
    public_dir: Path, name: str, cipher: int, tk: str
) -> None:
    """With `--keys 80211_keys` the 4-way MICs verify and the TK (32 bytes for the -256
    ciphers) is the one Wireshark's decryption tests assert for the capture."""
    assert tk in " ".join(_manifest_row(public_dir, name).values())
    keys = _wireshark_keys(public_dir)
    analysis = run([str(public_dir / name)], keys=keys)
    (roam,) = analysis.roams
    assert roam.mic_valid is True and roam.evidence.pairwise_cipher == cipher
    assert [k.tk.hex() for k in session_keys(roam, keys)] == [tk]
    assert not {"MIC_INVALID", "PMKID_INVALID"} & {f.code for f in analysis.findings}


def test_extended_key_id_first_ptk_is_the_one_its_first_rekey_is_protected_with(
    public_dir: Path,
) -> None:
    """wpa_ptk_extended_key_id: the clear 4-way handshake gives TK f31ecff5..., one of the
    three Wireshark asserts (tshark decrypts the first in-PTK rekey with it); the rekeys'
    own handshakes are inside protected frames."""
    keys = _wireshark_keys(public_dir)
    analysis = run([str(public_dir / "wpa_ptk_extended_key_id.pcap.gz")], keys=keys)
    (roam,) = analysis.roams
    assert roam.mic_valid is True
    tks = [k.tk.hex() for k in session_keys(roam, keys)]
    assert tks == ["f31ecff5452f4c286cf66ef50d10dabe"]
    assert tks[0] in _manifest_row(public_dir, "wpa_ptk_extended_key_id.pcap.gz")[
        "peer_test_assertions"]


def test_psk_sha256_with_pmf_n02_mic_verifies_with_its_passphrase(public_dir: Path) -> None:
    analysis = _run(public_dir, "n-02.cap", "wpa-pwd:bo%24%24password:Neheb")
    done = [r for r in analysis.roams if r.outcome == "success"]
    assert [r.akm for r in done] == ["PSK-SHA256"] and done[0].mic_valid is True


def test_eap_tls_mics_verify_with_a_wireshark_wpa_psk_pmk(public_dir: Path) -> None:
    """Wireshark's wpa-psk is a PMK for any AKM: the 802.1X handshake of wpa-eap-tls verifies
    with the first PMK of the list (TK b66e106f..., the one tshark derives from frame 24)."""
    keys = _wireshark_keys(public_dir)
    analysis = run([str(public_dir / "wpa-eap-tls.pcap.gz")], keys=keys)
    (roam,) = analysis.roams
    assert roam.mic_valid is True
    assert [k.tk.hex() for k in session_keys(roam, keys)] == ["b66e106f8b4ef82a0718a626f651c367"]
    assert [p.verified for p in analysis.inventory.pmkids] == [True]


def test_networks_whose_key_is_not_in_the_list_get_no_mic_invalid(public_dir: Path) -> None:
    """sae_simple_psk and wpa2-psk-linksys are keyed by none of Wireshark's test keys: MICs
    null with an info MIC_UNVERIFIED, never the error MIC_INVALID."""
    keys = _wireshark_keys(public_dir)
    for name in ("sae_simple_psk.pcapng", "wpa2-psk-linksys.cap"):
        analysis = run([str(public_dir / name)], keys=keys)
        assert all(r.mic_valid is None for r in analysis.roams)
        codes = {f.code for f in analysis.findings}
        assert "MIC_UNVERIFIED" in codes and "MIC_INVALID" not in codes


def test_keys_never_appear_in_the_json_output(public_dir: Path) -> None:
    keys = _wireshark_keys(public_dir)
    analysis = run([str(public_dir / "wpa-gcmp-256.pcapng.gz")], keys=keys)
    text = json.dumps([r.to_dict() for r in analysis.roams] + [
        f.message for f in analysis.findings])
    secrets = [k.hex() for k in keys.psks + keys.msks] + ["12345678"]
    secrets += [k.tk.hex() for r in analysis.roams for k in session_keys(r, keys)]
    assert not any(s in text for s in secrets)


def _manifest_row(public: Path, name: str) -> dict[str, str]:
    with open(public / "MANIFEST.tsv", newline="") as f:
        return next(r for r in csv.DictReader(f, delimiter="\t") if r["file"] == name)


def test_wpa_test_decode_success_without_m3_m4_is_proven_by_decryption(public_dir: Path) -> None:
    """Only M1/M2 were captured; the AP's protected data (frame 21) decrypts with the PTK of
    M1+M2 under test0815 (as Wireshark's own test decrypts that capture)."""
    (roam,) = _run(public_dir, "wpa-test-decode.pcap.gz", "wpa-pwd:test0815:test").roams
    assert roam.outcome == "success" and roam.mic_valid is True
    why = next(m.why for m in roam.missing if m.what == "M3")
    assert "frame 21" in why and "proven: frame 21 decrypts" in why
