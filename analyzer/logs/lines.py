"""One message (prefix stripped) -> what it says, as a tag and its regex match.

Every wording was checked against hostap's source, as of 0.7.3 (the 2010-2012 stable release,
which wrote the 2012 report's log), around 2012-2015, and current; docs/logs.md has the table
of pattern -> source file/function, and tests/logs/test_wordings.py one line per wording with
the format string it comes from. DOMAIN §7 lists the PMKSA lines.
Rules are tried in order and the first match wins, so the more specific come first.
"""

from __future__ import annotations

import re

from analyzer.dot11.elements import decode_rsne, walk_elements
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Rsne

MAC = r"(?P<mac>[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})"
HEX = r"(?P<hex>(?:[0-9a-fA-F]{2}(?: |$))+)"
_TARGET = MAC + r" \(SSID='(?P<ssid>.*)' freq=(?P<freq>\d+) MHz\)"
_DUMP = r" - hexdump\(len=(?P<len>\d+)\):(?: " + HEX + r")?"

RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tag, re.compile(pattern)) for tag, pattern in (
        # attempts and the driver's answer
        ("attempt_auth", r"(?P<sme>SME: )?Trying to authenticate with " + _TARGET),
        ("attempt_assoc", r"Trying to associate with " + _TARGET),
        ("block_auth", r"nl80211: Authenticate \(ifindex=\d+\)"),
        ("block_assoc", r"nl80211: (?:Associate|Connect) \(ifindex=\d+\)"),
        ("block_field", r"\s*\* (?P<key>[\w ]+?)(?:=(?P<value>.*)|" + _DUMP + r".*)$"),
        ("block_more", r"\s{2,}\S"),
        ("sent", r"nl80211: (?:Authentication|Association|Connect) request send successfully"),
        # wpa_driver_nl80211_mlme (deauth/disassoc), current: "... failed: reason=%u ret=%d"
        ("driver_mlme_failed",
         r"nl80211: MLME command failed: reason=(?P<reason>\d+) ret=(?P<ret>-?\d+) "
         r"\((?P<msg>[^)]*)\)"),
        ("driver_error",
         r"nl80211: MLME (?:command|connect) failed(?: \((?P<cmd>\w+)\))?: "
         r"(?:count=(?P<count>\d+) )?ret=(?P<ret>-?\d+) \((?P<msg>[^)]*)\)"),
        # the driver wrapper's own name before a deauth/disassoc command (its "%s", __func__)
        ("deauth_cmd", r"wpa_driver_nl80211_(?:deauthenticate|disassociate|disconnect)\b"),
        ("driver_refused",
         r"(?:SME: )?(?:Authentication|Association) request to the driver failed"),
        ("recovery_scan",
         r"(?:nl80211: )?Trigger single channel scan to refresh cfg80211 BSS entry"),
        ("recovery_results", r"nl80211: Scan results for missing cfg80211 BSS entry"),
        # 0.7.3-2.x: "%d sec %d usec"; current: "%d.%06d sec", or "Rescheduling ..."
        ("scan_request",
         r"(?:Setting|Rescheduling) scan request: (?P<sec>\d+)"
         r"(?: sec (?P<usec>\d+) usec|\.(?P<frac>\d+) sec)"),
        ("retry_failed", r"nl80211: Authentication retry failed"),
        ("auth_response",
         r"SME: Authentication response: peer=" + MAC
         + r" auth_type=\d+(?: auth_transaction=\d+)? status_code=(?P<status>\d+)"),
        ("timeout", r"SME: (?:Authentication|Association) timeout"),
        ("associated", r"Associated (?:with|to a new BSS: BSSID=) ?" + MAC),
        ("state", r"State: (?P<old>[A-Z_0-9]+) -> (?P<new>[A-Z_0-9]+)"),
        ("own_addr", r"Own MAC address: " + MAC),
        # hostapd: current ssid \"%s\"; 2012 and before ssid '%s'
        ("ap_iface",
         r"Using interface (?P<iface>\S+) with hwaddr " + MAC
         + r"(?: and ssid [\"'](?P<ssid>.*)[\"'])?"),
        # control-interface events
        ("pmksa_added_event", r"PMKSA-CACHE-ADDED " + MAC + r"(?: (?P<net>\d+))?"),
        ("ctrl_event", r"(?P<name>CTRL-EVENT-[A-Z0-9-]+)(?P<rest>.*)"),
        # hostapd control-interface events (not hostapd_logger lines: no "STA <mac>")
        ("ap_ctrl_event",
         r"(?P<name>AP-STA-CONNECTED|AP-STA-DISCONNECTED|EAPOL-4WAY-HS-COMPLETED) " + MAC),
        # wpa_supplicant: PMKSA decisions and the RSN elements it builds
        ("cache_search", r"RSN: PMKSA cache search - .*try_opportunistic=(?P<okc>\d)"),
        ("search_bssid", r"RSN: Search for BSSID " + MAC),
        ("entry_found", r"RSN: PMKSA cache entry found - PMKID" + _DUMP),
        ("no_entry", r"RSN: No PMKSA cache entry found"),
        ("use_cached", r"RSN: Trying to use cached PMKSA"),
        ("okc_candidate", r"RSN: Consider " + MAC + r" for OKC"),
        ("okc_added", r"RSN: added opportunistic PMKSA cache entry"),
        ("pmkid", r"RSN: PMKID" + _DUMP),
        ("pmkid_from_ap", r"RSN: PMKID from Authenticator" + _DUMP),
        ("matched_pmkid",
         r"RSN: (?:matched PMKID|found matching PMKID from PMKSA cache|PMK from PMKSA cache)"),
        ("no_matching_pmkid",
         r"RSN: (?:no matching PMKID found|no PMKSA entry found - trigger full EAP)"),
        ("ap_refused_pmkid", r"RSN: Authenticator did not accept PMKID"),
        ("pmkid_mismatch", r"RSN: PMKID mismatch - authentication server may have derived"),
        ("added", r"RSN: Added PMKSA cache entry for " + MAC),
        ("sae_fallback", r".*PMKSA caching attempt rejected - drop PMKSA cache entry"),
        # RSN pre-authentication (src/rsn_supp/preauth.c)
        ("preauth_start", r"RSN: starting pre-authentication with " + MAC),
        ("preauth_result",
         r"RSN: pre-authentication with " + MAC
         + r" (?P<result>completed successfully|failed|timed out)"),
        ("ap_rsne", r"WPA: set AP RSN IE" + _DUMP),
        ("own_rsne", r"WPA: (?:Set own WPA IE default|Leave previously set WPA IE default"
                     r"|set own WPA/RSN IE)" + _DUMP),
        # hostapd
        ("sta_pmkid", r"RSN IE: STA PMKID" + _DUMP),
        ("hostapd_sta", r"STA " + MAC + r"(?: (?P<module>IEEE 802\.11|IEEE 802\.1X|WPA|RADIUS"
                        r"|DRIVER|IAPP|MLME))?: (?P<msg>.*)"),
    )
)
# hostapd's per-station messages (after `STA <mac> <module>: `)
AP_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tag, re.compile(pattern)) for tag, pattern in (
        ("ap_okc_match", r"OKC match for PMKID"),
        ("ap_hit", r"PMKID found from PMKSA cache"),
        ("ap_skip_eap", r"PMK from PMKSA cache - skip IEEE 802\.1X/EAP"),
        ("ap_preauth_added", r"added PMKSA cache entry \(pre-auth\)"),
        ("ap_preauth_ok", r"pre-authentication succeeded"),
        ("ap_preauth_failed", r"pre-authentication failed"),
        ("ap_added", r"Added PMKSA cache entry"),
        ("ap_no_entry", r"No PMKSA cache entry found for (?:SAE|DPP)"),
        # "reassociated" is not a hostapd wording (it logs "associated (aid N)" for both);
        # kept for logs from other authenticators that print it
        ("ap_event", r"(?:authentication OK|authenticated|association OK|associated"
                     r"|reassociated|deauthenticated|disassociated|pairwise key handshake"
                     r"|Sending EAP Packet)"),
    )
)


def classify(text: str, rules: tuple[tuple[str, re.Pattern[str]], ...] = RULES
             ) -> tuple[str, re.Match[str]] | None:
    for tag, pattern in rules:
        m = pattern.match(text)
        if m is not None:
            return tag, m
    return None


def hex_bytes(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return bytes.fromhex(text.replace(" ", ""))
    except ValueError:
        return None


def mac(text: str) -> str:
    return text.lower()


def rsne_from_element(data: bytes | None) -> Rsne | None:
    """An RSN element (id 48) or the WPA1 vendor element, header included, decoded."""
    if data is None or len(data) < 4 or data[1] + 2 > len(data):
        return None
    body = data[2:data[1] + 2]
    try:
        if data[0] == 48:
            return decode_rsne(body, raw=data[:data[1] + 2])
        if data[0] == 221 and body[:4] == b"\x00\x50\xf2\x01":
            return decode_rsne(body[4:], raw=data[:data[1] + 2], wpa1=True)
    except DecodeError:
        return None
    return None


def rsne_in_ies(data: bytes | None) -> Rsne | None:
    """The RSN element inside a run of elements (an nl80211 Associate block's IEs)."""
    if not data:
        return None
    for eid, start, end in walk_elements(data, 0):
        if eid == 48:
            return rsne_from_element(data[start - 2:end])
    return None
