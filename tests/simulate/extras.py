"""A scenario that touches every step and AKM the builder knows (shared by the tests)."""

from __future__ import annotations

from analyzer.simulate import Scenario

PASS = "extras passphrase"


def everything(fmt: str = "pcapng") -> Scenario:
    sc = Scenario(fmt, seed=7, acks=True)
    sc.ap("sae1", "02:5a:e0:00:00:01", "wpa3", 6, akm="sae")
    sc.ap("sae2", "02:5a:e0:00:00:02", "wpa3", 11, akm="sae")
    sc.ap("owe", "02:0e:00:00:00:01", "open-owe", 149, akm="owe")
    sc.ap("fte1", "02:f7:00:00:00:01", "ft-eap", 36, akm="ft-8021x", mdid=0x1234)
    sc.ap("fte2", "02:f7:00:00:00:02", "ft-eap", 40, akm="ft-8021x", mdid=0x1234)
    sc.ap("eap1", "02:ea:00:00:00:01", "corp", 52, akm="8021x", okc=True)
    sc.ap("eap2", "02:ea:00:00:00:02", "corp", 56, akm="8021x", okc=True)
    sc.ap("psk1", "02:75:00:00:00:01", "home", 1, akm="psk", passphrase=PASS, pmkid_kde=True)
    for i, name in enumerate(("a", "b", "c", "d", "e")):
        sc.sta(name, f"02:00:00:00:01:{i:02x}", eap_method=("ttls", "peap", "tls")[i % 3])
    for ap in sc.aps:
        sc.beacons(ap, 3)
    sc.connect("a", "sae1").data("a", 2).roam("a", "sae2").data("a", 2)
    sc.roam("a", "sae1", method="pmksa").sa_query("a").group_rekey("a")
    sc.connect("b", "owe").data("b", 2).control(4, "owe", "b").deauth("b", reason=3)
    sc.connect("c", "fte1").roam("c", "fte2", method="ft_over_ds").data("c", 2)
    sc.roam("c", "fte1").data("c", 2)
    sc.connect("d", "eap1", scan=True).neighbor_report("d").btm("eap1", "d", ["eap2"])
    sc.btm("eap2", "d", ["eap1"], accept=False)
    sc.connect("d", "eap1", method="full", eap_failure=True)
    sc.connect("d", "eap1", status=17)
    sc.connect("e", "psk1", retries={"assoc_req"}, bad_fcs={"auth_req"}, m1_retries=2)
    sc.data("e", 2).disassoc("e", by="ap", reason=4)
    return sc
