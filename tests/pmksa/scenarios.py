"""The original report and its variants as builder scenarios, read back through the pipeline.

Two APs of one 802.1X ESS (EAP-TTLS), one station: connect to AP1, roam to AP2 (full EAP),
roam back to AP1 with whatever `back` asks of the builder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.config.expectations import Expectations, parse_toml
from analyzer.config.keys import KeyRing
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from analyzer.simulate import scenario as simulate

Scenario = simulate.Scenario

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
SSID = "corp"


def ess(akm: str = "8021x", *, okc: bool = False, seed: int = 3, fcs: bool = True) -> Any:
    sc = Scenario(seed=seed, fcs=fcs)
    sc.ap("ap1", AP1, SSID, 36, akm=akm, okc=okc).ap("ap2", AP2, SSID, 40, akm=akm, okc=okc)
    sc.sta("c", STA, eap_method="ttls")
    return sc.beacons("ap1", 3).beacons("ap2", 3)


def original(back: dict[str, Any] | None = None, *, akm: str = "8021x", wait_ms: float = 2000,
             seed: int = 3, fcs: bool = True, data_after: bool = True) -> Any:
    """The report: EAP-TTLS to AP1, full EAP to AP2, back to AP1 offering the cached PMKID."""
    sc = ess(akm, seed=seed, fcs=fcs)
    sc.connect("c", "ap1").data("c", 4).wait(2000)
    sc.roam("c", "ap2", method="full" if akm == "8021x" else "sae").data("c", 4).wait(wait_ms)
    sc.roam("c", "ap1", **(back or {}))
    return sc.data("c", 4) if data_after else sc


def analyse(sc: Any, tmp_path: Path, expect: str | Expectations | None = None,
            keys: KeyRing | None = None, name: str = "scenario.pcap") -> Analysis:
    path = tmp_path / name
    sc.write(path)
    exp = parse_toml(expect, "test.toml") if isinstance(expect, str) else expect
    return run([str(path)], expectations=exp, keys=keys)


def back_to_ap1(analysis: Analysis) -> Any:
    roams = [r for r in analysis.roams if r.to_bssid == AP1]
    assert len(roams) >= 2, [r.to_dict() for r in analysis.roams]
    return roams[-1]


def codes(analysis: Analysis) -> set[str]:
    return {f.code for f in analysis.findings}
