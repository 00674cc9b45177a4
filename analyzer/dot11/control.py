"""Control frame bodies: the Block Ack after its 16-byte header (FC, Duration, RA, TA);
IEEE 802.11-2020 9.3.1.8; little-endian.

BA Control (2 octets): B0 BA Ack Policy, B1-B4 BA Type (the variant, Table 9-24), B12-B15
TID_INFO. BA Information by variant: Basic = Starting Sequence Control + 128-octet bitmap;
Compressed = SSC + 8-octet bitmap (longer in HE and EHT, told by the SSC's Fragment Number
subfield: the bitmap is then the rest of the frame); Extended Compressed = SSC + 8-octet
bitmap + RBUFCAP. The other variants are decoded as far as BA Control.
"""

from __future__ import annotations

import struct

from analyzer.dot11.consts import BlockAckType
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import BlockAck

_U16 = struct.Struct("<H").unpack_from
# BA Information after the Starting Sequence Control: (bitmap octets, octets that must follow)
_BITMAPS = {
    BlockAckType.BASIC: (128, 128),
    BlockAckType.COMPRESSED: (None, 8),
    BlockAckType.EXTENDED_COMPRESSED: (8, 9),
}


def decode_block_ack(body: bytes | memoryview) -> BlockAck:
    """`body`: the octets after TA, FCS excluded."""
    if len(body) < 2:
        raise DecodeError("control", f"Block Ack without its BA Control: {len(body)} bytes")
    control = _U16(body)[0]
    ack_policy, ba_type, tid_info = control & 0x01, control >> 1 & 0x0F, control >> 12
    sizes = _BITMAPS.get(ba_type)
    if sizes is None:
        return BlockAck(ack_policy, ba_type, tid_info)
    bitmap_len, needed = sizes
    if len(body) < 4 + needed:
        raise DecodeError("control", f"Block Ack (type {ba_type}) needs {4 + needed} bytes "
                                     f"after TA, has {len(body)}")  # fmt: skip
    end = len(body) if bitmap_len is None else 4 + bitmap_len
    return BlockAck(ack_policy, ba_type, tid_info, _U16(body, 2)[0] >> 4, bytes(body[4:end]))
