"""One tshark-dissected packet (`-T json -x --no-duplicate-keys`) to the records our decoder
produces: `Frame` (radio, MAC header, body), `Malformed`, or None for frames the analyzer
ignores. Pure: a dict in, a record out.

Values come from Wireshark's fields (frame control, addresses, fixed fields, EAPOL-Key fields,
its message number, EAP); byte-valued members that are copies of the frame (the EAPOL PDU,
element bodies) come from the bytes the field was dissected from (`-x`).
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.dot11.linklayer import channel_to_mhz
from analyzer.dot11.protected import ccmp_at
from analyzer.dot11.records import (
    BlockAck,
    Ccmp,
    EthHeader,
    Frame,
    Kind,
    MacHeader,
    Malformed,
    Radio,
)
from analyzer.tshark.bodies import eapol, mgmt_body
from analyzer.tshark.elements import tags_end
from analyzer.tshark.tree import Node, blob, first, flat, layer_raw, num, to_int

# Wiretap encapsulation (frame.encap_type) to pcap link type.
ENCAP_LINKTYPES = {1: 1, 20: 105, 21: 119, 23: 127, 24: 163, 97: 192}
_MGMT_KIND = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 8: 8, 10: 10, 11: 11, 12: 12, 13: 13}
_RT_FCS, _RT_DATAPAD, _RT_BADFCS = 0x10, 0x20, 0x40
_FCS_BAD = 0  # wlan.fcs.status: 0 bad, 1 good, 2 unverified


def frame_number(layers: Node) -> int:
    return num(layers.get("frame"), "frame.number") or 0


def ts_ns(layers: Node) -> int:
    """frame.time_epoch ("s.nnnnnnnnn") as integer nanoseconds, without float rounding."""
    text = str(first(layers.get("frame"), "frame.time_epoch") or "0")
    whole, _, frac = text.partition(".")
    try:
        return int(whole) * 1_000_000_000 + int((frac + "000000000")[:9])
    except ValueError:
        return 0


def linktype(layers: Node) -> int | None:
    encap = num(layers.get("frame"), "frame.encap_type")
    return None if encap is None else ENCAP_LINKTYPES.get(encap)


def map_packet(layers: Node) -> Frame | Malformed | None:
    """The record `analyzer.dot11.decode` would give for this packet (see module doc); never
    raises: a dissection the mapper cannot read is a `Malformed` that says so."""
    try:
        return _map(layers)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        return Malformed(frame_number(layers), ts_ns(layers), _interface(layers), "tshark",
                         f"unexpected dissection: {type(exc).__name__}: {exc}")  # fmt: skip


def _map(layers: Node) -> Frame | Malformed | None:
    index, ts, iface = frame_number(layers), ts_ns(layers), _interface(layers)
    eth = layers.get("eth")
    wlan = flat(layers["wlan"]) if "wlan" in layers else None
    if wlan is None:
        if eth is not None and "eapol" in layers:
            return _ethernet(layers, index, ts, iface)
        if "radiotap" in layers or "_ws.malformed" in layers:
            return Malformed(index, ts, iface, "link", "tshark: no 802.11 frame")
        return None
    radio = _radio(layers)
    if radio is not None and radio.bad_fcs:
        return Malformed(index, ts, iface, "link", "bad FCS")
    version = num(wlan, "wlan.fc.version")
    ftype, subtype = num(wlan, "wlan.fc.type"), num(wlan, "wlan.fc.subtype")
    if not version and (ftype == 3 or (ftype == 1 and subtype not in (9, 13))):
        return None  # extension frames, control frames but ACK and Block Ack
    if num(wlan, "wlan.fcs.status") == _FCS_BAD:
        return Malformed(index, ts, iface, "link", "FCS mismatch")
    if version:
        return Malformed(index, ts, iface, "mac", f"protocol version {version}")
    if ftype is None or subtype is None:
        return Malformed(index, ts, iface, "mac", "tshark: no frame control")
    hdr = header(wlan, ftype, subtype, layer_raw(layers, "wlan"))
    if hdr is None:
        return Malformed(index, ts, iface, "mac", "tshark: MAC header")
    room = _frame_room(layers, radio)
    if room is not None and room < hdr.length:
        reason = f"header needs {hdr.length} bytes, frame has {room}"
        return Malformed(index, ts, iface, "mac", reason)
    if ftype == 0:
        return _mgmt(layers, index, ts, iface, radio, hdr)
    if ftype == 1:
        return _control(layers, index, ts, iface, radio, hdr)
    return _data(layers, index, ts, iface, radio, hdr)


_LINK_LENGTHS = (("radiotap", "radiotap.length"), ("ppi", "ppi.length"),
                 ("wlancap", "wlancap.length"), ("prism", "prism.msglen"))  # fmt: skip


def _frame_room(layers: Node, radio: Radio | None) -> int | None:
    """Bytes of 802.11 frame the record holds (capture length less the link header and FCS):
    tshark dissects a cut header as far as it goes, our decoder rejects it."""
    cap_len = num(layers.get("frame"), "frame.cap_len")
    if cap_len is None:
        return None
    link = 0
    for name, field in _LINK_LENGTHS:
        if name in layers:
            link = num(layers[name], field) or 0
            break
    return cap_len - link - (4 if radio is not None and radio.fcs_present else 0)


def _interface(layers: Node) -> int:
    return num(layers.get("frame"), "frame.interface_id") or 0


def _radio(layers: Node) -> Radio | None:
    if "radiotap" in layers:
        return _radiotap(layers["radiotap"])
    if "ppi" in layers:
        return _ppi(flat(layers["ppi"]))
    if "wlancap" in layers:
        return _avs(flat(layers["wlancap"]))
    if "prism" in layers:
        return _prism(flat(layers["prism"]))
    return None


def _radiotap(tree: Node) -> Radio:
    present = tree.get("radiotap.present")
    rt = flat(tree)
    flags = num(rt, "radiotap.flags") if _has(present, "radiotap.present.flags") else None
    rate = None
    if _has(present, "radiotap.present.rate"):
        mbps = first(rt, "radiotap.datarate")
        rate = round(float(mbps) * 2) if isinstance(mbps, str) else None
    f = flags or 0
    return Radio(
        tsft_us=num(rt, "radiotap.mactime"),
        flags=flags,
        rate_500kbps=rate,
        freq_mhz=num(rt, "radiotap.channel.freq"),
        channel_flags=num(rt, "radiotap.channel.flags"),
        signal_dbm=num(rt, "radiotap.dbm_antsignal"),
        noise_dbm=num(rt, "radiotap.dbm_antnoise"),
        fcs_present=bool(f & _RT_FCS),
        bad_fcs=bool(f & _RT_BADFCS),
        data_pad=bool(f & _RT_DATAPAD),
    )


def _has(present: object, bit: str) -> bool:
    return num(present, bit) == 1


_PPI_FCS, _PPI_TSF_MS, _PPI_BAD_FCS = 0x0001, 0x0002, 0x0004


def _ppi(ppi: Node) -> Radio | None:
    """PPI 802.11-Common (`ppi.80211-common.*`); None without that field, as ours."""
    flags = num(ppi, "ppi.80211-common.flags")
    if flags is None:
        return None
    tsf = num(ppi, "ppi.80211-common.tsft") or 0
    kbps = num(ppi, "ppi.80211-common.rate") or 0
    freq = num(ppi, "ppi.80211-common.chan.freq") or None
    return Radio(
        tsft_us=(tsf * 1000 if flags & _PPI_TSF_MS else tsf) or None,
        flags=flags,
        rate_500kbps=kbps // 500 or None,
        freq_mhz=freq,
        channel_flags=num(ppi, "ppi.80211-common.chan.flags") if freq else None,
        signal_dbm=num(ppi, "ppi.80211-common.dbm.antsignal"),
        noise_dbm=num(ppi, "ppi.80211-common.dbm.antnoise"),
        fcs_present=bool(flags & _PPI_FCS),
        bad_fcs=bool(flags & _PPI_BAD_FCS),
    )


def _avs(avs: Node) -> Radio:
    """AVS (`wlancap.*`): rate in b/s, signal and noise only when given in dBm."""
    channel = num(avs, "wlancap.channel") or 0
    bps = num(avs, "wlancap.data_rate") or 0
    return Radio(
        tsft_us=num(avs, "wlancap.mactime") or None,
        rate_500kbps=bps // 500_000 or None,
        freq_mhz=channel_to_mhz(channel) if channel else None,
        signal_dbm=num(avs, "wlancap.dbm_antsignal"),
        noise_dbm=num(avs, "wlancap.dbm_antnoise"),
    )


def _prism(prism: Node) -> Radio:
    """Prism (`prism.did.*`, values tshark found by their DID; absent when not supplied)."""
    channel = num(prism, "prism.did.channel")
    return Radio(
        freq_mhz=None if channel is None else channel_to_mhz(channel),
        signal_dbm=num(prism, "prism.did.signal"),
        noise_dbm=num(prism, "prism.did.noise"),
        rate_500kbps=num(prism, "prism.did.rate"),
    )


def header(
    wlan: Node, ftype: int, subtype: int, octets: bytes | None = None
) -> MacHeader | None:
    """MacHeader from `wlan.*`: a data frame's addresses by their roles (ToDS/FromDS, Table
    9-30), a management frame's third address is its BSSID whatever the DS bits say. `tree`
    (the layer's octets, `wlan_raw`) gives the Duration field's 16 bits: `wlan.duration` and
    its `-x` companion hold only the 15-bit value."""
    fc_flags = num(wlan, "wlan.flags")
    ra = _mac(first(wlan, "wlan.ra"))
    if fc_flags is None or ra is None:
        return None
    ta = _mac(first(wlan, "wlan.ta"))
    ds = fc_flags & 0x03
    addr3 = addr4 = None
    if ftype != 1:
        if ta is None:
            return None
        role = ("wlan.bssid", "wlan.da", "wlan.sa", "wlan.da")[ds] if ftype == 2 else "wlan.bssid"
        addr3 = _mac(first(wlan, role)) or _octets_mac(octets, 16)
        if ds == 3 and ftype == 2:
            addr4 = _mac(first(wlan, "wlan.sa")) or _octets_mac(octets, 24)
    elif subtype != 9:
        ta = None
    qos = ftype == 2 and bool(subtype & 0x08)
    order = bool(fc_flags & 0x80) and (qos or ftype == 0)
    length = _header_length(ftype, subtype, ds, qos, order)
    seq = None if ftype == 1 else num(wlan, "wlan.seq")
    frag = None if ftype == 1 else num(wlan, "wlan.frag")
    return MacHeader(
        ftype=ftype,
        subtype=subtype,
        fc_flags=fc_flags,
        duration=_duration(wlan, octets),
        addr1=ra,
        addr2=ta,
        addr3=addr3,
        addr4=addr4,
        seq=seq,
        frag=frag,
        tid=num(wlan, "wlan.qos.tid") if qos else None,
        htc=num(wlan, "wlan.htc") if order else None,
        length=length,
    )


def _octets_mac(octets: bytes | None, pos: int) -> str | None:
    """An address tshark gives no field for (Address 3 of an A-MSDU is the BSSID, not the
    DA it names otherwise), from the header's octets."""
    if octets is None or len(octets) < pos + 6:
        return None
    return octets[pos : pos + 6].hex(":")


def _duration(wlan: Node, octets: bytes | None) -> int:
    if octets is not None and len(octets) >= 4:
        return octets[2] | octets[3] << 8
    return num(wlan, "wlan.duration") or 0


def _header_length(ftype: int, subtype: int, ds: int, qos: bool, order: bool) -> int:
    if ftype == 1:
        return 10 if subtype == 13 else 16
    n = 30 if ds == 3 and ftype == 2 else 24
    return n + (2 if qos else 0) + (4 if order else 0)


def _mac(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and len(value) == 17 else None


def _mgmt(
    layers: Node, index: int, ts: int, iface: int, radio: Radio | None, hdr: MacHeader
) -> Frame | Malformed:
    code = _MGMT_KIND.get(hdr.subtype)
    kind = Kind.OTHER_MGMT if code is None else Kind(code)
    if kind is Kind.OTHER_MGMT:
        return Frame(index, ts, iface, kind, radio, hdr, None)
    octets = layer_raw(layers, "wlan.mgt")
    body = mgmt_body(layers.get("wlan.mgt"), hdr.subtype, hdr.protected, octets)
    if isinstance(body, str):
        return Malformed(index, ts, iface, "mgmt", body, kind, hdr)
    elements = getattr(body, "elements", None)
    if "_ws.malformed" in layers and elements is not None and elements.malformed is None:
        left = _after_elements(layers, hdr.subtype, body)
        if left:  # tshark gave up on a cut element: ours notes why its walk stopped
            note = replace(elements, malformed=f"{left} octets after the last whole element")
            body = replace(body, elements=note)  # type: ignore[type-var]
    return Frame(index, ts, iface, kind, radio, hdr, body)


# octets before the first element (9.3.3): beacon/probe response, requests, responses, auth
_FIXED = {8: 12, 5: 12, 4: 0, 0: 4, 2: 10, 1: 6, 3: 6, 11: 6}


def _after_elements(layers: Node, subtype: int, body: object) -> int:
    """Octets of the body past the last element tshark dissected (past the fixed fields
    when it dissected none); 0 for SAE, whose body is not elements."""
    octets = layers.get("wlan.mgt_raw")
    fixed = _FIXED.get(subtype)
    if not isinstance(octets, list) or len(octets) < 3 or fixed is None:
        return 0
    if getattr(body, "algorithm", None) == 3:
        return 0
    start, length = octets[1], octets[2]
    end = tags_end(layers.get("wlan.mgt"))
    return start + length - (end if end is not None else start + fixed)


def _control(
    layers: Node, index: int, ts: int, iface: int, radio: Radio | None, hdr: MacHeader
) -> Frame | Malformed | None:
    if hdr.subtype == 13:
        return Frame(index, ts, iface, Kind.CONTROL, radio, hdr, None)
    if hdr.subtype != 9:
        return None
    ba = block_ack(flat(layers.get("wlan")))
    if ba is None:
        return Malformed(index, ts, iface, "control", "tshark: Block Ack", Kind.CONTROL, hdr)
    return Frame(index, ts, iface, Kind.CONTROL, radio, hdr, ba)


def block_ack(wlan: Node | None) -> BlockAck | None:
    """Block Ack control (9.3.1.8) from `wlan.ba.*`; SSN and bitmap for Basic/Compressed."""
    control = num(wlan, "wlan.ba.control")
    if control is None:
        return None
    ba_type = (control >> 1) & 0x0F
    ssn = num(wlan, "wlan.fixed.ssc.sequence")
    bitmap = blob(wlan, "wlan.ba.bm")
    if bitmap is None:
        ssn = None
    return BlockAck(control & 0x01, ba_type, control >> 12, ssn, bitmap)


def _ccmp(layers: Node, hdr: MacHeader, radio: Radio | None) -> Ccmp | None:
    """The CCMP/GCMP header and MIC from the record's octets (`frame_raw`), where the
    802.11 layer starts (`wlan_raw`'s offset), as our decoder reads them."""
    octets, wlan = layer_raw(layers, "frame"), layers.get("wlan_raw")
    if octets is None or not isinstance(wlan, list) or len(wlan) < 2:
        return None
    pad = radio is not None and radio.data_pad
    at = int(wlan[1]) + ((hdr.length + 3) & -4 if pad else hdr.length)
    fcs = radio is not None and radio.fcs_present
    return ccmp_at(octets, at, len(octets) - (4 if fcs else 0))


def _data(
    layers: Node, index: int, ts: int, iface: int, radio: Radio | None, hdr: MacHeader
) -> Frame | Malformed:
    if hdr.protected and not hdr.subtype & 0x04:
        return Frame(index, ts, iface, Kind.DATA, radio, hdr, _ccmp(layers, hdr, radio))
    if hdr.protected or hdr.subtype & 0x04 or "eapol" not in layers:
        return Frame(index, ts, iface, Kind.DATA, radio, hdr, None)
    ethertype = to_int(first(layers.get("llc"), "llc.type")) or 0x888E
    body = eapol(layers, ethertype)
    if isinstance(body, str):
        return Malformed(index, ts, iface, "eapol", body, Kind.EAPOL, hdr)
    return Frame(index, ts, iface, Kind.EAPOL, radio, hdr, body)


def _ethernet(layers: Node, index: int, ts: int, iface: int) -> Frame | Malformed:
    eth = layers.get("eth")
    dst, src = _mac(first(eth, "eth.dst")), _mac(first(eth, "eth.src"))
    ethertype = num(eth, "eth.type") or 0x888E
    vlan = num(layers.get("vlan"), "vlan.etype")
    ethertype = vlan if vlan is not None else ethertype
    body = eapol(layers, ethertype)
    if isinstance(body, str) or dst is None or src is None:
        reason = body if isinstance(body, str) else "tshark: Ethernet header"
        return Malformed(index, ts, iface, "eapol", reason, Kind.EAPOL)
    return Frame(index, ts, iface, Kind.EAPOL, None, EthHeader(dst, src, ethertype), body)
