"""Expectations: hostapd/wpa_supplicant defaults, TOML layers, daemon configs, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import load_expectations, parse_hostapd, parse_toml, parse_wpa_supplicant
from analyzer.config.expectations import METHOD_NAMES, Expectations
from analyzer.errors import ConfigError
from analyzer.roam.records import METHODS

BSSID, STA = "00:11:22:33:44:01", "02:00:00:00:00:01"


def test_defaults_are_hostapd_and_wpa_supplicant_defaults() -> None:
    exp = Expectations()
    ap, sta = exp.ap(BSSID, "corp"), exp.sta(STA, "corp")
    assert (ap.pmksa_caching, ap.okc, ap.lifetime_s, ap.preauth) == (True, False, 43200.0, False)
    assert (sta.pmksa_caching, sta.okc, sta.lifetime_s) == (True, False, 43200.0)
    assert sta.ft_eap_pmksa_caching is False


def test_toml_layers_apply_from_every_ap_to_ssid_to_bssid() -> None:
    exp = parse_toml(f"""
[defaults.ap]
lifetime_s = 3600
max_roam_ms = {{ default = 200, full_8021x = 500 }}
[ap."corp"]
okc = true
[ap."{BSSID.upper()}"]
pmksa_caching = false
max_roam_ms = {{ pmksa_cache = 50 }}
[sta."{STA}"]
okc = true
""")
    ap = exp.ap(BSSID, "corp")
    assert (ap.pmksa_caching, ap.okc, ap.lifetime_s) == (False, True, 3600.0)
    assert ap.max_roam_ms == {"default": 200.0, "full_8021x": 500.0, "pmksa_cache": 50.0}
    other = exp.ap("00:11:22:33:44:02", "guest")
    assert (other.pmksa_caching, other.okc) == (True, False)
    assert exp.sta(STA).okc and not exp.sta("02:00:00:00:00:02").okc


def test_later_expectation_files_override_earlier_ones(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("[defaults.ap]\nokc = true\nlifetime_s = 60\n")
    b.write_text("[defaults.ap]\nokc = false\n")
    ap = load_expectations([str(a), str(b)]).ap(BSSID)
    assert (ap.okc, ap.lifetime_s) == (False, 60.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[defaults.ap]\nokc = 1\n", "okc must be true or false"),
        ("[defaults.ap]\nlifetime = 5\n", "unknown setting 'lifetime'"),
        ("[defaults.sta]\nmax_roam_ms = { fast = 3 }\n", "unknown method 'fast'"),
        ("[stations]\n", "unknown table [stations]"),
        ("[defaults.ap\n", "not valid TOML"),
        ('[ap."x"]\nlifetime_s = -1\n', "positive number"),
    ],
)
def test_bad_toml_is_a_one_line_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_toml(text, "e.toml")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("e.toml")


def test_max_roam_ms_method_names_are_the_roam_engine_methods() -> None:
    assert set(METHODS) | {"default"} == METHOD_NAMES


def test_hostapd_conf_maps_its_settings_per_bss() -> None:
    exp = parse_hostapd(f"""
# first BSS
interface=wlan0
ssid=corp
bssid={BSSID}
disable_pmksa_caching=1
okc=1
rsn_preauth=1
wpa_key_mgmt=WPA-EAP FT-EAP
mobility_domain=a1b2
ft_over_ds=0
eap_reauth_period=7200
bss=wlan0_1
ssid=guest
okc=0
""")
    ap = exp.ap(BSSID, "corp")
    assert (ap.pmksa_caching, ap.okc, ap.preauth, ap.ft, ap.ft_over_ds) == (
        False, True, True, True, False)
    assert ap.akms == ("WPA-EAP", "FT-EAP") and ap.mobility_domain == 0xB2A1
    assert ap.eap_reauth_period_s == 7200.0
    assert exp.ap("00:11:22:33:44:09", "guest").okc is False
    assert exp.ap("00:11:22:33:44:09", "other").pmksa_caching is True


def test_wpa_supplicant_conf_sets_every_station_and_per_network() -> None:
    exp = parse_wpa_supplicant("""
ctrl_interface=/run/wpa_supplicant
okc=1
dot11RSNAConfigPMKLifetime=600
network={
    ssid="corp"
    key_mgmt=WPA-EAP FT-EAP
    proactive_key_caching=0
    ft_eap_pmksa_caching=1
}
""")
    corp, other = exp.sta(STA, "corp"), exp.sta(STA, "home")
    assert (corp.okc, corp.ft, corp.ft_eap_pmksa_caching, corp.lifetime_s) == (
        False, True, True, 600.0)
    assert (other.okc, other.lifetime_s) == (True, 600.0)


def test_file_kind_is_told_by_suffix_and_content(tmp_path: Path) -> None:
    sup = tmp_path / "client.conf"
    sup.write_text('network={\n ssid="corp"\n proactive_key_caching=1\n}\n')
    hap = tmp_path / "ap.conf"
    hap.write_text("ssid=corp\nokc=1\n")
    exp = load_expectations([str(sup), str(hap)])
    assert exp.sta(STA, "corp").okc and exp.ap(BSSID, "corp").okc


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("okc=yes\n", ":1: okc: expected 0 or 1"),
        ("mobility_domain=zz\n", "mobility_domain must be 4 hex digits"),
        ("just words\n", "line 1: expected key=value"),
        ("bssid=corp\n", "not a MAC address"),
    ],
)
def test_bad_hostapd_conf_is_a_one_line_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_hostapd(text, "h.conf")


def test_missing_expectations_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expectations file not found"):
        load_expectations([str(tmp_path / "nope.toml")])
