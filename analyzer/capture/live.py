"""Live monitor interfaces: an AF_PACKET socket per interface with a classic BPF filter.

Measured against scapy's `L2ListenSocket` and libpcap (scapy `conf.use_pcap`) on a radiotap TAP
device (docs/live.md): a raw socket read with `recvmsg_into` into a reused buffer costs the least
per frame, needs no library, and lets the kernel cut frames to what the roam engine reads. The
filter passes management frames and EAPOL whole; data frames are dropped in the kernel, or cut
to their headers with `data_headers=True`, which also passes ACKs (whole: 10 bytes + FCS) and
Block Acks (whole: 32 bytes for the compressed variant) for `ack_to_ack`; other control frames
never reach user space.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import socket
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from analyzer.errors import AnalyzerError, CaptureError

from .records import RawRecord

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35
SIOCGIFHWADDR = 0x8927
# ARPHRD_* (linux/if_arp.h) -> pcap link type
LINKTYPES = {803: 127, 801: 105, 802: 119}
SNAPLEN = 262144
RCVBUF = 32 << 20
_GONE = frozenset({errno.ENETDOWN, errno.ENODEV, errno.ENXIO})
_AUX = struct.Struct("IIIHH")  # tpacket_auxdata: status, len, snaplen, mac, net (+ vlan)
_TIMESPEC = struct.Struct("qq")
_STATS = struct.Struct("II")  # tpacket_stats: packets, drops (reset by each read)
_AUX_SPACE = socket.CMSG_SPACE(20) + socket.CMSG_SPACE(16)

# Classic BPF opcodes (linux/filter.h)
LD_B_ABS, LD_B_IND, LD_W_IND, LD_MEM, LDX_MEM = 0x30, 0x50, 0x40, 0x60, 0x61
ST, TAX, TXA, RET_K, RET_A = 0x02, 0x07, 0x87, 0x06, 0x16
AND_K, OR_X, ADD_K, ADD_X, LSH_K, JA = 0x54, 0x4C, 0x04, 0x0C, 0x64, 0x05
JEQ_K, JSET_K = 0x15, 0x45
HEADER_CUT = 44  # bytes of a data frame kept after the link header: MAC header + LLC


def bpf_program(data_headers: bool, linktype: int = 127) -> list[tuple[int, int, int, int]]:
    """Management and EAPOL frames whole; data frames cut to their headers (and ACKs and Block
    Acks whole) or dropped (and those too).

    Radiotap's it_len (bytes 2-3, little-endian) goes to X and M[3]; the frame control is
    read relative to it (IEEE 802.11-2020 9.2.4.1). M[0]/M[1] hold FC bytes, M[2] the MAC
    header length (QoS +2, HT Control +4, four addresses +6).
    """
    asm = _Asm()
    if linktype == 127:
        asm.op(LD_B_ABS, 3).op(LSH_K, 8).op(TAX).op(LD_B_ABS, 2).op(OR_X).op(ST, 3).op(TAX)
    else:
        asm.op(0x00, 0).op(ST, 3).op(TAX)  # ld #0: raw 802.11
    data = ("cut" if data_headers else "drop")
    control = ("control" if data_headers else "drop")
    asm.op(LD_B_IND, 1).op(ST, 1).op(LD_B_IND, 0).op(ST, 0)
    asm.jump(JSET_K, 0x03, "drop", None)  # protocol version must be 0
    asm.op(AND_K, 0x0C).jump(JEQ_K, 0x00, "keep", None).jump(JEQ_K, 0x08, None, control)
    asm.op(LD_MEM, 1).jump(JSET_K, 0x40, data, None)  # protected: not readable EAPOL
    asm.op(LD_MEM, 0).jump(JSET_K, 0x40, data, None)  # (QoS) Null and friends: no body
    asm.op(0x00, 24).op(ST, 2).op(LD_MEM, 1).op(AND_K, 3).jump(JEQ_K, 3, None, "qos")
    asm.op(0x00, 30).op(ST, 2)
    asm.label("qos").op(LD_MEM, 0).jump(JSET_K, 0x80, None, "llc")
    asm.op(LD_MEM, 2).op(ADD_K, 2).op(ST, 2).op(LD_MEM, 1).jump(JSET_K, 0x80, None, "llc")
    asm.op(LD_MEM, 2).op(ADD_K, 4).op(ST, 2)
    asm.label("llc").op(LDX_MEM, 3).op(LD_MEM, 2).op(ADD_X).op(TAX)
    _llc_check(asm, "pad")
    asm.label("pad").op(LD_MEM, 2).jump(JSET_K, 0x02, None, data)  # radiotap data padding
    asm.op(TXA).op(ADD_K, 2).op(TAX)
    _llc_check(asm, data)
    if data_headers:  # type 1 or 3: an ACK (FC 0xD4) or a Block Ack (0x94) only
        asm.label("control").op(LD_MEM, 0).jump(JEQ_K, 0xD4, "keep", None)
        asm.jump(JEQ_K, 0x94, "keep", "drop")
    asm.label("cut").op(LD_MEM, 3).op(ADD_K, HEADER_CUT).op(RET_A)
    asm.label("keep").op(RET_K, SNAPLEN)
    asm.label("drop").op(RET_K, 0)
    return asm.resolve()


def _llc_check(asm: _Asm, otherwise: str) -> None:
    """LLC/SNAP + EtherType 0x888E (EAPOL) or 0x88C7 (pre-authentication) -> keep."""
    asm.op(LD_W_IND, 0).jump(JEQ_K, 0xAAAA0300, None, otherwise)
    asm.op(LD_W_IND, 4).jump(JEQ_K, 0x0000888E, "keep", None)
    asm.jump(JEQ_K, 0x000088C7, "keep", otherwise)


class _Asm:
    """Classic BPF with forward labels: jump targets are resolved to relative offsets."""

    def __init__(self) -> None:
        self.code: list[list[object]] = []
        self.labels: dict[str, int] = {}

    def op(self, code: int, k: int = 0) -> _Asm:
        self.code.append([code, None, None, k])
        return self

    def jump(self, code: int, k: int, jt: str | None, jf: str | None) -> _Asm:
        self.code.append([code, jt, jf, k])
        return self

    def label(self, name: str) -> _Asm:
        self.labels[name] = len(self.code)
        return self

    def resolve(self) -> list[tuple[int, int, int, int]]:
        out = []
        for pc, (code, jt, jf, k) in enumerate(self.code):
            out.append((code, self._off(pc, jt), self._off(pc, jf), k))  # type: ignore[arg-type]
        return out

    def _off(self, pc: int, label: str | None) -> int:
        return 0 if label is None else self.labels[label] - pc - 1


def attach_filter(sock: socket.socket, program: Sequence[tuple[int, int, int, int]]) -> None:
    """SO_ATTACH_FILTER: struct sock_fprog {u16 len; struct sock_filter *filter}."""
    raw = b"".join(struct.pack("HBBI", *ins) for ins in program)
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HL", len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


@dataclass(slots=True)
class InterfaceStats:
    name: str
    linktype: int
    frames: int = 0
    bytes: int = 0
    drops: int = 0  # by the kernel: the socket buffer was full
    behind: int = 0  # by us: a stream's read-ahead was full (the analysis fell behind)
    gone: bool = False
    channels: set[int] = field(default_factory=set)


def no_permission() -> AnalyzerError:
    return AnalyzerError(
        "live capture needs root or CAP_NET_RAW "
        "(sudo, or: sudo setcap cap_net_raw+eip \"$(readlink -f $(which python3))\")"
    )


class LiveInterface:
    """One monitor interface: non-blocking AF_PACKET socket, filter attached before bind."""

    def __init__(self, name: str, index: int, data_headers: bool = False) -> None:
        self.index = index
        self._buf = bytearray(SNAPLEN)
        self._view = memoryview(self._buf)
        try:
            # protocol 0: nothing is queued before the filter is attached and the socket bound
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError:
            raise no_permission() from None
        self.sock = sock
        try:
            linktype = LINKTYPES.get(_arphrd(sock, name))
            if linktype is None:
                raise CaptureError(
                    f"{name}: not a monitor interface (no radiotap or 802.11 link type); "
                    f"try: iw dev {name} set type monitor"
                )
            self.stats = InterfaceStats(name, linktype)
            attach_filter(sock, bpf_program(data_headers, linktype))
            _set_buffer(sock)
            sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.bind((name, ETH_P_ALL))  # Python applies htons to sll_protocol
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise

    def fileno(self) -> int:
        return self.sock.fileno()

    def drain(self, first: int, limit: int = 512) -> Iterator[RawRecord]:
        """Records already queued (at most `limit`), numbered from `first`; stops when the
        queue is empty. An interface that went away sets `stats.gone`."""
        recv = self.sock.recvmsg_into
        view, stats, lt, iface = self._view, self.stats, self.stats.linktype, self.index
        for n in range(first, first + limit):
            try:
                size, anc, _flags, _addr = recv((view,), _AUX_SPACE)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in _GONE:
                    stats.gone = True
                    return
                raise
            ts, orig = _ancillary(anc, size)
            stats.frames += 1
            stats.bytes += size
            yield RawRecord(n, ts, lt, bytes(view[:size]), iface, orig)

    def read_drops(self) -> int:
        """Kernel drops since the last call (PACKET_STATISTICS resets on read)."""
        if self.sock.fileno() < 0:
            return 0
        try:
            raw = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS.size)
        except OSError:
            return 0
        drops = _STATS.unpack(raw)[1]
        self.stats.drops += drops
        return drops

    def close(self) -> None:
        self.read_drops()
        self.sock.close()


def _arphrd(sock: socket.socket, name: str) -> int:
    try:
        res = fcntl.ioctl(sock.fileno(), SIOCGIFHWADDR, struct.pack("16s16x", name.encode()[:15]))
    except OSError as exc:
        if exc.errno in (errno.ENODEV, errno.ENXIO):
            raise CaptureError(f"{name}: no such interface") from None
        raise CaptureError(f"{name}: {exc.strerror}") from None
    return struct.unpack_from("H", res, 16)[0]


def _set_buffer(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)


def _ancillary(anc: list[tuple[int, int, bytes]], size: int) -> tuple[int, int]:
    ts, orig = 0, size
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = _TIMESPEC.unpack_from(data)
            ts = sec * 1_000_000_000 + nsec
        elif level == SOL_PACKET and kind == PACKET_AUXDATA:
            orig = _AUX.unpack_from(data)[1]
    return ts or time.time_ns(), orig

