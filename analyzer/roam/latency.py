"""Latency figures of an attempt (DOMAIN §9, issue 3): each one computed from the frames seen,
or None with the reason it could not be; never estimated."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.roam.attempt import Attempt, PhaseAcc
from analyzer.roam.method import FOURWAY, NO_EAP, NO_FOURWAY, expected_frames
from analyzer.roam.records import Missing

NO_ACKS = "no ACK or Block Ack frames captured up to the first data frame on the new BSSID"


@dataclass(frozen=True, slots=True)
class Context:
    """What the station knows beyond the attempt itself."""

    method: str
    kind: str
    probe_start_ns: int | None  # first Probe Request of the scan before the attempt
    old_data_ns: int | None  # last data frame to or from the station on the old BSSID
    finish_why: str | None = None  # why first (acknowledged) data on the new BSSID was not
    # waited for
    old_ack_ns: int | None = None  # ACK (or Block Ack) of its last acknowledged data frame
    # on the old BSSID


Latencies = dict[str, float | None]


def _ms(start: int | None, end: int | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start) / 1e6, 3)


def compute(att: Attempt, ctx: Context) -> tuple[Latencies, list[Missing]]:
    """Every latency of LATENCY_KEYS, and a Missing entry for each None. Across a jump of the
    capture's clock (analyzer.roam.clock) no latency is measured: None with the jump as why."""
    values: Latencies = {}
    missing: list[Missing] = []
    for key, fn in _RULES.items():
        if att.clock_jump is not None:
            value, why = None, att.clock_jump
        elif att.jump_before is not None and key in att.jump_before[1]:
            value, why = None, att.jump_before[0]
        else:
            value, why = fn(att, ctx)
        values[key] = value
        if value is None:
            missing.append(Missing(f"latency.{key}", why or "not computable"))
    return values, missing


Rule = tuple[float | None, str | None]


def _phase_span(acc: PhaseAcc | None, needs: tuple[str, str], att: Attempt, label: str) -> Rule:
    if acc is None:
        return None, f"no {label} frames seen"
    absent = [n for n in needs if n not in att.seen]
    if absent:
        return None, f"{' and '.join(absent)} not seen"
    return _ms(acc.start_ns, acc.end_ns), None


STILL_AUTHENTICATED = ("not applicable: Reassociation to the current AP without "
                       "Authentication (still authenticated)")


def _auth(att: Attempt, ctx: Context) -> Rule:
    if att.still_authenticated:
        return None, STILL_AUTHENTICATED
    if ctx.method == "ft_over_ds":
        return _phase_span(att.phases.get("auth"), ("ft_request", "ft_response"), att, "FT Action")
    return _phase_span(att.phases.get("auth"), ("auth_req", "auth_resp"), att, "Authentication")


def _assoc(att: Attempt, ctx: Context) -> Rule:
    return _phase_span(att.phases.get("assoc"), ("assoc_req", "assoc_resp"), att,
                       "(Re)Association")


def _eap(att: Attempt, ctx: Context) -> Rule:
    if ctx.method in NO_EAP:
        return None, f"not applicable: no EAP in a {ctx.method} connection"
    acc = att.phases.get("eap")
    if acc is None:
        return None, "no EAP frames seen"
    if "eap_success" not in att.seen:
        return None, "EAP-Success not seen"
    return _ms(acc.start_ns, acc.end_ns), None


def _fourway(att: Attempt, ctx: Context) -> Rule:
    if ctx.method in NO_FOURWAY:
        return None, f"not applicable: no 4-way handshake in a {ctx.method} connection"
    acc = att.phases.get("4way")
    if acc is None:
        return None, "no 4-way handshake frames seen"
    return _phase_span(acc, ("M1", "M4"), att, "4-way")


def _control_plane(att: Attempt, ctx: Context) -> Rule:
    acc = att.phases.get("assoc" if att.still_authenticated else "auth")
    if acc is None:
        return None, "no Authentication or FT Action frame seen: start unknown"
    start = acc.start_ns if att.control_start_ns is None else att.control_start_ns
    if ctx.method in NO_FOURWAY:
        end_acc = att.phases.get("assoc")
        if end_acc is None or "assoc_resp" not in att.seen:
            return None, "(Re)Association Response not seen"
        return _ms(start, end_acc.end_ns), None
    four = att.phases.get("4way")
    if four is None or "M4" not in att.seen:
        return None, "M4 not seen"
    return _ms(start, four.end_ns), None


def _no_new_data(att: Attempt, ctx: Context) -> str | None:
    """Why a data-plane latency cannot be had, before looking at the data frames' ends."""
    if ctx.kind == "initial":
        return "not applicable: no previous association"
    if att.outcome != "success":
        return f"attempt {att.outcome or 'unfinished'}"
    if att.first_data_ns is None:
        return ctx.finish_why or "no data frame seen on the new BSSID"
    return None


def _data_gap(att: Attempt, ctx: Context) -> Rule:
    why = _no_new_data(att, ctx)
    if why is not None:
        return None, why
    if ctx.old_data_ns is None:
        return None, "no data frame of the station seen on the old BSSID"
    return _ms(ctx.old_data_ns, att.first_data_ns), None


def _handoff(att: Attempt, ctx: Context) -> Rule:
    if ctx.probe_start_ns is None:
        return None, "no Probe Request seen before the attempt (scan not captured or not done)"
    acc = att.phases.get("assoc")
    if acc is None or "assoc_resp" not in att.seen:
        return None, "(Re)Association Response not seen"
    return _ms(ctx.probe_start_ns, acc.end_ns), None


def _ack_to_ack(att: Attempt, ctx: Context) -> Rule:
    """IEEE 802.11.2 BSS transition time: from after the last acknowledged data frame on the
    old BSS to after the first on the new, uplink or downlink (802.11-05/0537). Each instant
    is the acknowledgement's timestamp, SIFS after the end of its data frame: an ACK, or the
    Block Ack of an A-MPDU (analyzer.roam.acks); data frames carry payload (no Null, no
    EAPOL), as for data_gap."""
    why = _no_new_data(att, ctx)
    if why is not None:
        return None, why
    if not att.ack_hold and att.first_ack_ns is None:
        return None, NO_ACKS
    if ctx.old_ack_ns is None:
        if ctx.old_data_ns is None:
            return None, "no data frame of the station seen on the old BSSID"
        return None, "no data frame of the station on the old BSSID acknowledged (ACK, Block Ack)"
    if att.first_ack_ns is None:
        return None, ctx.finish_why or "no acknowledged data frame seen on the new BSSID"
    return _ms(ctx.old_ack_ns, att.first_ack_ns), None


NOT_DECRYPTED = ("needs decryption: the network's key (--key/--keys) and one capture file, "
                 "which analyzer.decrypt reads again after the roam engine")


def _after_decryption(att: Attempt, ctx: Context) -> Rule:
    """The recovery latencies (IP traffic after the roam) are the decryption pass's; the
    engine never sees inside protected frames."""
    return None, NOT_DECRYPTED


_RULES = {
    "auth": _auth,
    "assoc": _assoc,
    "eap": _eap,
    "4way": _fourway,
    "control_plane": _control_plane,
    "data_gap": _data_gap,
    "handoff": _handoff,
    "ack_to_ack": _ack_to_ack,
    **{k: _after_decryption for k in ("l3_up", "l3_down", "dhcp", "to_ip_traffic")},
}


def missing_frames(att: Attempt, method: str) -> list[Missing]:
    """Expected frames not seen: all of them after a success, else those before the last
    frame that was seen (a gap the capture left, not the attempt's end)."""
    expected = expected_frames(att, method)
    if att.outcome == "success":
        last = len(expected)
    else:
        seen_at = [i for i, name in enumerate(expected) if name in att.seen]
        last = seen_at[-1] if seen_at else 0
    why = "not captured" if att.outcome == "success" else "not captured before a later frame"
    if att.malformed:  # never "not captured" beside a frame that was, but failed to decode
        frames = ", ".join(str(i) for i in att.malformed)
        why = f"not decoded: frame {frames} of this attempt is malformed"
    out = [Missing(name, why) for name in expected[:last] if name not in att.seen]
    if att.outcome == "success" and method not in NO_FOURWAY and "M4" not in att.seen:
        inferred = _inferred_why(att)
        out = [m if m.what not in ("M3", "M4") else Missing(m.what, inferred) for m in out]
    elif att.uplink_after_m2 is not None and "M3" not in att.seen:
        why = (f"not captured; the station sent protected data (frame {att.uplink_after_m2}) "
               "after M2, so it had M3, but no protected data from the AP shows the end")
        out = [m for m in out if m.what not in FOURWAY]
        out += [Missing(name, why) for name in ("M3", "M4")]
    return out


def _inferred_why(att: Attempt) -> str:
    if att.inferred_from is not None:
        return (f"not captured; success inferred from protected unicast data from the AP "
                f"(frame {att.inferred_from}) after M2: the AP installs the PTK on a valid M4")
    if any(m in att.seen for m in FOURWAY):
        return "not captured; success inferred from protected data after M3"
    return "not captured; success inferred from protected data after association"
