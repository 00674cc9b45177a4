"""Every wording the log parsers match, one line each, as hostap's source prints it.

Each entry's comment quotes the format string it comes from, with the file and function.
"0.7.3" is wpa_supplicant 0.7.3 (the 2010-2012 stable release, which wrote the 2012 report's
log: docs seed-log.txt); "2012" the hostap tree of that year (1.0/2.0-devel); "current" the
present hostap tree. docs/logs.md has the same table, pattern by pattern.
"""

from __future__ import annotations

import pytest

from analyzer.logs import parse_log
from analyzer.logs.lines import AP_RULES, classify

BSSID, STA, TARGET = "00:1f:f3:c0:89:0f", "00:21:6a:5b:4c:3d", "00:19:e3:fb:eb:35"
P = "b8 ac 09 8e 2a 61 e8 0a 36 d7 e3 ba 47 4d 26 65"

WPA_SUPPLICANT = [
    # wpa_supplicant/sme.c sme_send_authentication (2012+):
    #   "SME: Trying to authenticate with " MACSTR " (SSID='%s' freq=%d MHz)"
    (f"SME: Trying to authenticate with {BSSID} (SSID='corp' freq=5300 MHz)", "attempt_auth"),
    # wpa_supplicant/sme.c sme_authenticate (0.7.3):
    #   "Trying to authenticate with " MACSTR " (SSID='%s' freq=%d MHz)"
    (f"Trying to authenticate with {BSSID} (SSID='corp' freq=5300 MHz)", "attempt_auth"),
    # wpa_supplicant/sme.c sme_associate:
    #   "Trying to associate with " MACSTR " (SSID='%s' freq=%d MHz)"
    (f"Trying to associate with {BSSID} (SSID='corp' freq=5300 MHz)", "attempt_assoc"),
    # src/drivers/driver_nl80211.c wpa_driver_nl80211_authenticate:
    #   "nl80211: Authenticate (ifindex=%d)"
    ("nl80211: Authenticate (ifindex=3)", "block_auth"),
    # driver_nl80211.c wpa_driver_nl80211_associate: "nl80211: Associate (ifindex=%d)"
    ("nl80211: Associate (ifindex=3)", "block_assoc"),
    # driver_nl80211.c wpa_driver_nl80211_try_connect: "nl80211: Connect (ifindex=%d)"
    ("nl80211: Connect (ifindex=3)", "block_assoc"),
    # driver_nl80211.c wpa_driver_nl80211_authenticate: "  * bssid=" MACSTR / "  * freq=%d"
    (f"  * bssid={BSSID}", "block_field"),
    ("  * freq=5300", "block_field"),
    # driver_nl80211.c (current): "  * SSID=%s"; wpa_hexdump "  * IEs"
    ("  * SSID=corp", "block_field"),
    ("  * IEs - hexdump(len=0): [NULL]", "block_field"),
    # driver_nl80211.c (0.7.3-2012): wpa_hexdump_ascii "  * SSID"; "  * Auth Type %d"
    ("  * SSID - hexdump_ascii(len=4):", "block_more"),
    ("  * Auth Type 0", "block_more"),
    # driver_nl80211.c authenticate / associate / connect:
    #   "nl80211: Authentication request send successfully" (and Association, Connect)
    ("nl80211: Authentication request send successfully", "sent"),
    ("nl80211: Association request send successfully", "sent"),
    ("nl80211: Connect request send successfully", "sent"),
    # driver_nl80211.c wpa_driver_nl80211_authenticate (0.7.3-2012):
    #   "nl80211: MLME command failed: ret=%d (%s)"
    ("nl80211: MLME command failed: ret=-2 (No such file or directory)", "driver_error"),
    # ~2013-2017: "nl80211: MLME command failed (auth): ret=%d (%s)"
    ("nl80211: MLME command failed (auth): ret=-2 (No such file or directory)", "driver_error"),
    # current: "nl80211: MLME command failed (auth): count=%d ret=%d (%s)"
    ("nl80211: MLME command failed (auth): count=1 ret=-2 (No such file or directory)",
     "driver_error"),
    # wpa_driver_nl80211_associate (derived copies of driver_nl80211.c):
    #   "nl80211: MLME command failed (assoc): ret=%d (%s)"
    ("nl80211: MLME command failed (assoc): ret=-114 (Operation already in progress)",
     "driver_error"),
    # driver_nl80211.c wpa_driver_nl80211_connect: "nl80211: MLME connect failed: ret=%d (%s)"
    ("nl80211: MLME connect failed: ret=-114 (Operation already in progress)", "driver_error"),
    # driver_nl80211.c wpa_driver_nl80211_mlme (deauth/disassoc, current):
    #   "nl80211: MLME command failed: reason=%u ret=%d (%s)"
    ("nl80211: MLME command failed: reason=3 ret=-67 (Link has been severed)",
     "driver_mlme_failed"),
    # driver_nl80211.c wpa_driver_nl80211_deauthenticate (2012): "%s", __func__;
    #   wpa_driver_nl80211_disconnect (current): "%s(reason_code=%d)", __func__
    ("wpa_driver_nl80211_deauthenticate", "deauth_cmd"),
    ("wpa_driver_nl80211_disconnect(reason_code=3)", "deauth_cmd"),
    # wpa_supplicant/sme.c (2012+): "SME: Authentication request to the driver failed"
    ("SME: Authentication request to the driver failed", "driver_refused"),
    # wpa_supplicant/sme.c (0.7.3): "Authentication request to the driver failed",
    #   sme_associate: "Association request to the driver failed"
    ("Authentication request to the driver failed", "driver_refused"),
    ("Association request to the driver failed", "driver_refused"),
    # driver_nl80211.c wpa_driver_nl80211_authenticate (ENOENT, 2013+):
    #   "nl80211: Trigger single channel scan to refresh cfg80211 BSS entry"
    ("nl80211: Trigger single channel scan to refresh cfg80211 BSS entry", "recovery_scan"),
    # driver_nl80211_event.c send_scan_event: "nl80211: Scan results for missing cfg80211 BSS entry"
    ("nl80211: Scan results for missing cfg80211 BSS entry", "recovery_results"),
    # driver_nl80211.c wpa_driver_nl80211_authenticate (is_retry):
    #   "nl80211: Authentication retry failed"
    ("nl80211: Authentication retry failed", "retry_failed"),
    # wpa_supplicant/scan.c wpa_supplicant_req_scan (0.7.3-2.x):
    #   "Setting scan request: %d sec %d usec"
    ("Setting scan request: 1 sec 0 usec", "scan_request"),
    # current: "Setting scan request: %d.%06d sec"; "Rescheduling scan request: %d.%06d sec"
    ("Setting scan request: 1.000000 sec", "scan_request"),
    ("Rescheduling scan request: 0.100000 sec", "scan_request"),
    # wpa_supplicant/sme.c sme_event_auth (0.7.3-2012):
    #   "SME: Authentication response: peer=" MACSTR " auth_type=%d status_code=%d"
    (f"SME: Authentication response: peer={BSSID} auth_type=0 status_code=0", "auth_response"),
    # current: " auth_type=%d auth_transaction=%d status_code=%d"
    (f"SME: Authentication response: peer={BSSID} auth_type=0 auth_transaction=2 "
     "status_code=0", "auth_response"),
    # wpa_supplicant/sme.c sme_auth_timer / sme_assoc_timer
    ("SME: Authentication timeout", "timeout"),
    ("SME: Association timeout", "timeout"),
    # wpa_supplicant/events.c wpa_supplicant_event_assoc:
    #   "Associated to a new BSS: BSSID=" MACSTR; "Associated with " MACSTR
    (f"Associated to a new BSS: BSSID={BSSID}", "associated"),
    (f"Associated with {BSSID}", "associated"),
    # wpa_supplicant/wpa_supplicant.c wpa_supplicant_set_state: "State: %s -> %s"
    ("State: COMPLETED -> AUTHENTICATING", "state"),
    # wpa_supplicant/wpa_supplicant.c wpa_supplicant_driver_init: "Own MAC address: " MACSTR
    (f"Own MAC address: {STA}", "own_addr"),
    # wpa_supplicant/wpas_glue.c wpa_supplicant_add_pmkid: PMKSA_CACHE_ADDED MACSTR " %d"
    (f"PMKSA-CACHE-ADDED {BSSID} 0", "pmksa_added_event"),
    # wpa_supplicant/events.c: WPA_EVENT_CONNECTED "- Connection to " MACSTR " completed ..."
    (f"CTRL-EVENT-CONNECTED - Connection to {BSSID} completed [id=0 id_str=]", "ctrl_event"),
    # src/rsn_supp/pmksa_cache.c pmksa_cache_set_current (current):
    #   "RSN: PMKSA cache search - network_ctx=%p try_opportunistic=%d akmp=0x%x"
    ("RSN: PMKSA cache search - network_ctx=0x55d0c8a0 try_opportunistic=0 akmp=0x1",
     "cache_search"),
    # 2012: "RSN: PMKSA cache search - network_ctx=%p try_opportunistic=%d"
    ("RSN: PMKSA cache search - network_ctx=0x55d0c8a0 try_opportunistic=1", "cache_search"),
    # pmksa_cache.c pmksa_cache_set_current: "RSN: Search for BSSID " MACSTR
    (f"RSN: Search for BSSID {BSSID}", "search_bssid"),
    # pmksa_cache.c pmksa_cache_set_current: wpa_hexdump "RSN: PMKSA cache entry found - PMKID"
    (f"RSN: PMKSA cache entry found - PMKID - hexdump(len=16): {P}", "entry_found"),
    # pmksa_cache.c pmksa_cache_set_current: "RSN: No PMKSA cache entry found"
    ("RSN: No PMKSA cache entry found", "no_entry"),
    # src/eapol_supp/eapol_supp_sm.c eapol_sm_notify_pmkid_attempt:
    #   "RSN: Trying to use cached PMKSA"
    ("RSN: Trying to use cached PMKSA", "use_cached"),
    # pmksa_cache.c pmksa_cache_get_opportunistic: "RSN: Consider " MACSTR " for OKC",
    #   "RSN: added opportunistic PMKSA cache entry for " MACSTR
    (f"RSN: Consider {TARGET} for OKC", "okc_candidate"),
    (f"RSN: added opportunistic PMKSA cache entry for {TARGET}", "okc_added"),
    # pmksa_cache.c pmksa_cache_set_current (0.7.3): wpa_hexdump "RSN: PMKID"
    (f"RSN: PMKID - hexdump(len=16): {P}", "pmkid"),
    # src/rsn_supp/wpa.c wpa_supplicant_process_1_of_4: wpa_hexdump "RSN: PMKID from Authenticator"
    (f"RSN: PMKID from Authenticator - hexdump(len=16): {P}", "pmkid_from_ap"),
    # wpa.c wpa_supplicant_get_pmk: "RSN: found matching PMKID from PMKSA cache",
    #   wpa_hexdump "RSN: matched PMKID", wpa_hexdump_key "RSN: PMK from PMKSA cache"
    ("RSN: found matching PMKID from PMKSA cache", "matched_pmkid"),
    (f"RSN: matched PMKID - hexdump(len=16): {P}", "matched_pmkid"),
    ("RSN: PMK from PMKSA cache - hexdump(len=32): [REMOVED]", "matched_pmkid"),
    # wpa.c wpa_supplicant_get_pmk: "RSN: no matching PMKID found",
    #   "RSN: no PMKSA entry found - trigger full EAP authentication"
    ("RSN: no matching PMKID found", "no_matching_pmkid"),
    ("RSN: no PMKSA entry found - trigger full EAP authentication", "no_matching_pmkid"),
    # eapol_supp_sm.c eapol_sm_abort_cached:
    #   "RSN: Authenticator did not accept PMKID, doing full EAP authentication"
    ("RSN: Authenticator did not accept PMKID, doing full EAP authentication",
     "ap_refused_pmkid"),
    # wpa.c wpa_supplicant_get_pmk:
    #   "RSN: PMKID mismatch - authentication server may have derived different MSK?!"
    ("RSN: PMKID mismatch - authentication server may have derived different MSK?!",
     "pmkid_mismatch"),
    # pmksa_cache.c pmksa_cache_add_entry (current):
    #   "RSN: Added PMKSA cache entry for " MACSTR " spa=" MACSTR " network_ctx=%p akmp=0x%x"
    (f"RSN: Added PMKSA cache entry for {BSSID} spa={STA} network_ctx=0x1 akmp=0x1", "added"),
    # wpa_supplicant/sme.c sme_event_assoc_reject (SAE): "PMKSA caching attempt rejected -
    #   drop PMKSA cache entry and fall back to SAE authentication"
    ("PMKSA caching attempt rejected - drop PMKSA cache entry and fall back to SAE "
     "authentication", "sae_fallback"),
    # src/rsn_supp/preauth.c rsn_preauth_init: "RSN: starting pre-authentication with " MACSTR
    (f"RSN: starting pre-authentication with {TARGET}", "preauth_start"),
    # preauth.c rsn_preauth_eapol_cb: "RSN: pre-authentication with " MACSTR " %s"
    #   ("completed successfully" / "failed"); rsn_preauth_timeout: "... " MACSTR " timed out"
    (f"RSN: pre-authentication with {TARGET} completed successfully", "preauth_result"),
    (f"RSN: pre-authentication with {TARGET} failed", "preauth_result"),
    (f"RSN: pre-authentication with {TARGET} timed out", "preauth_result"),
    # wpa.c wpa_sm_set_ap_rsn_ie: wpa_hexdump "WPA: set AP RSN IE"
    ("WPA: set AP RSN IE - hexdump(len=4): 30 02 01 00", "ap_rsne"),
    # wpa.c wpa_sm_set_assoc_wpa_ie_default: "WPA: Set own WPA IE default",
    # "WPA: Leave previously set WPA IE default";
    #   wpa_sm_set_assoc_wpa_ie "WPA: set own WPA/RSN IE"
    ("WPA: Set own WPA IE default - hexdump(len=4): 30 02 01 00", "own_rsne"),
    ("WPA: Leave previously set WPA IE default - hexdump(len=4): 30 02 01 00", "own_rsne"),
    ("WPA: set own WPA/RSN IE - hexdump(len=4): 30 02 01 00", "own_rsne"),
]

HOSTAPD = [
    # src/ap/hostapd.c hostapd_setup_bss (current):
    #   "Using interface %s with hwaddr " MACSTR " and ssid \"%s\""
    (f'Using interface wlan0 with hwaddr {BSSID} and ssid "corp"', "ap_iface"),
    # 2012 and before: "Using interface %s with hwaddr " MACSTR " and ssid '%s'"
    (f"Using interface wlan0 with hwaddr {BSSID} and ssid 'corp'", "ap_iface"),
    # src/ap/wpa_auth_ie.c wpa_validate_wpa_ie: wpa_hexdump "RSN IE: STA PMKID"
    (f"RSN IE: STA PMKID - hexdump(len=16): {P}", "sta_pmkid"),
    # hostapd/main.c hostapd_logger_cb: "%s: STA " MACSTR "%s%s: %s" (interface stripped)
    (f"STA {STA} WPA: OKC match for PMKID", "hostapd_sta"),
    # hostapd ctrl events (wpa_msg): EAPOL_4WAY_HS_COMPLETED / AP_STA_CONNECTED MACSTR
    (f"EAPOL-4WAY-HS-COMPLETED {STA}", "ap_ctrl_event"),
    (f"AP-STA-CONNECTED {STA}", "ap_ctrl_event"),
]

AP_MESSAGES = [
    # src/ap/wpa_auth_ie.c wpa_validate_wpa_ie: "OKC match for PMKID"
    ("OKC match for PMKID", "ap_okc_match"),
    # wpa_auth_ie.c (current): "PMKID found from PMKSA cache eap_type=%d vlan=%d%s"
    ("PMKID found from PMKSA cache eap_type=21 vlan=0", "ap_hit"),
    # wpa_auth_ie.c (2012): "PMKID found from PMKSA cache eap_type=%d vlan_id=%d"
    ("PMKID found from PMKSA cache eap_type=21 vlan_id=0", "ap_hit"),
    # src/ap/ieee802_1x.c ieee802_1x_new_station: "PMK from PMKSA cache - skip IEEE 802.1X/EAP"
    ("PMK from PMKSA cache - skip IEEE 802.1X/EAP", "ap_skip_eap"),
    # ieee802_1x.c ieee802_1x_finished: "Added PMKSA cache entry (IEEE 802.1X)"
    ("Added PMKSA cache entry (IEEE 802.1X)", "ap_added"),
    # src/ap/preauth_auth.c rsn_preauth_finished: "pre-authentication %s" (succeeded/failed),
    #   "added PMKSA cache entry (pre-auth)"
    ("pre-authentication succeeded", "ap_preauth_ok"),
    ("pre-authentication failed", "ap_preauth_failed"),
    ("added PMKSA cache entry (pre-auth)", "ap_preauth_added"),
    # wpa_auth_ie.c wpa_validate_wpa_ie: "No PMKSA cache entry found for SAE" (and for DPP)
    ("No PMKSA cache entry found for SAE", "ap_no_entry"),
    ("No PMKSA cache entry found for DPP", "ap_no_entry"),
    # src/ap/ieee802_11.c handle_auth: "authentication OK (open system)";
    #   handle_auth_cb: "authenticated"; handle_assoc: "association OK (aid %d)";
    #   handle_assoc_cb: "associated (aid %d)"; handle_deauth: "deauthenticated";
    #   handle_disassoc: "disassociated"
    ("authentication OK (open system)", "ap_event"),
    ("authenticated", "ap_event"),
    ("association OK (aid 1)", "ap_event"),
    ("associated (aid 1)", "ap_event"),
    ("deauthenticated", "ap_event"),
    ("disassociated", "ap_event"),
    # src/ap/wpa_auth.c SM_STATE(WPA_PTK, PTKINITDONE): "pairwise key handshake completed (%s)"
    ("pairwise key handshake completed (RSN)", "ap_event"),
    # src/eapol_auth/eapol_auth_sm.c eapol_auth_tx_req: "Sending EAP Packet (identifier %d)"
    ("Sending EAP Packet (identifier 1)", "ap_event"),
]


@pytest.mark.parametrize(("line", "tag"), WPA_SUPPLICANT + HOSTAPD)
def test_each_source_wording_is_recognised(line: str, tag: str) -> None:
    hit = classify(line)
    assert hit is not None and hit[0] == tag, line


@pytest.mark.parametrize(("message", "tag"), AP_MESSAGES)
def test_each_hostapd_station_message_is_recognised(message: str, tag: str) -> None:
    hit = classify(message, AP_RULES)
    assert hit is not None and hit[0] == tag, message


def test_current_scan_request_wording_is_the_older_recovery() -> None:
    """scan.c wpa_supplicant_req_scan now prints "%d.%06d sec": still the older supplicant's
    answer to a driver refusal (a new scan instead of a single-channel retry)."""
    log = parse_log([f"SME: Trying to authenticate with {BSSID} (SSID='c' freq=5300 MHz)",
                     "nl80211: Authenticate (ifindex=3)", f"  * bssid={BSSID}",
                     "nl80211: MLME command failed: ret=-2 (No such file or directory)",
                     "SME: Authentication request to the driver failed",
                     "Setting scan request: 1.000000 sec"])
    (attempt,) = log.attempts
    assert attempt.outcome == "driver_failed" and attempt.recovery == "scan_request"


def test_a_failed_deauthentication_is_not_a_failed_authentication() -> None:
    """driver_nl80211.c used "MLME command failed: ret=%d (%s)" for deauth/disassoc too
    (wpa_driver_nl80211_mlme); current wording adds "reason=%u". Neither fails the attempt."""
    log = parse_log([f"SME: Trying to authenticate with {BSSID} (SSID='c' freq=5300 MHz)",
                     "nl80211: Authenticate (ifindex=3)", f"  * bssid={BSSID}",
                     "nl80211: Authentication request send successfully",
                     "wpa_driver_nl80211_deauthenticate",
                     "nl80211: MLME command failed: ret=-67 (Link has been severed)",
                     "nl80211: MLME command failed: reason=3 ret=-67 (Link has been severed)"])
    (attempt,) = log.attempts
    assert attempt.outcome == "sent_to_driver" and attempt.error is None
    assert [e.name for e in log.events] == ["DRIVER-MLME-FAILED", "DRIVER-MLME-FAILED"]


def test_hostapd_2012_ssid_in_single_quotes_and_its_interface() -> None:
    log = parse_log([f"Using interface wlan1 with hwaddr {BSSID} and ssid 'corp'"])
    assert log.ap_addrs == {"wlan1": BSSID} and log.daemon == "hostapd"


def test_eap_success_authenticated_is_not_an_80211_authentication_anchor() -> None:
    """eapol_auth_sm.c logs "IEEE 802.1X: authenticated" after EAP-Success (also after a
    pre-authentication); only ieee802_11.c's lines anchor the AP's decisions."""
    log = parse_log([f"Using interface wlan0 with hwaddr {BSSID} and ssid \"corp\"",
                     f"wlan0: STA {STA} IEEE 802.11: authenticated",
                     f"wlan0: STA {STA} IEEE 802.1X: authenticated"])
    assert [e.name for e in log.events] == ["HOSTAPD", "HOSTAPD-8021X"]


def test_preauthentication_lines_name_the_target_and_join_no_attempt() -> None:
    """Supplicant (rsn_supp/preauth.c) and hostapd (preauth_auth.c) pre-authentication lines:
    decisions about the target AP, not attached to the attempt in progress."""
    log = parse_log([f"Own MAC address: {STA}",
                     f"SME: Trying to authenticate with {BSSID} (SSID='c' freq=5300 MHz)",
                     f"RSN: starting pre-authentication with {TARGET}",
                     f"RSN: pre-authentication with {TARGET} completed successfully"])
    (attempt,) = log.attempts
    assert attempt.decisions == ()
    kinds = [(d.kind, d.side, d.bssid, d.sta) for d in log.decisions]
    assert kinds == [("preauth_start", "sta", TARGET, STA), ("preauth_done", "sta", TARGET, STA)]
    ap = parse_log([f"Using interface wlan0 with hwaddr {TARGET} and ssid \"corp\"",
                    f"wlan0: STA {STA} WPA: pre-authentication succeeded",
                    f"wlan0: STA {STA} WPA: added PMKSA cache entry (pre-auth)"])
    assert [(d.kind, d.bssid) for d in ap.decisions] == [("ap_preauth_ok", TARGET),
                                                        ("ap_preauth_added", TARGET)]


def test_hostapd_control_events_carry_the_station() -> None:
    log = parse_log([f"Using interface wlan0 with hwaddr {BSSID} and ssid \"corp\"",
                     f"wlan0: AP-STA-CONNECTED {STA}", f"wlan0: EAPOL-4WAY-HS-COMPLETED {STA}"])
    assert [(e.name, e.sta, e.bssid) for e in log.events] == [
        ("AP-STA-CONNECTED", STA, BSSID), ("EAPOL-4WAY-HS-COMPLETED", STA, BSSID)]
