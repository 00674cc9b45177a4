"""Scenario captures written by the builder, read and decoded like a user's file, tracked, and
compared with the builder's ground truth (`Scenario.truth()`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analyzer.capture import open_capture
from analyzer.dot11 import decode
from analyzer.roam.records import Finding, Roam
from analyzer.roam.tracker import Tracker
from analyzer.simulate import scenario as simulate

Scenario = simulate.Scenario

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
KIND = {"connect": "initial", "roam": "roam"}
METHOD = {"full": "full_8021x", "pmksa": "pmksa_cache"}


def _run(sc: Any, tmp_path: Path) -> tuple[list[Roam], list[Finding], dict[str, Any]]:
    path = tmp_path / "scenario.pcap"
    sc.write(path)
    tracker = Tracker()
    out: list[Roam | Finding] = []
    with open_capture(str(path)) as cap:
        for rec in cap:
            item = decode(rec)
            if item is not None:
                out.extend(tracker.feed(item))
    out.extend(tracker.finish())
    roams = sorted((r for r in out if isinstance(r, Roam)), key=lambda r: r.t_start_ns)
    return roams, [f for f in out if isinstance(f, Finding)], sc.truth()


def _two_aps(akm: str, **ap: Any) -> Any:
    sc = Scenario(seed=7)
    secret = {"passphrase": "correct horse"} if "psk" in akm else {}
    mdid = {"mdid": 0x1234} if akm.startswith("ft-") else {}
    sc.ap("ap1", AP1, "lab", 36, akm=akm, **secret, **mdid, **ap)
    sc.ap("ap2", AP2, "lab", 40, akm=akm, **secret, **mdid, **ap)
    sc.sta("c", STA)
    return sc.beacons("ap1", 3).beacons("ap2", 3)


def _expected_method(conn: dict[str, Any]) -> str:
    if conn["method"] == "pmksa" and conn["akm"] in (8, "sae"):
        return "sae_pmksa_cache"
    return METHOD.get(conn["method"], conn["method"])


def _compare(roams: list[Roam], truth: dict[str, Any]) -> None:
    conns = truth["connections"]
    assert len(roams) == len(conns)
    for roam, conn in zip(roams, conns, strict=True):
        assert roam.sta == conn["sta"]
        assert (roam.from_bssid, roam.to_bssid) == (conn["from_bssid"], conn["to_bssid"])
        assert roam.kind == KIND.get(conn["kind"], conn["kind"])
        assert roam.method == _expected_method(conn)
        assert roam.outcome == conn["outcome"]
        assert roam.evidence.eap_seen == bool(conn["eap"])
        _compare_latency(roam, conn)


def _compare_latency(roam: Roam, conn: dict[str, Any]) -> None:
    phases = conn["phases_ns"]
    if roam.outcome != "success":
        return
    if "m4" in phases and "auth" in phases:
        expected = (phases["m4"] - phases["auth"]) / 1e6
        assert roam.latency_ms["control_plane"] == pytest.approx(expected, abs=1e-3)
    if conn["last_old_data_ns"] is not None and "first_data" in phases:
        # the builder notes the old data time after the frame's airtime (<= 250 us)
        gap = (phases["first_data"] - conn["last_old_data_ns"]) / 1e6
        assert roam.latency_ms["data_gap"] == pytest.approx(gap, abs=0.25)


Build = Callable[[], Any]


def _psk() -> Any:
    sc = _two_aps("psk")
    return sc.connect("c", "ap1").data("c", 4).wait(300).roam("c", "ap2").data("c", 4)


def _eap_and_back() -> Any:
    sc = _two_aps("8021x")
    sc.connect("c", "ap1").data("c", 4).wait(300).roam("c", "ap2").data("c", 4)
    return sc.wait(300).roam("c", "ap1").data("c", 4)


def _okc() -> Any:
    sc = _two_aps("8021x", okc=True)
    return sc.connect("c", "ap1").data("c", 4).wait(300).roam("c", "ap2", "okc").data("c", 4)


def _ft(method: str) -> Build:
    def build() -> Any:
        sc = _two_aps("ft-psk")
        sc.connect("c", "ap1").data("c", 4).wait(300)
        return sc.roam("c", "ap2", method).data("c", 4)

    return build


def _sae() -> Any:
    sc = _two_aps("sae", passphrase="correct horse")
    sc.connect("c", "ap1").data("c", 4).wait(300).roam("c", "ap2").data("c", 4)
    return sc.wait(300).roam("c", "ap1").data("c", 4)


def _owe() -> Any:
    return _two_aps("owe").connect("c", "ap1").data("c", 4)


SCENARIOS: dict[str, Build] = {
    "psk": _psk,
    "eap_full_then_pmksa_back": _eap_and_back,
    "okc": _okc,
    "ft_over_air": _ft("ft_over_air"),
    "ft_over_ds": _ft("ft_over_ds"),
    "sae": _sae,
    "owe": _owe,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_matches_the_builders_truth(name: str, tmp_path: Path) -> None:
    roams, _, truth = _run(SCENARIOS[name](), tmp_path)
    _compare(roams, truth)


def test_btm_accepted_roam_has_the_btm_trigger(tmp_path: Path) -> None:
    sc = _two_aps("psk").connect("c", "ap1").data("c", 4).wait(200)
    sc.btm("ap1", "c", ["ap2"], accept=True).data("c", 4)
    roams, _, truth = _run(sc, tmp_path)
    _compare(roams, truth)
    trig = roams[-1].trigger
    assert (trig.type, trig.btm_accepted, trig.target_in_candidates) == ("btm_request", True, True)


def test_deauth_by_the_ap_then_reconnect(tmp_path: Path) -> None:
    sc = _two_aps("psk").connect("c", "ap1").data("c", 4).wait(200)
    sc.deauth("c", reason=4, by="ap").wait(500).connect("c", "ap1").data("c", 2)
    roams, _, _ = _run(sc, tmp_path)
    assert [r.kind for r in roams] == ["initial", "reconnect"]
    assert (roams[1].trigger.type, roams[1].trigger.reason) == (
        "deauth", "disassoc_due_to_inactivity")


def test_rejected_reassociation_fails_with_status(tmp_path: Path) -> None:
    sc = _two_aps("psk").connect("c", "ap1").data("c", 4).wait(200)
    sc.roam("c", "ap2", status=17)
    roams, found, _ = _run(sc, tmp_path)
    assert (roams[-1].outcome, roams[-1].failure_reason) == (
        "failed", "ap_unable_to_handle_new_sta")
    assert "ASSOC_REJECTED" in [f.code for f in found]


def test_lost_m4_still_succeeds_from_protected_data(tmp_path: Path) -> None:
    sc = _two_aps("psk").connect("c", "ap1", drop=["m4"]).data("c", 4)
    roams, _, _ = _run(sc, tmp_path)
    assert roams[0].outcome == "success"
    assert "M4" in {m.what for m in roams[0].missing}


def test_retried_reassociation_request_counts_one_retransmission(tmp_path: Path) -> None:
    sc = _two_aps("psk").connect("c", "ap1").data("c", 4).wait(200)
    sc.roam("c", "ap2", retries=["reassoc_req"]).data("c", 2)
    roams, found, _ = _run(sc, tmp_path)
    assoc = roams[-1].phase("assoc")
    assert assoc is not None and assoc.retransmissions == 1
    assert not [f for f in found if f.code == "REPLAYED_FRAME"]


def test_scan_before_the_roam_gives_handoff(tmp_path: Path) -> None:
    sc = _two_aps("psk").connect("c", "ap1").data("c", 4).wait(200)
    sc.roam("c", "ap2", scan=True).data("c", 2)
    roams, _, _ = _run(sc, tmp_path)
    assert roams[-1].latency_ms["handoff"] is not None
    assert roams[-1].phase("probe") is not None
