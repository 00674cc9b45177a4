"""Information elements from tshark's dissection to `analyzer.dot11.records.Elements`.

Each element is one `wlan.tag` node, paired with its `wlan.tag_raw` bytes (header included)
for the byte-valued members (`Rsne.raw`, `Mde.raw`, `Fte.raw`, SSID, capability bodies). The
decoded members come from tshark's fields: suites, counts, PMKIDs, MDID, the FTE's MIC and
nonces, neighbour reports. First occurrence wins, as in `analyzer.dot11.elements`.
"""

from __future__ import annotations

from typing import Any

from analyzer.dot11.consts import OUI_IEEE, OUI_MICROSOFT
from analyzer.dot11.records import Elements, Fte, Mde, NeighborReport, Rsne
from analyzer.tshark.tree import (
    Node,
    as_list,
    blob,
    first,
    flat,
    num,
    printable,
    raw_list,
    to_bytes,
    to_int,
    values,
)

# Element IDs (IEEE 802.11-2020 9.4.2.1 Table 9-92), by number in `_element`'s match: 0 SSID,
# 3 DS Parameter Set, 48 RSNE, 52 Neighbor Report, 54 MDE, 55 FTE, 56 Timeout Interval,
# 61 HT Operation, 70 RM Enabled Capabilities, 127 Extended Capabilities, 221 Vendor,
# 244 RSNXE, 255 Extension (4 FILS Session, 32 OWE DH Parameter).
EXT_FILS_SESSION, EXT_OWE_DH = 4, 32
_READ = frozenset({3, 48, 52, 54, 55, 56, 61, 221, 255})  # elements whose fields are read
_ERROR_SEVERITY = 0x00800000  # epan/proto.h PI_ERROR


def tags(node: object) -> list[tuple[Node, bytes]]:
    """(fields, raw bytes) of every element under the first node that holds `wlan.tag`s, in
    frame order: tshark lists extension elements (`wlan.ext_tag`) apart, so both lists are
    merged by the offset each was dissected at."""
    return [(tag, data) for _, tag, data in _tags(node)]


def tags_end(node: object) -> int | None:
    """The frame offset just after the last element tshark dissected, or None."""
    found = _tags(node)
    return found[-1][0] + len(found[-1][2]) if found else None


def _tags(node: object) -> list[tuple[int, Node, bytes]]:
    holder = _holder(getattr(node, "tree", node))  # an indexed body keeps its tree
    if holder is None:
        return []
    found = []
    for key in ("wlan.tag", "wlan.ext_tag"):
        nodes = as_list(holder.get(key))
        raws = raw_list(holder.get(key + "_raw"))
        for tag, r in zip(nodes, raws, strict=False):
            data = to_bytes(r[0]) if r else None
            if isinstance(tag, dict) and data is not None and len(data) >= 2:
                found.append((to_int(str(r[1])) or 0, tag, data))
    found.sort(key=lambda t: t[0])
    return found


def _holder(node: object) -> Node | None:
    if isinstance(node, dict):
        if "wlan.tag" in node or "wlan.ext_tag" in node:
            return node
        for k, v in node.items():
            if isinstance(v, dict) and not k.endswith("_raw"):
                found = _holder(v)
                if found is not None:
                    return found
    return None


def elements(node: object) -> Elements:
    """The elements of a management body (or of any node holding `wlan.tag`s)."""
    acc: dict[str, Any] = {}
    for tag, data in tags(node):
        if data[0] not in _READ:
            _element(tag, data, acc)
            continue
        error = expert_error(tag)
        if error is None:
            _element(flat(tag), data, acc)
        else:  # tshark found it malformed: our decoder leaves such an element out too
            acc.setdefault("malformed", error)
    for key in ("timeout_intervals", "neighbor_reports", "vendor_ouis"):
        if key in acc:
            acc[key] = tuple(acc[key])
    return Elements(**acc)


def expert_error(node: object) -> str | None:
    """An error-severity expert message of tshark's in the subtree (a malformed element),
    control and non-ASCII characters escaped; None when there is none."""
    for expert in _experts(getattr(node, "tree", node)):
        for item in as_list(expert):
            sev = to_int(first(item, "_ws.expert.severity"))
            if sev is not None and sev >= _ERROR_SEVERITY:
                return f"tshark: {printable(str(first(item, '_ws.expert.message')))}"
    return None


def _experts(node: object) -> list[Any]:
    """Every `_ws.expert` node in the subtree (a tight walk: this runs for every body)."""
    found: list[Any] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            for k, v in n.items():
                if k == "_ws.expert":
                    found.append(v)
                elif isinstance(v, dict | list) and not k.endswith("_raw"):
                    stack.append(v)
        elif isinstance(n, list):
            stack.extend(n)
    return found


def _element(tag: Node, data: bytes, acc: dict[str, Any]) -> None:
    eid, body = data[0], data[2:]
    if len(body) != data[1]:
        acc.setdefault("malformed", f"element {eid} length {data[1]} but {len(body)} bytes left")
        return
    match eid:
        case 0:
            acc.setdefault("ssid", body)
        case 3:
            _set(acc, "ds_channel", num(tag, "wlan.ds.current_channel"))
        case 61:
            _set(acc, "ht_primary_channel", num(tag, "wlan.ht.info.primarychannel"))
        case 48:
            if "rsne" not in acc:
                found = rsne(tag, data)
                if found is not None and rsne_cut(tag, len(body)):
                    acc.setdefault("malformed", "RSNE: a field is truncated")
                else:
                    _set(acc, "rsne", found)
        case 54:
            if "mde" not in acc:
                _set(acc, "mde", mde(tag, data))
        case 55:
            if "fte" not in acc:
                found = fte(tag, data)
                if found is None:
                    acc.setdefault("malformed", "FTE: its fields do not fill the element")
                _set(acc, "fte", found)
        case 56:
            _timeout(tag, acc)
        case 52:
            report = neighbor_report(tag)
            if report is not None:
                acc.setdefault("neighbor_reports", []).append(report)
        case 70:
            acc.setdefault("rm_capabilities", body)
        case 127:
            acc.setdefault("ext_capabilities", body)
        case 244:
            acc.setdefault("rsnxe", body)
        case 221:
            _vendor(tag, data, acc)
        case 255:
            _extension(tag, body, acc)


def _set(acc: dict[str, Any], key: str, value: object) -> None:
    if value is not None and key not in acc:
        acc[key] = value


def _suite(oui: object, stype: object, home: int) -> int | None:
    o, t = to_int(oui), to_int(stype)
    if o is None or t is None:
        return None
    return t if o == home else (o << 8) | t


def _suites(tag: Node, prefix: str, home: int) -> tuple[int, ...]:
    ouis = list(values(tag, prefix + ".oui"))
    types = list(values(tag, prefix + ".type"))
    out = (_suite(o, t, home) for o, t in zip(ouis, types, strict=False))
    return tuple(s for s in out if s is not None)


def rsne(tag: Node, data: bytes) -> Rsne | None:
    """RSNE from `wlan.rsn.*`: version, group/pairwise/AKM suites, capabilities, PMKIDs."""
    version = num(tag, "wlan.rsn.version")
    if version is None:
        return None
    group = _suites(tag, "wlan.rsn.gcs", OUI_IEEE)
    gmc = _suites(tag, "wlan.rsn.gmcs", OUI_IEEE)
    pmkids = tuple(b for b in map(to_bytes, values(tag, "wlan.pmkid.akms")) if b is not None)
    return Rsne(
        version=version,
        group_cipher=group[0] if group else None,
        pairwise_ciphers=_suites(tag, "wlan.rsn.pcs", OUI_IEEE),
        akms=_suites(tag, "wlan.rsn.akms", OUI_IEEE),
        capabilities=num(tag, "wlan.rsn.capabilities"),
        pmkids=pmkids,
        group_mgmt_cipher=gmc[0] if gmc else None,
        raw=data,
    )


def rsne_cut(tag: Node, length: int) -> bool:
    """Bytes left over after the fields tshark dissected, and no group management cipher
    (after which anything is ignored): a field was cut short, which our decoder rejects."""

    def counted(count: str, item: str, size: int) -> int:
        present = num(tag, count) is not None
        return 2 + size * len(list(values(tag, item))) if present else 0

    used = 2 + (4 if first(tag, "wlan.rsn.gcs.type") is not None else 0)
    used += counted("wlan.rsn.pcs.count", "wlan.rsn.pcs.type", 4)
    used += counted("wlan.rsn.akms.count", "wlan.rsn.akms.type", 4)
    used += 2 if num(tag, "wlan.rsn.capabilities") is not None else 0
    used += counted("wlan.rsn.pmkid.count", "wlan.pmkid.akms", 16)
    return first(tag, "wlan.rsn.gmcs.type") is None and used < length


def wpa1(tag: Node, data: bytes) -> Rsne | None:
    """The WPA1 vendor element from `wlan.wfa.ie.wpa.*` (suites under 00-50-F2)."""
    version = num(tag, "wlan.wfa.ie.wpa.version")
    if version is None:
        return None
    group = _suites(tag, "wlan.wfa.ie.wpa.mcs", OUI_MICROSOFT)
    pairwise = _suites(tag, "wlan.wfa.ie.wpa.ucs", OUI_MICROSOFT)
    # tshark 4.0 names the AKM suite type `wlan.wfa.ie.wpa.type`
    ouis = list(values(tag, "wlan.wfa.ie.wpa.akms.oui"))
    types = list(values(tag, "wlan.wfa.ie.wpa.akms.type"))
    types = types or list(values(tag, "wlan.wfa.ie.wpa.type"))
    akms = tuple(s for s in (_suite(o, t, OUI_MICROSOFT) for o, t in zip(ouis, types, strict=False))
                 if s is not None)  # fmt: skip
    return Rsne(
        version=version,
        group_cipher=group[0] if group else None,
        pairwise_ciphers=pairwise,
        akms=akms,
        capabilities=_wpa1_capabilities(data, len(pairwise), len(akms)),
        pmkids=(),
        group_mgmt_cipher=None,
        wpa1=True,
        raw=data,
    )


def _wpa1_capabilities(data: bytes, n_pairwise: int, n_akms: int) -> int | None:
    """tshark does not dissect the optional RSN Capabilities after the WPA1 AKM list: read
    them from the element's bytes where its suite counts say they are."""
    pos = 2 + 4 + 2 + 4 + 2 + 4 * n_pairwise + 2 + 4 * n_akms
    return data[pos] | data[pos + 1] << 8 if len(data) >= pos + 2 else None


def mde(tag: Node, data: bytes) -> Mde | None:
    mdid = num(tag, "wlan.mobility_domain.mdid")
    if mdid is None:
        return None
    over_ds = num(tag, "wlan.mobility_domain.ft_capab.ft_over_ds") or 0
    resource = num(tag, "wlan.mobility_domain.ft_capab.resource_req") or 0
    return Mde(mdid, bool(over_ds), bool(resource), data)


def fte(tag: Node, data: bytes) -> Fte | None:
    mic = blob(tag, "wlan.ft.mic")
    anonce, snonce = blob(tag, "wlan.ft.anonce"), blob(tag, "wlan.ft.snonce")
    control = num(tag, "wlan.ft.mic_control")
    if mic is None or anonce is None or snonce is None or control is None:
        return None
    ids = {to_int(v) for v in values(tag, "wlan.ft.subelem.id")}
    lens = [to_int(v) or 0 for v in values(tag, "wlan.ft.subelem.len")]
    r1kh, r0kh = blob(tag, "wlan.ft.subelem.r1kh_id"), blob(tag, "wlan.ft.subelem.r0kh_id")
    # 9.4.2.47: the subelements fill the element; R1KH-ID is 6 octets, R0KH-ID 1 to 48
    if 2 + len(mic) + 64 + sum(2 + n for n in lens) != len(data) - 2:
        return None
    if (r1kh is not None and len(r1kh) != 6) or (r0kh is not None and not 1 <= len(r0kh) <= 48):
        return None
    return Fte(
        mic_control=control,
        mic=mic,
        anonce=anonce,
        snonce=snonce,
        r0kh_id=r0kh,
        r1kh_id=r1kh.hex(":") if r1kh is not None else None,
        has_gtk=2 in ids,
        has_igtk=4 in ids,
        raw=data,
    )


def _timeout(tag: Node, acc: dict[str, Any]) -> None:
    kind, value = num(tag, "wlan.timeout_int.type"), num(tag, "wlan.timeout_int.value")
    if kind is not None and value is not None:
        acc.setdefault("timeout_intervals", []).append((kind, value))


def neighbor_report(tag: Node) -> NeighborReport | None:
    """Neighbor Report (9.4.2.36); None unless every fixed field is there (13 octets)."""
    bssid = first(tag, "wlan.nreport.bssid")
    info = num(tag, "wlan.nreport.bssid.info")
    op_class, channel = num(tag, "wlan.nreport.opeclass"), num(tag, "wlan.nreport.channumber")
    phy = num(tag, "wlan.nreport.phytype")
    if not isinstance(bssid, str) or info is None or op_class is None or channel is None:
        return None
    if phy is None:
        return None
    return NeighborReport(
        bssid=bssid.lower(),
        bssid_info=info,
        op_class=op_class,
        channel=channel,
        phy_type=phy,
        preference=num(tag, "wlan.nreport.subelem.bss_trn_can_pref"),
    )


def _vendor(tag: Node, data: bytes, acc: dict[str, Any]) -> None:
    oui = num(tag, "wlan.tag.oui")
    if oui is None:
        return
    acc.setdefault("vendor_ouis", []).append(oui.to_bytes(3, "big"))
    if oui == OUI_MICROSOFT and num(tag, "wlan.wfa.ie.type") == 1 and "wpa" not in acc:
        _set(acc, "wpa", wpa1(tag, data))


def _extension(tag: Node, body: bytes, acc: dict[str, Any]) -> None:
    ext = num(tag, "wlan.ext_tag.number")
    if ext == EXT_OWE_DH:
        _set(acc, "owe_dh_group", num(tag, "wlan.ext_tag.owe_dh_parameter.group"))
    elif ext == EXT_FILS_SESSION:
        acc.setdefault("fils_session", body[1:])
