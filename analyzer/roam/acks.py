"""Acknowledged data, the tracker's bookkeeping for `ack_to_ack` (analyzer.roam.latency).

`Unacked` keeps each transmitter's last data frame until the acknowledgement that may follow
it, matches an ACK or a Block Ack to the data frame it answers and notes that frame on its
station and attempt; `Holds` keeps the succeeded attempts that wait for their first
acknowledged data frame, and their deadlines.

An ACK (IEEE 802.11-2020 9.3.1.3) names only its receiver, the transmitter of the frame it
answers. A Block Ack (9.3.1.8) from TA to RA answers an A-MPDU that RA sent to TA: it matches
RA's last data frame when that frame went to TA (the BSSID for uplink data, the station for
downlink data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer.roam.attempt import Attempt, Stage

if TYPE_CHECKING:
    from analyzer.roam.station import Station

# An ACK answers the frame it follows by SIFS (10/16 us) and lasts 24-304 us by PHY rate
# (IEEE 802.11-2020 10.3.2.9); capture timestamps are the host's and may jitter by hundreds
# of microseconds, so an ACK counts for a data frame of its receiver up to 1 ms after it.
# An A-MPDU's MPDUs are captured together and its Block Ack follows the last one by SIFS: the
# pending frame is then the burst's last MPDU, and the same window holds.
ACK_WINDOW_NS = 1_000_000
MAX_UNACKED = 4096  # transmitters whose last data frame may still get its acknowledgement
NEVER = 1 << 62

Pending = tuple[int, "Station", str]  # the data frame's time, its station, its BSSID
Completed = tuple["Station", Attempt]  # a held attempt its first acknowledged data completes


class Unacked:
    """Transmitter -> its last data frame, until an acknowledgement answers it or another
    frame of that transmitter takes its place (the acknowledgement would answer that one).

    `table` is a plain dict that keeps its identity: the tracker's per-data-frame path writes
    it directly, without a call."""

    __slots__ = ("table",)

    def __init__(self) -> None:
        self.table: dict[str | None, Pending] = {}

    def forget(self, now: int) -> None:
        """Data frames past the window go; all of them if that is not enough (a flood of
        transmitters: a few acknowledgements go unmatched rather than memory growing)."""
        table = self.table
        for tx in [tx for tx, v in table.items() if now - v[0] > ACK_WINDOW_NS]:
            del table[tx]
        if len(table) > MAX_UNACKED // 2:
            table.clear()

    def ack(self, ts_ns: int, ra: str) -> Completed | None:
        """An ACK to `ra` at `ts_ns`: `ra`'s last data frame, if within the window, was
        received (it waits no more either way). Its station notes acknowledged data on that
        BSSID at the acknowledgement's time (the end of the data frame plus SIFS), as its
        attempt does on the old or new BSSID: the instants `ack_to_ack` is measured between.
        Returns the attempt this completes when it was held for it."""
        pending = self.table.pop(ra, None)
        if pending is None:
            return None
        data_ns, st, bssid = pending
        if ts_ns - data_ns > ACK_WINDOW_NS:
            return None
        st.saw_acked(bssid, ts_ns)
        att = st.attempt
        if att is None:
            return None
        if bssid == att.to_bssid:
            if att.first_data_ns is not None and data_ns >= att.first_data_ns:
                if att.first_ack_ns is None:
                    att.first_ack_ns = ts_ns
                if att.ack_hold:
                    return st, att
        elif bssid == att.from_bssid and att.stage is not Stage.AWAIT_DATA:
            att.old_ack_ns = ts_ns
        return None

    def block_ack(self, ts_ns: int, ra: str, ta: str | None, any_acked: bool) -> Completed | None:
        """A Block Ack from `ta` to `ra` at `ts_ns` (`any_acked`: its bitmap acknowledges
        something): as an ACK to `ra` when `ra`'s last data frame went to `ta`."""
        pending = self.table.get(ra)
        if pending is not None and ta is not None and any_acked:
            _, st, bssid = pending
            if individual(ta) == (bssid if ra == st.mac else st.mac):
                return self.ack(ts_ns, ra)
        self.table.pop(ra, None)
        return None


def individual(mac: str) -> str:
    """A TA with its Individual/Group bit cleared: a bandwidth signalling TA (VHT, sent in
    non-HT duplicate PPDUs) is the transmitter's address with that bit set."""
    first = int(mac[:2], 16)
    return mac if not first & 0x01 else f"{first & 0xFE:02x}{mac[2:]}"


class Holds:
    """Succeeded attempts that wait, `wait_ns` at most after their first data frame, for their
    first acknowledged one (while acknowledgements are being captured)."""

    __slots__ = ("wait_ns", "_held")

    def __init__(self, wait_ns: int) -> None:
        self.wait_ns = wait_ns
        self._held: dict[str, Station] = {}

    def hold(self, st: Station, att: Attempt, now: int) -> int:
        """Hold `att`; returns the instant its wait is over."""
        att.ack_hold = True
        self._held[st.mac] = st
        return self._deadline(att, now)

    def over(self, att: Attempt, now: int) -> bool:
        return att.first_data_ns is not None and now - att.first_data_ns > self.wait_ns

    def release(self, now: int) -> tuple[list[Completed], int]:
        """The held attempts whose wait is over at `now` (held no more), in the order their
        waits ended (then by station), and the next deadline of the others (those emitted
        already are forgotten). The order depends on nothing but the attempts, so the
        per-station partitions (analyzer.roam.partition) emit them as one tracker does."""
        over: list[Completed] = []
        due = NEVER
        for mac, st in list(self._held.items()):
            att = st.attempt
            if att is None or not att.ack_hold or self.over(att, now):
                del self._held[mac]
                if att is not None and att.ack_hold:
                    over.append((st, att))
            else:
                due = min(due, self._deadline(att, now))
        over.sort(key=lambda done: (self._deadline(done[1], now), done[0].mac))
        return over, due

    def _deadline(self, att: Attempt, now: int) -> int:
        """The first instant a held attempt has waited long enough."""
        return (att.first_data_ns or now) + self.wait_ns + 1
