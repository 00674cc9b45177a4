"""What data frames carry: LLC/SNAP, IPv4 with UDP (DHCP) or ICMP echo, ARP (network byte
order)."""

from __future__ import annotations

import struct

LLC_SNAP = b"\xaa\xaa\x03\x00\x00\x00"
ETH_IPV4 = 0x0800
ETH_EAPOL = 0x888E

_IPV4 = struct.Struct(">BBHHHBBH4s4s")
_UDP = struct.Struct(">HHHH")
_ICMP = struct.Struct(">BBHHH")


def llc(ethertype: int, payload: bytes) -> bytes:
    return LLC_SNAP + struct.pack(">H", ethertype) + payload


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(
    src: bytes, dst: bytes, proto: int, payload: bytes, ident: int = 0, ttl: int = 64
) -> bytes:
    length = 20 + len(payload)
    head = _IPV4.pack(0x45, 0, length, ident & 0xFFFF, 0x4000, ttl, proto, 0, src, dst)
    return head[:10] + struct.pack(">H", checksum(head)) + head[12:] + payload


def udp(src: bytes, dst: bytes, sport: int, dport: int, data: bytes, ident: int = 0) -> bytes:
    length = 8 + len(data)
    pseudo = src + dst + struct.pack(">BBH", 0, 17, length)
    segment = _UDP.pack(sport, dport, length, 0) + data
    csum = checksum(pseudo + segment) or 0xFFFF
    return ipv4(src, dst, 17, segment[:6] + struct.pack(">H", csum) + segment[8:], ident)


def icmp_echo(src: bytes, dst: bytes, seq: int, reply: bool = False, size: int = 56) -> bytes:
    data = bytes(i & 0xFF for i in range(size))
    head = _ICMP.pack(0 if reply else 8, 0, 0, 0x1234, seq & 0xFFFF)
    csum = checksum(head + data)
    return ipv4(src, dst, 1, head[:2] + struct.pack(">H", csum) + head[4:] + data, seq)


def ip(text: str) -> bytes:
    return bytes(int(p) for p in text.split("."))


ETH_ARP = 0x0806
DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, DHCP_ACK, DHCP_NAK = 1, 2, 3, 5, 6
_BOOTP = struct.Struct(">BBBBIHH4s4s4s4s16s64s128s")
_DHCP_MAGIC = b"\x63\x82\x53\x63"
_ARP = struct.Struct(">HHBBH6s4s6s4s")
ANY = b"\0\0\0\0"
BROADCAST = b"\xff\xff\xff\xff"


def dhcp(message: int, xid: int, chaddr: bytes, yiaddr: bytes = ANY,
         router: bytes | None = None, server: bytes | None = None) -> bytes:
    """A DHCP message (RFC 2131/2132) in UDP/IPv4: client messages from 0.0.0.0:68 to the
    broadcast :67, server messages from `server`:67 to the offered address :68."""
    client = message in (DHCP_DISCOVER, DHCP_REQUEST)
    bootp = _BOOTP.pack(1 if client else 2, 1, 6, 0, xid, 0, 0x8000, ANY, yiaddr, ANY, ANY,
                        chaddr + bytes(10), bytes(64), bytes(128))
    options = bytes([53, 1, message])
    if router is not None:
        options += bytes([3, 4]) + router
    if server is not None:
        options += bytes([54, 4]) + server
    body = bootp + _DHCP_MAGIC + options + b"\xff"
    if client:
        return udp(ANY, BROADCAST, 68, 67, body)
    return udp(server or ANY, yiaddr, 67, 68, body)


def arp(op: int, sender_mac: bytes, sender_ip: bytes, target_mac: bytes, target_ip: bytes
        ) -> bytes:  # fmt: skip
    """An ARP request (op 1) or reply (op 2) for IPv4 over Ethernet (RFC 826)."""
    return _ARP.pack(1, ETH_IPV4, 6, 4, op, sender_mac, sender_ip, target_mac, target_ip)
