"""The assembler's working state for one log (local to one `parse_log` call)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.logs.records import Attempt, Decision, LogEvent, StateChange

LINUX_ERRNO = {
    1: "EPERM", 2: "ENOENT", 5: "EIO", 11: "EAGAIN", 12: "ENOMEM", 16: "EBUSY",
    17: "EEXIST", 19: "ENODEV", 22: "EINVAL", 34: "ERANGE", 61: "ENODATA", 67: "ENOLINK",
    95: "EOPNOTSUPP", 100: "ENETDOWN", 103: "ECONNABORTED", 110: "ETIMEDOUT",
    114: "EALREADY", 115: "EINPROGRESS",
}
POST_ATTEMPT = frozenset({"pmkid_from_ap", "matched_pmkid", "no_matching_pmkid",
                   "ap_refused_pmkid", "added", "sae_fallback", "pmkid_mismatch"})
PROGRESS = {"ASSOCIATING": "authenticated", "ASSOCIATED": "associated",
             "4WAY_HANDSHAKE": "associated", "GROUP_HANDSHAKE": "associated",
             "COMPLETED": "connected"}
RANK = {o: i for i, o in enumerate(
    ("unknown", "sent_to_driver", "authenticated", "associated", "connected"))}


@dataclass(slots=True)
class OpenAttempt:
    """The attempt being assembled; frozen into an `Attempt` when the next one starts."""

    fields: dict[str, Any]
    decisions: list[Decision] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    kind: str  # auth | assoc
    ts_ns: int | None
    line: int
    values: dict[str, str] = field(default_factory=dict)
    ies: bytes | None = None


@dataclass(slots=True)
class Builder:
    path: str
    attempts: list[Attempt] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    events: list[LogEvent] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)
    pending: dict[str, Any] = field(default_factory=dict)
    pending_decisions: list[Decision] = field(default_factory=list)
    current: OpenAttempt | None = None
    block: Block | None = None
    retry_of: int | None = None  # the attempt whose ENOENT started a single-channel scan
    last_cmd: str | None = None  # the last driver command logged: auth | assoc | deauth
    search_bssid: str | None = None
    own_addr: str | None = None
    ap_addrs: dict[str, str] = field(default_factory=dict)
    last_ap_sta: str | None = None
    daemons: set[str] = field(default_factory=set)
    dated: bool = False
    ts_ns: int | None = None
    line: int = 0
    iface: str | None = None


def add_event(b: Builder, name: str, text: str, sta: str | None = None,
           bssid: str | None = None) -> None:
    b.events.append(LogEvent(b.ts_ns, b.line, name, text, sta, bssid, b.path))


def add_decision(b: Builder, d: Decision) -> None:
    if d.kind == "use_cached" and d.pmkid is None:
        d = replace(d, pmkid=b.pending.get("pmkid"))
    b.decisions.append(d)
    if d.side != "sta":
        return
    if d.kind in POST_ATTEMPT and b.current is not None:
        b.current.decisions.append(replace(d, bssid=d.bssid or b.current.fields["bssid"]))
    else:
        b.pending_decisions.append(d)
        if d.kind == "entry_found" and d.pmkid:
            b.pending.setdefault("pmkid", d.pmkid)
