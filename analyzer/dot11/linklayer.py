"""Link-layer encapsulations around 802.11 frames (tcpdump.org/linktypes.html).

`decode_link` answers where the 802.11 frame starts and ends inside a record, and what the
capture said about the radio. Ethernet (linktype 1, EAPOL seen on a managed interface) has no
802.11 frame: `decode_ethernet` decodes its header instead.
"""

from __future__ import annotations

import struct

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.radiotap import decode_radiotap
from analyzer.dot11.records import EthHeader, Radio

LINKTYPE_ETHERNET = 1
LINKTYPE_IEEE802_11 = 105
LINKTYPE_PRISM = 119
LINKTYPE_RADIOTAP = 127
LINKTYPE_AVS = 163
LINKTYPE_PPI = 192
SUPPORTED_LINKTYPES = frozenset({1, 105, 119, 127, 163, 192})

_PPI_HEADER = struct.Struct("<BBHI")  # version, flags, length, DLT
_PPI_FIELD = struct.Struct("<HH")  # type, length
_PPI_COMMON = struct.Struct("<QHHHHBBbb")  # TSF, flags, rate, MHz, chan flags, FHSS, dBm sig/noise
_PPI_COMMON_TYPE = 2
_PPI_ALIGNED = 0x01  # header flag: fields padded to 32 bits
_PPI_FCS = 0x0001
_PPI_TSF_MS = 0x0002
_PPI_BAD_FCS = 0x0004

_PRISM_LEN = 144  # msgcode, msglen, devname[16], 10 items {u32 did, u16 status, u16 len, u32}
_PRISM_MSGCODES = frozenset({0x41, 0x44})
_PRISM_ITEMS = 24
_PRISM_ITEM = 12
_PRISM_CHANNEL, _PRISM_SIGNAL, _PRISM_NOISE, _PRISM_RATE = 2, 5, 6, 7

_AVS = struct.Struct(">IIQQIIIIIIiiII")  # 64 bytes, big-endian
_AVS_MAGICS = frozenset({0x80211001, 0x80211002})
_AVS_SSI_DBM = 2

_ETH = struct.Struct(">6s6sH")
_VLAN_TPIDS = frozenset({0x8100, 0x88A8})


def decode_link(linktype: int, data: bytes | memoryview) -> tuple[Radio | None, int, int]:
    """(radio, start, end) of the 802.11 frame in `data`; `end` excludes a trailing FCS.

    For Ethernet the whole record is returned as (None, 0, len): use `decode_ethernet`.
    """
    if linktype == LINKTYPE_RADIOTAP:
        radio, start = decode_radiotap(data)
    elif linktype == LINKTYPE_IEEE802_11 or linktype == LINKTYPE_ETHERNET:
        radio, start = None, 0
    elif linktype == LINKTYPE_PPI:
        radio, start = decode_ppi(data)
    elif linktype == LINKTYPE_PRISM:
        radio, start = decode_avs(data) if _is_avs(data) else decode_prism(data)
    elif linktype == LINKTYPE_AVS:
        radio, start = decode_avs(data)
    else:
        raise DecodeError("link", f"unsupported linktype {linktype}")
    end = len(data)
    if radio is not None and radio.fcs_present:
        end -= 4
        if end < start:
            raise DecodeError("link", "frame shorter than its FCS")
    return radio, start, end


def decode_ppi(data: bytes | memoryview) -> tuple[Radio | None, int]:
    """PPI header (Wireshark packet-ppi.c): only the 802.11-Common field (type 2) is read."""
    if len(data) < _PPI_HEADER.size:
        raise DecodeError("link", f"PPI header truncated: {len(data)} bytes")
    _version, hflags, length, dlt = _PPI_HEADER.unpack_from(data)
    if length < _PPI_HEADER.size or length > len(data):
        raise DecodeError("link", f"PPI length {length} outside 8..{len(data)}")
    if dlt != LINKTYPE_IEEE802_11:
        raise DecodeError("link", f"PPI encapsulates DLT {dlt}, not 802.11")
    pos = _PPI_HEADER.size
    while pos + 4 <= length:
        ftype, flen = _PPI_FIELD.unpack_from(data, pos)
        pos += 4
        if pos + flen > length:
            raise DecodeError("link", f"PPI field {ftype} runs past the header")
        if ftype == _PPI_COMMON_TYPE and flen >= _PPI_COMMON.size:
            return _ppi_common(data, pos), length
        pos += (flen + 3) & -4 if hflags & _PPI_ALIGNED else flen
    return None, length


def _ppi_common(data: bytes | memoryview, pos: int) -> Radio:
    tsf, flags, rate, freq, chan_flags, _hs, _hp, signal, noise = _PPI_COMMON.unpack_from(data, pos)
    return Radio(
        tsft_us=(tsf * 1000 if flags & _PPI_TSF_MS else tsf) or None,
        flags=flags,
        rate_500kbps=rate or None,
        freq_mhz=freq or None,
        channel_flags=chan_flags if freq else None,
        signal_dbm=signal,
        noise_dbm=noise,
        fcs_present=bool(flags & _PPI_FCS),
        bad_fcs=bool(flags & _PPI_BAD_FCS),
    )


def decode_prism(data: bytes | memoryview) -> tuple[Radio, int]:
    """Prism (wlan-ng) header: 144 bytes in the capturing host's byte order."""
    if len(data) < _PRISM_LEN:
        raise DecodeError("link", f"Prism header truncated: {len(data)} bytes")
    for order in "<>":
        if struct.unpack_from(order + "I", data)[0] in _PRISM_MSGCODES:
            break
    else:
        raise DecodeError("link", "Prism msgcode is neither 0x41 nor 0x44")
    item = struct.Struct(order + "IHHi")
    values: dict[int, int] = {}
    for i in (_PRISM_CHANNEL, _PRISM_SIGNAL, _PRISM_NOISE, _PRISM_RATE):
        _did, status, _len, value = item.unpack_from(data, _PRISM_ITEMS + i * _PRISM_ITEM)
        if status == 0:  # 0 = value present, 1 = no value
            values[i] = value
    channel = values.get(_PRISM_CHANNEL)
    return Radio(
        freq_mhz=None if channel is None else channel_to_mhz(channel),
        signal_dbm=values.get(_PRISM_SIGNAL),
        noise_dbm=values.get(_PRISM_NOISE),
        rate_500kbps=values.get(_PRISM_RATE),
    ), _PRISM_LEN


def _is_avs(data: bytes | memoryview) -> bool:
    return len(data) >= 4 and struct.unpack_from(">I", data)[0] in _AVS_MAGICS


def decode_avs(data: bytes | memoryview) -> tuple[Radio, int]:
    """AVS capture header: big-endian; its length field is the 802.11 frame offset."""
    if len(data) < _AVS.size:
        raise DecodeError("link", f"AVS header truncated: {len(data)} bytes")
    magic, length, mactime, _host, _phy, channel, rate, _ant, _prio, ssi_type, signal, noise, *_ = (
        _AVS.unpack_from(data)
    )
    if magic not in _AVS_MAGICS:
        raise DecodeError("link", f"AVS version {magic:#x}")
    if length < _AVS.size or length > len(data):
        raise DecodeError("link", f"AVS length {length} outside 64..{len(data)}")
    dbm = ssi_type == _AVS_SSI_DBM
    return Radio(
        tsft_us=mactime or None,
        rate_500kbps=rate // 5 if rate else None,  # AVS counts 100 kb/s
        freq_mhz=channel_to_mhz(channel) if channel else None,
        signal_dbm=signal if dbm else None,
        noise_dbm=noise if dbm else None,
    ), length


def channel_to_mhz(channel: int) -> int | None:
    """Centre frequency of a 2.4 or 5 GHz channel number (the only bands Prism/AVS carry)."""
    if channel == 14:
        return 2484
    if 1 <= channel < 14:
        return 2407 + 5 * channel
    if 14 < channel <= 196:
        return 5000 + 5 * channel
    return None


def decode_ethernet(data: bytes | memoryview) -> tuple[EthHeader, int]:
    """Ethernet II header, skipping 802.1Q/802.1ad tags; (header, payload offset)."""
    if len(data) < _ETH.size:
        raise DecodeError("link", f"Ethernet header truncated: {len(data)} bytes")
    dst, src, ethertype = _ETH.unpack_from(data)
    pos = _ETH.size
    while ethertype in _VLAN_TPIDS:
        if pos + 4 > len(data):
            raise DecodeError("link", "VLAN tag truncated")
        ethertype = data[pos + 2] << 8 | data[pos + 3]
        pos += 4
    return EthHeader(dst=dst.hex(":"), src=src.hex(":"), ethertype=ethertype), pos
