"""Management, Action, EAPOL and EAP bodies from tshark's fields (see analyzer.tshark.mapper).

Each returns the body record, or a string saying why it could not be built (the mapper makes
that a `Malformed`).
"""

from __future__ import annotations

from analyzer.dot11.records import (
    Action,
    ActionDetail,
    AssocReq,
    AssocResp,
    Auth,
    Beacon,
    Body,
    BtmQuery,
    BtmRequest,
    BtmResponse,
    Disconnect,
    Eap,
    Eapol,
    EapolKey,
    Elements,
    FtAction,
    Kde,
    NeighborReport,
    NeighborReq,
    NeighborResp,
    ProbeReq,
    SaeCommit,
    SaeConfirm,
    SaQuery,
)
from analyzer.tshark.elements import (
    elements,
    expert_error,
    neighbor_report,
    rsne,
    rsne_cut,
    tags,
    wpa1,
)
from analyzer.tshark.tree import (
    Flat,
    Node,
    blob,
    byte_at,
    first,
    flat,
    layer_raw,
    num,
    offset_of,
    raw,
)

_TLS_BASED = frozenset({13, 21, 25, 43, 55})  # EAP methods with an L/M/S flags octet
_KDE_PMKID = 4
_OUI_IEEE = b"\x00\x0f\xac"
_WPA1_PREFIX = b"\x00\x50\xf2\x01"


def mgmt_body(
    tree: Node | None, subtype: int, protected: bool, body: bytes | None = None
) -> Body | str:
    """The body record of a management frame; `body`: its octets as tshark dissected them."""
    mgt = _Mgt(tree)
    if subtype in (10, 12):
        reason = None if protected else num(mgt, "wlan.fixed.reason_code")
        if reason is None and not protected:
            return "tshark: no reason code"
        return Disconnect(subtype == 12, reason)
    if subtype in (13, 14):
        return Action(-1, None, True, None) if protected else action(mgt, body)
    if subtype == 11:
        return Auth(1, 3, 0, None, Elements()) if protected else auth(mgt)
    if protected:
        return f"Protected bit set on subtype {subtype}"
    return _other(mgt, subtype)


def _other(fixed: _Mgt, subtype: int) -> Body | str:
    """Beacon, Probe Request/Response, (Re)Association Request/Response."""
    mgt = fixed
    caps = num(fixed, "wlan.fixed.capabilities")
    if subtype in (8, 5):
        tsf, interval = num(fixed, "wlan.fixed.timestamp"), num(fixed, "wlan.fixed.beacon")
        if tsf is None or interval is None or caps is None:
            return "tshark: beacon/probe response fixed fields"
        return Beacon(tsf, interval, caps, elements(mgt))
    if subtype == 4:
        return ProbeReq(elements(mgt))
    if subtype in (0, 2):
        listen = num(fixed, "wlan.fixed.listen_ival")
        if caps is None or listen is None:
            return "tshark: association request fixed fields"
        current = first(fixed, "wlan.fixed.current_ap") if subtype == 2 else None
        current = current.lower() if isinstance(current, str) else None
        return AssocReq(subtype == 2, caps, listen, current, elements(mgt))
    status, aid = num(fixed, "wlan.fixed.status_code"), num(fixed, "wlan.fixed.aid")
    if caps is None or status is None or aid is None:
        return "tshark: association response fixed fields"
    return AssocResp(subtype == 3, caps, status, aid & 0x3FFF, elements(mgt))


class _Mgt(Flat):
    """A management body's fixed fields, indexed once, and its tree (for the elements)."""

    def __init__(self, tree: Node | None) -> None:
        fixed = {k: v for k, v in tree.items() if k != "wlan.tagged.all"} if tree else None
        super().__init__(flat(fixed))
        self.tree = tree


def auth(mgt: Node | None) -> Auth | str:
    fixed = mgt  # the fixed fields are looked up in the indexed body
    alg = num(fixed, "wlan.fixed.auth.alg")
    seq, status = num(fixed, "wlan.fixed.auth_seq"), num(fixed, "wlan.fixed.status_code")
    if alg is None or seq is None or status is None:
        return "tshark: authentication fixed fields"
    if alg == 3:
        return Auth(alg, seq, status, _sae(fixed, seq, status), Elements())
    return Auth(alg, seq, status, None, elements(mgt))


def _sae(fixed: Node | None, seq: int, status: int) -> SaeCommit | SaeConfirm | None:
    if seq == 1 and status in (0, 126, 127):
        group = num(fixed, "wlan.fixed.finite_cyclic_group")
        if group is None:
            return None
        scalar = blob(fixed, "wlan.fixed.scalar")
        element = blob(fixed, "wlan.fixed.finite_field_element")
        if scalar is None or element is None:
            return None  # too short for the group's scalar and element
        token = blob(fixed, "wlan.fixed.anti_clogging_token") or b""
        return SaeCommit(group, token, scalar, element)
    if seq == 2 and status == 0:
        send = num(fixed, "wlan.fixed.send_confirm")
        confirm = blob(fixed, "wlan.fixed.confirm")
        if send is None or confirm is None:
            return None
        return SaeConfirm(send, confirm)
    return None


def action(mgt: Node | None, body: bytes | None = None) -> Action | str:
    """Action (9.6). The Action field is the octet after the category, which tshark names
    per category (`wlan.fixed.ft_action_code`, `wlan.fixed.htact`, ...): it is read from
    `body`, the octets tshark dissected as the frame body, else found by its offset."""
    fixed = mgt  # the fixed fields are looked up in the indexed body
    category = num(fixed, "wlan.fixed.category_code")
    if category is None:
        return "tshark: action category"
    if body is not None:
        code = body[1] if len(body) >= 2 else None
    else:
        code = _action_code(getattr(mgt, "tree", mgt), category)
    if category in (126, 127) or code is None:
        return Action(category, None, False, None)
    return Action(category, code, False, _detail(mgt, fixed, category, code))


def _action_code(fixed: Node | None, category: int) -> int | None:
    """The Action field: tshark names it per category (`wlan.fixed.ft_action_code`,
    `wlan.fixed.htact`, ...), so it is the field dissected at the octet after the category."""
    pos = offset_of(fixed, "wlan.fixed.category_code")
    return None if pos is None else byte_at(fixed, pos + 1)


def _detail(mgt: Node | None, fixed: Node | None, category: int, code: int) -> ActionDetail | None:
    if category == 6 and code in (1, 2, 3, 4):
        sta = first(fixed, "wlan.fixed.sta_address")
        target = first(fixed, "wlan.fixed.target_ap_address")
        if not isinstance(sta, str) or not isinstance(target, str):
            return None
        status = num(fixed, "wlan.fixed.status_code") if code in (2, 4) else None
        return FtAction(code, sta.lower(), target.lower(), status, elements(mgt))
    if category == 10:
        return _wnm(mgt, fixed, code)
    if category == 5 and code in (4, 5):
        token = num(fixed, "wlan.rm.dialog_token")
        token = num(fixed, "wlan.fixed.dialog_token") if token is None else token
        if token is None:
            return None
        if code == 4:
            return NeighborReq(token, elements(mgt).ssid)
        return NeighborResp(token, _candidates(mgt))
    if category == 8 and code in (0, 1):
        tid = num(fixed, "wlan.fixed.transaction_id")
        return None if tid is None else SaQuery(code, tid)
    return None


def _candidates(mgt: Node | None) -> tuple[NeighborReport, ...]:
    found = (neighbor_report(tag) for tag, data in tags(mgt) if data[0] == 52)
    return tuple(r for r in found if r is not None)


_MODE_BITS = ("pref_cand", "abridged", "disassoc_imminent", "bss_term_included",
              "ess_disassoc_imminent")  # 9.6.13.9 Request Mode B0-B4


def _request_mode(fixed: Node | None) -> int | None:
    """BTM Request Mode from tshark's per-bit fields (it has no field for the octet)."""
    bits = [num(fixed, f"wlan.fixed.request_mode.{name}") for name in _MODE_BITS]
    if any(b is None for b in bits):
        return num(fixed, "wlan.fixed.request_mode")
    return sum(1 << i for i, b in enumerate(bits) if b)


def _wnm(mgt: Node | None, fixed: Node | None, code: int) -> ActionDetail | None:
    token = num(fixed, "wlan.fixed.dialog_token")
    if token is None:
        return None
    if code == 6:
        reason = num(fixed, "wlan.fixed.bss_transition_query_reason")
        return None if reason is None else BtmQuery(token, reason, _candidates(mgt))
    if code == 7:
        mode = _request_mode(fixed)
        timer = num(fixed, "wlan.fixed.disassoc_timer")
        validity = num(fixed, "wlan.fixed.validity_interval")
        if mode is None or timer is None or validity is None:
            return None
        return BtmRequest(token, mode, timer, validity, _candidates(mgt))
    if code == 8:
        status = num(fixed, "wlan.fixed.bss_transition_status_code")
        if status is None:
            return None
        delay = num(fixed, "wlan.fixed.bss_termination_delay") or 0
        target = first(fixed, "wlan.fixed.bss_transition_target_bss")
        target = target.lower() if isinstance(target, str) else None
        return BtmResponse(token, status, delay, target, _candidates(mgt))
    return None


# --- EAPOL / EAP -------------------------------------------------------------------------------


def eapol(layers: Node, ethertype: int) -> Eapol | str:
    node = layers.get("eapol")
    version, ptype, length = (num(node, f"eapol.{k}") for k in ("version", "type", "len"))
    pdu = layer_raw(layers, "eapol")
    if version is None or ptype is None or length is None or pdu is None:
        return "tshark: EAPOL header"
    if 4 + length > len(pdu):
        return f"body length {length} exceeds the {len(pdu) - 4} bytes present"
    body: EapolKey | Eap | None | str = None
    desc = num(node, "eapol.keydes.type")
    if ptype == 0:
        body = eap(layers.get("eap"), length)
    elif ptype == 3 and desc in (2, 254):
        body = eapol_key(node)
    elif ptype == 3 and desc != 1:  # 1: RC4 (dynamic WEP), kept without a body
        body = f"key descriptor type {desc} is not RSN (2) or WPA (254)"
    if isinstance(body, str):
        return body
    return Eapol(ethertype, version, ptype, length, body, pdu[: 4 + length])


def eapol_key(tree: Node | None) -> EapolKey | str:
    """EAPOL-Key (12.7.2) from `eapol.keydes.*` / `wlan_rsna_eapol.keydes.*`; the message is
    tshark's `msgnr` (M1-M4 pairwise, G1/G2 group)."""
    node = flat(tree)
    desc = num(node, "eapol.keydes.type")
    key_info = num(node, "wlan_rsna_eapol.keydes.key_info")
    if key_info is None:
        key_info = num(node, "eapol.keydes.key_info")
    nonce = _keydes_blob(node, "nonce")
    if desc is None or key_info is None or nonce is None:
        return "tshark: EAPOL-Key fields"
    mic = _keydes_blob(node, "mic")
    key_data = _keydes_blob(node, "data") or b""
    data_len = num(node, "wlan_rsna_eapol.keydes.data_len")
    if data_len is None:
        data_len = num(node, "eapol.keydes.data_len")
    if data_len is None or data_len > len(key_data):
        return f"Key Data Length {data_len} exceeds the {len(key_data)} bytes present"
    kdes = _kdes(node, desc, key_info)
    return EapolKey(
        descriptor=desc,
        key_info=key_info,
        key_length=num(node, "eapol.keydes.key_len") or 0,
        replay_counter=num(node, "eapol.keydes.replay_counter") or 0,
        nonce=nonce,
        iv=blob(node, "eapol.keydes.key_iv") or b"",
        rsc=_keydes_blob(node, "rsc") or b"",
        mic=mic if mic is not None else b"",
        key_data=key_data,
        mic_lengths=(len(mic) if mic is not None else 0,),
        message=_message(node, key_info),
        kdes=kdes,
        pmkid=_pmkid(kdes),
        rsne=_key_data_rsne(node, key_info, desc),
    )


def _keydes_blob(node: Node | None, name: str) -> bytes | None:
    for prefix in ("wlan_rsna_eapol.keydes.", "eapol.keydes."):
        value = blob(node, prefix + name)
        if value is not None:
            return value
    return None


def _message(node: Node | None, key_info: int) -> str | None:
    if key_info & 0x0800:
        return "REQ"
    if not key_info & 0x0008:
        return "G1" if key_info & 0x0080 else "G2"
    n = num(node, "wlan_rsna_eapol.keydes.msgnr")
    return f"M{n}" if n in (1, 2, 3, 4) else None


def _plain(desc: int, key_info: int) -> bool:
    return not key_info & 0x1000 and not (desc == 254 and not key_info & 0x0008)


def _kdes(node: Node | None, desc: int, key_info: int) -> tuple[Kde, ...]:
    """KDEs (`DD len 00-0F-AC type`) and elements of unencrypted Key Data, as tshark split
    it into `wlan.tag`s."""
    if not _plain(desc, key_info):
        return ()
    out = []
    for _tag, data in _whole_tags(node):
        eid, body = data[0], data[2:]
        if eid == 221 and len(body) >= 4 and body[:3] == _OUI_IEEE:
            out.append(Kde(body[3], body[4:]))
        else:
            out.append(Kde(-eid, body))
    return tuple(out)


def _whole_tags(node: Node | None) -> list[tuple[Node, bytes]]:
    """The Key Data's elements up to padding (`DD 00`) or one cut short or running past the
    Key Data, where a walk by the length octets stops (12.7.2: the rest is padding or
    damage)."""
    room = len(_keydes_blob(node, "data") or b"")
    out, used = [], 0
    for tag, data in tags(_key_data_tree(node)):
        used += len(data)
        if (data[0] == 221 and data[1] == 0) or len(data) != 2 + data[1] or used > room:
            break
        out.append((tag, data))
    return out


def _key_data_tree(node: Node | None) -> Node | None:
    tree = first(node, "wlan_rsna_eapol.keydes.data_tree")
    return tree if isinstance(tree, dict) else None


def _pmkid(kdes: tuple[Kde, ...]) -> bytes | None:
    for k in kdes:
        if k.type == _KDE_PMKID and len(k.data) >= 16:
            return k.data[:16]
    return None


def _key_data_rsne(node: Node | None, key_info: int, desc: int):  # -> Rsne | None
    if not _plain(desc, key_info):
        return None
    for tag, data in _whole_tags(node):
        if expert_error(tag) is not None or (data[0] == 48 and rsne_cut(tag, len(data) - 2)):
            continue  # tshark found it malformed: ours skips it for the next one
        if data[0] == 48:
            found = rsne(tag, data)
        elif data[0] == 221 and data[2:6] == _WPA1_PREFIX:
            found = wpa1(tag, data)
        else:
            continue
        if found is not None:
            return found
    return None


def eap(tree: Node | None, room: int) -> Eap | str:
    """EAP from `eap.*`; `room` is the EAPOL body length the packet must fit in."""
    node = flat(tree)
    code, ident, length = num(node, "eap.code"), num(node, "eap.id"), num(node, "eap.len")
    if code is None or ident is None or length is None:
        return "tshark: EAP header"
    if length > room:
        return f"EAP length {length} exceeds the {room} bytes present"
    if code not in (1, 2):
        return Eap(code, ident, length, None)
    etype = num(node, "eap.type")
    if etype is None:
        return f"request/response of length {length} has no type"
    if etype == 254:
        return Eap(code, ident, length, etype, num(node, "eap.ext.vendor_id"),
                   num(node, "eap.ext.vendor_type"))  # fmt: skip
    identity = None
    if code == 2 and etype == 1:
        identity = raw(tree, "eap.identity") or b""
    flags = num(node, "eap.tls.flags") if etype in _TLS_BASED else None
    return Eap(code, ident, length, etype, identity=identity, flags=flags)
