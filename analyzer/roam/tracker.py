"""The roam engine's only stateful code: decoded frames in, one at a time; roams and findings
out as soon as they are complete. Memory follows the active stations, not the capture."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from analyzer.dot11.consts import reason_name
from analyzer.dot11.decode import pn_fields
from analyzer.dot11.records import (
    AssocReq,
    AssocResp,
    Beacon,
    BlockAck,
    BtmRequest,
    BtmResponse,
    Ccmp,
    Disconnect,
    Eapol,
    EapolKey,
    Elements,
    Frame,
    Kind,
    MacHeader,
    Malformed,
    NeighborResp,
)
from analyzer.roam import clock, preauth, steering
from analyzer.roam import findings as fnd
from analyzer.roam.acks import MAX_UNACKED, NEVER, Holds, Unacked
from analyzer.roam.attempt import Attempt, Result, Stage
from analyzer.roam.build import build_roam, pmkids_learned, surroundings
from analyzer.roam.caps import CapNotices, Limits, heard
from analyzer.roam.dedup import Dedup, Seen, Verdict
from analyzer.roam.events import (
    _ODD_HEX,
    BROADCAST,
    Event,
    EventType,
    is_unicast,
    resolve_key,
    to_event,
)
from analyzer.roam.floods import FloodWatch
from analyzer.roam.mld import MldMap, learns
from analyzer.roam.pn import PnFields, PnTracker
from analyzer.roam.records import Finding, Roam, StationSummary
from analyzer.roam.station import (
    Bss,
    PendingTrigger,
    Rekey,
    Station,
    Tally,
    channel_of,
    note_malformed,
)
from analyzer.roam.steering import SteeringLog

E = EventType
_DATA = Kind.DATA
_BEACON = Kind.BEACON
_CONTROL = Kind.CONTROL
Output = list[Roam | Finding]
SWEEP_NS = 1_000_000_000
NO_DATA = "data frames not captured (live without --data-latency)"
# A roam waits this long after its first data frame for its first acknowledged one; live, where
# a roam is printed as it completes, a short wait (the first data frame's ACK or a retry's).
ACK_WAIT_NS = 1_000_000_000
ACK_WAIT_LIVE_NS = 50_000_000
MAX_REPORTED = 4096
_DISCONNECTS = frozenset({E.DEAUTH, E.DISASSOC})
_KEYING = frozenset({E.AUTH, E.ASSOC_REQ, E.ASSOC_RESP, E.DEAUTH, E.DISASSOC, E.EAPOL_KEY})
_STEERING = frozenset({E.NEIGHBOR_REQ, E.NEIGHBOR_RESP, E.BTM_REQUEST, E.BTM_RESPONSE,
                       E.PROBE_REQ, E.PROBE_RESP})
_FRESH = frozenset({Verdict.NEW, Verdict.REPLAY})  # a frame transmitted again, not a retry
_REKEY_MESSAGES = frozenset({"M1", "M2", "M3", "M4", "G1", "G2"})
EXTENDED_KEY_ID_NOTE = (
    "Extended Key ID for individually addressed frames on this association: its PTK rekeys "
    "travel inside protected frames, so this capture cannot show them without decryption")
_STARTS_MGMT = frozenset({E.AUTH, E.ASSOC_REQ, E.FT_REQUEST})
_STARTS_EAPOL = frozenset({E.EAP, E.EAPOL_START, E.EAPOL_KEY})
_INITIAL_STAGE = {E.FT_REQUEST: Stage.FT_ACTION, E.AUTH: Stage.AUTH, E.ASSOC_REQ: Stage.ASSOC}


class Tracker:
    """Per-station connection attempts from a time-ordered stream of `Frame`/`Malformed`.

    `timeout_s`: an attempt with no new frame for this long fails (`no_progress`, or the
    phase that stalled); a succeeded one stops waiting for its first data frame.
    `station_idle_s`: state of a station silent this long is dropped.
    `slow_roam_ms`: SLOW_ROAM threshold per method (key "default" for the others).
    `trigger_window_s`: how long a deauth/disassoc/BTM Request stays a candidate trigger.
    `limits`: caps on the stations, BSSIDs and per-station totals kept (see `caps`).
    `clock_jump_s`: a gap between two frames longer than this is a jump of the clock
    (analyzer.roam.clock), as is any step back of more than a millisecond.
    """

    def __init__(
        self,
        timeout_s: float = 5.0,
        station_idle_s: float = 300.0,
        slow_roam_ms: Mapping[str, float] | None = None,
        trigger_window_s: float = 10.0,
        limits: Limits | None = None,
        await_data: bool = True,
        ack_wait_s: float = ACK_WAIT_NS / 1e9,
        clock_jump_s: float = clock.FORWARD_S,
    ) -> None:
        self._await_data = await_data
        self._timeout_ns = int(timeout_s * 1e9)
        self._idle_ns = int(station_idle_s * 1e9)
        self._trigger_ns = int(trigger_window_s * 1e9)
        self._slow = {"default": fnd.DEFAULT_SLOW_ROAM_MS, **(slow_roam_ms or {})}
        self._stations: dict[str, Station] = {}
        self._bss: dict[str, Bss] = {}
        self._tally: dict[str, Tally] = {}
        self._dedup = Dedup()
        self._floods = FloodWatch()
        self._pn = PnTracker()
        self._mld = MldMap()  # Wi-Fi 7: link addresses -> MLD MAC addresses
        self._mld_links = self._mld.links
        self._limits = limits or Limits()
        self.caps = CapNotices()
        self._reported: set[tuple[str, str | None, str | None]] = set()
        self._next_id = 1
        self._now = 0
        self._next_sweep = 0
        # the previous frame, against which a jump of the clock is seen (analyzer.roam.clock)
        self._last_ts = 0
        self._last_index = 0
        self._back_ns = clock.BACK_NS
        self._forward_ns = int(clock_jump_s * 1e9)
        # data frames waiting for their ACK or Block Ack, and attempts waiting for their first
        # acknowledged data (analyzer.roam.acks); the per-data-frame path reads `_unacked`,
        # the table, and `_hold_due`, the first deadline of the holds, without a call
        self._acks = Unacked()
        self._unacked = self._acks.table
        self._holds = Holds(int(ack_wait_s * 1e9))
        self._hold_due = NEVER
        self._no_ack_why = (f"no acknowledged data frame on the new BSSID within "
                            f"{self._holds.wait_ns / 1e9:g} s of the first data frame")  # fmt: skip
        self.frames = 0
        self.malformed = 0
        self.retransmissions = 0
        self.acks = 0  # ACKs and Block Acks seen

    # --- public ------------------------------------------------------------------------

    def feed(self, item: Frame | Malformed) -> Output:
        """Take one item; return the roams and findings it completed."""
        out: Output = []
        self._clock(item.ts_ns, out, item.index)
        if isinstance(item, Malformed):
            self.malformed += 1
            note_malformed(self._stations, item)
            return out
        self.frames += 1
        kind = item.kind
        if kind is _DATA:
            self._data(item, out)
        elif kind is _BEACON:
            self._beacon(item, out)
        elif kind is _CONTROL:
            self._control(item, out)
        else:
            self._frame(item, out)
        return out

    def tick(self, now_ns: int) -> Output:
        """Let time pass without a frame (a quiet live source), so stalled attempts time out."""
        out: Output = []
        self._clock(now_ns, out)
        return out

    def finish(self) -> Output:
        """End of input: attempts still open become `incomplete` (or wait no more for data)."""
        out: Output = []
        for st in list(self._stations.values()):
            self._close(st, out, "capture ended")
            if st.steering is not None and st.steering.btm is not None:
                self._steering_due(st, self._now, out)
        ended = self._floods.finish()
        if ended:
            self._flood_results(ended, out)
        return out

    def _close(self, st: Station, out: Output, why: str) -> None:
        if st.ft_replay is not None and st.ft_request is not None:
            self._ft_replay_found(st, st.ft_request[0][0], "no answer captured", out)
        att = st.attempt
        if att is not None and att.stage is Stage.AWAIT_DATA:
            self._emit(st, att, out, _before(att, why))
        elif att is not None:
            att.outcome = "incomplete"
            self._emit(st, att, out)

    def stations(self) -> list[StationSummary]:
        return [
            StationSummary(sta, tuple(sorted(t.bssids)), t.attempts, t.roams, t.success)
            for sta, t in sorted(self._tally.items())
        ]

    @property
    def active_stations(self) -> int:
        return len(self._stations)

    # --- time ----------------------------------------------------------------------------

    def _clock(self, ts_ns: int, out: Output, index: int = 0) -> None:
        """Time of frame `index` (0: no frame, a tick): a jump is looked for first, then
        held attempts released and the station table swept when due."""
        if index:
            last = self._last_ts
            if (ts_ns < last - self._back_ns or ts_ns - last > self._forward_ns) \
                    and self._last_index:
                self._clock_jumped(index, ts_ns, out)
            self._last_ts, self._last_index = ts_ns, index
        if ts_ns > self._now:
            self._now = ts_ns
        if self._now >= self._hold_due:
            self._release_holds(out)
        if self._now >= self._next_sweep:
            self._next_sweep = self._now + SWEEP_NS
            self._sweep(out)

    def _clock_jumped(self, index: int, ts_ns: int, out: Output) -> None:
        """CLOCK_JUMP between the previous frame and frame `index`. Attempts open across a
        step back keep going, unmeasured; a leap forward, or a step back longer than an
        attempt's timeout, ends them (`incomplete`): their frames before the jump cannot be
        timed against the ones after, and the clock starts again from `ts_ns`. Every
        station's next attempt measures nothing from before its start."""
        said = clock.why(self._last_index, self._last_ts, index, ts_ns)
        self._jump_found(clock.finding(self._last_index, index, said), out)
        restart = ts_ns > self._last_ts or self._last_ts - ts_ns > self._timeout_ns
        for st in list(self._stations.values()):
            att = st.attempt
            if att is not None and restart:
                if att.stage is not Stage.AWAIT_DATA:
                    att.failure_reason = att.failure_reason or said
                self._close(st, out, said)
            elif att is not None:
                att.clock_jump = said
            st.clock_jump = clock.Before(said, st.last_data, st.last_acked, st.probe)
        if restart and ts_ns < self._now:
            self._now = ts_ns
            self._next_sweep = ts_ns + SWEEP_NS
            self._hold_due = min(self._hold_due, ts_ns)

    def _jump_found(self, finding: Finding, out: Output) -> None:
        out.append(finding)

    def _sweep(self, out: Output) -> None:
        now = self._now
        if self._unacked:
            self._acks.forget(now)
        idle = self._idle_ns
        for mac, st in list(self._stations.items()):
            if st.attempt is not None:  # (_expire has nothing to do without one)
                self._expire(st, now, out)
            steering = st.steering
            if steering is not None and steering.btm is not None:
                self._steering_due(st, now, out)
            if st.attempt is None and now - st.last_ns > idle:
                del self._stations[mac]
        for bssid in [b for b, bss in self._bss.items() if now - bss.last_ns > self._idle_ns]:
            del self._bss[bssid]
        ended = self._floods.sweep(now)
        if ended:
            self._flood_results(ended, out)

    def _expire(self, st: Station, now: int, out: Output) -> None:
        att = st.attempt
        if att is None:
            return
        if att.ack_hold:
            self._hold_expired(st, att, now, out)
        elif att.stage is Stage.AWAIT_DATA:
            if now - (att.success_ns or att.last_ns) > self._timeout_ns:
                why = (None if att.first_data_ns is not None else
                       f"no data frame on the new BSSID within {self._timeout_ns / 1e9:g} s")
                self._emit(st, att, out, why)
        elif now - att.last_ns > self._timeout_ns:
            att.outcome, att.failure_reason = att.timed_out()
            self._emit(st, att, out)

    # --- frames --------------------------------------------------------------------------

    def _beacon(self, frame: Frame, out: Output) -> None:
        header, body = frame.header, frame.body
        if not isinstance(header, MacHeader) or header.addr3 is None:
            return
        bss = self._bss_of(header.addr3, frame.index, out)
        bss.hear(frame)
        if isinstance(body, Beacon):
            bss.learn(body.elements)
            if body.elements.multi_link is not None:
                self._mld.beacon(header.addr3, body.elements.multi_link)

    def beacon_seen(
        self, ts_ns: int, index: int, addr3: str, signal_dbm: int | None, freq_mhz: int | None,
        elements: Elements,
    ) -> Output:
        """`feed` of a BEACON frame with a radio given only what the tracker reads (the
        pipeline's lean path when no frame sink needs the decoded frame)."""
        out: Output = []
        self._clock(ts_ns, out, index)
        self.frames += 1
        bss = self._bss.get(addr3)
        if bss is None:
            bss = self._bss_of(addr3, index, out)
        # Bss.hear, for a frame with a radio
        bss.last_ns = ts_ns
        if signal_dbm is not None:
            bss.signal_dbm = signal_dbm
        if bss.channel is None:
            bss.channel = channel_of(freq_mhz)
        bss.learn(elements)
        if elements.multi_link is not None:
            self._mld.beacon(addr3, elements.multi_link)
        return out

    def _bss_of(self, bssid: str, index: int, out: Output) -> Bss:
        bss = self._bss.get(bssid)
        if bss is None:
            self.caps.make_room(self._bss, heard, self._limits.bss, "BSSIDs", index, out)
            bss = self._bss[bssid] = Bss()
        return bss

    def _frame(self, frame: Frame, out: Output) -> None:
        header = frame.header
        if self._unacked and isinstance(header, MacHeader):
            self._unacked.pop(header.addr2, None)  # an ACK would answer this frame, not data
        ev = to_event(frame)
        if ev is None:
            return
        if ev.type in _KEYING and isinstance(header, MacHeader):
            self._keying(header, ev)
        if self._mld_links or learns(ev):
            ev = self._mld_event(ev)
        if ev.from_ap and ev.via is None:
            bss = self._bss_of(ev.bssid, ev.index, out)
            bss.hear(frame)
            if ev.type is E.PROBE_RESP and isinstance(frame.body, Beacon):
                bss.learn(frame.body.elements)
        if (not ev.from_ap and ev.sta != BROADCAST and isinstance(header, MacHeader)
                and header.addr2 == ev.sta):
            self._dedup.asked(frame)  # partition.sent_by_station's frames
        verdict, first = self._dedup.check(frame, ev.from_ap)
        if ev.type in _DISCONNECTS and verdict in _FRESH:
            self._flood_frame(frame, ev, out)
        match verdict:
            case Verdict.RETRY:
                self._retry(ev)
            case Verdict.REPLAY if first is not None:
                self._replay(ev, first, out)
            case Verdict.NEW:
                self._event(ev, out)

    def _keying(self, header: MacHeader, ev: Event) -> None:
        """A frame that installs or drops a key: the pair's packet numbers restart (and an
        AP's group ones after its group key message in the clear)."""
        self._pn.forget(header.addr1, header.addr2)
        key = ev.detail
        if ev.from_ap and isinstance(key, EapolKey) and not key.pairwise and header.addr2:
            self._pn.forget_group(header.addr2)

    def _flood_frame(self, frame: Frame, ev: Event, out: Output) -> None:
        header = frame.header
        if not isinstance(header, MacHeader) or header.addr2 is None:
            return
        st = self._stations.get(ev.sta)
        reason = ev.detail.reason if isinstance(ev.detail, Disconnect) else None
        ended = self._floods.add(header.addr2, header.addr1, ev.sta, ev.bssid, ev.from_ap,
                                 ev.index, ev.ts_ns, reason, header.seq,
                                 st is not None and st.pmf)  # fmt: skip
        if ended:
            self._flood_results(ended, out)

    def _flood_results(self, findings: list[Finding], out: Output) -> None:
        out.extend(findings)

    def station_sent(self, frame: Frame) -> None:
        """A station's own management or EAPOL frame that another partition of the engine
        processes (analyzer.roam.partition): only what the AP's frames are judged by."""
        self._dedup.asked(frame)

    def _event(self, ev: Event, out: Output) -> None:
        if ev.sta == BROADCAST:
            self._broadcast(ev, out)
            return
        if ev.type is E.SA_QUERY:  # only an association comeback's attempt takes note
            known = self._stations.get(ev.sta)
            att = known.attempt if known is not None else None
            if att is not None and att.comeback is not None and att.to_bssid == ev.bssid:
                att.sa_query(ev)
                out.extend(att.findings)
                att.findings.clear()
            return
        st = self._station(ev.sta, ev.ts_ns, ev.index, out)
        self._expire(st, ev.ts_ns, out)
        if ev.type in _STEERING:
            self._steering_event(st, ev)
        match ev.type, ev.detail:
            case E.PROBE_REQ | E.PROBE_RESP, _:
                st.probed(ev.ts_ns, ev.from_ap)
            case E.DEAUTH | E.DISASSOC, Disconnect() as body:
                self._disconnect(st, ev, body, out)
            case E.BTM_REQUEST, BtmRequest() as req if ev.from_ap:
                st.trigger = PendingTrigger.btm(ev.ts_ns, ev.index, req)
            case E.BTM_RESPONSE, BtmResponse() as resp if st.trigger is not None:
                if st.trigger.type == "btm_request":
                    st.trigger.answer(resp)
            case E.NEIGHBOR_REQ | E.NEIGHBOR_RESP, _:
                pass  # 802.11k: `_steering_event` only
            case E.EAPOL_KEY, EapolKey() as key:
                self._attempt_event(st, self._resolved(st, ev, key), out)
            case E.PREAUTH, _:
                self._preauth(st, ev, out)
            case _:
                self._attempt_event(st, ev, out)

    # --- Wi-Fi 7 multi-link devices (analyzer.roam.mld) ----------------------------------------

    def _mld_event(self, ev: Event) -> Event:
        """Learn the frame's Basic Multi-Link element; the event with MLD MAC addresses."""
        if learns(ev):
            self._mld.learn(ev)
        if not self._mld_links:
            return ev
        ev = self._mld.canonical(ev)
        st = self._stations.get(ev.sta)
        att = st.attempt if st is not None else None
        if att is not None and att.to_bssid in self._mld_links:  # opened before the AP's
            att.to_bssid = self._mld_links[att.to_bssid]  # MLD address was known
        return ev

    def _mld_roam(self, roam: Roam, out: Output) -> Roam:
        """The attempt's links; a re-association within one AP MLD that changed them is a
        link change (MLO_LINK_CHANGE), on the timeline next to it."""
        links = self._mld.setup(roam.sta, roam.to_bssid)
        if not links:
            return roam
        roam = replace(roam, mlo_links=links)
        change = self._mld.link_change(roam)
        if change is not None:
            out.append(change)
        return roam

    # --- 802.11k/v (analyzer.roam.steering) ---------------------------------------------------

    def _steering_event(self, st: Station, ev: Event) -> None:
        """Neighbor reports, BTM Requests/Responses and the probes after them, kept for the
        station's next attempt."""
        log = st.steering
        if log is None:
            if ev.type not in (E.NEIGHBOR_REQ, E.NEIGHBOR_RESP, E.BTM_REQUEST):
                return
            log = st.steering = SteeringLog()
        detail = ev.detail
        match ev.type:
            case E.NEIGHBOR_REQ if not ev.from_ap:
                log.requested(ev.index)
            case E.NEIGHBOR_RESP if ev.from_ap and isinstance(detail, NeighborResp):
                log.neighbor_report(ev.ts_ns, ev.index, ev.bssid, detail.reports)
            case E.BTM_REQUEST if ev.from_ap and isinstance(detail, BtmRequest):
                log.btm_request(ev.ts_ns, ev.index, ev.bssid, detail)
            case E.BTM_RESPONSE if not ev.from_ap and isinstance(detail, BtmResponse):
                log.btm_response(ev.index, detail)
            case E.PROBE_REQ if not ev.from_ap:
                radio = ev.frame.radio
                log.probed(channel_of(radio.freq_mhz if radio else None),
                           ev.bssid if is_unicast(ev.bssid) else None)
            case E.PROBE_RESP if ev.from_ap:
                log.probed(None, ev.bssid)

    def _steering_taken(self, st: Station, att: Attempt, ev: Event) -> None:
        """The attempt takes the offer it followed; a BTM target off the list is a finding."""
        log = st.steering
        assert log is not None
        if log.btm is not None:
            self._steering_due(st, ev.ts_ns, att.findings)
        att.steering = log.take(ev.ts_ns, ev.bssid)
        found = steering.target_not_listed(att.steering, st.mac, att.id, ev.index)
        if found is not None:
            att.findings.append(found)

    def _steering_due(self, st: Station, now: int, out: Output | list[Finding]) -> None:
        log = st.steering
        found = log.ignored(now, self._trigger_ns, st.mac) if log is not None else None
        if found is not None:
            out.append(found)

    def _preauth(self, st: Station, ev: Event, out: Output) -> None:
        """Pre-authentication (analyzer.roam.preauth): never an attempt; a completed one
        waits on the station for its next attempt record, a failed one is reported now."""
        done = st.preauth_log().on_event(ev, st.current_bssid)
        if done is not None and not done.success:
            out.append(preauth.failed(done))

    def _station(self, mac: str, ts_ns: int, index: int, out: Output) -> Station:
        st = self._stations.get(mac)
        if st is None:
            limit = self._limits.stations
            for old in self.caps.make_room(self._stations, heard, limit, "stations", index, out):
                if old.attempt is not None and old.attempt.stage is not Stage.AWAIT_DATA:
                    self.caps.note("open attempts", 1, limit, index, out)
                else:
                    self._close(old, out, "station state evicted (STATE_CAP_REACHED)")
            st = self._stations[mac] = Station(mac, ts_ns)
        st.last_ns = max(st.last_ns, ts_ns)
        return st

    def _resolved(self, st: Station, ev: Event, key: EapolKey) -> Event:
        body = ev.frame.body
        if key.message is not None or not isinstance(body, Eapol):
            return ev
        att = st.attempt
        akm = att.akm if att is not None and att.akm is not None else st.akm
        group = st.dh_group if att is None else (att.owe_group or att.sae_group or st.dh_group)
        return replace(ev, detail=resolve_key(key, body.raw, akm, group))

    def _retry(self, ev: Event) -> None:
        self.retransmissions += 1
        st = self._stations.get(ev.sta)
        if st is None:
            return
        if ev.type in (E.PROBE_REQ, E.PROBE_RESP):
            st.probed(ev.ts_ns, ev.from_ap, retry=True)
        elif st.attempt is not None and st.attempt.to_bssid == ev.bssid:
            st.attempt.retried(ev)

    def _replay(self, ev: Event, first: Seen, out: Output) -> None:
        key = ("REPLAYED_FRAME", ev.sta, ev.bssid)
        if key in self._reported:
            return
        if len(self._reported) >= MAX_REPORTED:
            self._reported.clear()
        self._reported.add(key)
        out.append(fnd.replayed(ev.type.value, ev.index, ev.ts_ns, ev.sta, ev.bssid, first))

    # --- data ----------------------------------------------------------------------------

    def _data(self, frame: Frame, out: Output) -> None:
        header = frame.header
        if not isinstance(header, MacHeader):
            return
        body = frame.body
        if type(body) is Ccmp and header.seq is not None:
            self._pn_seen(header.addr2, header.addr1, header.fc_flags, frame.index,
                          pn_fields(body, header), out)
        self._data_fields(frame.ts_ns, frame.index, header.fc_flags, header.addr1,
                          header.addr2, header.subtype, out)  # fmt: skip

    def data_seen(
        self, ts_ns: int, index: int, fc_flags: int, addr1: str, addr2: str | None, subtype: int,
        pn: PnFields | None = None,
    ) -> Output:
        """`feed` of a DATA frame given only the header fields the tracker reads (the
        pipeline's lean path when no frame sink needs the decoded frame), and `pn` when it
        is protected by CCMP/GCMP (analyzer.dot11.decode.pn_fields); `_clock` inlined: this
        runs for every data frame."""
        out: Output = []
        last = self._last_ts
        if (ts_ns < last - self._back_ns or ts_ns - last > self._forward_ns) and self._last_index:
            self._clock_jumped(index, ts_ns, out)
        self._last_ts = ts_ns
        self._last_index = index
        if ts_ns > self._now:
            self._now = ts_ns
        if self._now >= self._hold_due:
            self._release_holds(out)
        if self._now >= self._next_sweep:
            self._next_sweep = self._now + SWEEP_NS
            self._sweep(out)
        self.frames += 1
        if pn is not None:
            self._pn_seen(addr2, addr1, fc_flags, index, pn, out)
        self._data_fields(ts_ns, index, fc_flags, addr1, addr2, subtype, out)
        return out

    def _pn_seen(self, ta: str | None, ra: str, fc_flags: int, index: int, pn: PnFields,
                 out: Output) -> None:  # fmt: skip
        reused = self._pn.seen(ta, ra, fc_flags, index, pn)
        if reused is not None:
            self._pn_reused(reused, out)

    def _pn_reused(self, finding: Finding, out: Output) -> None:
        out.append(finding)

    def ack_seen(self, ts_ns: int, index: int, ra: str) -> Output:
        """`feed` of an ACK given only its receiver address (the pipeline's lean path)."""
        out: Output = []
        self._clock(ts_ns, out, index)
        self.frames += 1
        self.acks += 1
        done = self._acks.ack(ts_ns, ra)
        if done is not None:
            self._emit(*done, out)
        return out

    def _data_fields(
        self, ts_ns: int, index: int, fc_flags: int, addr1: str, addr2: str | None,
        subtype: int, out: Output,
    ) -> None:  # fmt: skip
        # data_roles (analyzer.roam.events), inlined: this runs for every data frame.
        # The frame waits in `_unacked` (by transmitter, A2) for the acknowledgement that may
        # follow; any other frame of that transmitter takes its place, as the ACK would answer
        # that one.
        ds = fc_flags & 0x03
        if ds == 0x01:
            sta, bssid, from_ap = addr2, addr1, False
        elif ds == 0x02:
            sta, bssid, from_ap = addr1, addr2, True
        else:
            self._unacked.pop(addr2, None)
            return
        if sta is None or bssid is None or sta[1] in _ODD_HEX:
            self._unacked.pop(addr2, None)
            return
        if self._mld_links:  # Wi-Fi 7: the MLDs, whichever link carried the frame
            sta, bssid = self._mld_links.get(sta, sta), self._mld_links.get(bssid, bssid)
        st = self._stations.get(sta)
        if st is None:
            if from_ap:
                self._unacked.pop(addr2, None)
                return
            st = self._station(sta, ts_ns, index, out)
        if ts_ns > st.last_ns:
            st.last_ns = ts_ns
        if subtype & 0x04:  # Null / QoS Null: no payload, not data-plane traffic
            self._unacked.pop(addr2, None)
            return
        unacked = self._unacked
        unacked[addr2] = (ts_ns, st, bssid)
        if len(unacked) > MAX_UNACKED:
            self._acks.forget(ts_ns)
        st.saw_data(bssid, ts_ns)
        att = st.attempt
        if att is not None and att.ack_hold and att.to_bssid != bssid and not from_ap:
            self._emit(st, att, out, _before(att, "the station sent data on another BSSID"))
            att = None
        if att is None:
            if not from_ap:
                st.current_bssid = bssid
            return
        if att.to_bssid != bssid:
            if bssid == att.from_bssid and att.stage is not Stage.AWAIT_DATA:
                att.old_data_ns = ts_ns
            return
        out_result = att.on_data(ts_ns, index, bool(fc_flags & 0x40), from_ap)
        if out_result is not None:
            self._settle(st, att, out_result, ts_ns, out)
        elif att.stage is Stage.AWAIT_DATA and att.first_data_ns is not None:
            self._data_arrived(st, att, ts_ns, out)

    # --- acknowledgements ----------------------------------------------------------------

    def _control(self, frame: Frame, out: Output) -> None:
        header, body = frame.header, frame.body
        if not isinstance(header, MacHeader):
            return
        if header.subtype == 13:
            done = self._acks.ack(frame.ts_ns, header.addr1)
        elif isinstance(body, BlockAck):
            done = self._acks.block_ack(frame.ts_ns, header.addr1, header.addr2,
                                        body.acknowledges)  # fmt: skip
        else:
            return
        self.acks += 1
        if done is not None:
            self._emit(*done, out)

    def _data_arrived(self, st: Station, att: Attempt, ts_ns: int, out: Output) -> None:
        """First data on the new BSSID completes the attempt; but while ACKs (or Block Acks) are
        being captured it waits (`ack_wait_s` at most) for its first acknowledged data frame,
        and after data that came before M4 it waits for the next data frame (M4 may follow,
        and ends the handshake)."""
        if att.m4_wait:
            att.m4_wait = False
            return
        if not self.acks or att.first_ack_ns is not None:
            self._emit(st, att, out)
        elif not att.ack_hold:
            self._hold_due = min(self._hold_due, self._holds.hold(st, att, self._now))
        else:
            self._hold_expired(st, att, ts_ns, out)

    def _hold_expired(self, st: Station, att: Attempt, now: int, out: Output) -> None:
        if self._holds.over(att, now):
            self._emit(st, att, out, self._no_ack_why)

    def _release_holds(self, out: Output) -> None:
        """The clock reached a held attempt's deadline: emit those whose wait is over (the
        others were emitted already, or wait on)."""
        over, self._hold_due = self._holds.release(self._now)
        for st, att in over:
            self._emit(st, att, out, self._no_ack_why)

    # --- attempts ------------------------------------------------------------------------

    def _attempt_event(self, st: Station, ev: Event, out: Output) -> None:
        att = st.attempt
        if att is not None and att.accepts(ev):
            self._apply(st, att, ev, out)
            return
        if ev.type is E.EAPOL_KEY and st.keyed_bssid == ev.bssid:
            self._rekey(st, ev, out)
            return
        if self._ft_replayed(st, ev, out):
            return
        if not self._starts(st, ev):
            return
        if att is not None:
            self._supersede(st, att, out)
        self._apply(st, self._open(st, ev), ev, out)

    def _ft_replayed(self, st: Station, ev: Event, out: Output) -> bool:
        """A copy of the FT Reassociation Request an attempt already completed (the same
        SNonce and FTE MIC under a new sequence number), or the AP's answer to one: never a
        new attempt (CVE-2017-13082: an AP that answers may reinstall the key)."""
        if ev.type is E.ASSOC_RESP and st.ft_replay is not None and ev.from_ap:
            status = ev.detail.status if isinstance(ev.detail, AssocResp) else None
            self._ft_replay_found(st, ev.bssid, f"the AP answered it (status {status})", out)
            return True
        key = _ft_key(ev)
        if key is None or st.ft_request is None or st.ft_request[0] != key:
            return False
        if st.ft_replay is not None:
            self._ft_replay_found(st, ev.bssid, "no answer captured", out)
        st.ft_replay = ev.index
        return True

    def _ft_replay_found(self, st: Station, bssid: str, answer: str, out: Output) -> None:
        original = st.ft_request[1] if st.ft_request is not None else None
        msg = (f"the FT Reassociation Request of frame {original} sent again (same SNonce and "
               f"FTE MIC, a new sequence number) after the AP had answered it; {answer}: an "
               "FT reassociation replay (CVE-2017-13082 pattern), not a new attempt")
        out.append(fnd.make("FT_REASSOC_REPLAYED", st.ft_replay, st.mac, bssid, msg))
        st.ft_replay = None

    def _rekey(self, st: Station, ev: Event, out: Output) -> None:
        """A handshake in the clear on the association already keyed: a PTK rekey (a new 4-way
        handshake) or a group key handshake, on the station's timeline, never an attempt."""
        key = ev.detail
        if not isinstance(key, EapolKey) or key.message not in _REKEY_MESSAGES:
            return
        message, run = key.message, st.rekey
        if key.ack and message in ("M3", "G1") and st.key_counter is not None and \
                key.replay_counter <= st.key_counter:
            out.append(fnd.key_replayed(message, key.replay_counter, st.key_counter, ev))
            return
        if key.ack:
            st.key_counter = max(st.key_counter or 0, key.replay_counter)
        if message in ("M1", "G1") and (run is None or run.messages[-1] != message
                                        or run.bssid != ev.bssid):  # fmt: skip
            run = st.rekey = Rekey(ev.bssid, message == "G1", [], [])
        if run is None or run.bssid != ev.bssid or run.group != (message[0] == "G"):
            return
        run.add(message, ev.index)
        if message in ("M4", "G2"):
            st.rekey = None
            out.append(fnd.rekey(run.group, run.frames, run.messages, st.mac, ev.bssid))

    def _starts(self, st: Station, ev: Event) -> bool:
        if ev.type in _STARTS_MGMT:
            return not ev.from_ap
        if ev.type not in _STARTS_EAPOL or st.keyed_bssid == ev.bssid:
            return False
        if st.attempt is not None and st.attempt.stage is not Stage.AWAIT_DATA:
            return False
        return not isinstance(ev.detail, EapolKey) or ev.detail.message in ("M1", "M2", "M3")

    def _supersede(self, st: Station, att: Attempt, out: Output) -> None:
        if att.stage is Stage.AWAIT_DATA:
            self._emit(st, att, out, _before(att, "next attempt started"))
            return
        att.outcome, att.failure_reason = "failed", "superseded"
        self._emit(st, att, out)

    def _open(self, st: Station, ev: Event) -> Attempt:
        att = Attempt(self._next_id, st.mac, ev.bssid, ev.ts_ns,
                      _INITIAL_STAGE.get(ev.type, Stage.KEYING), last_ns=ev.ts_ns)
        self._next_id += 1
        self._set_from(st, att, st.current_bssid)
        att.trigger = st.take_trigger(ev.ts_ns, ev.bssid, self._trigger_ns)
        if att.trigger.type in ("deauth", "disassoc"):
            self._floods.triggered(st.mac, (att.from_bssid, ev.bssid), att.trigger.frame,
                                   ev.index)  # fmt: skip
        att.probe = st.take_probe(ev.ts_ns, self._timeout_ns)
        if st.clock_jump is not None:
            spanned = st.clock_jump.spanned(att.from_bssid, att.old_data_ns, att.old_ack_ns,
                                            att.probe)
            att.jump_before = (st.clock_jump.said, spanned) if spanned else None
        if st.steering is not None:
            self._steering_taken(st, att, ev)
        st.attempt, st.keyed_bssid = att, None
        return att

    @staticmethod
    def _set_from(st: Station, att: Attempt, bssid: str | None) -> None:
        att.from_bssid = bssid
        att.old_data_ns = None if bssid is None else st.last_data.get(bssid)
        att.old_ack_ns = None if bssid is None else st.last_acked.get(bssid)

    def _apply(self, st: Station, att: Attempt, ev: Event, out: Output) -> None:
        if ev.type is E.ASSOC_REQ:
            bss = self._bss.get(ev.bssid)
            att.ap_rsn_capabilities = bss.rsn_capabilities if bss is not None else None
            key = _ft_key(ev)
            if key is not None:
                st.ft_request, st.ft_replay = (key, ev.index), None
        result = att.apply(ev)
        if att.from_bssid is None:
            self._set_from(st, att, att.current_ap or att.via)
        if att.akm is not None:
            st.akm = att.akm
        st.dh_group = att.owe_group or att.sae_group or st.dh_group
        out.extend(att.findings)
        att.findings.clear()
        if result is not None:
            self._settle(st, att, result, ev.ts_ns, out)

    def _settle(self, st: Station, att: Attempt, result: Result, ts_ns: int, out: Output) -> None:
        outcome, reason = result
        if outcome != "success":
            att.outcome, att.failure_reason = outcome, reason
            self._emit(st, att, out)
            return
        att.succeed(ts_ns)
        st.current_bssid = st.keyed_bssid = att.to_bssid
        st.rekey = None
        st.key_counter = max(att.m1_replays + att.m3_replays, default=None)
        bss = self._bss.get(att.to_bssid)
        # PMF negotiated: both RSNEs MFP capable (known, never assumed)
        st.pmf = bss is not None and _mfp_capable(att.rsn_capabilities) and _mfp_capable(
            bss.rsn_capabilities)
        if _extended_key_id(att.rsn_capabilities) and (
                bss is None or _extended_key_id(bss.rsn_capabilities)):
            out.append(fnd.make("EXTENDED_KEY_ID", att.assoc_req_frame, st.mac, att.to_bssid,
                                EXTENDED_KEY_ID_NOTE, att.id))  # fmt: skip
        if att.first_data_ns is not None:
            self._data_arrived(st, att, ts_ns, out)
        elif not self._await_data:
            self._emit(st, att, out, NO_DATA)

    def _emit(self, st: Station, att: Attempt, out: Output, finish_why: str | None = None) -> None:
        roam = build_roam(att, surroundings(st, att, self._bss, finish_why))
        if self._mld_links:
            roam = self._mld_roam(roam, out)
        st.learn_pmkids(att.to_bssid, pmkids_learned(att))
        if roam.outcome == "success" and roam.method == "full_8021x":
            st.authenticated_with(att.to_bssid)
        st.attempt = None
        st.clock_jump = None
        tally = self._tally.get(roam.sta)
        if tally is None:
            index = roam.frames[0] if roam.frames else 0
            self.caps.make_room(self._tally, None, self._limits.tally, "station totals", index, out)
            tally = self._tally[roam.sta] = Tally()
        tally.count(roam)
        out.append(roam)
        out.extend(fnd.on_close(roam, self._slow))

    # --- disconnects ---------------------------------------------------------------------

    def _disconnect(self, st: Station, ev: Event, body: Disconnect, out: Output) -> None:
        kind = "deauth" if ev.type is E.DEAUTH else "disassoc"
        reason = "protected" if body.reason is None else reason_name(body.reason)
        att = st.attempt
        ongoing = att is not None and att.to_bssid == ev.bssid
        if att is not None and ongoing and att.stage is not Stage.AWAIT_DATA:
            att.add_frame(ev.index, ev.ts_ns)
            who = "AP" if ev.from_ap else "station"
            att.finding("DEAUTH_DURING_ROAM", ev, f"{kind} ({reason}) by the {who} mid-attempt")
            out.extend(att.findings)
            att.findings.clear()
            att.outcome, att.failure_reason = "failed", f"{kind}:{reason}"
            self._emit(st, att, out)
        elif att is not None and ongoing:
            self._emit(st, att, out, _before(att, "disconnected"))
        elif ev.bssid != st.current_bssid:
            return
        if st.keyed_bssid == ev.bssid:
            st.keyed_bssid = None
        st.pend_disconnect(PendingTrigger(kind, ev.ts_ns, ev.index, reason), self._trigger_ns)

    def _broadcast(self, ev: Event, out: Output) -> None:
        if ev.type not in (E.DEAUTH, E.DISASSOC) or not isinstance(ev.detail, Disconnect):
            return
        for st in list(self._stations.values()):
            att = st.attempt
            if st.current_bssid == ev.bssid or (att is not None and att.to_bssid == ev.bssid):
                self._disconnect(st, replace(ev, sta=st.mac), ev.detail, out)


def _ft_key(ev: Event) -> tuple[str, bytes, bytes] | None:
    """(BSSID, SNonce, FTE MIC) of a station's (Re)Association Request with an FTE."""
    req = ev.detail
    if ev.type is not E.ASSOC_REQ or ev.from_ap or not isinstance(req, AssocReq):
        return None
    fte = req.elements.fte
    return None if fte is None else (ev.bssid, fte.snonce, fte.mic)


def _mfp_capable(capabilities: int | None) -> bool:
    return capabilities is not None and bool(capabilities & 0x0080)


def _extended_key_id(capabilities: int | None) -> bool:
    """RSN Capabilities bit 13: Extended Key ID for Individually Addressed Frames."""
    return capabilities is not None and bool(capabilities & 0x2000)


def _before(att: Attempt, what: str) -> str:
    """Why a succeeded attempt stopped waiting: for its first data frame on the new BSSID, or
    (`ack_hold`) for its first acknowledged one."""
    data = "acknowledged data" if att.ack_hold else "data"
    return f"{what} before any {data} on the new BSSID"
