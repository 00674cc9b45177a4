"""hostapd.conf and wpa_supplicant.conf read as PMKSA expectations (DOMAIN §7).

Only the settings that bear on caching, FT and pre-authentication are read; every other line
is ignored, so a real configuration file can be passed as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from analyzer.config.expectations import Expectations, Layer, scope_of
from analyzer.errors import ConfigError


@dataclass(slots=True)
class _Section:
    """One BSS of hostapd.conf (`interface=`/`bss=`), or one wpa_supplicant network block."""

    line: int
    settings: dict[str, Any] = field(default_factory=dict)
    bssid: str | None = None
    ssid: str | None = None

    def layer(self, source: str) -> Layer | None:
        if not self.settings:
            return None
        if self.bssid is not None:
            return Layer("addr", self.bssid, self.settings, source)
        if self.ssid is not None:
            return Layer("ssid", self.ssid, self.settings, source)
        return Layer("all", None, self.settings, source)


def _lines(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, key, value) of every `key=value` line; comments and blanks skipped."""
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep:
            yield n, key.strip(), value.strip()
        elif line != "}":
            raise ConfigError(f"line {n}: expected key=value, got {line[:40]!r}")


def _flag(value: str, where: str) -> bool:
    if value not in ("0", "1"):
        raise ConfigError(f"{where}: expected 0 or 1, got {value!r}")
    return value == "1"


def _number(value: str, where: str) -> float:
    try:
        out = float(int(value, 0))
    except ValueError:
        raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if out <= 0:
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")
    return out


def _ssid(value: str, where: str) -> str:
    """`"text"`, `P"printf-escaped"` or hex, as both daemons accept it."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    if value.startswith('P"') and value.endswith('"'):
        return value[2:-1].encode().decode("unicode_escape")
    try:
        return bytes.fromhex(value).decode("utf-8", "backslashreplace")
    except ValueError:
        raise ConfigError(f"{where}: cannot read SSID {value!r}") from None


def _mdid(value: str, where: str) -> int:
    """hostapd's mobility_domain is the two MDID octets in hex; the MDE reads them LE."""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 2:
        raise ConfigError(f"{where}: mobility_domain must be 4 hex digits, got {value!r}")
    return int.from_bytes(raw, "little")


def _akms(value: str) -> tuple[str, ...]:
    return tuple(value.replace('"', "").split())


# --- hostapd ---------------------------------------------------------------------------------


def parse_hostapd(text: str, source: str = "hostapd.conf") -> Expectations:
    """One layer per BSS: keyed by `bssid=` when given, else by `ssid=`, else every AP."""
    sections = [_Section(0)]
    try:
        for n, key, value in _lines(text):
            where = f"{source}:{n}: {key}"
            if key == "bss":
                sections.append(_Section(n))
            else:
                _hostapd_setting(sections[-1], key, value, where)
    except ConfigError as exc:
        raise _located(exc, source) from None
    layers = tuple(ly for s in sections if (ly := s.layer(source)) is not None)
    return Expectations(ap_layers=layers, sources=(source,))


def _hostapd_setting(sec: _Section, key: str, value: str, where: str) -> None:
    st = sec.settings
    match key:
        case "bssid":
            scope, addr = scope_of(value)
            if scope != "addr":
                raise ConfigError(f"{where}: not a MAC address: {value!r}")
            sec.bssid = addr
        case "ssid":
            sec.ssid = value  # hostapd: the SSID as it is, no quotes
        case "ssid2":
            sec.ssid = _ssid(value, where)
        case "disable_pmksa_caching":
            st["pmksa_caching"] = not _flag(value, where)
        case "okc":
            st["okc"] = _flag(value, where)
        case "rsn_preauth":
            st["preauth"] = _flag(value, where)
        case "wpa_key_mgmt":
            st["akms"] = _akms(value)
            st.setdefault("ft", any(a.startswith("FT-") for a in st["akms"]))
        case "ieee80211r":
            st["ft"] = _flag(value, where)
        case "mobility_domain":
            st["mobility_domain"] = _mdid(value, where)
        case "ft_over_ds":
            st["ft_over_ds"] = _flag(value, where)
        case "eap_reauth_period":
            st["eap_reauth_period_s"] = _number(value, where)


def _located(exc: ConfigError, source: str) -> ConfigError:
    msg = str(exc)
    return ConfigError(msg if msg.startswith(source) else f"{source}: {msg}")


# --- wpa_supplicant --------------------------------------------------------------------------


def parse_wpa_supplicant(text: str, source: str = "wpa_supplicant.conf") -> Expectations:
    """Global settings for every station; a `network={}` block for stations on its SSID.

    The file does not name the station, so its settings apply to every station (per SSID for
    network blocks); a TOML `[sta."MAC"]` table can narrow them."""
    glob = _Section(0)
    nets: list[_Section] = []
    current: _Section | None = None
    try:
        for n, key, value in _network_lines(text):
            where = f"{source}:{n}: {key}"
            if key == "network" and value == "{":
                current = _Section(n)
                nets.append(current)
            elif key == "}":
                current = None
            else:
                _supplicant_setting(current or glob, key, value, where, current is None)
    except ConfigError as exc:
        raise _located(exc, source) from None
    layers = [ly for s in [glob, *nets] if (ly := s.layer(source)) is not None]
    return Expectations(sta_layers=tuple(layers), sources=(source,))


def _network_lines(text: str) -> Iterator[tuple[int, str, str]]:
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line == "}":
            yield n, "}", ""
        elif line.replace(" ", "") == "network={":
            yield n, "network", "{"
        else:
            yield from ((n, k, v) for _, k, v in _lines(line))


def _supplicant_setting(sec: _Section, key: str, value: str, where: str, glob: bool) -> None:
    st = sec.settings
    match key:
        case "ssid" if not glob:
            sec.ssid = _ssid(value, where)
        case "bssid" if not glob:
            pass  # a network pinned to one AP: still the station's settings
        case "okc" if glob:
            st["okc"] = _flag(value, where)
        case "proactive_key_caching":
            st["okc"] = _flag(value, where)
        case "dot11RSNAConfigPMKLifetime":
            st["lifetime_s"] = _number(value, where)
        case "key_mgmt":
            st["akms"] = _akms(value)
            st["ft"] = any(a.startswith("FT-") for a in st["akms"])
        case "ft_eap_pmksa_caching":
            st["ft_eap_pmksa_caching"] = _flag(value, where)
