"""Decoded `Frame` records built directly, in script style, for roam-engine unit tests.

`Air` hands out frame indices (1-based) and per-transmitter sequence numbers; every
method appends the frame it builds and returns it. Times are milliseconds.
"""

from __future__ import annotations

from collections import defaultdict

from analyzer.dot11.records import (
    Action,
    AssocReq,
    AssocResp,
    Auth,
    Beacon,
    BlockAck,
    BtmRequest,
    BtmResponse,
    Disconnect,
    Eap,
    Eapol,
    EapolKey,
    Elements,
    EthHeader,
    Frame,
    FtAction,
    Kind,
    MacHeader,
    NeighborReport,
    ProbeReq,
    Radio,
    Rsne,
    SaeCommit,
    SaeConfirm,
)
from analyzer.roam.records import Finding, Roam
from analyzer.roam.tracker import Tracker

STA = "02:00:00:00:00:01"
STA2 = "02:00:00:00:00:02"
AP1 = "0a:00:00:00:01:00"
AP2 = "0a:00:00:00:02:00"
AP3 = "0a:00:00:00:03:00"
SSID = b"lab"
PMKID_A = bytes.fromhex("11" * 16)
PMKID_B = bytes.fromhex("22" * 16)
ANONCE = bytes.fromhex("a5" * 32)
SNONCE = bytes.fromhex("5a" * 32)

# Key Information of a CCMP handshake (DOMAIN §5)
KI = {"M1": 0x008A, "M2": 0x010A, "M3": 0x13CA, "M4": 0x030A, "G1": 0x1382, "G2": 0x0302}

RETRY = 0x08
PROTECTED = 0x40


def rsne(akm: int = 2, pmkids: tuple[bytes, ...] = ()) -> Rsne:
    return Rsne(1, 4, (4,), (akm,), 0, tuple(pmkids), None)


def ms(t: float) -> int:
    return int(round(t * 1_000_000))


class Air:
    """A script of frames on the air."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self._seq: dict[str, int] = defaultdict(int)

    # --- plumbing ------------------------------------------------------------------------

    def _put(self, t: float, kind: Kind, header: MacHeader | EthHeader | None, body: object,
             signal: int | None = None, interface: int = 0) -> Frame:
        radio = None if signal is None else Radio(signal_dbm=signal, freq_mhz=5180)
        index = len(self.frames) + 1
        frame = Frame(index, ms(t), interface, kind, radio, header, body)  # type: ignore[arg-type]
        self.frames.append(frame)
        return frame

    def _hdr(self, ftype: int, subtype: int, a1: str, a2: str, a3: str, flags: int = 0,
             seq: int | None = None, tid: int | None = None) -> MacHeader:
        if seq is None:
            self._seq[a2] = (self._seq[a2] + 1) % 4096
            seq = self._seq[a2]
        return MacHeader(ftype, subtype, flags, 0, a1, a2, a3, None, seq, 0, tid, None, 24)

    def _mgmt(self, t: float, kind: Kind, sta: str, bssid: str, from_ap: bool, body: object,
              signal: int | None = None) -> Frame:
        a1, a2 = (sta, bssid) if from_ap else (bssid, sta)
        header = self._hdr(0, int(kind), a1, a2, bssid)
        return self._put(t, kind, header, body, signal)

    def retry(self, frame: Frame, t: float) -> Frame:
        """A MAC retransmission: same sequence number, Retry bit, later time."""
        assert isinstance(frame.header, MacHeader)
        header = frame.header._replace(fc_flags=frame.header.fc_flags | RETRY)
        return self._put(t, frame.kind, header, frame.body)

    def replay(self, frame: Frame, t: float) -> Frame:
        """The same frame sent again later without the Retry bit (an attack tool)."""
        return self._put(t, frame.kind, frame.header, frame.body)

    def copy_from_sensor(self, frame: Frame, t: float, interface: int = 1) -> Frame:
        return self._put(t, frame.kind, frame.header, frame.body, interface=interface)

    # --- management ----------------------------------------------------------------------

    def beacon(self, t: float, bssid: str, channel: int = 36, akm: int = 2,
               signal: int | None = -60, ssid: bytes = SSID) -> Frame:
        el = Elements(ssid=ssid, ds_channel=channel, rsne=rsne(akm))
        header = self._hdr(0, 8, "ff:ff:ff:ff:ff:ff", bssid, bssid)
        return self._put(t, Kind.BEACON, header, Beacon(0, 100, 0x11, el), signal)

    def probe_req(self, t: float, sta: str = STA) -> Frame:
        header = self._hdr(0, 4, "ff:ff:ff:ff:ff:ff", sta, "ff:ff:ff:ff:ff:ff")
        return self._put(t, Kind.PROBE_REQ, header, ProbeReq(Elements(ssid=b"")))

    def probe_resp(self, t: float, sta: str, bssid: str) -> Frame:
        body = Beacon(0, 100, 0x11, Elements(ssid=SSID, ds_channel=36, rsne=rsne()))
        return self._mgmt(t, Kind.PROBE_RESP, sta, bssid, True, body)

    def auth(self, t: float, sta: str, bssid: str, alg: int = 0, seq: int = 1,
             status: int = 0, from_ap: bool | None = None, elements: Elements | None = None,
             sae: SaeCommit | SaeConfirm | None = None, signal: int | None = None) -> Frame:
        """from_ap defaults to the usual direction: even transaction numbers from the AP
        (SAE: say it explicitly)."""
        if from_ap is None:
            from_ap = seq % 2 == 0
        body = Auth(alg, seq, status, sae, elements or Elements())
        return self._mgmt(t, Kind.AUTH, sta, bssid, from_ap, body, signal)

    def assoc_req(self, t: float, sta: str, bssid: str, akm: int | None = 2,
                  pmkids: tuple[bytes, ...] = (), reassoc: bool = False,
                  current_ap: str | None = None, owe_group: int | None = None,
                  ssid: bytes = SSID) -> Frame:
        rsn = None if akm is None else rsne(akm, pmkids)
        el = Elements(ssid=ssid, rsne=rsn, owe_dh_group=owe_group)
        caps = 0x01 if akm is None else 0x11  # ESS, and Privacy with an RSNE
        body = AssocReq(reassoc, caps, 10, current_ap if reassoc else None, el)
        kind = Kind.REASSOC_REQ if reassoc else Kind.ASSOC_REQ
        return self._mgmt(t, kind, sta, bssid, False, body)

    def assoc_resp(self, t: float, sta: str, bssid: str, status: int = 0,
                   reassoc: bool = False, signal: int | None = None) -> Frame:
        body = AssocResp(reassoc, 0x11, status, 1, Elements())
        kind = Kind.REASSOC_RESP if reassoc else Kind.ASSOC_RESP
        return self._mgmt(t, kind, sta, bssid, True, body, signal)

    def deauth(self, t: float, sta: str, bssid: str, reason: int = 3,
               from_ap: bool = True) -> Frame:
        return self._mgmt(t, Kind.DEAUTH, sta, bssid, from_ap, Disconnect(True, reason))

    def disassoc(self, t: float, sta: str, bssid: str, reason: int = 8,
                 from_ap: bool = True) -> Frame:
        return self._mgmt(t, Kind.DISASSOC, sta, bssid, from_ap, Disconnect(False, reason))

    def btm_request(self, t: float, sta: str, bssid: str,
                    candidates: tuple[str, ...] = ()) -> Frame:
        reports = tuple(NeighborReport(c, 0, 115, 36, 9, 255) for c in candidates)
        detail = BtmRequest(1, 0x01 | 0x04, 10, 255, reports)
        return self._mgmt(t, Kind.ACTION, sta, bssid, True, Action(10, 7, False, detail))

    def btm_response(self, t: float, sta: str, bssid: str, status: int = 0,
                     target: str | None = None) -> Frame:
        detail = BtmResponse(1, status, 0, target, ())
        return self._mgmt(t, Kind.ACTION, sta, bssid, False, Action(10, 8, False, detail))

    def ft_request(self, t: float, sta: str, current: str, target: str, akm: int = 4) -> Frame:
        detail = FtAction(1, sta, target, None, Elements(rsne=rsne(akm)))
        return self._mgmt(t, Kind.ACTION, sta, current, False, Action(6, 1, False, detail))

    def ft_response(self, t: float, sta: str, current: str, target: str,
                    status: int = 0) -> Frame:
        detail = FtAction(2, sta, target, status, Elements())
        return self._mgmt(t, Kind.ACTION, sta, current, True, Action(6, 2, False, detail))

    # --- EAPOL / EAP ---------------------------------------------------------------------

    def _eapol(self, t: float, sta: str, bssid: str, from_ap: bool, ptype: int,
               body: EapolKey | Eap | None, eth: bool = False) -> Frame:
        pdu = Eapol(0x888E, 2, ptype, 0, body, b"\x02\x03\x00\x00")
        header: MacHeader | EthHeader
        if eth:
            src, dst = (bssid, sta) if from_ap else (sta, bssid)
            header = EthHeader(dst, src, 0x888E)
        elif from_ap:
            header = self._hdr(2, 8, sta, bssid, bssid, 0x02, tid=6)
        else:
            header = self._hdr(2, 8, bssid, sta, bssid, 0x01, tid=6)
        return self._put(t, Kind.EAPOL, header, pdu)

    def key(self, t: float, message: str, sta: str = STA, bssid: str = AP1, replay: int = 1,
            nonce: bytes | None = None, pmkid: bytes | None = None, eth: bool = False) -> Frame:
        from_ap = message in ("M1", "M3", "G1")
        if nonce is None:
            nonce = {"M1": ANONCE, "M3": ANONCE, "M2": SNONCE}.get(message, bytes(32))
        key = EapolKey(2, KI[message], 16 if from_ap else 0, replay, nonce, bytes(16),
                       bytes(8), bytes(16), b"", (16,), message, (), pmkid, None)
        return self._eapol(t, sta, bssid, from_ap, 3, key, eth)

    def fourway(self, t: float, sta: str = STA, bssid: str = AP1, step: float = 2.0,
                pmkid: bytes | None = None) -> float:
        """M1-M4, `step` ms apart; returns the time of M4."""
        self.key(t, "M1", sta, bssid, 1, pmkid=pmkid)
        self.key(t + step, "M2", sta, bssid, 1)
        self.key(t + 2 * step, "M3", sta, bssid, 2)
        self.key(t + 3 * step, "M4", sta, bssid, 2)
        return t + 3 * step

    def eap(self, t: float, code: int, etype: int | None = None, sta: str = STA,
            bssid: str = AP1, eth: bool = False) -> Frame:
        body = Eap(code, 1, 4 if etype is None else 5, etype)
        return self._eapol(t, sta, bssid, code != 2, 0, body, eth)

    def eapol_start(self, t: float, sta: str = STA, bssid: str = AP1) -> Frame:
        return self._eapol(t, sta, bssid, False, 1, None)

    def full_eap(self, t: float, sta: str = STA, bssid: str = AP1, method: int = 25,
                 step: float = 5.0) -> float:
        """Identity, one method round trip, Success; returns the time of the Success."""
        self.eap(t, 1, 1, sta, bssid)
        self.eap(t + step, 2, 1, sta, bssid)
        self.eap(t + 2 * step, 1, method, sta, bssid)
        self.eap(t + 3 * step, 2, method, sta, bssid)
        self.eap(t + 4 * step, 3, None, sta, bssid)
        return t + 4 * step

    # --- data ----------------------------------------------------------------------------

    def data(self, t: float, sta: str = STA, bssid: str = AP1, to_ds: bool = True,
             protected: bool = True, null: bool = False) -> Frame:
        flags = (0x01 if to_ds else 0x02) | (PROTECTED if protected and not null else 0)
        a1, a2 = (bssid, sta) if to_ds else (sta, bssid)
        header = self._hdr(2, 12 if null else 8, a1, a2, bssid, flags, tid=0)
        return self._put(t, Kind.DATA, header, None)

    def ack(self, t: float, ra: str) -> Frame:
        """An ACK (control subtype 13): its only address is the receiver, RA."""
        header = MacHeader(1, 13, 0, 0, ra, None, None, None, None, None, None, None, 10)
        return self._put(t, Kind.CONTROL, header, None)

    def block_ack(self, t: float, ra: str, ta: str, bitmap: bytes = b"\x01" + bytes(7),
                  ssn: int = 0) -> Frame:
        """A compressed Block Ack (control subtype 9, TID 0) from `ta` to `ra`: it answers an
        A-MPDU `ra` sent to `ta`; bit n of `bitmap`: sequence `ssn + n` received."""
        header = MacHeader(1, 9, 0, 0, ra, ta, None, None, None, None, None, None, 16)
        return self._put(t, Kind.CONTROL, header, BlockAck(1, 2, 0, ssn, bitmap))

    def acked_data(self, t: float, sta: str = STA, bssid: str = AP1, to_ds: bool = True,
                   delay: float = 0.05) -> Frame:
        """A data frame and, `delay` ms later, the receiver's ACK to its transmitter."""
        frame = self.data(t, sta, bssid, to_ds)
        self.ack(t + delay, sta if to_ds else bssid)
        return frame

    # --- whole exchanges -----------------------------------------------------------------

    def psk_connect(self, t: float, sta: str = STA, bssid: str = AP1, reassoc: bool = False,
                    current_ap: str | None = None) -> float:
        """Open auth, (re)association, 4-way; returns the time of M4."""
        self.auth(t, sta, bssid)
        self.auth(t + 1, sta, bssid, seq=2)
        self.assoc_req(t + 2, sta, bssid, reassoc=reassoc, current_ap=current_ap)
        self.assoc_resp(t + 3, sta, bssid, reassoc=reassoc)
        return self.fourway(t + 5, sta, bssid)

    def eap_connect(self, t: float, sta: str = STA, bssid: str = AP1, reassoc: bool = False,
                    pmkids: tuple[bytes, ...] = (), m1_pmkid: bytes | None = PMKID_A) -> float:
        self.auth(t, sta, bssid)
        self.auth(t + 1, sta, bssid, seq=2)
        self.assoc_req(t + 2, sta, bssid, akm=1, pmkids=pmkids, reassoc=reassoc)
        self.assoc_resp(t + 3, sta, bssid, reassoc=reassoc)
        done = self.full_eap(t + 5, sta, bssid)
        return self.fourway(done + 1, sta, bssid, pmkid=m1_pmkid)

    # --- running -------------------------------------------------------------------------

    def run(self, tracker: Tracker | None = None) -> tuple[list[Roam], list[Finding]]:
        tracker = tracker or Tracker()
        results = []
        for frame in sorted(self.frames, key=lambda f: (f.ts_ns, f.index)):
            results.extend(tracker.feed(frame))
        results.extend(tracker.finish())
        roams = [r for r in results if isinstance(r, Roam)]
        found = [r for r in results if isinstance(r, Finding)]
        return roams, found


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]
