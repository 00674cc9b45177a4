"""What the AP and the station are configured to do about PMKSA caching (DOMAIN §7).

Defaults are hostapd's and wpa_supplicant's: caching on, OKC off, lifetime 43200 s. Files
override them in layers: every AP / every station, then per SSID, then per BSSID / station MAC;
a later layer (or a later `--expect` file) wins, setting by setting. Three file formats:
TOML (see docs/pmksa.md), hostapd.conf and wpa_supplicant.conf (`analyzer.config.daemons`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from analyzer.errors import ConfigError

DEFAULT_LIFETIME_S = 43200.0  # hostapd dot11RSNAConfigPMKLifetime / wpa_supplicant default
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# Method names of the roam engine (analyzer.roam.records.METHODS), for max_roam_ms tables.
METHOD_NAMES = frozenset({
    "full_8021x", "pmksa_cache", "okc", "ft_over_air", "ft_over_ds", "sae", "sae_pmksa_cache",
    "psk", "owe", "fils", "open", "unknown", "default",
})


@dataclass(frozen=True, slots=True)
class ApExpect:
    """An AP's (authenticator's) PMKSA settings; hostapd defaults."""

    pmksa_caching: bool = True  # disable_pmksa_caching=0
    okc: bool = False  # okc=0
    lifetime_s: float = DEFAULT_LIFETIME_S  # RADIUS Session-Timeout, else 43200
    preauth: bool = False  # rsn_preauth=0
    ft: bool | None = None  # None: as the capture shows
    ft_over_ds: bool = True
    mobility_domain: int | None = None  # as the MDE reads it (little-endian u16)
    akms: tuple[str, ...] = ()  # wpa_key_mgmt names
    eap_reauth_period_s: float = 3600.0
    max_roam_ms: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StaExpect:
    """A station's (supplicant's) PMKSA settings; wpa_supplicant defaults."""

    pmksa_caching: bool = True
    okc: bool = False  # okc=0 / proactive_key_caching=0
    lifetime_s: float = DEFAULT_LIFETIME_S  # dot11RSNAConfigPMKLifetime
    ft: bool | None = None
    ft_eap_pmksa_caching: bool = False
    akms: tuple[str, ...] = ()  # key_mgmt names
    max_roam_ms: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Layer:
    """Settings for one scope: `all`, `ssid` or `addr` (a BSSID or station MAC)."""

    scope: str
    key: str | None
    settings: Mapping[str, Any]
    source: str


_RANK = {"all": 0, "ssid": 1, "addr": 2}
T = TypeVar("T", ApExpect, StaExpect)


@dataclass(frozen=True, slots=True)
class Expectations:
    """Per-AP and per-station settings resolved from defaults and layers."""

    ap_layers: tuple[Layer, ...] = ()
    sta_layers: tuple[Layer, ...] = ()
    sources: tuple[str, ...] = ()

    def ap(self, bssid: str | None, ssid: str | None = None) -> ApExpect:
        return _resolve(ApExpect(), self.ap_layers, bssid, ssid)

    def sta(self, mac: str | None, ssid: str | None = None) -> StaExpect:
        return _resolve(StaExpect(), self.sta_layers, mac, ssid)

    def ap_states(self, name: str, bssid: str | None, ssid: str | None = None) -> bool:
        """Whether a file sets `name` for this AP (rather than leaving hostapd's default)."""
        return any(name in ly.settings for ly in self.ap_layers if _applies(ly, bssid, ssid))

    def then(self, other: Expectations) -> Expectations:
        """These expectations overridden by `other`."""
        return Expectations(self.ap_layers + other.ap_layers, self.sta_layers + other.sta_layers,
                            self.sources + other.sources)


def _resolve(
    base: T, layers: Sequence[Layer], addr: str | None, ssid: str | None
) -> T:
    chosen = [ly for ly in layers if _applies(ly, addr, ssid)]
    chosen.sort(key=lambda ly: _RANK[ly.scope])  # stable: file order within a rank
    out = base
    for ly in chosen:
        out = _apply(out, ly.settings)
    return out


def _applies(layer: Layer, addr: str | None, ssid: str | None) -> bool:
    if layer.scope == "all":
        return True
    if layer.scope == "ssid":
        return ssid is not None and layer.key == ssid
    return addr is not None and layer.key == addr.lower()


def _apply(base: T, settings: Mapping[str, Any]) -> T:
    values = dict(settings)
    if "max_roam_ms" in values:
        values["max_roam_ms"] = {**base.max_roam_ms, **values["max_roam_ms"]}
    return replace(base, **values)


# --- values ----------------------------------------------------------------------------------

AP_FIELDS = frozenset(f.name for f in fields(ApExpect))
STA_FIELDS = frozenset(f.name for f in fields(StaExpect))
_BOOL = frozenset({"pmksa_caching", "okc", "preauth", "ft", "ft_over_ds", "ft_eap_pmksa_caching"})
_SECONDS = frozenset({"lifetime_s", "eap_reauth_period_s"})


def check_value(name: str, value: Any, where: str) -> Any:
    """The value in its canonical type, or ConfigError naming `where`."""
    if name in _BOOL:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {name} must be true or false, not {value!r}")
        return value
    if name in _SECONDS:
        return _positive(value, f"{where}: {name}")
    if name == "max_roam_ms":
        return _thresholds(value, where)
    if name == "akms":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: akms must be a list of names")
        return tuple(value)
    if name == "mobility_domain":
        if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
            raise ConfigError(f"{where}: mobility_domain must be an integer 0..65535")
        return value
    raise ConfigError(f"{where}: unknown setting {name!r}")


def _positive(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{what} must be a positive number, not {value!r}")
    return float(value)


def _thresholds(value: Any, where: str) -> dict[str, float]:
    if not isinstance(value, dict):
        return {"default": _positive(value, f"{where}: max_roam_ms")}
    out = {}
    for method, ms in value.items():
        if method not in METHOD_NAMES:
            raise ConfigError(f"{where}: max_roam_ms: unknown method {method!r} "
                              f"(one of {', '.join(sorted(METHOD_NAMES))})")
        out[method] = _positive(ms, f"{where}: max_roam_ms.{method}")
    return out


def settings_of(table: Any, allowed: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(one of {', '.join(sorted(allowed))})")
    return {k: check_value(k, v, where) for k, v in table.items()}


def scope_of(key: str) -> tuple[str, str]:
    """A MAC address names one BSSID or station; anything else is an SSID."""
    low = key.strip().lower().replace("-", ":")
    return ("addr", low) if MAC_RE.match(low) else ("ssid", key)


# --- TOML ------------------------------------------------------------------------------------

_TOP = frozenset({"defaults", "ap", "sta"})


def parse_toml(text: str, source: str = "<toml>") -> Expectations:
    """The TOML expectations format (docs/pmksa.md)."""
    import tomllib  # here: a run without an expectations file never parses TOML

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise ConfigError(f"{source}: unknown table [{unknown[0]}] (use [defaults.ap], "
                          "[defaults.sta], [ap.\"SSID or BSSID\"], [sta.\"MAC or SSID\"])")
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - {"ap", "sta"}:
        raise ConfigError(f"{source}: [defaults] holds only [defaults.ap] and [defaults.sta]")
    aps = _layers(defaults.get("ap"), doc.get("ap", {}), AP_FIELDS, source, "ap")
    stas = _layers(defaults.get("sta"), doc.get("sta", {}), STA_FIELDS, source, "sta")
    return Expectations(tuple(aps), tuple(stas), (source,))


def _layers(
    default: Any, scoped: Any, allowed: frozenset[str], source: str, name: str
) -> list[Layer]:
    out = []
    if default is not None:
        where = f"{source}: [defaults.{name}]"
        out.append(Layer("all", None, settings_of(default, allowed, where), source))
    if not isinstance(scoped, dict):
        raise ConfigError(f"{source}: [{name}] must hold tables named by SSID or address")
    for key, table in scoped.items():
        scope, norm = scope_of(key)
        where = f"{source}: [{name}.\"{key}\"]"
        out.append(Layer(scope, norm, settings_of(table, allowed, where), source))
    return out


# --- files -----------------------------------------------------------------------------------


def load_expectations(paths: Iterable[str]) -> Expectations:
    """Read every file in order (later ones override earlier ones); no file: the defaults."""
    from analyzer.config.daemons import parse_hostapd, parse_wpa_supplicant

    out = Expectations()
    for path in paths:
        text = _read(path)
        if path.endswith(".toml"):
            parsed = parse_toml(text, path)
        elif _is_supplicant(path, text):
            parsed = parse_wpa_supplicant(text, path)
        else:
            parsed = parse_hostapd(text, path)
        out = out.then(parsed)
    return out


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"expectations file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read expectations file {path}: {exc}") from None


def _is_supplicant(path: str, text: str) -> bool:
    return "supplicant" in Path(path).name or re.search(r"^\s*network\s*=\s*\{", text, re.M) \
        is not None
