"""Making attacker-controlled bytes (SSIDs, EAP identities) safe to print."""

from __future__ import annotations


def printable(raw: bytes | None) -> str | None:
    """Decode as UTF-8 where valid; every control or undecodable byte becomes a \\xNN escape."""
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="backslashreplace")
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or ch in "\u2028\u2029\u200e\u200f":
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def seconds(ts_ns: int | None) -> float | None:
    return None if ts_ns is None else ts_ns / 1e9


def clean(text: str | None) -> str | None:
    """Escape control characters in text that came off the air (already decoded)."""
    return None if text is None else "".join(_escape(ch) for ch in text)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in strings (numbers are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
