"""Pure mapping of a decoded frame to a roam event: what it is, who is the station, who the AP.

Management frames: the sender is the AP when A2 = A3 (BSSID), so requests go STA -> AP and
responses AP -> STA (DOMAIN §2). EAPOL inside 802.11 data frames: roles from ToDS/FromDS.
EAPOL on an Ethernet link: EAPOL-Key frames from the AP have the Ack bit, EAP frames from the
AP are Request/Success/Failure (DOMAIN §5). Pre-authentication (ethertype 0x88C7) is its own
event, `PREAUTH`: its EAP runs with the *target* AP (DA/SA), through the current AP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from analyzer.dot11.eapol import decode_eapol_key
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import (
    Action,
    AssocReq,
    AssocResp,
    Auth,
    BtmRequest,
    BtmResponse,
    Disconnect,
    Eap,
    Eapol,
    EapolKey,
    EthHeader,
    Frame,
    FtAction,
    Kind,
    MacHeader,
    NeighborReq,
    NeighborResp,
    SaQuery,
)

BROADCAST = "ff:ff:ff:ff:ff:ff"
_ODD_HEX = frozenset("13579bdfBDF")
_EAPOL_START = 1
_EAPOL_LOGOFF = 2
_ETHERTYPE_PREAUTH = 0x88C7
_SHA384_AKMS = frozenset({12, 13, 19, 20, 22, 23})
_GROUP_AKMS = frozenset({18, 24, 25})  # OWE, SAE-EXT-KEY: MIC length by DH group
_FILS_AKMS = frozenset({14, 15, 16, 17})
_MIC_BY_GROUP = {19: 16, 20: 24, 21: 32}


class EventType(StrEnum):
    PROBE_REQ = "probe_req"
    PROBE_RESP = "probe_resp"
    AUTH = "auth"
    ASSOC_REQ = "assoc_req"
    ASSOC_RESP = "assoc_resp"
    DEAUTH = "deauth"
    DISASSOC = "disassoc"
    FT_REQUEST = "ft_request"
    FT_RESPONSE = "ft_response"
    BTM_REQUEST = "btm_request"
    BTM_RESPONSE = "btm_response"
    NEIGHBOR_REQ = "neighbor_req"  # Radio Measurement Neighbor Report Request / Response
    NEIGHBOR_RESP = "neighbor_resp"
    EAPOL_KEY = "eapol_key"
    EAP = "eap"
    EAPOL_START = "eapol_start"
    EAPOL_LOGOFF = "eapol_logoff"
    PREAUTH = "preauth"  # EAP or EAPOL-Start over 0x88C7 with a target AP (never an attempt)
    SA_QUERY = "sa_query"  # SA Query, or a protected Action frame (PMF: what it is is hidden)


@dataclass(frozen=True, slots=True)
class Event:
    """A frame that matters to the roam engine, with the station and AP roles resolved.

    `bssid` is the AP the exchange is with; for FT over the DS and pre-authentication it is
    the *target* AP and `via` the current AP the frames travel through. `detail` is the
    frame's decoded body part the tracker reads (Auth, AssocReq, EapolKey, Eap, ...).
    """

    type: EventType
    ts_ns: int
    index: int
    sta: str
    bssid: str
    from_ap: bool
    detail: object
    frame: Frame
    via: str | None = None


def is_unicast(mac: str | None) -> bool:
    """The group bit is the low bit of the first octet: its second hex digit is odd."""
    return mac is not None and mac[1] not in _ODD_HEX


def mgmt_roles(header: MacHeader) -> tuple[str, str, bool] | None:
    """(station, BSSID, from_ap) of a management frame; None when A2 or A3 is missing."""
    sender, bssid = header.addr2, header.addr3
    if sender is None or bssid is None:
        return None
    if sender == bssid:
        return header.addr1, bssid, True
    return sender, bssid, False


def data_roles(header: MacHeader) -> tuple[str, str, bool] | None:
    """(station, BSSID, from_ap) of an infrastructure data frame with a unicast station."""
    return roles_of(header.fc_flags, header.addr1, header.addr2)


def roles_of(
    fc_flags: int, addr1: str | None, addr2: str | None
) -> tuple[str, str, bool] | None:
    """`data_roles` from a data frame's Frame Control flags and first two addresses, read
    straight from ToDS/FromDS (DOMAIN §2)."""
    ds = fc_flags & 0x03
    if ds == 0x01:
        sta, bssid, from_ap = addr2, addr1, False
    elif ds == 0x02:
        sta, bssid, from_ap = addr1, addr2, True
    else:
        return None
    if sta is None or bssid is None or sta[1] in _ODD_HEX:
        return None
    return sta, bssid, from_ap


_MGMT_TYPES = {
    Kind.PROBE_REQ: EventType.PROBE_REQ,
    Kind.PROBE_RESP: EventType.PROBE_RESP,
    Kind.AUTH: EventType.AUTH,
    Kind.ASSOC_REQ: EventType.ASSOC_REQ,
    Kind.REASSOC_REQ: EventType.ASSOC_REQ,
    Kind.ASSOC_RESP: EventType.ASSOC_RESP,
    Kind.REASSOC_RESP: EventType.ASSOC_RESP,
    Kind.DEAUTH: EventType.DEAUTH,
    Kind.DISASSOC: EventType.DISASSOC,
}


def to_event(frame: Frame) -> Event | None:
    """The roam event of a management or EAPOL frame; None for anything else."""
    if frame.kind == Kind.EAPOL:
        return _eapol_event(frame)
    header = frame.header
    if not isinstance(header, MacHeader) or header.ftype != 0:
        return None
    if frame.kind == Kind.ACTION:
        return _action_event(frame, header)
    etype = _MGMT_TYPES.get(frame.kind)
    roles = mgmt_roles(header)
    if etype is None or roles is None or not _body_fits(etype, frame.body):
        return None
    sta, bssid, from_ap = roles
    if not is_unicast(sta) and etype not in (EventType.DEAUTH, EventType.DISASSOC):
        return None
    return Event(etype, frame.ts_ns, frame.index, sta, bssid, from_ap, frame.body, frame)


def _body_fits(etype: EventType, body: object) -> bool:
    match etype:
        case EventType.AUTH:
            return isinstance(body, Auth)
        case EventType.ASSOC_REQ:
            return isinstance(body, AssocReq)
        case EventType.ASSOC_RESP:
            return isinstance(body, AssocResp)
        case EventType.DEAUTH | EventType.DISASSOC:
            return isinstance(body, Disconnect)
    return True


def _action_event(frame: Frame, header: MacHeader) -> Event | None:
    body = frame.body
    roles = mgmt_roles(header)
    if not isinstance(body, Action) or roles is None:
        return None
    sta, bssid, from_ap = roles
    detail = body.detail
    if body.protected or isinstance(detail, SaQuery):
        if not is_unicast(sta):
            return None
        return Event(EventType.SA_QUERY, frame.ts_ns, frame.index, sta, bssid, from_ap, detail,
                     frame)  # fmt: skip
    match detail:
        case FtAction(action=1):
            etype = EventType.FT_REQUEST
        case FtAction(action=2):
            etype = EventType.FT_RESPONSE
        case BtmRequest():
            etype = EventType.BTM_REQUEST
        case BtmResponse():
            etype = EventType.BTM_RESPONSE
        case NeighborReq():
            etype = EventType.NEIGHBOR_REQ
        case NeighborResp():
            etype = EventType.NEIGHBOR_RESP
        case _:
            return None
    if isinstance(detail, FtAction):
        return Event(etype, frame.ts_ns, frame.index, detail.sta, detail.target_ap, from_ap,
                     detail, frame, via=bssid)
    return Event(etype, frame.ts_ns, frame.index, sta, bssid, from_ap, detail, frame)


def _eapol_event(frame: Frame) -> Event | None:
    body = frame.body
    if not isinstance(body, Eapol):
        return None
    if body.ethertype == _ETHERTYPE_PREAUTH:
        return _preauth_event(frame, body)
    etype, detail = _eapol_type(body)
    if etype is None:
        return None
    roles = _eapol_roles(frame, etype, detail)
    if roles is None:
        return None
    sta, bssid, from_ap = roles
    return Event(etype, frame.ts_ns, frame.index, sta, bssid, from_ap, detail, frame)


def _eapol_type(body: Eapol) -> tuple[EventType | None, object]:
    inner = body.body
    if isinstance(inner, EapolKey):
        return EventType.EAPOL_KEY, inner
    if isinstance(inner, Eap):
        return EventType.EAP, inner
    if body.type == _EAPOL_START:
        return EventType.EAPOL_START, None
    if body.type == _EAPOL_LOGOFF:
        return EventType.EAPOL_LOGOFF, None
    return None, None


def _eapol_roles(frame: Frame, etype: EventType, detail: object) -> tuple[str, str, bool] | None:
    header = frame.header
    if isinstance(header, MacHeader):
        return data_roles(header)
    if isinstance(header, EthHeader):
        from_ap = eapol_from_ap(etype, detail)
        sta, ap = (header.dst, header.src) if from_ap else (header.src, header.dst)
        return (sta, ap, from_ap) if is_unicast(sta) and is_unicast(ap) else None
    return None


def _preauth_event(frame: Frame, body: Eapol) -> Event | None:
    """IEEE 802.11-2020 12.6.10.2: EAP between the station and the target AP over 0x88C7.

    `bssid` is the target (the authenticator the PMKSA will be for), `via` the current AP the
    frames pass through: over the air A1/A2 name the station and its current AP, and A3 the
    far end (DA uplink, SA downlink); on the DS (Ethernet) DA/SA are the station and the
    target, and the current AP is not in the frame (`via` None). EAPOL-Key frames have no
    business here and are ignored."""
    inner = body.body
    if not isinstance(inner, Eap) and body.type != _EAPOL_START:
        return None
    header = frame.header
    via: str | None = None
    if isinstance(header, MacHeader):
        roles = data_roles(header)
        if roles is None or header.addr3 is None:
            return None
        sta, via, from_ap = roles
        aa = header.addr3
    elif isinstance(header, EthHeader):
        from_ap = eapol_from_ap(EventType.EAP, inner)
        sta, aa = (header.dst, header.src) if from_ap else (header.src, header.dst)
    else:
        return None
    if not (is_unicast(sta) and is_unicast(aa)):
        return None
    return Event(EventType.PREAUTH, frame.ts_ns, frame.index, sta, aa, from_ap, inner, frame,
                 via=via)


def eapol_from_ap(etype: EventType, detail: object) -> bool:
    """Direction of an EAPOL frame from its content alone (Ethernet captures)."""
    if isinstance(detail, EapolKey):
        return detail.ack
    if isinstance(detail, Eap):
        return detail.code in (1, 3, 4)
    return False


# --- EAPOL-Key MIC length (DOMAIN §4, §5) -----------------------------------------------------


def mic_length(akm: int | None, dh_group: int | None = None) -> int | None:
    """The EAPOL-Key MIC length the AKM implies; None when it depends on an unknown group."""
    if akm is None:
        return None
    if akm in _SHA384_AKMS:
        return 24
    if akm in _FILS_AKMS:
        return 0
    if akm in _GROUP_AKMS:
        return None if dh_group is None else _MIC_BY_GROUP.get(dh_group)
    return 16


def resolve_key(key: EapolKey, raw: bytes, akm: int | None, group: int | None) -> EapolKey:
    """Re-decode an EAPOL-Key whose MIC length was ambiguous, using the station's AKM."""
    if key.message is not None and len(key.mic_lengths) <= 1:
        return key
    n = mic_length(akm, group)
    if n is None or n not in key.mic_lengths:
        return key
    try:
        return decode_eapol_key(raw[4:], mic_len=n)
    except DecodeError:
        return key
