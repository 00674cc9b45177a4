"""The decrypted copy for Wireshark (`analyze --decrypt-out`)."""

from __future__ import annotations

import zlib
from typing import BinaryIO

from analyzer.capture import RawRecord
from analyzer.dot11.protected import Layout, protected_layout


class DecryptedCopy:
    """The decrypted copy for Wireshark: every record as read, protected data frames that
    decrypted with the Protected bit cleared, the plaintext in place of CCMP/GCMP header,
    ciphertext and MIC, and a recomputed FCS where the record had one."""

    def __init__(self, fileobj: BinaryIO) -> None:
        from analyzer.capture.writer import PcapngWriter

        self.writer = PcapngWriter(fileobj)
        self.ifaces: dict[int, int] = {}

    def write(self, rec: RawRecord, plain: bytes | None) -> None:
        iface = self.ifaces.get(rec.linktype)
        if iface is None:
            iface = self.ifaces[rec.linktype] = self.writer.add_interface(rec.linktype)
        data = bytes(rec.data)
        if plain is not None:
            at = protected_layout(rec.linktype, data)
            if at is not None:
                data = _decrypted_record(data, at, plain)
        self.writer.write(iface, rec.ts_ns, data)


def _decrypted_record(data: bytes, at: Layout, plain: bytes) -> bytes:
    head = bytearray(data[: at.body_at])
    head[at.start + 1] &= ~0x40 & 0xFF
    frame = bytes(head[at.start :]) + plain
    fcs = zlib.crc32(frame).to_bytes(4, "little") if at.fcs else b""
    return bytes(head) + plain + fcs


