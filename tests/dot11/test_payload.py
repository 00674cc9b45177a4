"""What a decrypted MSDU carries (analyzer.dot11.payload): checked on the builder's payloads,
which tshark reads as DHCP/ARP/ICMP in the decrypted copies (tests/test_decrypt_out.py)."""

from __future__ import annotations

import random

from analyzer.dot11.payload import classify, ethertype_of
from analyzer.simulate.payloads import (
    DHCP_ACK,
    DHCP_REQUEST,
    ETH_ARP,
    ETH_EAPOL,
    ETH_IPV4,
    arp,
    dhcp,
    icmp_echo,
    ip,
    llc,
)

STA = bytes.fromhex("00216a5b4c3d")


def test_dhcp_request_and_ack() -> None:
    req = classify(llc(ETH_IPV4, dhcp(DHCP_REQUEST, 7, STA)))
    assert (req.kind, req.dhcp_type, req.src_ip, req.dst_ip) == (
        "ipv4", 3, "0.0.0.0", "255.255.255.255")
    ack = classify(llc(ETH_IPV4, dhcp(DHCP_ACK, 7, STA, ip("10.0.0.10"), ip("10.0.0.1"),
                                      ip("10.0.0.1"))))
    assert (ack.dhcp_type, ack.dhcp_router, ack.dhcp_yiaddr) == (5, "10.0.0.1", "10.0.0.10")


def test_arp_and_icmp() -> None:
    who = classify(llc(ETH_ARP, arp(1, STA, ip("10.0.0.10"), bytes(6), ip("10.0.0.1"))))
    assert (who.kind, who.arp_op, who.arp_sender_ip, who.arp_target_ip) == (
        "arp", 1, "10.0.0.10", "10.0.0.1")
    echo = classify(llc(ETH_IPV4, icmp_echo(ip("10.0.0.10"), ip("10.0.0.1"), 1)))
    assert (echo.kind, echo.icmp_type, echo.dhcp_type) == ("ipv4", 8, None)


def test_eapol_and_other() -> None:
    assert classify(llc(ETH_EAPOL, b"\x02\x03\x00\x00")).kind == "eapol"
    assert ethertype_of(b"\xaa\xaa\x03\x00\x00\x00\x88\x8e") == ETH_EAPOL
    assert ethertype_of(b"\x00" * 8) is None
    assert classify(b"junk").kind == "other"


def test_any_prefix_or_noise_is_classified_never_raises() -> None:
    rng = random.Random(20)
    good = [llc(ETH_IPV4, dhcp(DHCP_ACK, 1, STA, ip("10.0.0.10"), ip("10.0.0.1"))),
            llc(ETH_ARP, arp(2, STA, ip("1.2.3.4"), STA, ip("5.6.7.8"))),
            llc(0x86DD, bytes(60))]
    for msdu in good:
        for n in range(len(msdu) + 1):
            classify(msdu[:n] + rng.randbytes(rng.randrange(8)))
