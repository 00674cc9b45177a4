"""Making attacker-controlled bytes (SSIDs, EAP identities) safe to print."""

from __future__ import annotations

import re

# C0/C1 controls and DEL (terminal escapes: CSI, OSC, BEL ...), line/paragraph separators, and
# the bidirectional marks, embeddings, overrides and isolates that reorder how text displays
# (Unicode TR9; CVE-2021-42574 "Trojan Source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(raw: bytes | None) -> str | None:
    """Decode as UTF-8 where valid; every control or undecodable byte becomes a \\xNN escape."""
    if raw is None:
        return None
    return clean(raw.decode("utf-8", errors="backslashreplace"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def seconds(ts_ns: int | None) -> float | None:
    return None if ts_ns is None else ts_ns / 1e9


def clean(text: str | None) -> str | None:
    """Escape control and bidi-control characters in text that came off the air."""
    if text is None or not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# a separator a spreadsheet may split on (`,`, `;` in many locales, tab), then a formula start
_AFTER_SEPARATOR = re.compile(r"([,;\t])( *)(?=[=+\-@\t\r])")


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formulas and terminal escapes in strings (numbers are left alone).

    A CSV goes to spreadsheets (OWASP "CSV injection": a leading = + - @ starts a formula)
    and, with `--format csv`, straight to the terminal. A spreadsheet that splits on `;` or
    tab (or `,` in a cell it does not read as quoted) starts a new cell after each one, so a
    formula start after any of them is neutralised too.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    value = _AFTER_SEPARATOR.sub(r"\1\2'", value)
    return clean(value)
