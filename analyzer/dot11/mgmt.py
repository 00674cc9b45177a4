"""Management frame bodies (IEEE 802.11-2020 9.3.3): the fixed fields, then the elements.

Byte order: little-endian. Too short a fixed part raises `DecodeError("mgmt", ...)`.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from analyzer.dot11.action import decode_action
from analyzer.dot11.elements import EID_EXTENSION, decode_elements, walk_elements
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import (
    AssocReq,
    AssocResp,
    Auth,
    Beacon,
    Body,
    Disconnect,
    Elements,
    ProbeReq,
    SaeCommit,
    SaeConfirm,
)

_BEACON = struct.Struct("<QHH")  # 9.3.3.2: timestamp, beacon interval, capabilities
_TSF = struct.Struct("<Q")
_INTERVAL_CAPS = struct.Struct("<HH")
_ASSOC_REQ = struct.Struct("<HH")  # 9.3.3.6: capabilities, listen interval
_ASSOC_RESP = struct.Struct("<HHH")  # 9.3.3.7: capabilities, status, AID
_AUTH = struct.Struct("<HHH")  # 9.3.3.11: algorithm, transaction sequence, status
_U16 = struct.Struct("<H")

# 9.3.3 Table 9-31 subtypes
ASSOC_REQ, ASSOC_RESP, REASSOC_REQ, REASSOC_RESP, PROBE_REQ, PROBE_RESP = range(6)
BEACON, ATIM, DISASSOC, AUTH, DEAUTH, ACTION, ACTION_NO_ACK = range(8, 15)

AUTH_SHARED_KEY = 1
AUTH_SAE = 3
SAE_COMMIT, SAE_CONFIRM = 1, 2
# 9.4.1.9: commit status codes that carry scalar and element (H2E and SAE-PK put the token
# into an Anti-Clogging Token Container element, extension 93, after the element).
_SAE_STATUS_PLAIN, _SAE_STATUS_H2E, _SAE_STATUS_PK = 0, 126, 127
_EXT_ANTI_CLOGGING_CONTAINER = 93

# SAE groups (IANA "Group Description"; RFC 5114 / 3526 / 7027): (scalar, element) octets.
# hostap encodes the scalar with the prime length too.
_SAE_GROUPS: dict[int, tuple[int, int]] = {
    19: (32, 64), 20: (48, 96), 21: (66, 132), 25: (24, 48), 26: (28, 56),
    28: (32, 64), 29: (48, 96), 30: (64, 128),
    5: (192, 192), 14: (256, 256), 15: (384, 384), 16: (512, 512), 17: (768, 768),
    18: (1024, 1024), 22: (128, 128), 23: (256, 256), 24: (256, 256),
}  # fmt: skip


def _need(body: bytes, size: int, what: str) -> None:
    if len(body) < size:
        raise DecodeError("mgmt", f"{what}: {len(body)} bytes, need {size}")


def _beacon(body: bytes) -> Beacon:
    _need(body, _BEACON.size, "beacon/probe response")
    (tsf,) = _TSF.unpack_from(body, 0)
    interval, caps, elements = _beacon_after_tsf(bytes(body[8:]))
    return Beacon(tsf, interval, caps, elements)


@lru_cache(maxsize=2048)
def _beacon_after_tsf(rest: bytes) -> tuple[int, int, Elements]:
    """An AP repeats the same beacon but for its TSF (and the TIM's DTIM count): memoising the
    rest makes a beacon cost a hash lookup instead of an element walk. Pure, so safe to cache."""
    interval, caps = _INTERVAL_CAPS.unpack_from(rest, 0)
    return interval, caps, decode_elements(rest, _INTERVAL_CAPS.size)


def _assoc_req(body: bytes, reassoc: bool) -> AssocReq:
    fixed = _ASSOC_REQ.size + (6 if reassoc else 0)
    _need(body, fixed, "reassociation request" if reassoc else "association request")
    caps, listen = _ASSOC_REQ.unpack_from(body, 0)
    current_ap = body[4:10].hex(":") if reassoc else None
    return AssocReq(reassoc, caps, listen, current_ap, decode_elements(body, fixed))


def _assoc_resp(body: bytes, reassoc: bool) -> AssocResp:
    _need(body, _ASSOC_RESP.size, "(re)association response")
    caps, status, aid = _ASSOC_RESP.unpack_from(body, 0)
    return AssocResp(reassoc, caps, status, aid & 0x3FFF, decode_elements(body, _ASSOC_RESP.size))


def _disconnect(body: bytes, deauth: bool, protected: bool) -> Disconnect:
    if protected:
        return Disconnect(deauth, None)
    _need(body, 2, "deauthentication" if deauth else "disassociation")
    return Disconnect(deauth, _U16.unpack_from(body, 0)[0])


def _container_token(body: bytes, pos: int) -> bytes:
    """The Anti-Clogging Token Container (extension 93) after an H2E commit's element."""
    for eid, s, e in walk_elements(body, pos):
        if eid == EID_EXTENSION and e > s and body[s] == _EXT_ANTI_CLOGGING_CONTAINER:
            return body[s + 1 : e]
    return b""


def _sae_commit(body: bytes, status: int) -> SaeCommit | None:
    """Commit fields after the 6 fixed bytes: group, [token], scalar, element.

    Without H2E the token sits before the scalar and its length is what is left over for a
    known group; trailing elements (Password Identifier) would be misread as token.
    """
    if status not in (_SAE_STATUS_PLAIN, _SAE_STATUS_H2E, _SAE_STATUS_PK) or len(body) < 8:
        return None
    group = _U16.unpack_from(body, 6)[0]
    if group not in _SAE_GROUPS:
        return SaeCommit(group, None, b"", body[8:])
    scalar_len, element_len = _SAE_GROUPS[group]
    if status == _SAE_STATUS_PLAIN:
        token_len = len(body) - 8 - scalar_len - element_len
        if token_len < 0:
            return None
        pos = 8 + token_len
        token = body[8:pos]
    else:
        pos = 8
        if len(body) < pos + scalar_len + element_len:
            return None
        token = _container_token(body, pos + scalar_len + element_len)
    scalar = body[pos : pos + scalar_len]
    return SaeCommit(group, token, scalar, body[pos + scalar_len : pos + scalar_len + element_len])


def _sae(body: bytes, seq: int, status: int) -> SaeCommit | SaeConfirm | None:
    if seq == SAE_COMMIT:
        return _sae_commit(body, status)
    if seq == SAE_CONFIRM and status == 0 and len(body) >= 8:
        return SaeConfirm(_U16.unpack_from(body, 6)[0], body[8:])
    return None


def _auth(body: bytes, protected: bool) -> Auth:
    if protected:
        # Only Shared Key transaction 3 is WEP-encrypted (12.3.3.2): its fields are unreadable.
        return Auth(AUTH_SHARED_KEY, 3, 0, None, Elements())
    _need(body, _AUTH.size, "authentication")
    algorithm, seq, status = _AUTH.unpack_from(body, 0)
    if algorithm == AUTH_SAE:
        return Auth(algorithm, seq, status, _sae(body, seq, status), Elements())
    return Auth(algorithm, seq, status, None, decode_elements(body, _AUTH.size))


def decode_mgmt_body(subtype: int, body: bytes | memoryview, protected: bool) -> Body:
    """Decode a management frame body (after the MAC header, without FCS) by subtype.

    With the Protected bit only Deauth/Disassoc (reason hidden), Action (all hidden) and
    Authentication (Shared Key seq 3) are meaningful; any other subtype raises.
    """
    b = body if isinstance(body, bytes) else bytes(body)
    if subtype in (DEAUTH, DISASSOC):
        return _disconnect(b, subtype == DEAUTH, protected)
    if subtype in (ACTION, ACTION_NO_ACK):
        return decode_action(b, protected)
    if subtype == AUTH:
        return _auth(b, protected)
    if protected:
        raise DecodeError("mgmt", f"Protected bit set on subtype {subtype}")
    if subtype in (BEACON, PROBE_RESP):
        return _beacon(b)
    if subtype == PROBE_REQ:
        return ProbeReq(decode_elements(b))
    if subtype in (ASSOC_REQ, REASSOC_REQ):
        return _assoc_req(b, subtype == REASSOC_REQ)
    if subtype in (ASSOC_RESP, REASSOC_RESP):
        return _assoc_resp(b, subtype == REASSOC_RESP)
    raise DecodeError("mgmt", f"no body decoder for subtype {subtype}")
