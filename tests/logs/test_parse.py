"""Log parsing: the original report's log, its prefixes and wordings, hostapd, garbage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.logs import explain, parse_log, split_prefix

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "docs" / "seed-log.txt"
AP1, AP2 = "00:1f:f3:c0:89:0f", "00:19:e3:fb:eb:35"
STA = "00:21:6a:5b:4c:3d"

# Current wpa_supplicant wording (sme.c / driver_nl80211.c since ~2013): interface prefix,
# `SME:` prefix, the failed MLME command names the command, and ENOENT triggers a
# single-channel scan and an authentication retry without a new `Trying to authenticate`.
P1 = "b8 ac 09 8e 2a 61 e8 0a 36 d7 e3 ba 47 4d 26 65"
AP_IE = "30 14 01 00 00 0f ac 04 01 00 00 0f ac 04 01 00 00 0f ac 01 0c 00"
OWN_IE = "30 26 01 00 00 0f ac 04 01 00 00 0f ac 04 01 00 00 0f ac 01 00 00 01 00 " + P1
CURRENT = f"""\
wlan0: Own MAC address: 00:21:6a:5b:4c:3d
RSN: PMKSA cache search - network_ctx=0x55d0c8a0 try_opportunistic=0 akmp=0x1
RSN: Search for BSSID 00:1f:f3:c0:89:0f
RSN: PMKSA cache entry found - PMKID - hexdump(len=16): {P1}
wlan0: RSN: Trying to use cached PMKSA
WPA: set AP RSN IE - hexdump(len=22): {AP_IE}
WPA: Set own WPA IE default - hexdump(len=40): {OWN_IE}
wlan0: SME: Trying to authenticate with 00:1f:f3:c0:89:0f (SSID='itsecmeshclient' freq=5300 MHz)
wlan0: State: COMPLETED -> AUTHENTICATING
nl80211: Authenticate (ifindex=3)
  * bssid=00:1f:f3:c0:89:0f
  * freq=5300
  * SSID=itsecmeshclient
  * IEs - hexdump(len=0): [NULL]
  * Auth Type 0
nl80211: MLME command failed (auth): count=1 ret=-2 (No such file or directory)
nl80211: Trigger single channel scan to refresh cfg80211 BSS entry
nl80211: Scan results for missing cfg80211 BSS entry
nl80211: Authenticate (ifindex=3)
  * bssid=00:1f:f3:c0:89:0f
  * freq=5300
  * Auth Type 0
nl80211: Authentication request send successfully
wlan0: SME: Authentication response: peer=00:1f:f3:c0:89:0f auth_type=0 auth_transaction=2 \
status_code=0
wlan0: Trying to associate with 00:1f:f3:c0:89:0f (SSID='itsecmeshclient' freq=5300 MHz)
wlan0: State: AUTHENTICATING -> ASSOCIATING
wlan0: Associated with 00:1f:f3:c0:89:0f
RSN: PMKID from Authenticator - hexdump(len=16): {P1}
RSN: matched PMKID - hexdump(len=16): {P1}
wlan0: CTRL-EVENT-CONNECTED - Connection to 00:1f:f3:c0:89:0f completed [id=0 id_str=]
"""

# hostapd -d: hostapd_logger's "<iface>: STA <mac> <module>: <text>" around the PMKSA lookup
# (src/ap/ieee802_11.c, wpa_auth_ie.c, wpa_auth.c, ieee802_1x.c; tests/logs/test_wordings.py).
HOSTAPD = """\
Using interface wlan0 with hwaddr 00:1f:f3:c0:89:0f and ssid "itsecmeshclient"
wlan0: STA 00:21:6a:5b:4c:3d IEEE 802.11: authentication OK (open system)
wlan0: STA 00:21:6a:5b:4c:3d IEEE 802.11: associated (aid 1)
RSN IE: STA PMKID - hexdump(len=16): 2d 26 de 1e 2c 20 af 5a 02 48 1a 72 de 4f 2e 47
wlan0: STA 00:21:6a:5b:4c:3d WPA: OKC match for PMKID
wlan0: STA 00:21:6a:5b:4c:3d WPA: PMKID found from PMKSA cache eap_type=21 vlan=0
wlan0: STA 00:21:6a:5b:4c:3d IEEE 802.1X: PMK from PMKSA cache - skip IEEE 802.1X/EAP
wlan0: STA 00:21:6a:5b:4c:3d WPA: pairwise key handshake completed (RSN)
"""


def seed_lines() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"{SEED} not present")
    return SEED.read_text().splitlines()


def test_seed_log_has_two_attempts_with_their_pmkids_and_rsnes() -> None:
    """The report's log: two attempts, each offering its cached PMKID in a decoded RSNE."""
    log = parse_log(seed_lines(), "seed")
    first, second = log.attempts
    assert (first.bssid, first.freq_mhz, first.ssid) == (AP1, 5300, "itsecmeshclient")
    assert (second.bssid, second.freq_mhz) == (AP2, 5260)
    assert first.pmkid == "b8ac098e2a61e80a36d7e3ba474d2665"
    assert second.pmkid == "79947a39a25623f173bdd5da0109c69c"
    for a in (first, second):
        assert a.rsne is not None and a.ap_rsne is not None
        assert len(a.rsne.raw) == 40 and a.rsne.pmkids[0].hex() == a.pmkid
        ap = a.ap_rsne
        assert (ap.group_cipher, ap.pairwise_ciphers, ap.akms) == (4, (4,), (1,))  # CCMP, 802.1X
        assert a.ap_rsne.capabilities == 0x000C and len(a.ap_rsne.raw) == 22
        assert [d.kind for d in a.decisions] == ["use_cached"]
    assert log.dated is False and first.ts_ns is None


def test_seed_attempt_to_5300_failed_at_driver_with_enoent_and_is_explained() -> None:
    """`MLME command failed: ret=-2` = ENOENT: cfg80211 no longer had the BSS (DOMAIN §7)."""
    first, second = parse_log(seed_lines()).attempts
    assert first.outcome == "driver_failed" and first.error is not None
    assert (first.error.ret, first.error.errno) == (-2, "ENOENT")
    assert first.recovery == "scan_request"  # 2012: "Setting scan request: 1 sec"
    text = explain(first.error) or ""
    assert "cfg80211" in text and "30 s" in text and "180 s" in text
    assert second.outcome == "sent_to_driver" and second.error is None


@pytest.mark.parametrize("prefix", [
    "1351591234.123456: ",
    "Oct 30 10:00:34 laptop wpa_supplicant[1234]: ",
    "Oct 30 10:00:34.123456 laptop wpa_supplicant[1234]: ",
    "2012-10-30T10:00:34.123456+0100 laptop wpa_supplicant[1234]: ",
    "1351591234.123456 laptop wpa_supplicant[1234]: ",
    "D/wpa_supplicant( 2029): ",
])
def test_seed_parses_the_same_under_any_prefix(prefix: str) -> None:
    """-t timestamps, syslog and journalctl (short, -precise, -iso, -unix), logcat."""
    plain = parse_log(seed_lines())
    log = parse_log([prefix + line for line in seed_lines()], year=2012)
    assert [(a.bssid, a.pmkid, a.outcome, a.freq_mhz) for a in log.attempts] == \
        [(a.bssid, a.pmkid, a.outcome, a.freq_mhz) for a in plain.attempts]
    assert log.attempts[0].error == plain.attempts[0].error
    assert (log.attempts[0].ts_ns is not None) == (not prefix.startswith("D/"))


def test_prefixes_give_times() -> None:
    assert split_prefix("1351591234.123456: x").ts_ns == 1351591234_123456000
    p = split_prefix("Oct 30 10:00:00 host wpa_supplicant[1]: wlan0: State: A -> B", 2012)
    assert p.ts_ns == 1351591200 * 10**9 and p.iface == "wlan0" and p.text == "State: A -> B"
    assert split_prefix("2012-10-30T11:00:00+0100 h hostapd[9]: x").ts_ns == 1351591200 * 10**9


def test_current_wording_enoent_then_single_channel_scan_and_driver_retry() -> None:
    """Newer supplicants answer ENOENT with a single-channel scan and authenticate again."""
    log = parse_log(CURRENT.splitlines())
    failed, retry = log.attempts
    assert failed.outcome == "driver_failed" and failed.recovery == "single_channel_scan"
    assert failed.error is not None and failed.error.command == "auth"
    assert failed.error.count == 1 and failed.error.errno == "ENOENT"
    assert retry.kind == "driver_retry" and retry.retry_of == failed.index
    assert retry.outcome == "connected" and retry.pmkid == failed.pmkid
    assert retry.sta == STA and failed.sta == STA
    kinds = [d.kind for d in retry.decisions]
    assert kinds[:2] == ["cache_search", "entry_found"] and "matched_pmkid" in kinds
    assert failed.decisions[1].bssid == AP1
    assert [s.new for s in retry.states] == ["ASSOCIATING"]
    assert any(e.name == "CTRL-EVENT-CONNECTED" and e.bssid == AP1 for e in log.events)


def test_hostapd_pmksa_decisions_with_station_and_bssid() -> None:
    """hostapd: the STA PMKID, OKC match, cache hit and the EAP skip, per station."""
    log = parse_log(HOSTAPD.splitlines(), "hostapd.log")
    assert log.daemon == "hostapd" and log.ap_addrs == {"wlan0": AP1}
    kinds = [d.kind for d in log.decisions]
    assert kinds == ["sta_pmkid", "ap_okc_match", "ap_hit", "ap_skip_eap"]
    assert all(d.side == "ap" and d.sta == STA and d.bssid == AP1 for d in log.decisions)
    assert log.decisions[0].pmkid == "2d26de1e2c20af5a02481a72de4f2e47"
    assert log.attempts == ()
    assert [e.text.split(" ")[0] for e in log.events] == ["authentication", "associated",
                                                           "pairwise"]


def test_pmksa_cache_added_event_is_kept() -> None:
    log = parse_log(["wlan0: PMKSA-CACHE-ADDED 00:1f:f3:c0:89:0f 0",
                     "RSN: Added PMKSA cache entry for 00:1f:f3:c0:89:0f network_ctx=0x1"])
    assert [e.name for e in log.events] == ["PMKSA-CACHE-ADDED"]
    assert log.events[0].bssid == AP1 and log.decisions[0].kind == "added"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=40))
def test_garbage_lines_never_raise(lines: list[str]) -> None:
    """Random text lines parse to something, never an exception."""
    parse_log(lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(CURRENT.splitlines() + HOSTAPD.splitlines()
                                + ["  * bssid=zz", "  * freq=99999999999", "State:  -> ",
                                   "WPA: Set own WPA IE default - hexdump(len=4): 30 02 01"]),
                max_size=60))
def test_shuffled_real_lines_never_raise(lines: list[str]) -> None:
    """Real lines in any order (truncated blocks, stray fields) never raise."""
    parse_log(lines)
