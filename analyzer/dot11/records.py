"""Decoded records: small immutable values, the contract between decoding and analysis.

MAC addresses are lower-case colon-separated strings. Times are integer nanoseconds.
Element and field names follow IEEE 802.11-2020; units are in the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from analyzer.dot11.consts import BlockAckType

Mac = str


class Kind(IntEnum):
    """What a frame is, as far as the analyzer cares."""

    ASSOC_REQ = 0
    ASSOC_RESP = 1
    REASSOC_REQ = 2
    REASSOC_RESP = 3
    PROBE_REQ = 4
    PROBE_RESP = 5
    BEACON = 8
    DISASSOC = 10
    AUTH = 11
    DEAUTH = 12
    ACTION = 13
    OTHER_MGMT = 15
    EAPOL = 16  # 802.1X / EAPOL (0x888E) or pre-authentication (0x88C7)
    DATA = 17  # any other data frame: addresses only
    CONTROL = 18  # control frames the analyzer reads: ACK (13, header only), Block Ack (9)


# --- link layer ----------------------------------------------------------------------------


class Radio(NamedTuple):
    """Per-packet radio information from radiotap, PPI, Prism or AVS.

    Radio, MacHeader and Frame are built for every relevant frame: immutable NamedTuples cost
    a quarter of what a frozen dataclass does to construct."""

    tsft_us: int | None = None
    flags: int | None = None
    rate_500kbps: int | None = None
    freq_mhz: int | None = None
    channel_flags: int | None = None
    signal_dbm: int | None = None
    noise_dbm: int | None = None
    fcs_present: bool = False
    bad_fcs: bool = False
    data_pad: bool = False  # radiotap flag 0x20: padding after the 802.11 header


# --- MAC header ----------------------------------------------------------------------------


class MacHeader(NamedTuple):
    """IEEE 802.11-2020 9.2.4; address roles by ToDS/FromDS (9.3.2.1 Table 9-30)."""

    ftype: int  # 0 mgmt, 1 ctrl, 2 data, 3 extension
    subtype: int
    fc_flags: int  # second Frame Control octet
    duration: int
    addr1: Mac
    addr2: Mac | None  # absent in ACK/CTS
    addr3: Mac | None
    addr4: Mac | None
    seq: int | None
    frag: int | None
    tid: int | None  # QoS data only
    htc: int | None  # HT Control when Order is set on QoS data / mgmt
    length: int  # header length in bytes (without radiotap data padding)

    @property
    def to_ds(self) -> bool:
        return bool(self.fc_flags & 0x01)

    @property
    def from_ds(self) -> bool:
        return bool(self.fc_flags & 0x02)

    @property
    def more_frag(self) -> bool:
        return bool(self.fc_flags & 0x04)

    @property
    def retry(self) -> bool:
        return bool(self.fc_flags & 0x08)

    @property
    def pwr_mgt(self) -> bool:
        return bool(self.fc_flags & 0x10)

    @property
    def protected(self) -> bool:
        return bool(self.fc_flags & 0x40)

    @property
    def ra(self) -> Mac:
        return self.addr1

    @property
    def ta(self) -> Mac | None:
        return self.addr2

    @property
    def da(self) -> Mac | None:
        if self.ftype != 2 or not self.to_ds:
            return self.addr1
        return self.addr3

    @property
    def sa(self) -> Mac | None:
        if self.ftype != 2 or not self.from_ds:
            return self.addr2
        return self.addr4 if self.to_ds else self.addr3

    @property
    def bssid(self) -> Mac | None:
        """BSSID; None for a 4-address (WDS/mesh) frame or a control frame."""
        if self.ftype == 1:
            return None
        match (self.to_ds, self.from_ds):
            case (False, False):
                return self.addr3
            case (False, True):
                return self.addr2
            case (True, False):
                return self.addr1
        return None

    @property
    def sta(self) -> Mac | None:
        """The non-AP station a data frame is to or from (None when it cannot be told)."""
        match (self.to_ds, self.from_ds):
            case (False, True):
                return self.addr1
            case (True, False):
                return self.addr2
        return None


@dataclass(frozen=True, slots=True)
class EthHeader:
    """Ethernet II header, for EAPOL captured on a managed (non-monitor) interface."""

    dst: Mac
    src: Mac
    ethertype: int


# --- elements ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rsne:
    """RSN element (48) or the WPA1 vendor element (221, 00:50:F2:1); 9.4.2.24."""

    version: int
    group_cipher: int | None  # suite type under 00-0F-AC (or 00-50-F2 for WPA1); None if absent
    pairwise_ciphers: tuple[int, ...]
    akms: tuple[int, ...]  # suite types; vendor suites as (oui << 8 | type)
    capabilities: int | None
    pmkids: tuple[bytes, ...]
    group_mgmt_cipher: int | None
    wpa1: bool = False
    raw: bytes = b""  # the whole element, header included (MIC / FTE-MIC inputs)

    @property
    def preauth(self) -> bool:
        return bool((self.capabilities or 0) & 0x0001)

    @property
    def mfpr(self) -> bool:
        return bool((self.capabilities or 0) & 0x0040)

    @property
    def mfpc(self) -> bool:
        return bool((self.capabilities or 0) & 0x0080)


@dataclass(frozen=True, slots=True)
class Mde:
    """Mobility Domain element (54); 9.4.2.46."""

    mdid: int
    ft_over_ds: bool
    resource_req: bool
    raw: bytes = b""


@dataclass(frozen=True, slots=True)
class Fte:
    """Fast BSS Transition element (55); 9.4.2.47. MIC length 16 or 24 (SHA-384 AKMs)."""

    mic_control: int
    mic: bytes
    anonce: bytes
    snonce: bytes
    r0kh_id: bytes | None
    r1kh_id: Mac | None
    has_gtk: bool
    has_igtk: bool
    raw: bytes = b""

    @property
    def element_count(self) -> int:
        return self.mic_control >> 8


@dataclass(frozen=True, slots=True)
class NeighborReport:
    """Neighbor Report element (52); 9.4.2.36."""

    bssid: Mac
    bssid_info: int
    op_class: int
    channel: int
    phy_type: int
    preference: int | None  # BSS Transition Candidate Preference subelement (3)


@dataclass(frozen=True, slots=True)
class MloLink:
    """One Per-STA Profile of a Basic Multi-Link element (IEEE 802.11be-2024 9.4.2.322.2.4):
    the affiliated STA or AP on link `link_id`. `profile` is the STA Profile field (fixed
    fields of the frame, then elements), decoded by whoever knows the frame type."""

    link_id: int
    address: Mac | None  # STA Info: STA MAC Address (the link address)
    complete: bool  # Complete Profile
    profile: bytes


@dataclass(frozen=True, slots=True)
class MultiLink:
    """Basic Multi-Link element (element 255, extension 107; 802.11be-2024 9.4.2.322.2):
    the MLD MAC address from the Common Info, the Link ID of the AP that sent it (AP side
    only), and the per-link profiles of the Link Info."""

    mld_mac: Mac
    link_id: int | None  # Common Info Link ID Info (an affiliated AP's own link)
    ap_mld_id: int | None
    links: tuple[MloLink, ...]


@dataclass(frozen=True, slots=True)
class Elements:
    """The elements of a management body that the analyzer uses, decoded once."""

    ssid: bytes | None = None
    ds_channel: int | None = None  # DS Parameter Set (3)
    ht_primary_channel: int | None = None  # HT Operation (61) octet 0
    rsne: Rsne | None = None
    wpa: Rsne | None = None  # WPA1 vendor element
    mde: Mde | None = None
    fte: Fte | None = None
    rsnxe: bytes | None = None  # RSNXE (244) body
    ext_capabilities: bytes | None = None  # (127) body
    rm_capabilities: bytes | None = None  # (70) body
    timeout_intervals: tuple[tuple[int, int], ...] = ()  # (56): (type, value)
    neighbor_reports: tuple[NeighborReport, ...] = ()
    owe_dh_group: int | None = None  # extension 32
    fils_session: bytes | None = None  # extension 4
    multi_link: MultiLink | None = None  # extension 107, Basic variant (802.11be)
    vendor_ouis: tuple[bytes, ...] = ()  # 3-byte OUIs of vendor elements, in order
    malformed: str | None = None  # why the element walk stopped early, if it did

    @property
    def channel(self) -> int | None:
        """The AP's operating channel as it advertises it (DS Parameter, else HT Operation)."""
        return self.ds_channel if self.ds_channel is not None else self.ht_primary_channel

    @property
    def bss_transition(self) -> bool:
        """Extended Capabilities bit 19 (BSS Transition, 802.11v)."""
        ec = self.ext_capabilities
        return ec is not None and len(ec) > 2 and bool(ec[2] & 0x08)

    @property
    def rm_neighbor_report(self) -> bool:
        """RM Enabled Capabilities bit 1 (Neighbor Report, 802.11k)."""
        rm = self.rm_capabilities
        return rm is not None and len(rm) > 0 and bool(rm[0] & 0x02)

    @property
    def sae_h2e(self) -> bool:
        x = self.rsnxe
        return x is not None and len(x) > 0 and bool(x[0] & 0x20)


# --- management bodies ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Beacon:
    """Beacon or Probe Response body; 9.3.3.2 / 9.3.3.10."""

    tsf: int
    interval_tu: int
    capabilities: int
    elements: Elements

    @property
    def privacy(self) -> bool:
        return bool(self.capabilities & 0x0010)


@dataclass(frozen=True, slots=True)
class ProbeReq:
    elements: Elements


@dataclass(frozen=True, slots=True)
class SaeCommit:
    group: int
    anti_clogging_token: bytes | None  # None when it cannot be told apart (unknown group)
    scalar: bytes
    element: bytes


@dataclass(frozen=True, slots=True)
class SaeConfirm:
    send_confirm: int
    confirm: bytes


@dataclass(frozen=True, slots=True)
class Auth:
    """Authentication body; 9.3.3.11. algorithm: 0 open, 1 shared, 2 FT, 3 SAE, 4-6 FILS."""

    algorithm: int
    seq: int
    status: int
    sae: SaeCommit | SaeConfirm | None
    elements: Elements  # FT: RSNE (PMKR0Name), MDE, FTE; FILS: RSNE, nonce, session


@dataclass(frozen=True, slots=True)
class AssocReq:
    """(Re)Association Request body; 9.3.3.6 / 9.3.3.8."""

    reassoc: bool
    capabilities: int
    listen_interval: int
    current_ap: Mac | None  # Reassociation Request only
    elements: Elements


@dataclass(frozen=True, slots=True)
class AssocResp:
    """(Re)Association Response body; 9.3.3.7 / 9.3.3.9."""

    reassoc: bool
    capabilities: int
    status: int
    aid: int
    elements: Elements


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Deauthentication or Disassociation; reason None when the body is PMF-protected."""

    deauth: bool
    reason: int | None


@dataclass(frozen=True, slots=True)
class FtAction:
    """FT Action (category 6): 1 Request, 2 Response, 3 Confirm, 4 Ack; 9.6.8."""

    action: int
    sta: Mac
    target_ap: Mac
    status: int | None  # Response and Ack only
    elements: Elements


@dataclass(frozen=True, slots=True)
class BtmQuery:
    token: int
    reason: int
    candidates: tuple[NeighborReport, ...]


@dataclass(frozen=True, slots=True)
class BtmRequest:
    """WNM BSS Transition Management Request; 9.6.13.9."""

    token: int
    mode: int
    disassoc_timer_tbtt: int
    validity_interval: int
    candidates: tuple[NeighborReport, ...]

    @property
    def candidate_list(self) -> bool:
        return bool(self.mode & 0x01)

    @property
    def disassoc_imminent(self) -> bool:
        return bool(self.mode & 0x04)

    @property
    def bss_termination(self) -> bool:
        return bool(self.mode & 0x08)

    @property
    def ess_disassoc(self) -> bool:
        return bool(self.mode & 0x10)


@dataclass(frozen=True, slots=True)
class BtmResponse:
    token: int
    status: int
    termination_delay: int
    target_bssid: Mac | None
    candidates: tuple[NeighborReport, ...]


@dataclass(frozen=True, slots=True)
class NeighborReq:
    token: int
    ssid: bytes | None


@dataclass(frozen=True, slots=True)
class NeighborResp:
    token: int
    reports: tuple[NeighborReport, ...]


@dataclass(frozen=True, slots=True)
class SaQuery:
    action: int  # 0 request, 1 response
    transaction_id: int


ActionDetail = FtAction | BtmQuery | BtmRequest | BtmResponse | NeighborReq | NeighborResp | SaQuery


@dataclass(frozen=True, slots=True)
class Action:
    """Action frame; detail is None when protected (PMF) or of a kind we do not decode."""

    category: int
    action: int | None
    protected: bool
    detail: ActionDetail | None


# --- EAPOL / EAP ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eap:
    """EAP packet (RFC 3748); big-endian."""

    code: int  # 1 Request, 2 Response, 3 Success, 4 Failure
    id: int
    length: int
    type: int | None  # None for Success/Failure; 254 expanded
    vendor_id: int | None = None
    vendor_type: int | None = None
    identity: bytes | None = None  # Response/Identity payload (attacker-controlled)
    flags: int | None = None  # TLS-based methods: L/M/S flags octet

    @property
    def type_name(self) -> str | None:
        from analyzer.dot11.eap import eap_type_name

        return None if self.type is None else eap_type_name(self.type)


@dataclass(frozen=True, slots=True)
class Kde:
    """Key Data Encapsulation (12.7.2 Table 12-9) or an element found in Key Data."""

    type: int  # KDE data type under 00-0F-AC; for a plain element: -element id
    data: bytes


@dataclass(frozen=True, slots=True)
class EapolKey:
    """EAPOL-Key body (12.7.2); big-endian. message is M1..M4, G1, G2, REQ or None (AEAD
    messages of the FILS AKMs, which have no MIC field, are M1..M4 too)."""

    descriptor: int  # 2 RSN, 254 WPA
    key_info: int
    key_length: int
    replay_counter: int
    nonce: bytes
    iv: bytes
    rsc: bytes
    mic: bytes | None  # None while the MIC length is ambiguous (see mic_lengths)
    key_data: bytes | None
    mic_lengths: tuple[int, ...]  # every MIC length that fits the frame; one when decided
    message: str | None
    kdes: tuple[Kde, ...] = ()  # only when key data is not encrypted
    pmkid: bytes | None = None  # PMKID KDE (M1)
    rsne: Rsne | None = None  # RSNE in key data (M2, M3 when unencrypted)
    trailing: int = 0  # bytes after the Key Data (hostapd pads a Suite-B M1, for one)

    @property
    def key_version(self) -> int:
        return self.key_info & 0x0007

    @property
    def pairwise(self) -> bool:
        return bool(self.key_info & 0x0008)

    @property
    def install(self) -> bool:
        return bool(self.key_info & 0x0040)

    @property
    def ack(self) -> bool:
        return bool(self.key_info & 0x0080)

    @property
    def has_mic(self) -> bool:
        return bool(self.key_info & 0x0100)

    @property
    def secure(self) -> bool:
        return bool(self.key_info & 0x0200)

    @property
    def error(self) -> bool:
        return bool(self.key_info & 0x0400)

    @property
    def request(self) -> bool:
        return bool(self.key_info & 0x0800)

    @property
    def encrypted_key_data(self) -> bool:
        return bool(self.key_info & 0x1000)


@dataclass(frozen=True, slots=True)
class Eapol:
    """IEEE 802.1X-2020 EAPOL PDU. raw is the whole PDU (header onward) for MIC checks."""

    ethertype: int  # 0x888E, or 0x88C7 for pre-authentication
    version: int
    type: int  # 0 EAP, 1 Start, 2 Logoff, 3 Key
    length: int
    body: EapolKey | Eap | None
    raw: bytes


# --- control frames ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockAck:
    """Block Ack (control subtype 9) after its RA and TA; IEEE 802.11-2020 9.3.1.8.

    The starting sequence number and bitmap are decoded for the Basic (128-octet bitmap),
    Compressed and Extended Compressed variants (8 octets; HE allows longer); None for the
    others (Multi-TID, GCR, Multi-STA), whose BA Information is not read."""

    ack_policy: int  # BA Ack Policy (B0): 0 Normal Ack, 1 No Ack
    ba_type: int  # B1-B4: consts.BlockAckType (Table 9-24)
    tid_info: int  # B12-B15: the TID (Basic, Compressed); Multi-TID: number of TIDs - 1
    starting_seq: int | None = None  # Starting Sequence Control bits 4-15
    bitmap: bytes | None = None  # bit n: the MSDU/A-MSDU of sequence starting_seq + n

    @property
    def compressed(self) -> bool:
        return self.ba_type == BlockAckType.COMPRESSED

    @property
    def acknowledges(self) -> bool:
        """Whether it acknowledges anything: a bitmap of zeros (every MPDU lost) does not."""
        return self.bitmap is None or any(self.bitmap)


# --- the frame -----------------------------------------------------------------------------

class Ccmp(NamedTuple):
    """The CCMP/GCMP header of a protected data frame (IEEE 802.11-2020 12.5.3.2, 12.5.5.2):
    its packet number and key ID, read in the clear, and its MIC's last 8 bytes as a number
    (two frames under one key and nonce with the same MIC carry the same MPDU)."""

    pn: int
    key_id: int
    mic: int


Body = (Beacon | ProbeReq | Auth | AssocReq | AssocResp | Disconnect | Action | Eapol | BlockAck
        | Ccmp)


class Frame(NamedTuple):
    """One decoded relevant frame. header is None only for a link without 802.11 (Ethernet)."""

    index: int
    ts_ns: int
    interface: int
    kind: Kind
    radio: Radio | None
    header: MacHeader | EthHeader | None
    body: Body | None  # None for OTHER_MGMT, an ACK and DATA but a CCMP/GCMP one (Ccmp)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A frame that could not be decoded, and why. Counted, never raised."""

    index: int
    ts_ns: int
    interface: int
    layer: str  # "link", "mac", "mgmt", "action", "eapol", ...
    reason: str
    kind: Kind | None = None  # what it claimed to be, when the header got that far
    header: MacHeader | None = None
