"""One connection attempt in progress: an explicit stage, a guard per stage, and the facts
the roam record and the PMKSA model are built from (DOMAIN §8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

from analyzer.dot11.consts import status_name
from analyzer.dot11.records import (
    AssocReq,
    AssocResp,
    Auth,
    Eap,
    Eapol,
    EapolKey,
    Elements,
    FtAction,
    Rsne,
    SaeCommit,
    SaQuery,
)
from analyzer.roam import findings as fnd
from analyzer.roam.anomalies import RSNE_STATUSES, rsne_selection
from analyzer.roam.events import Event, EventType
from analyzer.roam.records import Finding, Steering, Trigger

MAX_FRAMES = 200
NULL_MAC = "00:00:00:00:00:00"  # a Current AP field of zeros: the station does not say
MAX_KEY_PDUS = 12  # raw EAPOL-Key PDUs kept per attempt for MIC checks
_ZERO_NONCE = bytes(32)
# Auth statuses that do not end an SAE exchange: anti-clogging token, group, H2E, SAE-PK.
_SAE_NON_FINAL = frozenset({76, 77, 126, 127})
_NO_FOURWAY_ALGS = frozenset({2, 4, 5, 6})  # FT, FILS
_FILS_ALGS = frozenset({4, 5, 6})  # FILS Shared Key, with PFS, Public Key
_CAP_PRIVACY = 0x0010
# an M3 resent sooner than this was not resent for a lost M4: a station answers M3 in a few
# ms, and APs resend after a timeout of 100 ms or more (hostapd: eapol_key_timeout_first)
M3_TURNAROUND_NS = 20_000_000
STATUS_COMEBACK = 30  # REFUSED_TEMPORARILY: association comeback
_TI_COMEBACK = 3  # Timeout Interval type 3: association comeback time (TUs)
_SAE_COMMIT_OK = frozenset({0, 126, 127})  # success, H2E, SAE-PK: a commit with a scalar


class Stage(Enum):
    FT_ACTION = auto()  # FT Request/Response over the DS with the current AP
    AUTH = auto()
    ASSOC = auto()
    KEYING = auto()  # associated: EAP and/or the 4-way handshake
    AWAIT_DATA = auto()  # succeeded; waiting for the first data frame on the new BSS


E = EventType
ACCEPTS: dict[Stage, frozenset[EventType]] = {
    Stage.FT_ACTION: frozenset({E.FT_REQUEST, E.FT_RESPONSE, E.ASSOC_REQ, E.ASSOC_RESP}),
    Stage.AUTH: frozenset({E.AUTH, E.ASSOC_REQ, E.ASSOC_RESP, E.EAP, E.EAPOL_START,
                           E.EAPOL_KEY}),
    Stage.ASSOC: frozenset({E.ASSOC_REQ, E.ASSOC_RESP, E.EAP, E.EAPOL_START, E.EAPOL_KEY}),
    Stage.KEYING: frozenset({E.EAP, E.EAPOL_START, E.EAPOL_KEY}),
    Stage.AWAIT_DATA: frozenset({E.EAPOL_KEY, E.ASSOC_RESP}),
}

PHASE_OF = {
    E.PROBE_REQ: "probe", E.PROBE_RESP: "probe", E.AUTH: "auth", E.FT_REQUEST: "auth",
    E.FT_RESPONSE: "auth", E.ASSOC_REQ: "assoc", E.ASSOC_RESP: "assoc", E.EAP: "eap",
    E.EAPOL_START: "eap", E.EAPOL_KEY: "4way",
}

Result = tuple[str, str | None]  # (outcome, failure_reason)
SUCCESS: Result = ("success", None)


@dataclass(slots=True)
class PhaseAcc:
    start_ns: int
    end_ns: int
    frames: int = 0
    retransmissions: int = 0


@dataclass(slots=True)
class Attempt:
    """Mutable state of one attempt; only the tracker holds it."""

    id: int
    sta: str
    to_bssid: str
    start_ns: int
    stage: Stage
    last_ns: int = 0
    from_bssid: str | None = None
    trigger: Trigger | None = None
    steering: Steering | None = None  # the 802.11k/v offer it followed (analyzer.roam.steering)
    via: str | None = None  # the current AP of an FT-over-DS exchange
    probe: PhaseAcc | None = None  # the scan that led to this attempt
    old_data_ns: int | None = None  # last data frame of the station on from_bssid
    old_ack_ns: int | None = None  # ACK/Block Ack of its last acknowledged data frame there
    frames: list[int] = field(default_factory=list)
    frames_dropped: int = 0
    phases: dict[str, PhaseAcc] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    auth_alg: int | None = None
    auth_statuses: list[int] = field(default_factory=list)
    sae_group: int | None = None
    has_rsn: bool | None = None  # None: no (Re)Association Request seen
    privacy: bool = False  # the request's Capability Information asks for privacy
    ap_rsn_capabilities: int | None = None  # of the AP's RSNE (beacon, probe response)
    invalid_rsne: int | None = None  # the request whose RSNE selection is invalid
    akm: int | None = None
    wpa1: bool = False
    owe_group: int | None = None
    pmkids: tuple[bytes, ...] = ()
    ssid: bytes | None = None
    reassoc: bool = False
    current_ap: str | None = None
    assoc_status: int | None = None
    eap_start: bool = False
    eap_identity_request: bool = False
    eap_type: int | None = None
    eap_type_name: str | None = None
    first_eap_frame: int | None = None
    m1_count: int = 0
    m1_frame: int | None = None
    m1_pmkid: bytes | None = None
    m1_pmkids: list[bytes] = field(default_factory=list)
    key_pdus: list[tuple[str, int, bytes]] = field(default_factory=list)
    assoc_req_frame: int | None = None
    mdid: int | None = None
    fte_in_request: bool = False  # the (Re)Association Request carried an FTE
    rsn_capabilities: int | None = None  # of the station's RSNE
    r0kh_id: bytes | None = None
    r1kh_id: str | None = None
    cipher: int | None = None  # pairwise suite of the station's RSNE
    sae_commits: dict[bool, tuple[int, bytes]] = field(default_factory=dict)  # by from_ap
    ft_frames: list[tuple[int, int, bytes, bytes, bytes, bytes]] = field(default_factory=list)
    m1_anonces: list[bytes] = field(default_factory=list)
    m1_replays: list[int] = field(default_factory=list)
    m3_count: int = 0
    first_m3_ns: int | None = None
    m3_replays: list[int] = field(default_factory=list)
    success_ns: int | None = None
    outcome: str | None = None
    failure_reason: str | None = None
    first_data_ns: int | None = None
    first_data_frame: int | None = None
    first_ack_ns: int | None = None  # ACK/Block Ack of the first acknowledged data on to_bssid
    clock_jump: str | None = None  # the capture's clock jumped while it was open (why)
    # the latencies measured from before its start across a jump of the clock, and why
    jump_before: tuple[str, frozenset[str]] | None = None
    ack_hold: bool = False  # complete but for that ACK, which acknowledgements captured promise
    rssi_new: int | None = None
    # M3/M4 not captured: protected unicast data from the AP after M2 (the AP installs the PTK
    # only after a valid M4) proves success; from the station alone it does not
    inferred_from: int | None = None  # that frame of the AP's
    uplink_after_m2: int | None = None  # the station's first protected data frame after M2
    m4_wait: bool = False  # succeeded at protected data after M3: M4 may still follow it
    fils_ap_pmkids: tuple[bytes, ...] = ()  # in the AP's FILS Authentication frame
    comeback: int | None = None  # the status-30 response: the AP asked to come back later
    control_start_ns: int | None = None  # the first exchange's start, before a comeback
    sa_queries: int = 0  # SA Query (or protected Action) frames during the comeback
    malformed: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    # --- bookkeeping ---------------------------------------------------------------------

    def accepts(self, ev: Event) -> bool:
        """Once held for its first ACK the attempt is complete: it takes no more frames."""
        return ev.bssid == self.to_bssid and ev.type in ACCEPTS[self.stage] and not self.ack_hold

    def add_frame(self, index: int, ts_ns: int) -> None:
        self.last_ns = max(self.last_ns, ts_ns)
        if len(self.frames) < MAX_FRAMES:
            self.frames.append(index)
        else:
            self.frames_dropped += 1

    def touch(self, phase: str, ts_ns: int, resend: bool = False) -> None:
        acc = self.phases.get(phase)
        if acc is None:
            acc = self.phases[phase] = PhaseAcc(ts_ns, ts_ns)
        acc.end_ns = max(acc.end_ns, ts_ns)
        acc.frames += 1
        acc.retransmissions += resend

    def retried(self, ev: Event) -> None:
        """A MAC-level retransmission (Retry bit) of a frame already counted."""
        acc = self.phases.get(PHASE_OF.get(ev.type, ""))
        if acc is not None and not self.ack_hold:
            acc.retransmissions += 1

    def finding(self, code: str, ev: Event, message: str) -> None:
        self.findings.append(fnd.make(code, ev.index, self.sta, self.to_bssid, message, self.id))

    @property
    def eap_seen(self) -> bool:
        return "eap" in self.seen

    @property
    def fourway_started(self) -> bool:
        return bool({"M1", "M2", "M3", "M4"} & self.seen)

    @property
    def still_authenticated(self) -> bool:
        """A Reassociation to the current AP with no Authentication: legal while the station
        is still authenticated with it (IEEE 802.11-2020 11.3.6.3), so none is missing."""
        return (self.reassoc and self.current_ap == self.to_bssid and self.auth_alg is None
                and self.via is None)  # fmt: skip

    @property
    def no_fourway(self) -> bool:
        """FT and FILS finish at the (re)association response; so does an open network."""
        return self.via is not None or self.auth_alg in _NO_FOURWAY_ALGS or self.has_rsn is False

    # --- events --------------------------------------------------------------------------

    def apply(self, ev: Event) -> Result | None:
        """Update with one new frame of this attempt; the outcome when it decides one."""
        self.add_frame(ev.index, ev.ts_ns)
        match ev.type, ev.detail:
            case E.AUTH, Auth() as auth:
                return self._auth(ev, auth)
            case E.FT_REQUEST | E.FT_RESPONSE, FtAction() as ft:
                return self._ft(ev, ft)
            case E.ASSOC_REQ, AssocReq() as req:
                return self._assoc_req(ev, req)
            case E.ASSOC_RESP, AssocResp() as resp:
                return self._assoc_resp(ev, resp)
            case E.EAP, Eap() as eap:
                return self._eap(ev, eap)
            case E.EAPOL_START, _:
                self._enter_keying()
                self.eap_start = True
                self.touch("eap", ev.ts_ns)
            case E.EAPOL_KEY, EapolKey() as key:
                return self._key(ev, key)
        return None

    def _auth(self, ev: Event, auth: Auth) -> Result | None:
        self.touch("auth", ev.ts_ns)
        if self.auth_alg is None:
            self.auth_alg = auth.algorithm
        if isinstance(auth.sae, SaeCommit) and auth.status in _SAE_COMMIT_OK:
            self.sae_commits[ev.from_ap] = (auth.sae.group, auth.sae.scalar)
        self._keep_ft(ev, auth.seq, auth.elements)
        if not ev.from_ap:
            self.seen.add("auth_req")
            self._learn_rsne(auth.elements.rsne)
            if isinstance(auth.sae, SaeCommit):
                self.sae_group = auth.sae.group
            return None
        self.seen.add("auth_resp")
        self.auth_statuses.append(auth.status)
        rsne = auth.elements.rsne
        if auth.algorithm in _FILS_ALGS and rsne is not None and rsne.pmkids:
            self.fils_ap_pmkids = rsne.pmkids
        self._rssi(ev)
        if auth.status == 0 or (auth.algorithm == 3 and auth.status in _SAE_NON_FINAL):
            return None
        name = status_name(auth.status)
        self.finding("AUTH_REJECTED", ev, f"Authentication rejected: status {auth.status} ({name})")
        return ("failed", name)

    def _ft(self, ev: Event, ft: FtAction) -> Result | None:
        self.via = ev.via
        self.touch("auth", ev.ts_ns)
        self._keep_ft(ev, 1 if ev.type is E.FT_REQUEST else 2, ft.elements)
        if ev.type is E.FT_REQUEST:
            self.seen.add("ft_request")
            self._learn_rsne(ft.elements.rsne)
            return None
        self.seen.add("ft_response")
        if not ft.status:
            return None
        name = status_name(ft.status)
        self.finding("AUTH_REJECTED", ev, f"FT Response rejected: status {ft.status} ({name})")
        return ("failed", name)

    def _assoc_req(self, ev: Event, req: AssocReq) -> Result | None:
        self.touch("assoc", ev.ts_ns, resend="assoc_req" in self.seen)
        self.seen.add("assoc_req")
        if self.assoc_req_frame is None:
            self.assoc_req_frame = ev.index
        self.stage = Stage.ASSOC
        self.reassoc = req.reassoc
        self.current_ap = None if req.current_ap == NULL_MAC else req.current_ap
        el = req.elements
        self.ssid = el.ssid if el.ssid is not None else self.ssid
        self.owe_group = el.owe_dh_group
        rsne = el.rsne or el.wpa
        self.has_rsn = rsne is not None
        self.privacy = bool(req.capabilities & _CAP_PRIVACY)
        problems = rsne_selection(el.rsne, self.ap_rsn_capabilities)
        if problems:
            self.invalid_rsne = ev.index
            self.finding("INVALID_RSNE_SELECTION", ev, "the station's RSNE is not a valid "
                         f"selection: {'; '.join(problems)}")  # fmt: skip
        self._learn_rsne(rsne)
        if rsne is not None and rsne.pairwise_ciphers:
            self.cipher = rsne.pairwise_ciphers[0]
        self._learn_ft(el)
        self.fte_in_request = el.fte is not None
        self._keep_ft(ev, 5, el)
        return None

    def _keep_ft(self, ev: Event, seq: int, el: Elements) -> None:
        """The elements an FT PMKR0Name/PMKR1Name or FTE MIC check needs (keycheck)."""
        if el.fte is None or len(self.ft_frames) >= MAX_KEY_PDUS:
            return
        rsne = el.rsne.raw if el.rsne is not None else b""
        mde = el.mde.raw if el.mde is not None else b""
        rsnxe = bytes([244, len(el.rsnxe)]) + el.rsnxe if el.rsnxe is not None else b""
        self.ft_frames.append((seq, ev.index, rsne, mde, el.fte.raw, rsnxe))

    def _learn_ft(self, el: Elements) -> None:
        """MDID and key holder IDs (initial mobility domain association, DOMAIN §6)."""
        if el.mde is not None:
            self.mdid = el.mde.mdid
        if el.fte is not None:
            self.r0kh_id = el.fte.r0kh_id or self.r0kh_id
            self.r1kh_id = el.fte.r1kh_id or self.r1kh_id

    def _learn_rsne(self, rsne: Rsne | None) -> None:
        if rsne is None:
            return
        if rsne.akms:
            self.akm, self.wpa1 = rsne.akms[0], rsne.wpa1
        if rsne.capabilities is not None:
            self.rsn_capabilities = rsne.capabilities
        if rsne.pmkids:
            self.pmkids = rsne.pmkids

    def _assoc_resp(self, ev: Event, resp: AssocResp) -> Result | None:
        if self.stage is Stage.AWAIT_DATA:
            self.touch("assoc", ev.ts_ns, resend=True)
            return None
        self.touch("assoc", ev.ts_ns, resend="assoc_resp" in self.seen)
        self.seen.add("assoc_resp")
        self.assoc_status = resp.status
        self._rssi(ev)
        self._learn_ft(resp.elements)
        if resp.status == STATUS_COMEBACK:
            self._comeback(ev, resp)
            return None
        self._keep_ft(ev, 6, resp.elements)
        if resp.status != 0:
            name = status_name(resp.status)
            msg = f"(Re)Association rejected: status {resp.status} ({name})"
            if self.invalid_rsne is not None and resp.status in RSNE_STATUSES:
                msg += ("; explained by its request's invalid RSNE selection "
                        "(INVALID_RSNE_SELECTION)")
            self.finding("ASSOC_REJECTED", ev, msg)
            return ("failed", name)
        if self.no_fourway:
            return SUCCESS
        self.stage = Stage.KEYING
        return None

    def _comeback(self, ev: Event, resp: AssocResp) -> None:
        """Status 30 (IEEE 802.11-2020 11.3.5.4, PMF): the AP still holds an association with
        this station and checks it with SA Query first; the station comes back after the
        Timeout Interval, so the attempt goes on (its next Authentication or (Re)Association
        belongs to it)."""
        self.comeback = ev.index
        self.stage = Stage.AUTH
        self.seen.discard("assoc_resp")
        # the exchanges after the comeback are the ones timed; control_plane keeps the start
        first = self.phases.get("auth") or self.phases.get("assoc")
        if self.control_start_ns is None and first is not None:
            self.control_start_ns = first.start_ns
        self.phases.pop("auth", None)
        self.phases.pop("assoc", None)
        tu = next((v for t, v in resp.elements.timeout_intervals if t == _TI_COMEBACK), None)
        after = f"after {tu} TU ({tu * 1.024:.0f} ms)" if tu is not None else "later"
        self.finding("ASSOC_COMEBACK", ev,
                     f"AP asked the station to come back {after}: status 30, association "
                     "comeback (PMF: the AP first checks the existing association with SA "
                     "Query); not a failure")  # fmt: skip

    def sa_query(self, ev: Event) -> None:
        """An SA Query (or a protected Action frame: under PMF its kind is hidden) between the
        AP and the station while the attempt waits for the comeback."""
        self.add_frame(ev.index, ev.ts_ns)
        self.sa_queries += 1
        if self.sa_queries == 1:
            what = "SA Query" if isinstance(ev.detail, SaQuery) else "protected Action (SA Query)"
            who = "AP" if ev.from_ap else "station"
            self.finding("SA_QUERY", ev, f"{what} from the {who} during the association "
                         "comeback: the AP checks the station's existing association")

    def _eap(self, ev: Event, eap: Eap) -> Result | None:
        self._enter_keying()
        self.touch("eap", ev.ts_ns)
        if "eap" not in self.seen:
            self.first_eap_frame = ev.index
        self.seen.add("eap")
        if eap.code == 1 and eap.type == 1:
            self.eap_identity_request = True
        elif eap.code == 1 and eap.type is not None and eap.type > 3:
            self.eap_type, self.eap_type_name = eap.type, eap.type_name
        elif eap.code == 3:
            self.seen.add("eap_success")
        elif eap.code == 4:
            self.seen.add("eap_failure")
            self.finding("EAP_FAILURE", ev, "EAP-Failure from the authenticator")
            return ("failed", "eap_failure")
        return None

    def _enter_keying(self) -> None:
        if self.stage in (Stage.AUTH, Stage.ASSOC, Stage.FT_ACTION):
            self.stage = Stage.KEYING

    def _key(self, ev: Event, key: EapolKey) -> Result | None:
        message = key.message
        if message not in ("M1", "M2", "M3", "M4"):
            return None
        if self.stage is Stage.AWAIT_DATA:
            self._late(message, ev)
            return None
        self._enter_keying()
        self.touch("4way", ev.ts_ns, resend=message in self.seen)
        self.seen.add(message)
        self._keep_pdu(message, ev)
        if key.trailing:
            self.finding("EAPOL_KEY_TRAILING_BYTES", ev,
                         f"{message} has {key.trailing} bytes after its Key Data; decoded with "
                         f"the {len(key.mic or b'')}-byte MIC of the negotiated AKM")  # fmt: skip
        match message:
            case "M1":
                self._m1(ev, key)
            case "M2":
                self._check_replay(ev, key, self.m1_replays, "M1")
            case "M3":
                self._m3(ev, key)
            case "M4":
                self._check_replay(ev, key, self.m3_replays, "M3")
                return SUCCESS
        return None

    def _late(self, message: str, ev: Event) -> None:
        """A handshake message after the attempt succeeded: an M4 ends the handshake (the
        first one, after protected data that showed success; or the last, when it repeats
        because M3 did), so the attempt ends there; others are resends."""
        first_m4 = message == "M4" and "M4" not in self.seen
        self.touch("4way", ev.ts_ns, resend=not first_m4)
        key = ev.detail
        if message == "M3" and isinstance(key, EapolKey) and key.replay_counter in self.m3_replays:
            self.findings.append(fnd.key_replayed("M3", key.replay_counter,
                                                  max(self.m3_replays), ev))
        if message == "M4":
            self.seen.add("M4")
            self.add_frame(ev.index, ev.ts_ns)
            if self.success_ns is None or ev.ts_ns > self.success_ns:
                self.success_ns = ev.ts_ns

    def _keep_pdu(self, message: str, ev: Event) -> None:
        body = ev.frame.body
        if isinstance(body, Eapol) and len(self.key_pdus) < MAX_KEY_PDUS:
            self.key_pdus.append((message, ev.index, body.raw))

    def _m1(self, ev: Event, key: EapolKey) -> None:
        self.m1_count += 1
        if self.m1_frame is None:
            self.m1_frame = ev.index
        if key.pmkid is not None:
            self.m1_pmkid = key.pmkid
            if key.pmkid not in self.m1_pmkids:
                self.m1_pmkids.append(key.pmkid)
        self.m1_replays.append(key.replay_counter)
        if "M3" in self.seen and key.nonce in self.m1_anonces:
            self.finding("HANDSHAKE_RESTART_INJECTED", ev,
                         "M1 after M3 with the ANonce of this handshake: an AP that starts "
                         "over draws a new ANonce, so this M1 was replayed or forged (the "
                         "TPTK/key reinstallation pattern)")  # fmt: skip
        if key.nonce not in self.m1_anonces:
            self.m1_anonces.append(key.nonce)
        if key.nonce == _ZERO_NONCE:
            self.finding("ZERO_ANONCE", ev, "M1 carries an all-zero ANonce")

    def _m3(self, ev: Event, key: EapolKey) -> None:
        self.m3_count += 1
        self.m3_replays.append(key.replay_counter)
        if self.m3_count == 1:
            self.first_m3_ns = ev.ts_ns
        elif self.m3_count == 2 and ev.ts_ns - (self.first_m3_ns or 0) < M3_TURNAROUND_NS:
            gap = (ev.ts_ns - (self.first_m3_ns or 0)) / 1e6
            self.finding("M3_REPLAYED", ev,
                         f"M3 sent again {gap:.1f} ms after the first, before any station "
                         "could have answered it and far sooner than an AP's resend timeout: "
                         "not M4 lost, a replayed or injected M3")  # fmt: skip
        elif self.m3_count == 2:
            self.finding("M3_RETRANSMITTED", ev, "M3 sent again: M4 lost or late")
        if key.nonce == _ZERO_NONCE:
            self.finding("ZERO_ANONCE", ev, "M3 carries an all-zero ANonce")
        elif self.m1_anonces and key.nonce not in self.m1_anonces:
            self.finding("ANONCE_CHANGED", ev, "M3 ANonce differs from the ANonce of M1")

    def _check_replay(self, ev: Event, key: EapolKey, sent: list[int], what: str) -> None:
        if sent and key.replay_counter not in sent:
            msg = f"replay counter {key.replay_counter} matches no {what} ({sent[-1]} last)"
            self.finding("REPLAY_COUNTER_MISMATCH", ev, msg)

    def _rssi(self, ev: Event) -> None:
        radio = ev.frame.radio
        if self.rssi_new is None and radio is not None:
            self.rssi_new = radio.signal_dbm

    def on_data(self, ts_ns: int, index: int, protected: bool, from_ap: bool = False
                ) -> Result | None:  # fmt: skip
        """A data frame (with payload) between the station and the new AP."""
        if self.stage is Stage.AWAIT_DATA:
            if self.first_data_ns is None:
                self.add_frame(index, ts_ns)
                self.first_data_ns, self.first_data_frame = ts_ns, index
            return None
        if self.stage is not Stage.KEYING or not protected:
            return None
        keyed_by_ap = from_ap and "M2" in self.seen and "assoc_req" in self.seen
        if "M3" in self.seen or not self.fourway_started or keyed_by_ap:
            if "M3" not in self.seen and self.fourway_started:
                self.inferred_from = index
            self.m4_wait = "M3" in self.seen and "M4" not in self.seen
            self.add_frame(index, ts_ns)
            self.first_data_ns, self.first_data_frame = ts_ns, index
            return SUCCESS
        if "M2" in self.seen and self.uplink_after_m2 is None:
            self.add_frame(index, ts_ns)
            self.uplink_after_m2 = index
        return None

    def succeed(self, ts_ns: int) -> None:
        self.outcome, self.success_ns, self.stage = "success", ts_ns, Stage.AWAIT_DATA

    def timed_out(self) -> Result:
        """No frame for too long: failed in the phase that stalled, unless the station's
        protected data after M2 says it installed a PTK (M3 sent, then not captured): that
        the capture cannot decide."""
        if self.uplink_after_m2 is not None or self.comeback is not None:
            return ("incomplete", None)
        return ("failed", self.timeout_reason())

    def timeout_reason(self) -> str:
        if self.fourway_started:
            return "4way_timeout"
        if self.eap_seen or self.eap_start:
            return "eap_timeout"
        return "no_progress"
