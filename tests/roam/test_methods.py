"""Key-management method of each attempt, from its frame signature (DOMAIN §8)."""

from __future__ import annotations

from dataclasses import replace

from analyzer.dot11.records import Elements, Fte, Mde, SaeCommit, SaeConfirm
from tests.roam.factory import AP1, AP2, PMKID_A, PMKID_B, STA, Air, rsne


def test_psk_initial_connection_is_psk_and_succeeds_at_m4() -> None:
    """Open auth, association, 4-way without EAP on a PSK AKM: method psk, end at M4."""
    air = Air()
    m4 = air.psk_connect(0)
    air.data(m4 + 3)
    (roam,), _ = air.run()
    assert (roam.kind, roam.method, roam.outcome, roam.akm) == ("initial", "psk", "success", "PSK")
    assert roam.t_end_ns == m4 * 1_000_000
    assert roam.from_bssid is None and roam.to_bssid == AP1
    assert roam.ssid == "lab"


def test_eap_in_the_attempt_makes_full_8021x_with_its_eap_method() -> None:
    """EAP present on an 802.1X AKM: full_8021x; the method is the server's proposed type."""
    air = Air()
    air.eap_connect(0)
    (roam,), _ = air.run()
    assert roam.method == "full_8021x"
    assert roam.eap_method == "PEAP"
    assert roam.evidence.eap_seen and roam.evidence.eap_success


def test_reassoc_with_cached_pmkid_skips_eap() -> None:
    """Back at an AP whose PMKID the station already got: PMKID offered, no EAP, M1 echoes
    it -> pmksa_cache."""
    air = Air()
    m4 = air.eap_connect(0, bssid=AP1, m1_pmkid=PMKID_A)
    air.data(m4 + 2)
    t = air.eap_connect(1000, bssid=AP2, m1_pmkid=PMKID_B)
    air.data(t + 2, bssid=AP2)
    air.auth(2000, STA, AP1)
    air.auth(2001, STA, AP1, seq=2)
    air.assoc_req(2002, STA, AP1, akm=1, pmkids=(PMKID_A,), reassoc=True, current_ap=AP2)
    air.assoc_resp(2003, STA, AP1, reassoc=True)
    air.fourway(2005, STA, AP1, pmkid=PMKID_A)
    roams, _ = air.run()
    back = roams[-1]
    assert (back.kind, back.method, back.outcome) == ("roam", "pmksa_cache", "success")
    assert back.pmkids_offered == (PMKID_A.hex(),)
    assert back.pmkid_m1 == PMKID_A.hex()
    assert back.evidence.pmkid_known_at_bssid is True
    assert back.latency_ms["eap"] is None


def test_pmkid_new_to_this_bssid_without_eap_is_okc() -> None:
    """A PMKID never seen from the target BSSID, accepted without EAP: opportunistic caching."""
    air = Air()
    m4 = air.eap_connect(0, bssid=AP1)
    air.data(m4 + 2)
    air.auth(1000, STA, AP2)
    air.auth(1001, STA, AP2, seq=2)
    air.assoc_req(1002, STA, AP2, akm=1, pmkids=(PMKID_B,), reassoc=True, current_ap=AP1)
    air.assoc_resp(1003, STA, AP2, reassoc=True)
    air.fourway(1005, STA, AP2, pmkid=PMKID_B)
    roams, _ = air.run()
    assert roams[-1].method == "okc"
    assert roams[-1].evidence.pmkid_known_at_bssid is False


def test_ft_auth_algorithm_then_reassoc_is_ft_over_air_without_4way() -> None:
    """FT auth (algorithm 2) then reassociation: success at the Reassociation Response."""
    air = Air()
    m4 = air.psk_connect(0, bssid=AP1)
    air.data(m4 + 1)
    ft = Elements(rsne=rsne(4), mde=Mde(0x1234, True, False),
                  fte=Fte(0, bytes(16), bytes(32), bytes(32), None, None, False, False))
    air.auth(500, STA, AP2, alg=2, seq=1, elements=ft)
    air.auth(502, STA, AP2, alg=2, seq=2)
    air.assoc_req(504, STA, AP2, akm=4, reassoc=True, current_ap=AP1)
    air.assoc_resp(507, STA, AP2, reassoc=True)
    air.data(510, bssid=AP2)
    roams, _ = air.run()
    roam = roams[-1]
    assert (roam.method, roam.outcome, roam.kind) == ("ft_over_air", "success", "roam")
    assert roam.latency_ms["control_plane"] == 7.0
    assert roam.latency_ms["4way"] is None
    assert roam.latency_ms["data_gap"] == 510 - (m4 + 1)


def test_ft_action_through_the_current_ap_is_ft_over_ds() -> None:
    """FT Request/Response with the old AP, then reassociation to the target: ft_over_ds."""
    air = Air()
    m4 = air.psk_connect(0, bssid=AP1)
    air.data(m4 + 1)
    air.ft_request(500, STA, AP1, AP2)
    air.ft_response(505, STA, AP1, AP2)
    air.assoc_req(510, STA, AP2, akm=4, reassoc=True, current_ap=AP1)
    air.assoc_resp(512, STA, AP2, reassoc=True)
    air.data(513, bssid=AP2)
    roams, _ = air.run()
    roam = roams[-1]
    assert (roam.method, roam.outcome, roam.to_bssid) == ("ft_over_ds", "success", AP2)
    assert roam.latency_ms["auth"] == 5.0
    assert roam.latency_ms["control_plane"] == 12.0


def test_sae_commit_confirm_is_sae() -> None:
    """Auth algorithm 3 commit, commit, confirm, confirm, then the 4-way: sae."""
    air = Air()
    commit = SaeCommit(19, None, bytes(32), bytes(64))
    confirm = SaeConfirm(1, bytes(32))
    air.auth(0, STA, AP1, alg=3, seq=1, from_ap=False, sae=commit)
    air.auth(5, STA, AP1, alg=3, seq=1, from_ap=True, sae=commit)
    air.auth(6, STA, AP1, alg=3, seq=2, from_ap=False, sae=confirm)
    air.auth(7, STA, AP1, alg=3, seq=2, from_ap=True, sae=confirm)
    air.assoc_req(8, STA, AP1, akm=8)
    air.assoc_resp(9, STA, AP1)
    air.fourway(10)
    (roam,), _ = air.run()
    assert (roam.method, roam.akm, roam.outcome) == ("sae", "SAE", "success")
    assert roam.latency_ms["auth"] == 7.0
    assert roam.phase("auth") is not None and roam.phase("auth").frames == 4


def test_open_auth_with_pmkid_on_sae_akm_is_sae_pmksa_cache() -> None:
    """SAE with a cache entry authenticates with Open (0) and offers the PMKID."""
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1, akm=8, pmkids=(PMKID_A,))
    air.assoc_resp(3, STA, AP1)
    air.fourway(4, pmkid=PMKID_A)
    (roam,), _ = air.run()
    assert roam.method == "sae_pmksa_cache"


def test_owe_akm_is_owe() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1, akm=18, owe_group=19)
    air.assoc_resp(3, STA, AP1)
    air.fourway(4)
    (roam,), _ = air.run()
    assert (roam.method, roam.akm) == ("owe", "OWE")


def test_fils_auth_ends_at_association_response() -> None:
    """FILS (auth algorithm 4): no EAPOL; success at the (Re)Association Response."""
    air = Air()
    air.auth(0, STA, AP1, alg=4)
    air.auth(2, STA, AP1, alg=4, seq=2)
    air.assoc_req(4, STA, AP1, akm=14)
    air.assoc_resp(6, STA, AP1)
    (roam,), _ = air.run()
    assert (roam.method, roam.outcome) == ("fils", "success")
    assert roam.latency_ms["control_plane"] == 6.0


def test_association_without_rsne_is_open() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1, akm=None)
    air.assoc_resp(3, STA, AP1)
    air.data(4, protected=False)
    (roam,), _ = air.run()
    assert (roam.method, roam.outcome) == ("open", "success")
    assert roam.phase("first_data") is not None


def test_association_without_rsne_but_with_privacy_is_not_open() -> None:
    """A request with the Privacy capability and no RSNE or WPA element (pre-RSNA) is not an
    open association: the method is unknown (wpa2-psk-linksys.cap, frame 307)."""
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    frame = air.assoc_req(2, STA, AP1, akm=None)
    air.frames[-1] = frame._replace(body=replace(frame.body, capabilities=0x11))
    air.assoc_resp(3, STA, AP1, status=10)
    (roam,), _ = air.run()
    assert (roam.method, roam.outcome) == ("unknown", "failed")


def test_8021x_without_eap_or_pmkid_is_unknown() -> None:
    """An 802.1X AKM, no EAP seen and nothing offered: the capture cannot tell; unknown."""
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1, akm=1)
    air.assoc_resp(3, STA, AP1)
    air.fourway(4)
    (roam,), _ = air.run()
    assert roam.method == "unknown"


def test_eapol_only_capture_infers_station_and_ap_from_eapol() -> None:
    """Ethernet-link EAPOL: the AP is the sender of Requests and Ack-bit keys."""
    air = Air()
    for i, (code, etype) in enumerate([(1, 1), (2, 1), (1, 13), (2, 13), (3, None)]):
        air.eap(i * 5, code, etype, eth=True)
    for i, msg in enumerate(("M1", "M2", "M3", "M4")):
        air.key(30 + i, msg, eth=True, replay=1 if msg in ("M1", "M2") else 2)
    (roam,), _ = air.run()
    assert (roam.sta, roam.to_bssid, roam.method) == (STA, AP1, "full_8021x")
    assert roam.eap_method == "TLS"
    assert roam.outcome == "success"
    assert roam.latency_ms["eap"] == 20.0
    assert roam.latency_ms["auth"] is None
