"""Assemble classified lines into attempts: `parse_log(lines) -> ParsedLog`.

A pure function over an iterable of text lines (the assembler's state is local to one call).
How wpa_supplicant orders things (sme.c): the PMKSA cache search, the PMKID and both RSN
elements are logged *before* `SME: Trying to authenticate with`, so they wait as `pending`
for the next attempt; then the `nl80211: Authenticate` block (`* bssid=`, `* freq=`) and the
driver's answer (`send successfully`, or `MLME command failed ... ret=-N`). A newer
supplicant answers ENOENT with a single-channel scan and authenticates again without a new
`Trying to authenticate` line: that second block is an attempt of its own (`driver_retry`).
Lines that match nothing are skipped: a garbage line never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from analyzer.logs import pmksa
from analyzer.logs.lines import classify, hex_bytes, mac, rsne_in_ies
from analyzer.logs.prefix import daemon_of, split_prefix
from analyzer.logs.records import Attempt, DriverError, ParsedLog, StateChange
from analyzer.logs.state import (
    LINUX_ERRNO,
    POST_ATTEMPT,
    PROGRESS,
    RANK,
    Block,
    Builder,
    OpenAttempt,
    add_event,
)


def parse_log(lines: Iterable[str], path: str = "", year: int = 1970,
              first_index: int = 0) -> ParsedLog:
    """Parse one wpa_supplicant or hostapd debug log (any prefix, see `prefix`).

    `year` dates syslog lines (which carry none); `first_index` numbers the attempts when
    several logs are parsed together."""
    b = Builder(path)
    n = 0
    for n, raw in enumerate(lines, 1):
        _feed(b, n, raw, year)
    _close_block(b)
    _close_attempt(b)
    attempts = tuple(
        replace(a, index=first_index + i, sta=a.sta or b.own_addr,
                retry_of=None if a.retry_of is None else first_index + a.retry_of)
        for i, a in enumerate(b.attempts)
    )
    attached = {d.line: d for a in attempts for d in a.decisions}
    decisions = tuple(attached.get(d.line, d) for d in b.decisions)
    daemon = "mixed" if len(b.daemons) > 1 else next(iter(b.daemons), "unknown")
    return ParsedLog(path, daemon, b.dated, n, b.own_addr, attempts, decisions,
                     tuple(b.events), tuple(b.states), dict(b.ap_addrs))


def _feed(b: Builder, n: int, raw: str, year: int) -> None:
    p = split_prefix(raw, year)
    b.line, b.ts_ns, b.iface = n, p.ts_ns, p.iface
    if p.ts_ns is not None:
        b.dated = True
    hit = classify(p.text)
    if hit is None:
        _close_block(b)
        return
    tag, m = hit
    if b.block is not None and tag in ("block_field", "block_more"):
        _block_line(b.block, tag, m)
        return
    _close_block(b)
    daemon = daemon_of(p.tag) or _daemon_of_tag(tag)
    if daemon:
        b.daemons.add(daemon)
    _HANDLERS.get(tag, _ignore)(b, m)


def _daemon_of_tag(tag: str) -> str | None:
    if tag in ("hostapd_sta", "sta_pmkid", "ap_iface", "ap_ctrl_event"):
        return "hostapd"
    if tag.startswith(("attempt_", "block_", "cache_", "own_rsne", "state", "preauth_")):
        return "wpa_supplicant"
    return None


def _ignore(b: Builder, m: re.Match[str]) -> None:
    return None


# --- blocks --------------------------------------------------------------------------------


def _block_line(block: Block, tag: str, m: re.Match[str]) -> None:
    if tag != "block_field":
        return
    key = m["key"].strip().lower()
    if m["value"] is not None:
        block.values.setdefault(key, m["value"].strip())
    elif key == "ies":
        block.ies = hex_bytes(m["hex"])


def _start_block(kind: str) -> Any:
    def handle(b: Builder, m: re.Match[str]) -> None:
        b.block = Block(kind, b.ts_ns, b.line)
        b.last_cmd = kind
    return handle


def _close_block(b: Builder) -> None:
    block, b.block = b.block, None
    if block is None:
        return
    bssid = block.values.get("bssid")
    bssid = mac(bssid) if bssid and re.fullmatch(r"[0-9a-fA-F:]{17}", bssid) else None
    freq = block.values.get("freq")
    freq_mhz = int(freq) if freq and freq.isdigit() else None
    cur = b.current
    if block.kind == "assoc":
        rsne = rsne_in_ies(block.ies)
        if cur is not None and rsne is not None:
            cur.fields["rsne"] = rsne
        return
    if cur is not None and cur.fields["outcome"] == "unknown" and \
            cur.fields["bssid"] in (bssid, None):
        if cur.fields.get("freq_mhz") is None:
            cur.fields["freq_mhz"] = freq_mhz
        return
    if bssid is None:
        return
    kind = "driver_retry" if b.retry_of is not None else "auth"
    _open(b, kind, bssid, None, freq_mhz, block.ts_ns, block.line)
    if b.current is not None and b.retry_of is not None:
        _inherit(b.current, b.attempts[b.retry_of], b.retry_of)
    b.retry_of = None


def _inherit(cur: OpenAttempt, failed: Attempt, index: int) -> None:
    """A driver retry repeats the refused request: same PMKID, RSN elements and decisions."""
    cur.fields.update(retry_of=index, ssid=failed.ssid, pmkid=failed.pmkid, rsne=failed.rsne,
                      ap_rsne=failed.ap_rsne)
    cur.decisions[:0] = [d for d in failed.decisions if d.kind not in POST_ATTEMPT]


# --- attempts ------------------------------------------------------------------------------


def _open(b: Builder, kind: str, bssid: str, ssid: str | None, freq: int | None,
          ts_ns: int | None, line: int) -> None:
    _close_attempt(b)
    fields: dict[str, Any] = {
        "kind": kind, "bssid": bssid, "ssid": ssid, "freq_mhz": freq, "ts_ns": ts_ns,
        "line": line, "outcome": "unknown", "log": b.path, **b.pending,
    }
    b.current = OpenAttempt(fields, list(b.pending_decisions))
    for i, d in enumerate(b.current.decisions):
        if d.bssid is None:
            b.current.decisions[i] = replace(d, bssid=bssid)
    b.pending, b.pending_decisions = {}, []


def _close_attempt(b: Builder) -> None:
    cur, b.current = b.current, None
    if cur is None:
        return
    f = cur.fields
    b.attempts.append(Attempt(
        index=len(b.attempts), ts_ns=f["ts_ns"], line=f["line"], kind=f["kind"],
        bssid=f["bssid"], sta=b.own_addr, ssid=f.get("ssid"), freq_mhz=f.get("freq_mhz"),
        pmkid=f.get("pmkid"), rsne=f.get("rsne"), ap_rsne=f.get("ap_rsne"),
        outcome=f["outcome"], error=f.get("error"), recovery=f.get("recovery"),
        retry_of=f.get("retry_of"), decisions=tuple(cur.decisions), states=tuple(cur.states),
        end_line=f.get("end_line", f["line"]), log=b.path,
    ))


def _attempt(kind: str) -> Any:
    def handle(b: Builder, m: re.Match[str]) -> None:
        _start_attempt(b, kind, m)
    return handle


def _start_attempt(b: Builder, kind: str, m: re.Match[str]) -> None:
    bssid = mac(m["mac"])
    cur = b.current
    if kind == "assoc" and cur is not None and cur.fields["bssid"] == bssid and \
            cur.fields["outcome"] not in ("driver_failed", "rejected", "timed_out"):
        _progress(cur, "authenticated")
        return
    b.retry_of = None
    _open(b, kind, bssid, m["ssid"], int(m["freq"]), b.ts_ns, b.line)


def _progress(cur: OpenAttempt, outcome: str) -> None:
    now = cur.fields["outcome"]
    if now in RANK and RANK[outcome] > RANK[now]:
        cur.fields["outcome"] = outcome


def _settle(b: Builder, outcome: str, **extra: Any) -> None:
    cur = b.current
    if cur is None:
        return
    cur.fields.update(extra, end_line=b.line)
    if outcome in RANK:
        _progress(cur, outcome)
    else:
        cur.fields["outcome"] = outcome


def _sent(b: Builder, m: re.Match[str]) -> None:
    _settle(b, "sent_to_driver")


def _driver_error(b: Builder, m: re.Match[str]) -> None:
    """`MLME command failed`: the attempt's request refused, unless the command the driver
    wrapper logged last was a deauth/disassoc (older hostap used the same wording for both)."""
    if m["cmd"] is None and b.last_cmd == "deauth":
        add_event(b, "DRIVER-MLME-FAILED", m.group(0))
        return
    ret = int(m["ret"])
    error = DriverError(b.line, ret, LINUX_ERRNO.get(-ret), m["msg"], m["cmd"],
                        int(m["count"]) if m["count"] else None)
    _settle(b, "driver_failed", error=error)


def _deauth_cmd(b: Builder, m: re.Match[str]) -> None:
    b.last_cmd = "deauth"


def _driver_refused(b: Builder, m: re.Match[str]) -> None:
    if b.current is not None and b.current.fields["outcome"] != "driver_failed":
        _settle(b, "driver_failed")
    elif b.current is not None:
        b.current.fields["end_line"] = b.line


def _recovery_scan(b: Builder, m: re.Match[str]) -> None:
    add_event(b, "SINGLE-CHANNEL-SCAN", m.group(0))
    if b.current is not None:
        b.current.fields["recovery"] = "single_channel_scan"
        b.retry_of = len(b.attempts)  # the index the open attempt will get


def _scan_request(b: Builder, m: re.Match[str]) -> None:
    cur = b.current
    if cur is not None and cur.fields["outcome"] == "driver_failed" and \
            cur.fields.get("recovery") is None:
        cur.fields["recovery"] = "scan_request"
        add_event(b, "SCAN-REQUEST", m.group(0))


def _auth_response(b: Builder, m: re.Match[str]) -> None:
    _settle(b, "authenticated" if m["status"] == "0" else "rejected")


def _timeout(b: Builder, m: re.Match[str]) -> None:
    cur = b.current
    if cur is not None and cur.fields["outcome"] in ("unknown", "sent_to_driver"):
        _settle(b, "timed_out")


def _associated(b: Builder, m: re.Match[str]) -> None:
    if b.current is not None and b.current.fields["bssid"] == mac(m["mac"]):
        _settle(b, "associated")


def _state(b: Builder, m: re.Match[str]) -> None:
    change = StateChange(b.ts_ns, b.line, m["old"], m["new"])
    b.states.append(change)
    cur = b.current
    if cur is None:
        return
    cur.states.append(change)
    if m["new"] in PROGRESS and cur.fields["outcome"] not in ("driver_failed", "rejected"):
        _progress(cur, PROGRESS[m["new"]])


def _own_addr(b: Builder, m: re.Match[str]) -> None:
    b.own_addr = b.own_addr or mac(m["mac"])


def _ap_iface(b: Builder, m: re.Match[str]) -> None:
    b.ap_addrs[m["iface"]] = mac(m["mac"])

# --- events --------------------------------------------------------------------------------


def _ctrl_event(b: Builder, m: re.Match[str]) -> None:
    name, rest = m["name"], m["rest"]
    found = re.search(r"(?:bssid=)?([0-9a-f]{2}(?::[0-9a-f]{2}){5})", rest, re.IGNORECASE)
    bssid = mac(found.group(1)) if found else None
    add_event(b, name, m.group(0), b.own_addr, bssid)
    cur = b.current
    if cur is None or (bssid is not None and bssid != cur.fields["bssid"]):
        return
    if name == "CTRL-EVENT-CONNECTED":
        _settle(b, "connected")
    elif name in ("CTRL-EVENT-AUTH-REJECT", "CTRL-EVENT-ASSOC-REJECT"):
        _settle(b, "rejected")


def _pmksa_added_event(b: Builder, m: re.Match[str]) -> None:
    add_event(b, "PMKSA-CACHE-ADDED", m.group(0), b.own_addr, mac(m["mac"]))


def _ap_ctrl_event(b: Builder, m: re.Match[str]) -> None:
    add_event(b, m["name"], m.group(0), mac(m["mac"]), pmksa.ap_bssid(b))

_HANDLERS: dict[str, Any] = {
    **pmksa.HANDLERS,
    "attempt_auth": _attempt("auth"),
    "attempt_assoc": _attempt("assoc"),
    "block_auth": _start_block("auth"),
    "block_assoc": _start_block("assoc"),
    "sent": _sent,
    "driver_error": _driver_error,
    "driver_mlme_failed": lambda b, m: add_event(b, "DRIVER-MLME-FAILED", m.group(0)),
    "deauth_cmd": _deauth_cmd,
    "driver_refused": _driver_refused,
    "recovery_scan": _recovery_scan,
    "recovery_results": lambda b, m: add_event(b, "SINGLE-CHANNEL-SCAN-RESULTS", m.group(0)),
    "scan_request": _scan_request,
    "retry_failed": lambda b, m: _settle(b, "timed_out"),
    "auth_response": _auth_response,
    "timeout": _timeout,
    "associated": _associated,
    "state": _state,
    "own_addr": _own_addr,
    "ap_iface": _ap_iface,
    "pmksa_added_event": _pmksa_added_event,
    "ctrl_event": _ctrl_event,
    "ap_ctrl_event": _ap_ctrl_event,
}
