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
