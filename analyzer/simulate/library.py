"""Named scenarios (the shipped sample captures) and the benchmark mix.

The sample captures keep their ACKs, as a sniffer does, so `ack_to_ack` is measured on them;
`ht-roam`'s data frames are answered by Block Acks, as an HT station's are.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from analyzer.capture.writer import write_capture

from .bench import bench_mix
from .scenario import Scenario

PASSPHRASE = "correct horse battery"
SSID_LAB = "roamlab"
SSID_REPORT = "itsecmeshclient"
BSSID_1 = "00:1f:f3:c0:89:0f"
BSSID_2 = "00:19:e3:fb:eb:35"
STA_MAC = "00:21:6a:5b:4c:3d"


def psk_roam(fmt: str = "pcapng", seed: int = 1) -> Scenario:
    """WPA2-PSK: the STA joins AP1, exchanges data, roams to AP2 (Auth, Reassoc, 4-way)."""
    return _psk_roam(Scenario(fmt, seed, acks=True))


def ht_roam(fmt: str = "pcapng", seed: int = 1) -> Scenario:
    """WPA2-PSK roam of an HT station: psk-roam with its data answered by Block Acks."""
    return _psk_roam(Scenario(fmt, seed, acks=True, block_acks=True))


def _psk_roam(sc: Scenario) -> Scenario:
    sc.ap("ap1", BSSID_1, SSID_LAB, 36, akm="psk", passphrase=PASSPHRASE)
    sc.ap("ap2", BSSID_2, SSID_LAB, 44, akm="psk", passphrase=PASSPHRASE)
    sc.sta("laptop", STA_MAC)
    sc.beacons("ap1", 12).beacons("ap2", 12)
    sc.wait(5).probe("laptop", "ap1").wait(10).connect("laptop", "ap1").data("laptop", 8)
    sc.at(0.6).probe("laptop", "ap2").wait(20).roam("laptop", "ap2").data("laptop", 8)
    return sc


def eap_pmksa_roam(fmt: str = "pcapng", seed: int = 1) -> Scenario:
    """802.1X (EAP-TTLS): AP1 -> AP2 -> AP1; the way back hits the PMKSA cached at AP1.

    The report's network: SSID 'itsecmeshclient', AP1 00:1f:f3:c0:89:0f on 5300 MHz, AP2
    00:19:e3:fb:eb:35 on 5260 MHz. The Reassociation Request back to AP1 offers PMKID P from
    the first association, M1 carries a PMKID KDE equal to P, and no EAP is exchanged.
    """
    sc = Scenario(fmt, seed, acks=True)
    sc.ap("ap1", BSSID_1, SSID_REPORT, 5300, akm="8021x")
    sc.ap("ap2", BSSID_2, SSID_REPORT, 5260, akm="8021x")
    sc.sta("client", STA_MAC, identity="anonymous@itsec.example", eap_method="ttls")
    sc.beacons("ap1", 16).beacons("ap2", 16)
    sc.wait(5).connect("client", "ap1").data("client", 6)
    sc.at(0.7).roam("client", "ap2", method="full").data("client", 6)
    sc.at(1.3).roam("client", "ap1", method="pmksa").data("client", 6)
    return sc


def ft_roam(fmt: str = "pcapng", seed: int = 1) -> Scenario:
    """FT-PSK: initial mobility-domain association to AP1, FT over the air to AP2, then FT
    over the DS (FT Action via AP2) back to AP1; neither roam has a 4-way handshake."""
    sc = Scenario(fmt, seed, acks=True)
    for name, bssid, chan in (("ap1", BSSID_1, 36), ("ap2", BSSID_2, 44)):
        sc.ap(
            name,
            bssid,
            SSID_LAB,
            chan,
            akm="ft-psk",
            passphrase=PASSPHRASE,
            mdid=0xA1B2,
            r0kh_id=f"{name}.roamlab.example",
        )
    sc.sta("phone", STA_MAC)
    sc.beacons("ap1", 16).beacons("ap2", 16)
    sc.wait(5).connect("phone", "ap1").data("phone", 6)
    sc.at(0.6).roam("phone", "ap2", method="ft_over_air").data("phone", 6)
    sc.at(1.2).roam("phone", "ap1", method="ft_over_ds").data("phone", 6)
    return sc


BUILDERS: dict[str, Callable[..., Scenario]] = {
    "psk-roam": psk_roam,
    "eap-pmksa-roam": eap_pmksa_roam,
    "ft-roam": ft_roam,
    "ht-roam": ht_roam,
}
BENCH = "bench-mix"
BENCH_CONTROL = "bench-control-mix"
BENCH_MIXES = {BENCH: "default", BENCH_CONTROL: "control"}  # scenario -> bench_mix's `mix`
SCENARIOS: dict[str, str] = {
    **{name: (make.__doc__ or "").split("\n")[0] for name, make in BUILDERS.items()},
    BENCH: "~1 M frames: beacons, CCMP data, control, probes and a few dozen complete roams",
    BENCH_CONTROL: "~1 M frames: 30 % control (ACK, Block Ack, RTS/CTS), 29 % CCMP data, "
                   "16 % clear data, beacons, probes and a few dozen complete roams",
}


def simulate(
    name: str,
    path: str | os.PathLike[str],
    fmt: str = "pcapng",
    frames: int | None = None,
) -> int:
    """Write scenario ``name`` (``psk-roam`` or ``psk_roam``...) to ``path``; return the count.

    ``frames`` sizes ``bench-mix`` and ``bench-control-mix`` (default 1 M), ignored by the others.
    """
    key = name.replace("_", "-")
    if key in BENCH_MIXES:
        mix = bench_mix(frames or 1_000_000, mix=BENCH_MIXES[key])
        return write_capture(path, mix, fmt="pcapng" if fmt == "pcapng" else "pcap")
    if key not in BUILDERS:
        raise ValueError(f"unknown scenario {name!r}; one of {sorted(SCENARIOS)}")
    return BUILDERS[key](fmt).write(path)
