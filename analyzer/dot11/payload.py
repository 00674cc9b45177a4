"""What a decrypted MSDU carries after its LLC/SNAP header: EAPOL, ARP, IPv4 (UDP, DHCP,
ICMP), IPv6. Pure; the few fields a roam's recovery needs, nothing more. Byte order: network
(big-endian) throughout; every field read is attacker-controlled and only ever compared or
printed as an address."""

from __future__ import annotations

from typing import NamedTuple

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_EAPOL = 0x888E
ETHERTYPE_PREAUTH = 0x88C7
_SNAP = b"\xaa\xaa\x03\x00\x00\x00"
_DHCP_MAGIC = b"\x63\x82\x53\x63"  # RFC 2131 3
_UDP = 17
_ICMP = 1
_DHCP_OPT_TYPE = 53  # RFC 2132 9.6
_DHCP_OPT_ROUTER = 3  # RFC 2132 3.5
DHCP_TYPES = {1: "Discover", 2: "Offer", 3: "Request", 4: "Decline", 5: "ACK", 6: "NAK",
              7: "Release", 8: "Inform"}


class Payload(NamedTuple):
    """The kind of an MSDU and the fields of it a recovery timeline uses."""

    kind: str  # eapol | arp | ipv4 | ipv6 | other
    ethertype: int | None
    body: bytes  # after the LLC/SNAP header (the EAPOL PDU for eapol)
    arp_op: int | None = None  # 1 request, 2 reply
    arp_sender_ip: str | None = None
    arp_target_ip: str | None = None
    ip_proto: int | None = None
    src_ip: str | None = None
    dst_ip: str | None = None
    dhcp_type: int | None = None  # option 53
    dhcp_router: str | None = None  # option 3, first address
    dhcp_yiaddr: str | None = None  # 'your' address (the client's, in an Offer/ACK)
    icmp_type: int | None = None


def ethertype_of(plain: bytes) -> int | None:
    """The ethertype of an LLC/SNAP-encapsulated MSDU (the first 8 bytes), else None."""
    if len(plain) < 8 or plain[:6] != _SNAP:
        return None
    return int.from_bytes(plain[6:8], "big")


def _ip4(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def classify(plain: bytes) -> Payload:
    """The payload of one decrypted MSDU (an A-MSDU is 'other')."""
    et = ethertype_of(plain)
    body = plain[8:]
    if et in (ETHERTYPE_EAPOL, ETHERTYPE_PREAUTH):
        return Payload("eapol", et, body)
    if et == ETHERTYPE_ARP and len(body) >= 28:
        return Payload("arp", et, body, arp_op=int.from_bytes(body[6:8], "big"),
                       arp_sender_ip=_ip4(body[14:18]), arp_target_ip=_ip4(body[24:28]))
    if et == ETHERTYPE_IPV4 and len(body) >= 20 and body[0] >> 4 == 4:
        return _ipv4(body)
    if et == ETHERTYPE_IPV6 and len(body) >= 40:
        import ipaddress

        return Payload("ipv6", et, body, ip_proto=body[6],
                       src_ip=str(ipaddress.IPv6Address(body[8:24])),
                       dst_ip=str(ipaddress.IPv6Address(body[24:40])))
    return Payload("other", et, body)


def _ipv4(body: bytes) -> Payload:
    ihl = (body[0] & 0x0F) * 4
    proto = body[9]
    l4 = body[ihl:]
    fields = {"ip_proto": proto, "src_ip": _ip4(body[12:16]), "dst_ip": _ip4(body[16:20])}
    if proto == _ICMP and l4:
        return Payload("ipv4", ETHERTYPE_IPV4, body, icmp_type=l4[0], **fields)
    if proto == _UDP and len(l4) >= 8:
        ports = (int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big"))
        if ports in ((68, 67), (67, 68)):
            dtype, router = _dhcp(l4[8:])
            yiaddr = _ip4(l4[8 + 16 : 8 + 20]) if dtype is not None else None
            return Payload("ipv4", ETHERTYPE_IPV4, body, dhcp_type=dtype, dhcp_router=router,
                           dhcp_yiaddr=yiaddr, **fields)
    return Payload("ipv4", ETHERTYPE_IPV4, body, **fields)


def _dhcp(msg: bytes) -> tuple[int | None, str | None]:
    """(message type, first router) from a BOOTP/DHCP message's options."""
    if len(msg) < 240 or msg[236:240] != _DHCP_MAGIC:
        return None, None
    dtype = router = None
    pos = 240
    while pos < len(msg):
        code = msg[pos]
        if code == 255:
            break
        if code == 0:
            pos += 1
            continue
        if pos + 2 > len(msg):
            break
        n = msg[pos + 1]
        value = msg[pos + 2 : pos + 2 + n]
        if code == _DHCP_OPT_TYPE and len(value) >= 1:
            dtype = value[0]
        elif code == _DHCP_OPT_ROUTER and len(value) >= 4:
            router = _ip4(value[:4])
        pos += 2 + n
    return dtype, router
