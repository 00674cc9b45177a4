"""Behaviours seen on real equipment (issue 15), each reproduced with the scenario builder and
run end to end through the pipeline as a user's capture would be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.pipeline import run
from analyzer.report.jsonout import analysis_document
from analyzer.simulate.scenario import Scenario

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
PASS = "correct horse"


def analyze(sc: Scenario, tmp_path: Path, name: str = "scenario.pcapng") -> dict[str, Any]:
    path = tmp_path / name
    sc.write(path, "pcapng")
    return analysis_document(run([str(path)]))


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def one_ap(**ap: Any) -> Scenario:
    sc = Scenario(seed=11)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS, **ap)
    sc.sta("c", STA)
    return sc.beacons("ap1", 3)


# --- 1. de-duplication never eats a real frame ----------------------------------------------


def test_identical_answer_to_a_new_request_is_a_new_frame(tmp_path: Path) -> None:
    """An AP that numbers every answer 0 answers a repeated Authentication Request with the
    same bytes: a new request was made, so the answer is new (not a replay, not a retry)."""
    sc = one_ap(seq_restart=True)
    sc.connect("c", "ap1", auth_requests=3).data("c", 2)
    doc = analyze(sc, tmp_path)
    assert "REPLAYED_FRAME" not in codes(doc)
    (roam,) = doc["roams"]
    auth = next(p for p in roam["phases"] if p["name"] == "auth")
    assert (auth["frames"], auth["retransmissions"]) == (6, 0)
    assert doc["counts"]["retransmissions"] == 0


def test_retry_of_an_answer_without_a_new_request_is_a_retransmission(tmp_path: Path) -> None:
    sc = one_ap(seq_restart=True)
    sc.connect("c", "ap1", retries=["auth_resp"]).data("c", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    auth = next(p for p in roam["phases"] if p["name"] == "auth")
    assert (auth["frames"], auth["retransmissions"]) == (2, 1)


# --- 2. EAPOL-Key without a MIC field (AEAD) -------------------------------------------------


def test_aead_four_way_after_full_eap_is_m1_to_m4(tmp_path: Path) -> None:
    """A FILS-SHA256 AKM after full EAP: the 4-way handshake has no MIC field and AES-SIV Key
    Data, and is counted and timed like any other."""
    sc = Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="fils-sha256")
    sc.sta("c", STA)
    sc.beacons("ap1", 2).connect("c", "ap1").data("c", 2)
    doc = analyze(sc, tmp_path)
    assert [doc["counts"][f"eapol_m{i}"] for i in range(1, 5)] == [1, 1, 1, 1]
    (roam,) = doc["roams"]
    assert (roam["method"], roam["outcome"], roam["akm"]) == ("full_8021x", "success",
                                                              "FILS-SHA256")
    assert roam["latency_ms"]["4way"] is not None
    assert roam["mic_valid"] is None  # nothing to check: there is no MIC


# --- 3. bytes after the Key Data ----------------------------------------------------------------


def test_m1_padded_after_key_data_is_m1_with_a_note(tmp_path: Path) -> None:
    """SAE fixes no MIC length by descriptor version: an M1 with bytes after its Key Data is
    decoded with the AKM's MIC length, counted, and noted; never both missing and malformed."""
    sc = Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="sae", passphrase=PASS)
    sc.sta("c", STA)
    sc.beacons("ap1", 2).connect("c", "ap1", m1_padding=22).data("c", 2)
    doc = analyze(sc, tmp_path)
    assert doc["counts"]["eapol_m1"] == 1
    assert doc["captures"][0]["malformed"] == 0
    (roam,) = doc["roams"]
    assert roam["outcome"] == "success" and roam["latency_ms"]["4way"] is not None
    assert not roam["missing"] or all(m["what"] != "M1" for m in roam["missing"])
    note = [f for f in doc["findings"] if f["code"] == "EAPOL_KEY_TRAILING_BYTES"]
    assert len(note) == 1 and note[0]["severity"] == "info" and "22 bytes" in note[0]["message"]


# --- 5. OKC only across BSSIDs ---------------------------------------------------------------


def test_pmkid_offered_back_to_the_ap_of_the_full_eap_is_a_cache_hit_not_okc(
    tmp_path: Path,
) -> None:
    """The AP's M1 after the full EAP carried no PMKID KDE, so no PMKID was ever seen from it;
    the station's PMKSA was still created with this very BSSID: a PMKSA-cache hit."""
    sc = Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="8021x", pmkid_kde=False)
    sc.sta("c", STA)
    sc.beacons("ap1", 2).connect("c", "ap1").data("c", 2).deauth("c").wait(1000)
    sc.connect("c", "ap1", method="pmksa").data("c", 2)
    doc = analyze(sc, tmp_path)
    first, back = doc["roams"]
    assert first["pmkid_m1"] is None and first["method"] == "full_8021x"
    assert back["kind"] == "reconnect" and back["pmkids_offered"]
    assert (back["method"], back["pmksa"]["verdict"]) == ("pmksa_cache", "hit")


def test_pmkid_offered_to_another_ap_without_eap_there_is_okc(tmp_path: Path) -> None:
    sc = Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="8021x", okc=True)
    sc.ap("ap2", AP2, "lab", 40, akm="8021x", okc=True)
    sc.sta("c", STA)
    sc.beacons("ap1", 2).beacons("ap2", 2).connect("c", "ap1").data("c", 2)
    sc.roam("c", "ap2", method="okc").data("c", 2)
    doc = analyze(sc, tmp_path)
    assert [r["method"] for r in doc["roams"]] == ["full_8021x", "okc"]
