"""Keys given the way Wireshark takes them: `wpa-pwd:PASSPHRASE[:SSID]`, `wpa-psk:HEX`,
`pmk:HEX`, `msk:HEX`; one per `--key`, or one per line of a `--keys FILE`.

A `KeyRing` never shows its contents: not in repr, not in error messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from analyzer.errors import ConfigError

KINDS = ("wpa-pwd", "wpa-psk", "pmk", "msk")
_PMK_LENGTHS = (32, 48, 64)


@dataclass(frozen=True, slots=True, repr=False)
class KeyRing:
    """Secrets to verify PMKIDs and MICs with; `passphrases` pairs a passphrase and its SSID
    (None: the SSID of the network the frames belong to)."""

    passphrases: tuple[tuple[bytes, bytes | None], ...] = ()
    psks: tuple[bytes, ...] = ()  # wpa-psk: the 256-bit PSK (Wireshark also uses it for PMKs)
    pmks: tuple[bytes, ...] = ()
    msks: tuple[bytes, ...] = ()

    def __repr__(self) -> str:
        return f"KeyRing({len(self)} keys)"

    def __len__(self) -> int:
        return len(self.passphrases) + len(self.psks) + len(self.pmks) + len(self.msks)

    def __bool__(self) -> bool:
        return len(self) > 0

    def plus(self, other: KeyRing) -> KeyRing:
        return KeyRing(
            self.passphrases + other.passphrases, self.psks + other.psks,
            self.pmks + other.pmks, self.msks + other.msks,
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
            return KeyRing(psks=(_hex(value, where, kind, (32,)),))
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
    """One key per line; `#` comments; Wireshark's 80211_keys `"type","value"` lines too."""
    ring = KeyRing()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        ring = ring.plus(parse_key(_unwireshark(line), f"{source}:{n}"))
    return ring


def _unwireshark(line: str) -> str:
    if not line.startswith('"'):
        return line
    parts = [p.strip().strip('"') for p in line.split('","', 1)]
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
