"""Jumps of a capture's clock (issue 16): time running backwards, or leaping forward, between
two consecutive frames the engine sees. Reported (CLOCK_JUMP), never absorbed: an attempt open
across a jump gets no latency, and the latencies a station's next attempt measures from before
its start (data gap, handoff, ACK to ACK) none either.

Frames captured a few microseconds out of order are common (n-02.cap has dozens, all under
15 µs), so only a step back of more than BACK_NS counts. Forward, a silence cannot be told from
a clock stepped ahead (filtered captures are quiet for a minute: wpa-eap-tls.pcap); only a gap
longer than FORWARD_S is one, and is said to be either. The test itself, `ts < last - BACK_NS or
ts - last > forward`, is written out where it runs for every frame (Tracker._clock and
data_seen, the partition driver, the compiled tables).
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.roam.records import Finding, Missing

BACK_NS = 1_000_000  # a step back of more than 1 ms
FORWARD_S = 3600.0  # a gap of more than an hour
NEVER = 1 << 62  # no jump is looked for (the partition driver looks for the tracker)

CODE = "CLOCK_JUMP"
_SAID = "the capture's clock "  # how every reason a jump gives begins


def why(last_index: int, last_ts: int, index: int, ts: int) -> str:
    """The jump, said once, for the finding and the latencies it leaves unmeasured."""
    step = _duration(abs(ts - last_ts))
    if ts < last_ts:
        return (f"{_SAID}went back {step} between frame {last_index} and "
                f"frame {index}")
    return (f"{_SAID}jumped {step} forward between frame {last_index} and frame "
            f"{index} (stepped, or the capture paused)")


def across_jump(missing: Iterable[Missing]) -> str | None:
    """Why a roam's control-plane latency was not measured, when a jump of the clock is."""
    return next((m.why for m in missing
                 if m.what == "latency.control_plane" and m.why.startswith(_SAID)), None)


def finding(last_index: int, index: int, said: str) -> Finding:
    return Finding(CODE, "warning", index, None, None,
                   f"{said}: latencies across it are not measured", frames=(last_index, index))


def _duration(ns: int) -> str:
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.3f} ms"
    seconds = ns / 1e9
    if seconds < 3600:
        return f"{seconds:.3f} s"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class Before:
    """What a station had recorded when the clock jumped: the instants its next attempt's
    latencies would be measured from. Those still the same when the attempt opens were
    recorded before the jump; any recorded since were not."""

    __slots__ = ("said", "data", "acked", "probe")

    def __init__(self, said: str, data: dict[str, int], acked: dict[str, int],
                 probe: object) -> None:  # fmt: skip
        self.said, self.data, self.acked, self.probe = said, dict(data), dict(acked), probe

    def spanned(self, from_bssid: str | None, old_data_ns: int | None, old_ack_ns: int | None,
                probe: object) -> frozenset[str]:
        """The latencies of an attempt measured from across the jump."""
        keys = set()
        if from_bssid is not None and old_data_ns is not None \
                and self.data.get(from_bssid) == old_data_ns:
            keys.add("data_gap")
        if from_bssid is not None and old_ack_ns is not None \
                and self.acked.get(from_bssid) == old_ack_ns:
            keys.add("ack_to_ack")
        if probe is not None and probe is self.probe:
            keys.add("handoff")
        return frozenset(keys)
