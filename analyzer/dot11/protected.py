"""The parts of a protected data frame a decryption needs: its MAC header and its body (the
CCMP/GCMP header, the ciphertext and the MIC), FCS and radiotap padding left out. Pure."""

from __future__ import annotations

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.header import decode_header
from analyzer.dot11.linklayer import decode_link


def protected_parts(linktype: int, data: bytes) -> tuple[bytes, bytes] | None:
    """(MAC header, protected body) of a protected data frame; None for any other record."""
    try:
        radio, start, end = decode_link(linktype, data)
        hdr = decode_header(data, start, end)
    except (DecodeError, IndexError, ValueError):
        return None
    if hdr.ftype != 2 or not hdr.protected:
        return None
    body_at = hdr.length
    if radio is not None and radio.data_pad:
        body_at = (body_at + 3) & -4
    return bytes(data[start : start + hdr.length]), bytes(data[start + body_at : end])


def packet_number(body: bytes) -> tuple[int, int] | None:
    """(PN, key ID) from the CCMP/GCMP header at the start of a protected body (they share
    its layout: PN0 PN1 reserved KeyID/ExtIV PN2..PN5); None when it is cut short."""
    if len(body) < 8 or not body[3] & 0x20:  # ExtIV set in every CCMP/GCMP header
        return None
    return int.from_bytes(body[0:2] + body[4:8], "little"), body[3] >> 6
