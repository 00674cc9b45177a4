"""Per-station and per-BSS state the tracker keeps between attempts; bounded per object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.dot11.records import BtmRequest, BtmResponse, Elements, Frame, Malformed, Radio
from analyzer.roam.attempt import Attempt, PhaseAcc
from analyzer.roam.clock import Before
from analyzer.roam.preauth import PreauthLog
from analyzer.roam.records import NO_TRIGGER, Roam, Trigger
from analyzer.roam.steering import SteeringLog

MAX_BSSIDS = 8  # per station: last data times, PMKIDs per BSSID
MAX_PMKIDS = 8
MAX_SUMMARY_BSSIDS = 32
MAX_MALFORMED_PER_ATTEMPT = 20
SCAN_GAP_NS = 2_000_000_000  # a Probe Request this long after the last one starts a new scan


def channel_of(freq_mhz: int | None) -> int | None:
    """DOMAIN §3: channel from the centre frequency."""
    if freq_mhz is None:
        return None
    if freq_mhz == 2484:
        return 14
    if 2407 < freq_mhz < 2484:
        return (freq_mhz - 2407) // 5
    if 5000 < freq_mhz < 5925:
        return (freq_mhz - 5000) // 5
    if freq_mhz == 5935:  # 6 GHz channel 2
        return 2
    if 5950 < freq_mhz <= 7125:
        return (freq_mhz - 5950) // 5
    return None


@dataclass(slots=True)
class Bss:
    """What beacons and probe responses say about one BSSID; updated in place."""

    ssid: bytes | None = None
    channel: int | None = None
    akms: tuple[int, ...] = ()
    rsn_capabilities: int | None = None
    signal_dbm: int | None = None
    last_ns: int = 0

    def hear(self, frame: Frame) -> None:
        """Radio facts of any frame the AP sent."""
        self.last_ns = frame.ts_ns
        radio: Radio | None = frame.radio
        if radio is None:
            return
        if radio.signal_dbm is not None:
            self.signal_dbm = radio.signal_dbm
        if self.channel is None:
            self.channel = channel_of(radio.freq_mhz)

    def learn(self, el: Elements) -> None:
        """What a beacon or probe response advertises; assigned only when it changed."""
        if el.ssid is not None and el.ssid != self.ssid:
            self.ssid = el.ssid
        if el.channel is not None:
            self.channel = el.channel
        rsne = el.rsne or el.wpa
        if rsne is not None:
            if rsne.akms != self.akms:
                self.akms = rsne.akms
            if rsne.capabilities != self.rsn_capabilities:
                self.rsn_capabilities = rsne.capabilities


@dataclass(slots=True)
class Rekey:
    """A 4-way (PTK rekey) or group key handshake on an association already keyed."""

    bssid: str
    group: bool
    frames: list[int]
    messages: list[str]

    MAX_FRAMES = 16

    def add(self, message: str, index: int) -> None:
        if len(self.frames) < self.MAX_FRAMES:
            self.frames.append(index)
            self.messages.append(message)


@dataclass(slots=True)
class PendingTrigger:
    """The last disconnect or BTM Request a station got; consumed by its next attempt."""

    type: str
    ts_ns: int
    frame: int
    reason: str | None = None
    candidates: tuple[str, ...] = ()
    btm_status: int | None = None
    btm_target: str | None = None

    @classmethod
    def btm(cls, ts_ns: int, frame: int, req: BtmRequest) -> PendingTrigger:
        return cls("btm_request", ts_ns, frame, candidates=tuple(c.bssid for c in req.candidates))

    def answer(self, resp: BtmResponse) -> None:
        self.btm_status, self.btm_target = resp.status, resp.target_bssid

    def freeze(self, to_bssid: str) -> Trigger:
        if self.type != "btm_request":
            return Trigger(self.type, self.reason, self.frame)
        accepted = None if self.btm_status is None else self.btm_status == 0
        listed = to_bssid in self.candidates if self.candidates else None
        return Trigger(self.type, self.reason, self.frame, accepted, self.btm_status, listed)


@dataclass(slots=True)
class Station:
    """One non-AP station: association knowledge, pending attempt, and small histories."""

    mac: str
    last_ns: int
    current_bssid: str | None = None  # last known association (attempt or data seen)
    keyed_bssid: str | None = None  # a handshake with it was seen: later EAPOL is a rekey
    attempt: Attempt | None = None
    last_data: dict[str, int] = field(default_factory=dict)  # BSSID -> its last data frame
    last_acked: dict[str, int] = field(default_factory=dict)  # BSSID -> its last ACK/Block Ack
    probe: PhaseAcc | None = None
    trigger: PendingTrigger | None = None
    pmkids: dict[str, set[bytes]] = field(default_factory=dict)  # BSSID -> PMKIDs seen
    # BSSIDs the station authenticated with in full (802.1X): a PMKSA was created there
    authenticated: dict[str, None] = field(default_factory=dict)
    akm: int | None = None
    dh_group: int | None = None
    preauth: PreauthLog | None = None  # pre-authentications (analyzer.roam.preauth), lazily
    rekey: Rekey | None = None  # a handshake in the clear on the keyed association
    pmf: bool = False  # its association negotiated management frame protection
    # the last FT Reassociation Request an attempt took: ((BSSID, SNonce, FTE MIC), frame)
    ft_request: tuple[tuple[str, bytes, bytes], int] | None = None
    ft_replay: int | None = None  # a copy of it sent after the AP answered, not yet answered
    key_counter: int | None = None  # the AP's highest EAPOL-Key replay counter on the association
    steering: SteeringLog | None = None  # 802.11k/v offers (analyzer.roam.steering), lazily
    clock_jump: Before | None = None  # what it had when the capture's clock jumped

    def preauth_log(self) -> PreauthLog:
        if self.preauth is None:
            self.preauth = PreauthLog()
        return self.preauth

    def saw_data(self, bssid: str, ts_ns: int) -> None:
        self.last_data[bssid] = ts_ns
        if len(self.last_data) > MAX_BSSIDS:
            del self.last_data[min(self.last_data, key=self.last_data.__getitem__)]

    def saw_acked(self, bssid: str, ack_ns: int) -> None:
        """A data frame on `bssid` was acknowledged (ACK or Block Ack) at `ack_ns`."""
        self.last_acked[bssid] = ack_ns
        if len(self.last_acked) > MAX_BSSIDS:
            del self.last_acked[min(self.last_acked, key=self.last_acked.__getitem__)]

    def probed(self, ts_ns: int, from_ap: bool, retry: bool = False) -> None:
        run = self.probe
        if run is None or (not from_ap and ts_ns - run.end_ns > SCAN_GAP_NS):
            if from_ap:
                return
            run = self.probe = PhaseAcc(ts_ns, ts_ns)
        run.end_ns = max(run.end_ns, ts_ns)
        run.frames += not retry
        run.retransmissions += retry

    def take_probe(self, start_ns: int, window_ns: int) -> PhaseAcc | None:
        run, self.probe = self.probe, None
        if run is None or start_ns - run.end_ns > window_ns:
            return None
        return run

    def learn_pmkids(self, bssid: str, pmkids: tuple[bytes, ...]) -> None:
        known = self.pmkids.setdefault(bssid, set())
        for p in pmkids[:MAX_PMKIDS]:
            if len(known) < MAX_PMKIDS:
                known.add(p)
        if len(self.pmkids) > MAX_BSSIDS:
            del self.pmkids[next(iter(self.pmkids))]

    def knows_pmkid(self, bssid: str, pmkids: tuple[bytes, ...]) -> bool:
        """A PMKID offered to `bssid` names a PMKSA created there: the AP showed it (M1) or
        accepted it before, or the station authenticated with it in full (whose M1 may have
        carried no PMKID KDE)."""
        if bssid in self.authenticated:
            return True
        known = self.pmkids.get(bssid, set())
        return any(p in known for p in pmkids)

    def authenticated_with(self, bssid: str) -> None:
        self.authenticated.pop(bssid, None)
        self.authenticated[bssid] = None
        if len(self.authenticated) > MAX_BSSIDS:
            del self.authenticated[next(iter(self.authenticated))]

    def take_trigger(self, ts_ns: int, to_bssid: str, window_ns: int) -> Trigger:
        """The pending trigger if recent enough; it is consumed either way."""
        pending, self.trigger = self.trigger, None
        if pending is None or ts_ns - pending.ts_ns > window_ns:
            return NO_TRIGGER
        return pending.freeze(to_bssid)

    def pend_disconnect(self, new: PendingTrigger, window_ns: int) -> None:
        """A disconnect right after a BTM Request (reason 12) completes that trigger."""
        old = self.trigger
        if old is not None and old.type == "btm_request" and new.ts_ns - old.ts_ns <= window_ns:
            old.reason = new.reason
            return
        self.trigger = new


@dataclass(slots=True)
class Tally:
    """Per-station totals, kept after the station's state expires."""

    bssids: set[str] = field(default_factory=set)
    attempts: int = 0
    roams: int = 0
    success: int = 0

    def count(self, roam: Roam) -> None:
        self.attempts += 1
        self.roams += roam.kind == "roam"
        self.success += roam.outcome == "success"
        for bssid in (roam.from_bssid, roam.to_bssid):
            if bssid is not None and len(self.bssids) < MAX_SUMMARY_BSSIDS:
                self.bssids.add(bssid)


def note_malformed(stations: Mapping[str, Station], item: Malformed) -> None:
    """Name a malformed frame in the open attempt of each station it was sent by or to (one
    station's state decides for that station alone, so per-station partitions of the tracker
    name it as one tracker does)."""
    header = item.header
    if header is None:
        return
    for mac in {header.addr2, header.addr1}:
        st = stations.get(mac) if mac is not None else None
        att = st.attempt if st is not None else None
        if att is not None and not att.ack_hold and len(att.malformed) < MAX_MALFORMED_PER_ATTEMPT:
            att.malformed.append(item.index)
