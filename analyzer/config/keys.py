"""Keys given the way Wireshark takes them: `wpa-pwd:PASSPHRASE[:SSID]`, `wpa-psk:HEX`,
`pmk:HEX`, `msk:HEX`; one per `--key`, or one per line of a `--keys FILE`, which may also be
Wireshark's own key list (`80211_keys`: `"wpa-pwd","Induction"`, `"wpa-psk","HEX"`, ...).

`wpa-psk` is, as in Wireshark, a PMK: 64 hex digits, or 96 for the SHA-384 AKMs (Suite-B-192,
FT-802.1X-SHA384, 802.1X-SHA384) and the 384-bit groups of SAE-EXT-KEY/OWE. A key list's WEP
and TK entries verify nothing here: they are skipped with a note.

A `KeyRing` never shows its contents: not in repr, not in error messages, not in its notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from analyzer.errors import ConfigError

KINDS = ("wpa-pwd", "wpa-psk", "pmk", "msk")
_PMK_LENGTHS = (32, 48, 64)
_PSK_LENGTHS = (32, 48)  # Wireshark's wpa-psk: a 256- or 384-bit PMK
# Kinds Wireshark's key list takes that verify nothing here (no handshake MIC or PMKID).
_SKIPPED_KINDS = {"wep": "WEP key", "tk": "temporal key (TK)"}


@dataclass(frozen=True, slots=True, repr=False)
class KeyRing:
    """Secrets to verify PMKIDs and MICs with; `passphrases` pairs a passphrase and its SSID
    (None: the SSID of the network the frames belong to)."""

    passphrases: tuple[tuple[bytes, bytes | None], ...] = ()
    psks: tuple[bytes, ...] = ()  # wpa-psk: the 256-bit PSK (Wireshark also uses it for PMKs)
    pmks: tuple[bytes, ...] = ()
    msks: tuple[bytes, ...] = ()
    notes: tuple[str, ...] = ()  # entries of a key file that were skipped, and why (no secrets)

    def __repr__(self) -> str:
        return f"KeyRing({len(self)} keys)"

    def __len__(self) -> int:
        return len(self.passphrases) + len(self.psks) + len(self.pmks) + len(self.msks)

    def __bool__(self) -> bool:
        return len(self) > 0

    def plus(self, other: KeyRing) -> KeyRing:
        return KeyRing(
            self.passphrases + other.passphrases, self.psks + other.psks,
            self.pmks + other.pmks, self.msks + other.msks, self.notes + other.notes,
        )


def parse_key(spec: str, where: str = "--key") -> KeyRing:
    """One key in Wireshark's syntax; `%xx` escapes a `:` or `%` in a passphrase or SSID."""
    kind, sep, value = spec.strip().partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS:
        raise ConfigError(f"{where}: expected TYPE:VALUE with TYPE one of {', '.join(KINDS)}")
    match kind:
        case "wpa-pwd":
            return KeyRing(passphrases=(_passphrase(value, where),))
        case "wpa-psk":
            return KeyRing(psks=(_hex(value, where, kind, _PSK_LENGTHS),))
        case "pmk":
            return KeyRing(pmks=(_hex(value, where, kind, _PMK_LENGTHS),))
    return KeyRing(msks=(_hex(value, where, kind, tuple(range(32, 129))),))


def _passphrase(value: str, where: str) -> tuple[bytes, bytes | None]:
    pw_text, sep, ssid_text = value.partition(":")
    pw = unquote_to_bytes(pw_text)
    if not 8 <= len(pw) <= 63:
        raise ConfigError(f"{where}: a WPA passphrase has 8 to 63 characters "
                          f"(this one has {len(pw)})")
    if not sep:
        return pw, None
    ssid = unquote_to_bytes(ssid_text)
    if not 1 <= len(ssid) <= 32:
        raise ConfigError(f"{where}: an SSID has 1 to 32 bytes (this one has {len(ssid)})")
    return pw, ssid


def _hex(value: str, where: str, kind: str, lengths: tuple[int, ...]) -> bytes:
    text = value.strip().replace(":", "").replace(" ", "")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(f"{where}: {kind} must be hexadecimal") from None
    if len(raw) not in lengths:
        want = " or ".join(str(n * 2) for n in lengths) if len(lengths) < 4 else (
            f"{lengths[0] * 2} to {lengths[-1] * 2}")
        raise ConfigError(f"{where}: {kind} needs {want} hex digits (got {len(text)})")
    return raw


def parse_keys_text(text: str, source: str) -> KeyRing:
    """One key per line; `#` comments; Wireshark's 80211_keys `"type","value"` lines too
    (its WEP and TK entries are skipped with a note)."""
    ring = KeyRing()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        spec = _unwireshark(line)
        kind = spec.partition(":")[0].strip().lower()
        if kind in _SKIPPED_KINDS:
            note = f"{source}:{n}: {_SKIPPED_KINDS[kind]} skipped: it verifies no handshake"
            ring = ring.plus(KeyRing(notes=(note,)))
            continue
        ring = ring.plus(parse_key(spec, f"{source}:{n}"))
    return ring


def _unwireshark(line: str) -> str:
    """`"type","value"` (Wireshark's uat file: quoted fields, `\\xNN` or `%xx` escapes kept
    as they are) to `type:value`."""
    if not line.startswith('"'):
        return line
    parts = [p.strip().strip('"') for p in line.split(",", 1)]
    return ":".join(parts) if len(parts) == 2 else line


def load_keys(specs: Iterable[str] = (), files: Iterable[str] = ()) -> KeyRing:
    """Every `--key` and every key of every `--keys FILE`."""
    ring = KeyRing()
    for spec in specs:
        ring = ring.plus(parse_key(spec))
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"keys file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read keys file {path}: {type(exc).__name__}") from None
        ring = ring.plus(parse_keys_text(text, path))
    return ring
