"""PMKSA verdicts on builder scenarios read through the real pipeline (default expectations
unless a test says otherwise)."""

from __future__ import annotations

from pathlib import Path

from analyzer.config.expectations import load_expectations
from analyzer.config.keys import KeyRing
from analyzer.simulate import eapol, elements, handshake, steps
from analyzer.simulate.model import Record
from tests.pmksa.scenarios import AP1, AP2, analyse, back_to_ap1, codes, ess, original, simulate

OKC_ON = """
[defaults.ap]
okc = true
[defaults.sta]
okc = true
"""


def test_original_report_roam_back_with_cached_pmkid_is_an_expected_hit(tmp_path: Path) -> None:
    """EAP-TTLS to AP1, full EAP to AP2, back to AP1 offering AP1's PMKID: EAP skipped, M1's
    KDE is the offered PMKID -> hit, as expected, aged from AP1's EAP."""
    analysis = analyse(original(), tmp_path)
    first, second, back = analysis.roams
    assert first.pmksa is not None and first.pmksa.verdict == "not_applicable"
    assert second.pmksa is not None and second.pmksa.verdict == "not_applicable"
    v = back.pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("hit", True)
    assert v.pmksa_age_s is not None and 2.0 < v.pmksa_age_s < 10.0
    assert back.evidence.m1_frame in v.evidence and first.evidence.m1_frame in v.evidence
    assert not {c for c in codes(analysis) if c.startswith("PMKSA_")}


def test_ap_that_forgot_the_pmksa_is_an_unexpected_ap_miss(tmp_path: Path) -> None:
    """AP1 answers the offered PMKID with EAP although it created that PMKSA seconds ago."""
    analysis = analyse(original({"ap_miss": True}), tmp_path)
    v = back_to_ap1(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("ap_miss", False)
    assert "within its 43200 s lifetime" in v.reason
    assert "PMKSA_UNEXPECTED_AP_MISS" in codes(analysis)


def test_hostapd_conf_disabling_pmksa_caching_makes_the_ap_miss_expected(tmp_path: Path) -> None:
    """hostapd.conf for AP1 with disable_pmksa_caching=1: the same miss is what it should do."""
    conf = tmp_path / "hostapd.conf"
    conf.write_text(f"interface=wlan0\nbssid={AP1}\nssid=corp\ndisable_pmksa_caching=1\n")
    analysis = analyse(original({"ap_miss": True}), tmp_path, load_expectations([str(conf)]))
    v = back_to_ap1(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("ap_miss", True)
    assert "PMKSA_UNEXPECTED_AP_MISS" not in codes(analysis)


def test_station_offering_nothing_despite_a_live_pmksa_is_sta_no_offer(tmp_path: Path) -> None:
    analysis = analyse(original({"method": "full"}), tmp_path)
    v = back_to_ap1(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("sta_no_offer", False)
    assert "PMKSA_STA_DID_NOT_OFFER" in codes(analysis)


def test_station_configured_not_to_cache_offering_nothing_is_expected(tmp_path: Path) -> None:
    toml = '[sta."02:00:00:00:00:01"]\npmksa_caching = false\n'
    v = back_to_ap1(analyse(original({"method": "full"}), tmp_path, toml)).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("sta_no_offer", True)


def test_okc_network_hit_is_confirmed_with_the_msk(tmp_path: Path) -> None:
    """AP2 accepts a PMKID derived from AP1's PMK for AP2's address; the MSK of the EAP with
    AP1 proves it (PMKID = HMAC(MSK[0:32], "PMK Name" || AP2 || STA))."""
    sc = ess(okc=True)
    sc.connect("c", "ap1").data("c", 4).wait(2000).roam("c", "ap2", method="okc").data("c", 4)
    msk = bytes.fromhex(sc.truth()["connections"][0]["msk"])
    analysis = analyse(sc, tmp_path, OKC_ON, KeyRing(msks=(msk,)))
    roam = next(r for r in analysis.roams if r.to_bssid == AP2)
    v = roam.pmksa
    assert v is not None and (v.verdict, v.as_expected, v.confirmed) == ("okc_hit", True, True)
    assert roam.mic_valid is True
    assert all(p.verified for p in analysis.inventory.pmkids if p.bssid == AP2)


def test_okc_hit_without_okc_in_the_expectations_is_unexpected(tmp_path: Path) -> None:
    sc = ess(okc=True)
    sc.connect("c", "ap1").data("c", 4).wait(2000).roam("c", "ap2", method="okc").data("c", 4)
    analysis = analyse(sc, tmp_path)
    v = next(r for r in analysis.roams if r.to_bssid == AP2).pmksa
    assert v is not None and (v.verdict, v.as_expected, v.confirmed) == ("okc_hit", False, None)
    assert "PMKSA_UNEXPECTED_OKC_HIT" in codes(analysis)


def test_m1_pmkid_not_among_those_offered_is_pmkid_mismatch(tmp_path: Path) -> None:
    """Builder gap: the AP cannot be told to put a wrong PMKID in M1. M1 has no MIC, so the
    capture (written without FCS) is patched: the KDE of the roam back carries other bytes."""
    sc = original(fcs=False)
    path = tmp_path / "scenario.pcap"
    sc.write(path)
    kde = bytes.fromhex("dd14000fac04") + bytes.fromhex(sc.truth()["connections"][2]["m1_pmkid"])
    data = path.read_bytes()
    at = data.rindex(kde)  # the roam back's M1 (the first M1 carried the same PMKID)
    path.write_bytes(data[: at + 6] + bytes(range(16)) + data[at + len(kde) :])
    from analyzer.run.dispatch import run

    analysis = run([str(path)])
    v = back_to_ap1(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("pmkid_mismatch", False)
    assert "PMKSA_PMKID_MISMATCH" in codes(analysis)


def test_station_not_taking_m1_pmkid_then_full_eap_is_sta_fallback(tmp_path: Path) -> None:
    """Builder gap: a station ignoring M1's PMKID. Built from the builder's own steps: the roam
    back is a hit whose M2-M4 the sniffer never hears; the station then sends EAPOL-Start and
    runs full EAP and a new 4-way handshake on the same association."""
    sc = original({"drop": ["m2", "m3", "m4"], "first_data": False})
    sta, ap = sc.stas["c"], sc.aps["ap1"]
    sc.wait(30)
    steps.send_eapol(sc, sta, ap, eapol.eapol_start(), False, "eapol_start")
    rec = Record("roam", sta.mac, None, ap.bssid, ap.ssid, "full", ap.akm_suite)
    at = handshake.Attempt(sta, ap, None, "full", rec, {})
    at.sta_rsne = elements.rsne(ap.akm_suite, [])
    assert handshake.eap(sc, at)
    handshake.four_way(sc, at)
    analysis = analyse(sc, tmp_path)
    roam = back_to_ap1(analysis)
    v = roam.pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("sta_fallback", False)
    assert "EAPOL-Start" in v.reason and roam.outcome == "success"
    assert "PMKSA_STA_FALLBACK" in codes(analysis)


def test_sae_status_53_on_a_pmksa_the_ap_should_hold_is_unexpected(tmp_path: Path) -> None:
    """SAE to AP1, SAE to AP2, back to AP1 with Open auth + PMKID: (Re)Assoc Response 53."""
    sc = original({"method": "pmksa", "ap_miss": True}, akm="sae", data_after=False)
    analysis = analyse(sc, tmp_path)
    roam = back_to_ap1(analysis)
    v = roam.pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("sae_pmkid_rejected", False)
    assert roam.evidence.assoc_status == 53
    assert "PMKSA_SAE_PMKID_REJECTED" in codes(analysis)


def test_sae_roam_back_with_cached_pmkid_is_a_hit(tmp_path: Path) -> None:
    v = back_to_ap1(analyse(original({"method": "pmksa"}, akm="sae"), tmp_path)).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("hit", True)


def test_pmksa_offered_after_its_lifetime_is_stale(tmp_path: Path) -> None:
    """Back to AP1 12 h later: the offered PMKSA is past 43200 s; the AP runs full EAP."""
    sc = original({"ap_miss": True}, wait_ms=43_201_000)
    v = back_to_ap1(analyse(sc, tmp_path)).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("stale", True)
    assert v.pmksa_age_s is not None and v.pmksa_age_s > 43200


def test_ap_accepting_a_pmksa_past_its_lifetime_is_unexpected_stale(tmp_path: Path) -> None:
    analysis = analyse(original(wait_ms=43_201_000), tmp_path)
    v = back_to_ap1(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("stale", False)
    assert "PMKSA_STALE_ACCEPTED" in codes(analysis)


def test_shorter_lifetime_in_the_expectations_makes_a_pmksa_stale(tmp_path: Path) -> None:
    toml = '[ap."corp"]\nlifetime_s = 3\n'
    v = back_to_ap1(analyse(original({"ap_miss": True}, wait_ms=5000), tmp_path, toml)).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("stale", True)


def test_psk_and_ft_roams_are_not_applicable(tmp_path: Path) -> None:
    sc = simulate.Scenario(seed=3)
    sc.sta("c", "02:00:00:00:00:01")
    sc.ap("ap1", AP1, "corp", 36, akm="ft-psk", passphrase="correct horse", mdid=0x1234)
    sc.ap("ap2", AP2, "corp", 40, akm="ft-psk", passphrase="correct horse", mdid=0x1234)
    sc.connect("c", "ap1").data("c", 4).wait(500).roam("c", "ap2").data("c", 4)
    verdicts = [r.pmksa.verdict for r in analyse(sc, tmp_path).roams if r.pmksa]
    assert verdicts == ["not_applicable", "not_applicable"]
