"""User input besides captures: what each side is expected to do (`Expectations`, from TOML,
hostapd.conf or wpa_supplicant.conf) and the keys to verify PMKIDs and MICs with (`KeyRing`).

Like `capture/`, this package is input: it imports nothing from `dot11/` or `roam/`.
"""

from analyzer.config.daemons import parse_hostapd, parse_wpa_supplicant
from analyzer.config.expectations import (
    ApExpect,
    Expectations,
    StaExpect,
    load_expectations,
    parse_toml,
)
from analyzer.config.keys import KeyRing, load_keys, parse_key

__all__ = [
    "ApExpect",
    "Expectations",
    "KeyRing",
    "StaExpect",
    "load_expectations",
    "load_keys",
    "parse_hostapd",
    "parse_key",
    "parse_toml",
    "parse_wpa_supplicant",
]
