"""Line prefixes: what a logger put before wpa_supplicant's or hostapd's own text.

Recognised, outermost first (each optional):
  syslog            `Oct 30 10:00:00 host wpa_supplicant[123]: ` (also `.123456` fractions)
  journalctl        `-o short` (as syslog), `short-iso[-precise]`, `short-unix`, `short-monotonic`
  Android logcat    `D/wpa_supplicant( 2029): `
  `-t` timestamp    `1351591234.123456: ` (wpa_supplicant/hostapd `-t`)
  interface         `wlan0: ` (current wpa_msg wording; hostapd's `wlan0: STA ...`)

Syslog times have no year and no zone: they are read as UTC in `year`, and whatever that
gets wrong is a constant the capture alignment estimates away (reported as the offset).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import NamedTuple

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_TAG = r"(?P<tag>[\w.@/-]+?)(?:\[\d+\])?: "
_SYSLOG = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d)(?P<frac>\.\d{1,9})? "
    r"\S+ " + _TAG
)
_ISO = re.compile(
    r"(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?)(?P<tz>Z|[+-]\d\d:?\d\d)? \S+ "
    + _TAG
)
_UNIX = re.compile(r"(?P<unix>\d{9,11}\.\d{1,9}) \S+ " + _TAG)
_MONOTONIC = re.compile(r"\[ *(?P<mono>\d+\.\d+)\] \S+ " + _TAG)
_LOGCAT = re.compile(r"[VDIWEF]/(?P<tag>[\w.-]+) *\( *\d+\): ")
_DASH_T = re.compile(r"(?P<sec>\d{9,11})\.(?P<usec>\d{1,9}): ")
_RELATIVE_T = re.compile(r"(?P<sec>\d{1,8})\.(?P<usec>\d{6}): ")
# An interface name: has a digit, and is not a module prefix such as `nl80211:`.
_IFACE = re.compile(r"(?!nl80211:|wpa_driver|wext)(?P<iface>[a-z][\w.-]*\d[\w.-]*): ")


class Prefix(NamedTuple):
    """A line split: its time (None if none), the program tag, the interface and the text."""

    ts_ns: int | None
    tag: str | None
    iface: str | None
    text: str


def _fraction_ns(frac: str | None) -> int:
    digits = (frac or "").lstrip(".")
    return int((digits + "000000000")[:9]) if digits else 0


def _syslog_ns(m: re.Match[str], year: int) -> int | None:
    try:
        when = datetime(year, _MONTHS[m["mon"]], int(m["day"]), tzinfo=UTC)
    except (KeyError, ValueError):
        return None
    h, mi, s = (int(x) for x in m["hms"].split(":"))
    if h > 23 or mi > 59 or s > 60:
        return None
    return (int(when.timestamp()) + h * 3600 + mi * 60 + s) * 10**9 + _fraction_ns(m["frac"])


def _iso_ns(m: re.Match[str]) -> int | None:
    text = m["iso"].replace(" ", "T")
    whole, _, frac = text.partition(".")
    tz = m["tz"] or "+00:00"
    tz = "+00:00" if tz == "Z" else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
    try:
        when = datetime.fromisoformat(whole + tz)
    except ValueError:
        return None
    return int(when.timestamp()) * 10**9 + _fraction_ns(frac)


def _outer(line: str, year: int) -> tuple[int | None, str | None, str]:
    """Strip one logger prefix: (time, tag, rest)."""
    if m := _SYSLOG.match(line):
        return _syslog_ns(m, year), m["tag"], line[m.end():]
    if m := _ISO.match(line):
        return _iso_ns(m), m["tag"], line[m.end():]
    if m := _UNIX.match(line):
        sec, _, frac = m["unix"].partition(".")
        return int(sec) * 10**9 + _fraction_ns(frac), m["tag"], line[m.end():]
    if m := _MONOTONIC.match(line):
        sec, _, frac = m["mono"].partition(".")
        return int(sec) * 10**9 + _fraction_ns(frac), m["tag"], line[m.end():]
    if m := _LOGCAT.match(line):
        return None, m["tag"], line[m.end():]
    return None, None, line


def split_prefix(line: str, year: int = 1970) -> Prefix:
    """Split one raw log line. Never raises; a line with no known prefix is all text."""
    line = line.rstrip("\r\n")
    ts, tag, rest = _outer(line, year)
    if m := _DASH_T.match(rest):
        ts = int(m["sec"]) * 10**9 + _fraction_ns("." + m["usec"])
        rest = rest[m.end():]
    elif ts is None and (m := _RELATIVE_T.match(rest)):
        ts = int(m["sec"]) * 10**9 + _fraction_ns("." + m["usec"])  # -t on a clock near 0
        rest = rest[m.end():]
    iface = None
    if m := _IFACE.match(rest):
        iface, rest = m["iface"], rest[m.end():]
    return Prefix(ts, tag, iface, rest)


def daemon_of(tag: str | None) -> str | None:
    """The daemon a syslog/journal tag names, if it is one of ours."""
    if not tag:
        return None
    name = tag.rsplit("/", 1)[-1].lower()
    if name.startswith("wpa_supplicant") or name.startswith("wpa_s"):
        return "wpa_supplicant"
    if name.startswith("hostapd"):
        return "hostapd"
    return None
