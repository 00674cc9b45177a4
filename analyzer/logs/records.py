"""What the log parsers produce: attempts, PMKSA decisions, state changes and events.

Times are integer nanoseconds (`ts_ns`), None when the log line carries no time (a plain
`wpa_supplicant -d` log without `-t`). `line` is the 1-based line number in its log file.
MAC addresses are lower-case. The `to_dict()` shapes are the `logs --format json` contract
(docs/logs.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analyzer.dot11.consts import akm_name, cipher_name
from analyzer.dot11.records import Rsne

# Attempt outcomes, in the order a successful attempt goes through them.
OUTCOMES = (
    "driver_failed", "sent_to_driver", "authenticated", "associated", "connected",
    "rejected", "timed_out", "unknown",
)
# PMKSA decision kinds (DOMAIN §7); side "sta" (wpa_supplicant) or "ap" (hostapd).
DECISIONS = (
    "cache_search", "entry_found", "no_entry", "use_cached", "okc_candidate",
    "pmkid_from_ap", "matched_pmkid", "no_matching_pmkid", "ap_refused_pmkid", "added",
    "sae_fallback", "sta_pmkid", "ap_hit", "ap_okc_match", "ap_skip_eap", "ap_added",
    "ap_no_entry", "pmkid_mismatch", "preauth_start", "preauth_done", "preauth_failed",
    "ap_preauth_ok", "ap_preauth_failed", "ap_preauth_added",
)


def _seconds(ts_ns: int | None) -> float | None:
    return None if ts_ns is None else ts_ns / 1e9


def rsne_dict(rsne: Rsne) -> dict[str, Any]:
    """An RSN element as names: the same decoder as the frames, shown for people."""
    return {
        "version": rsne.version,
        "group": None if rsne.group_cipher is None else cipher_name(rsne.group_cipher),
        "pairwise": [cipher_name(c) for c in rsne.pairwise_ciphers],
        "akm": [akm_name(a, rsne.wpa1) for a in rsne.akms],
        "capabilities": None if rsne.capabilities is None else f"0x{rsne.capabilities:04x}",
        "pmkids": [p.hex() for p in rsne.pmkids],
        "group_mgmt": (
            None if rsne.group_mgmt_cipher is None else cipher_name(rsne.group_mgmt_cipher)
        ),
        "length": len(rsne.raw),
    }


@dataclass(frozen=True, slots=True)
class DriverError:
    """A driver command the kernel refused: `ret` is the negative errno (-2 = ENOENT)."""

    line: int
    ret: int
    errno: str | None  # symbolic name when known: ENOENT, EALREADY, EBUSY, ...
    message: str  # strerror text as logged
    command: str | None = None  # "auth", "assoc", ... (newer wording only)
    count: int | None = None  # the driver's retry count (newer wording only)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line, "ret": self.ret, "errno": self.errno, "message": self.message,
            "command": self.command, "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """One PMKSA cache decision a daemon logged."""

    ts_ns: int | None
    line: int
    side: str  # sta | ap
    kind: str  # one of DECISIONS
    text: str
    sta: str | None = None
    bssid: str | None = None
    pmkid: str | None = None  # hex
    log: str = ""  # the log file it came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts": _seconds(self.ts_ns), "line": self.line, "log": self.log, "side": self.side,
            "kind": self.kind, "sta": self.sta, "bssid": self.bssid, "pmkid": self.pmkid,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class StateChange:
    """wpa_supplicant's `State: X -> Y`."""

    ts_ns: int | None
    line: int
    old: str
    new: str

    def to_dict(self) -> dict[str, Any]:
        return {"ts": _seconds(self.ts_ns), "line": self.line, "from": self.old, "to": self.new}


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A control-interface event (`CTRL-EVENT-*`, `PMKSA-CACHE-ADDED`) or a driver notice
    worth a timeline row (single-channel scan, authentication retry, hostapd's verdicts)."""

    ts_ns: int | None
    line: int
    name: str
    text: str
    sta: str | None = None
    bssid: str | None = None
    log: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts": _seconds(self.ts_ns), "line": self.line, "log": self.log, "name": self.name,
            "sta": self.sta, "bssid": self.bssid, "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Attempt:
    """One authentication/association attempt the station's supplicant started.

    `pmkid` is the PMKID it offered (from its own RSN element or the PMKID hexdump);
    `rsne` its own RSN element, `ap_rsne` the target's as the supplicant knew it."""

    index: int  # 0-based, in log order over all logs
    ts_ns: int | None
    line: int
    kind: str  # auth (SME) | assoc (driver-side SME) | driver_retry
    bssid: str
    sta: str | None = None
    ssid: str | None = None
    freq_mhz: int | None = None
    pmkid: str | None = None
    rsne: Rsne | None = None
    ap_rsne: Rsne | None = None
    outcome: str = "unknown"
    error: DriverError | None = None
    recovery: str | None = None  # single_channel_scan (ENOENT, newer) | scan_request (older)
    retry_of: int | None = None  # index of the attempt a driver retry repeats
    decisions: tuple[Decision, ...] = ()
    states: tuple[StateChange, ...] = ()
    end_line: int = 0
    log: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "ts": _seconds(self.ts_ns),
            "line": self.line,
            "log": self.log,
            "kind": self.kind,
            "sta": self.sta,
            "bssid": self.bssid,
            "ssid": self.ssid,
            "freq_mhz": self.freq_mhz,
            "pmkid": self.pmkid,
            "rsne": None if self.rsne is None else rsne_dict(self.rsne),
            "ap_rsne": None if self.ap_rsne is None else rsne_dict(self.ap_rsne),
            "outcome": self.outcome,
            "error": None if self.error is None else self.error.to_dict(),
            "recovery": self.recovery,
            "retry_of": self.retry_of,
            "decisions": [d.to_dict() for d in self.decisions],
            "states": [s.to_dict() for s in self.states],
        }


@dataclass(frozen=True, slots=True)
class ParsedLog:
    """One log file, parsed. `dated` is False when no line had a time."""

    path: str
    daemon: str  # wpa_supplicant | hostapd | mixed | unknown
    dated: bool
    lines: int
    own_addr: str | None  # the station's address, when the supplicant logged it
    attempts: tuple[Attempt, ...] = ()
    decisions: tuple[Decision, ...] = ()  # every decision, attached or not
    events: tuple[LogEvent, ...] = ()
    states: tuple[StateChange, ...] = ()
    ap_addrs: dict[str, str] = field(default_factory=dict)  # hostapd: interface -> BSSID

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "daemon": self.daemon, "dated": self.dated,
            "lines": self.lines, "own_addr": self.own_addr,
        }
