"""Behaviours seen on real equipment (issue 15), each reproduced with the scenario builder and
run end to end through the pipeline as a user's capture would be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.simulate.scenario import Scenario
from tests.roam import scenarios
from tests.roam.scenarios import AP1, AP2, PASS, STA, analyze, codes


def one_ap(**ap: Any) -> Scenario:
    return scenarios.one_ap(11, **ap)


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


# --- 6. missing M3/M4, honest outcomes -------------------------------------------------------


def _missing(roam: dict[str, Any], what: str) -> str:
    return next(m["why"] for m in roam["missing"] if m["what"] == what)


def test_m3_m4_not_captured_but_ap_data_flows_is_inferred_success(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1", drop=["m3", "m4"]).data("c", 4)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    assert (roam["outcome"], roam["failure_reason"]) == ("success", None)
    for what in ("M3", "M4"):
        assert "success inferred from protected unicast data from the AP" in _missing(roam, what)
    assert "HANDSHAKE_INCOMPLETE" not in codes(doc)


def test_m3_m4_not_captured_and_only_station_data_is_incomplete_never_failed(
    tmp_path: Path,
) -> None:
    """The station's protected data says it had M3; nothing shows the AP got M4."""
    sc = one_ap()
    sc.connect("c", "ap1", drop=["m3", "m4"], first_data=False)
    link_up_only = sc.links
    assert link_up_only
    sc.data("c", 1).wait(8000).beacons("ap1", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    assert (roam["outcome"], roam["failure_reason"]) == ("incomplete", None)
    assert "protected data" in _missing(roam, "M3")


def test_m4_after_the_first_protected_data_frame_ends_the_handshake(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1", m4_after_data=True).data("c", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    assert roam["outcome"] == "success" and not roam["missing"][:1] == [{"what": "M4"}]
    assert all(m["what"] != "M4" for m in roam["missing"])
    fourway = next(p for p in roam["phases"] if p["name"] == "4way")
    assert (fourway["frames"], fourway["retransmissions"]) == (4, 0)
    assert roam["t_end"] == fourway["end"]
    lat = roam["latency_ms"]
    assert lat["4way"] is not None and lat["control_plane"] is not None
    auth = next(p for p in roam["phases"] if p["name"] == "auth")
    assert abs(lat["control_plane"] - (fourway["end"] - auth["start"]) * 1e3) < 1e-3


# --- 12. one end point per attempt -------------------------------------------------------------


def test_repeated_m4_moves_the_end_of_the_attempt_with_every_measure(tmp_path: Path) -> None:
    """M3 retransmitted, M4 answers both: the last M4 ends the handshake; t_end, the 4-way
    phase and control_plane all end there."""
    sc = one_ap()
    sc.connect("c", "ap1", retries=["m3", "m4"]).data("c", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    fourway = next(p for p in roam["phases"] if p["name"] == "4way")
    auth = next(p for p in roam["phases"] if p["name"] == "auth")
    assert roam["t_end"] == fourway["end"]
    assert abs(roam["latency_ms"]["control_plane"] - (fourway["end"] - auth["start"]) * 1e3) < 1e-3


# --- 7. reassociation to the current AP without Authentication ---------------------------------


def test_reassociation_to_the_current_ap_without_auth_misses_nothing(tmp_path: Path) -> None:
    """Still authenticated, the station reassociates with its AP: the control plane starts at
    the Reassociation Request and no Authentication frame is "not captured"."""
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 2).wait(500)
    sc.connect("c", "ap1", reassoc=True, skip_auth=True).data("c", 2)
    doc = analyze(sc, tmp_path)
    first, again = doc["roams"]
    assert (again["kind"], again["outcome"]) == ("reconnect", "success")
    assert not [m for m in again["missing"] if m["what"] in ("auth_req", "auth_resp")]
    assert "still authenticated" in _missing(again, "latency.auth")
    assoc = next(p for p in again["phases"] if p["name"] == "assoc")
    fourway = next(p for p in again["phases"] if p["name"] == "4way")
    expected = (fourway["end"] - assoc["start"]) * 1e3
    assert abs(again["latency_ms"]["control_plane"] - expected) < 1e-3


# --- 8. a null Current AP; 6 GHz channels --------------------------------------------------


def test_null_current_ap_is_unknown_not_a_roam_source(tmp_path: Path) -> None:
    """A capture that begins with a Reassociation Request whose Current AP is all zeros: the
    station's previous AP is unknown, not a BSS called 00:00:00:00:00:00."""
    sc = one_ap()
    sc.connect("c", "ap1", reassoc=True, current_ap="00:00:00:00:00:00").data("c", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    assert roam["from_bssid"] is None and roam["kind"] == "initial"
    assert roam["outcome"] == "success"
    assert "00:00:00:00:00:00" not in doc["stations"][0]["bssids"]


def test_six_ghz_channel_comes_from_radiotap_without_ds_parameter(tmp_path: Path) -> None:
    sc = Scenario(seed=3)
    sc.ap("ap1", AP1, "lab", 5975, akm="sae", passphrase=PASS)  # 6 GHz channel 5
    sc.ap("ap2", AP2, "lab", 6055, akm="sae", passphrase=PASS)  # 6 GHz channel 21
    sc.sta("c", STA)
    sc.beacons("ap1", 2).beacons("ap2", 2).connect("c", "ap1").data("c", 2).roam("c", "ap2")
    sc.data("c", 2)
    doc = analyze(sc, tmp_path)
    roam = doc["roams"][1]
    assert (roam["channel_from"], roam["channel_to"]) == (5, 21)


# --- 9. the method follows the AKM --------------------------------------------------------


def _ft_pair(akm: str = "ft-psk") -> Scenario:
    sc = Scenario(seed=9)
    secret = {"passphrase": PASS} if akm == "ft-psk" else {}
    sc.ap("ap1", AP1, "lab", 36, akm=akm, mdid=0x1234, **secret)
    sc.ap("ap2", AP2, "lab", 40, akm=akm, mdid=0x1234, **secret)
    sc.sta("c", STA)
    return sc.beacons("ap1", 2).beacons("ap2", 2)


def test_ft_initial_mobility_domain_association_says_so(tmp_path: Path) -> None:
    sc = _ft_pair("ft-8021x")
    sc.connect("c", "ap1").data("c", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    assert roam["method"] == "full_8021x"
    assert roam["ft"]["initial"] is True and roam["ft"]["mdid"] == 0x1234
    assert roam["ft"]["transition"] is None


def test_ft_reassociation_without_captured_ft_auth_is_ft(tmp_path: Path) -> None:
    """MDE, FTE and PMKR1Name in the Reassociation Request make it an FT transition, even when
    the sniffer missed the FT Authentication."""
    sc = _ft_pair()
    sc.connect("c", "ap1").data("c", 2)
    sc.roam("c", "ap2", method="ft_over_air", drop=["auth_req", "auth_resp"]).data("c", 2)
    doc = analyze(sc, tmp_path)
    roam = doc["roams"][1]
    assert (roam["method"], roam["outcome"]) == ("ft_over_air", "success")
    assert roam["ft"]["transition"] == "not_captured" and roam["ft"]["pmkr1_name"]
    assert {"auth_req", "auth_resp"} <= {m["what"] for m in roam["missing"]}
    assert doc["roams"][0]["ft"]["initial"] is True


# --- 10. status 30: association comeback ---------------------------------------------------


def test_status_30_with_timeout_interval_is_a_comeback_not_a_failure(tmp_path: Path) -> None:
    """The AP still holds a PMF association with the station: it answers status 30 with a
    comeback time, checks the old association with SA Query, and the station comes back and
    connects. One attempt, successful, slow because of the comeback; no error."""
    sc = one_ap()
    sc.connect("c", "ap1", comeback_tu=1000).data("c", 2)
    doc = analyze(sc, tmp_path)
    (roam,) = doc["roams"]
    assert (roam["outcome"], roam["failure_reason"]) == ("success", None)
    assert roam["latency_ms"]["control_plane"] > 1024
    found = {f["code"]: f for f in doc["findings"]}
    assert "ASSOC_REJECTED" not in found
    assert found["ASSOC_COMEBACK"]["severity"] == "info"
    assert "1000 TU" in found["ASSOC_COMEBACK"]["message"]
    assert found["SA_QUERY"]["severity"] == "info"
    assert not [f for f in doc["findings"] if f["severity"] == "error"]


def test_comeback_the_station_never_takes_is_incomplete_not_failed(tmp_path: Path) -> None:
    """The capture holds the status 30 and the SA Queries, then only beacons for 10 s: the
    station did not come back here, which says nothing of failure."""
    sc = one_ap()
    sc.connect("c", "ap1", comeback_tu=1000).data("c", 2)
    labels = sc.truth()["connections"][0]["frames"]
    last_query = max(labels["sa_query_req"])
    quiet = Scenario(seed=2)
    quiet.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS)
    frames = list(sc.frames())[:last_query]
    end = frames[-1][0]
    later = [(end + ts - quiet.start_ns + 10**9, data)
             for ts, data in quiet.beacons("ap1", 100, 100).frames()]
    path = tmp_path / "cut.pcapng"
    from analyzer.capture.writer import PcapngWriter

    with open(path, "wb") as f:
        ng = PcapngWriter(f)
        iface = ng.add_interface(127, "mon0")
        for ts, data in frames + later:
            ng.write(iface, ts, data)
    doc = analysis_document(run([str(path)]))
    (roam,) = doc["roams"]
    assert (roam["outcome"], roam["failure_reason"]) == ("incomplete", None)
    assert "ASSOC_REJECTED" not in codes(doc)


# --- 13. rekeys are rekeys, never roams -----------------------------------------------------


def test_ptk_rekey_in_the_clear_is_on_the_timeline_not_an_attempt(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 2).wait(1000).ptk_rekey("c", clear=True).data("c", 2)
    sc.wait(1000).group_rekey("c", clear=True).data("c", 2)
    doc = analyze(sc, tmp_path)
    assert len(doc["roams"]) == 1 and doc["stations"][0]["attempts"] == 1
    rekey = next(f for f in doc["findings"] if f["code"] == "PTK_REKEY")
    assert rekey["severity"] == "info"
    assert [w for w in rekey["message"].split(": ")[1].split(", ")][0].startswith("M1 ")
    assert all(m in rekey["message"] for m in ("M1", "M2", "M3", "M4"))
    group = next(f for f in doc["findings"] if f["code"] == "GROUP_KEY_HANDSHAKE")
    assert "G1" in group["message"] and "G2" in group["message"]


def test_protected_rekeys_with_extended_key_id_say_what_cannot_be_seen(tmp_path: Path) -> None:
    sc = one_ap(ext_key_id=True)
    sc.connect("c", "ap1").data("c", 2).wait(1000).ptk_rekey("c").data("c", 2)
    sc.wait(1000).ptk_rekey("c").data("c", 2)
    doc = analyze(sc, tmp_path)
    assert len(doc["roams"]) == 1
    assert "PTK_REKEY" not in codes(doc)
    (note,) = [f for f in doc["findings"] if f["code"] == "EXTENDED_KEY_ID"]
    assert note["severity"] == "info" and "cannot show them" in note["message"]


def test_suite_b_m1_padded_like_hostapd_uses_the_24_byte_mic(tmp_path: Path) -> None:
    """hostapd leaves room for a PMKID KDE in a Suite-B-192 M1 and does not fill it: the
    24-byte MIC of AKM 12 decodes it; the roam back is a cache hit."""
    sc = Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="suite-b-192", cipher="gcmp-256")
    sc.ap("ap2", AP2, "lab", 40, akm="suite-b-192", cipher="gcmp-256")
    sc.sta("c", STA)
    sc.beacons("ap1", 2).beacons("ap2", 2).connect("c", "ap1", m1_padding=22).data("c", 2)
    sc.roam("c", "ap2").data("c", 2).roam("c", "ap1", method="pmksa").data("c", 2)
    doc = analyze(sc, tmp_path)
    assert doc["counts"]["eapol_m1"] == 3 and doc["captures"][0]["malformed"] == 0
    assert [r["method"] for r in doc["roams"]] == ["full_8021x", "full_8021x", "pmksa_cache"]
    assert all(r["outcome"] == "success" for r in doc["roams"])
    note = next(f for f in doc["findings"] if f["code"] == "EAPOL_KEY_TRAILING_BYTES")
    assert "24-byte MIC" in note["message"]


# --- 11. FILS Shared Key authentication with a cached PMKID -------------------------------


def test_fils_auth_offering_a_cached_pmkid_is_a_cache_hit_and_a_reconnect(
    tmp_path: Path,
) -> None:
    sc = Scenario(seed=5)
    sc.ap("ap1", AP1, "lab", 36, akm="fils-sha256")
    sc.sta("c", STA)
    sc.beacons("ap1", 2).connect("c", "ap1").data("c", 2).deauth("c").wait(2000)
    sc.connect("c", "ap1", method="fils").data("c", 2)
    doc = analyze(sc, tmp_path)
    first, fils = doc["roams"]
    assert (fils["kind"], fils["method"], fils["outcome"]) == ("reconnect", "fils", "success")
    assert fils["pmksa"]["verdict"] == "hit" and fils["pmksa"]["as_expected"] is True
    offered = fils["pmkids_offered"][0]
    sightings = [p for p in doc["pmkids"] if p["where"] == "fils_auth"]
    assert [p["pmkid"] for p in sightings] == [offered, offered]  # the offer and the AP's
    assert first["method"] == "full_8021x" and fils["pmksa"]["pmksa_age_s"] is not None


def _inferred(tmp_path: Path, wrong_key: bool) -> dict[str, Any]:
    sc = one_ap()
    sc.connect("c", "ap1", drop=["m3", "m4"], first_data=False)
    if wrong_key:  # the data that follows is protected under some other key
        from dataclasses import replace

        from analyzer.simulate.frames import mac

        link = sc.links[mac(STA)]
        link.ptk = replace(link.ptk, tk=bytes(16))
    sc.data("c", 4)
    path = tmp_path / "inferred.pcapng"
    sc.write(path, "pcapng")
    from analyzer.config.keys import parse_key

    return analysis_document(run([str(path)], keys=parse_key(f"wpa-pwd:{PASS}:lab")))


def test_inferred_success_is_proven_by_decrypting_with_the_handshake_ptk(
    tmp_path: Path,
) -> None:
    (roam,) = _inferred(tmp_path, wrong_key=False)["roams"]
    assert roam["outcome"] == "success" and roam["mic_valid"] is True
    assert "proven: frame" in _missing(roam, "M3")


def test_inferred_success_that_does_not_decrypt_is_not_shown(tmp_path: Path) -> None:
    (roam,) = _inferred(tmp_path, wrong_key=True)["roams"]
    assert roam["outcome"] == "incomplete"
    assert "not proven" in _missing(roam, "M4")
