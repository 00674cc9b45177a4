"""PN_REUSE (issue 19 item 1): packet numbers tracked without keys per transmitter, receiver
and TID, on every path that feeds the tracker; the explained repeats raise nothing."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from analyzer import _core
from analyzer.cli import main
from analyzer.config.keys import load_keys
from analyzer.report.jsonout import analysis_document
from analyzer.roam.pn import PnTracker
from analyzer.run.dispatch import run
from analyzer.simulate.library import SCENARIOS, simulate
from analyzer.simulate.scenario import Scenario
from tests.conftest import public_capture_params
from tests.roam import scenarios
from tests.roam.scenarios import AP1, PASS, STA, analyze, found

STA_MAC = bytes.fromhex(STA.replace(":", ""))


def one_ap(**ap: Any) -> Scenario:
    return scenarios.one_ap(41, **ap)


def restarted(sc: Scenario, up: int | None = 0, down: int | None = None) -> Scenario:
    """The station's (`up`) or the AP's (`down`) packet numbers set back, no key frame."""
    link = sc.links[STA_MAC]
    if up is not None:
        link.pn_up = up
    if down is not None:
        link.pn_down = down
    return sc


# --- found ------------------------------------------------------------------------------------


def test_a_pn_that_goes_back_under_one_key_is_reuse_with_both_frames(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6)
    restarted(sc).data("c", 4)
    (reuse,) = found(analyze(sc, tmp_path), "PN_REUSE")
    assert reuse["severity"] == "warning" and reuse["count"] == 1
    assert reuse["sta"] == STA and reuse["bssid"] == AP1
    earlier, later = reuse["frames"]
    assert earlier < later == reuse["frame"]
    assert "went back" in reuse["message"] and "TID 0" in reuse["message"]


def test_one_pn_on_two_different_frames_is_an_error(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 5)
    restarted(sc, up=sc.links[STA_MAC].pn_up - 1).data("c", 1)  # its last PN, another echo
    sc.data("c", 2)  # the AP counting on: the station alone went back
    (reuse,) = found(analyze(sc, tmp_path), "PN_REUSE")
    assert reuse["severity"] == "error" and "the same PN with another MIC" in reuse["message"]


def test_both_directions_restarting_together_is_a_rekey_inside_protected_frames(
    tmp_path: Path,
) -> None:
    """Both ends install a new key (a PTK rekey or EAP re-authentication the capture sees only
    as protected frames): both directions restart, nothing is raised."""
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6)
    restarted(sc, up=0, down=0).data("c", 4)
    assert not found(analyze(sc, tmp_path), "PN_REUSE")


def test_the_ap_alone_restarting_is_reported_once_the_station_counts_on(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6)
    restarted(sc, up=None, down=0).data("c", 4)
    (reuse,) = found(analyze(sc, tmp_path), "PN_REUSE")
    assert reuse["message"].startswith(f"packet number went back ({AP1} -> {STA}")


def test_with_the_key_nonce_reuse_is_proven(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6)
    restarted(sc).data("c", 4)
    path = tmp_path / "k.pcapng"
    sc.write(path)
    analysis = run([str(path)], keys=load_keys([f"wpa-pwd:{PASS}:lab"]))
    (reuse,) = [f for f in analysis.findings if f.code == "PN_REUSE"]
    assert reuse.severity == "error" and "same temporal key: nonce reuse proven" in reuse.message


def test_with_the_key_a_new_key_installed_is_said(tmp_path: Path) -> None:
    """A protected PTK rekey after which the AP's PNs go on high (the capture cannot tell it
    from a reinstallation by the station): the key shows the new temporal key."""
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6).ptk_rekey("c")
    restarted(sc, up=None, down=1000).data("c", 4)
    path = tmp_path / "k.pcapng"
    sc.write(path)
    (warned,) = found(analysis_document(run([str(path)])), "PN_REUSE")
    assert warned["severity"] == "warning"
    analysis = run([str(path)], keys=load_keys([f"wpa-pwd:{PASS}:lab"]))
    (reuse,) = [f for f in analysis.findings if f.code == "PN_REUSE"]
    assert reuse.severity == "info" and "a new key was installed" in reuse.message


# --- explained: nothing raised -----------------------------------------------------------------


def test_retries_and_a_normal_session_raise_nothing(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 4)
    with sc._faults({"retries": ["data"]}):
        sc.data("c", 4)
    assert not found(analyze(sc, tmp_path), "PN_REUSE")


@pytest.mark.parametrize("clear", [False, True])
def test_rekeys_and_reassociation_raise_nothing(tmp_path: Path, clear: bool) -> None:
    """A new key restarts the PN: a PTK rekey (in the clear, or protected: the builder keeps
    the PN counting there), a group rekey, a re-association to the same AP."""
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6).ptk_rekey("c", clear=clear).data("c", 4)
    sc.group_rekey("c", clear=clear).data("c", 4)
    sc.connect("c", "ap1").data("c", 4)
    assert not found(analyze(sc, tmp_path), "PN_REUSE")


def test_a_restart_after_an_m3_replay_is_key_reinstallation_only(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6).replay("c", "ap1", ["m3"], reinstall="sta")
    doc = analyze(sc.data("c", 4), tmp_path)
    assert found(doc, "KEY_REINSTALLATION") and not found(doc, "PN_REUSE")


def test_two_sensors_hearing_the_same_frames_raise_nothing(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 8)
    a, b = tmp_path / "a.pcapng", tmp_path / "b.pcapng"
    sc.write(a)
    sc.write(b)
    doc = analysis_document(run([str(a), str(b)]))
    assert not found(doc, "PN_REUSE")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_shipped_scenario_raises_pn_reuse(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.pcapng"
    simulate(name, path)
    assert not found(analysis_document(run([str(path)])), "PN_REUSE")


@pytest.mark.parametrize("path", public_capture_params())
def test_no_public_capture_raises_pn_reuse(path: Path) -> None:
    assert not found(analysis_document(run([str(path)])), "PN_REUSE")


# --- the tracker's rules -----------------------------------------------------------------------


def _seen(t: PnTracker, pn: int, tid: int | None = 0, key_id: int = 0, retry: bool = False,
          mic: int | None = None, ta: str = STA, ra: str = AP1) -> bool:  # fmt: skip
    fc_flags = 0x41 | (0x08 if retry else 0)
    return t.seen(ta, ra, fc_flags, pn, (pn, key_id, tid, pn, pn if mic is None else mic)) \
        is not None


def test_tids_keep_their_own_counters() -> None:
    """A transmitter assigns PNs at enqueue; its TIDs' queues go out of order."""
    t = PnTracker()
    assert not any(_seen(t, pn, tid) for pn, tid in [(5, 6), (6, 6), (1, 0), (2, 0), (7, 6),
                                                     (3, 0), (4, None), (8, None)])
    assert not _seen(t, 2, 0)  # reported when the other direction counts on
    assert not _seen(t, 1, ta=AP1, ra=STA) and _seen(t, 2, ta=AP1, ra=STA)


def test_a_key_id_change_is_a_new_key_and_the_same_mpdu_again_is_no_reuse() -> None:
    t = PnTracker()
    assert not _seen(t, 100, key_id=1, ra="ff:ff:ff:ff:ff:ff")
    assert not _seen(t, 1, key_id=2, ra="ff:ff:ff:ff:ff:ff")  # group key rotated
    assert not _seen(t, 1, key_id=2, ra="ff:ff:ff:ff:ff:ff")  # a copy (same PN, same MIC)
    assert not _seen(t, 60, key_id=1, ra="ff:ff:ff:ff:ff:ff")  # back to key ID 1: a new key
    assert not _seen(t, 1, key_id=1, ra="ff:ff:ff:ff:ff:ff")  # a fresh group key's first PN
    assert not _seen(t, 40, key_id=1, ra="ff:ff:ff:ff:ff:ff")
    assert _seen(t, 30, key_id=1, ra="ff:ff:ff:ff:ff:ff")  # group: reported at once


def test_a_retransmission_of_an_earlier_mpdu_and_a_forgotten_pair_are_no_reuse() -> None:
    t = PnTracker()
    assert not any(_seen(t, pn) for pn in (1, 2, 3))
    assert not _seen(t, 2, retry=True)  # resent after a later one (Block Ack)
    _seen(t, 3, retry=True, mic=99)  # the same PN on another MPDU: not a retry
    assert _seen(t, 1, ta=AP1, ra=STA) is False  # the AP's first frame: counting on...
    assert _seen(t, 2, ta=AP1, ra=STA)  # ...reports the station's restart
    t.forget(AP1, STA)  # an EAPOL-Key frame of the pair
    assert not _seen(t, 1)


# --- every path gives the same -----------------------------------------------------------------


def _pn_scenario(fmt: str = "pcapng") -> Scenario:
    """Four stations, two of which restart their PNs (one each way), beacons throughout."""
    sc = Scenario(seed=43, fmt=fmt)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS)
    for n in range(4):
        sc.sta(f"s{n}", f"02:00:00:00:00:1{n}")
    sc.beacons("ap1", 20, 100)
    for n in range(4):
        sc.connect(f"s{n}", "ap1").data(f"s{n}", 6)
    sc.links[bytes.fromhex("020000000011")].pn_up = 0
    sc.links[bytes.fromhex("020000000012")].pn_down = 1
    for n in range(4):
        sc.data(f"s{n}", 4)
    return sc


def _json(path: Path, pure: bool, *extra: str) -> str:
    before = _core.pure()
    _core.set_pure(pure)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            assert main(["analyze", "--format", "json", "--quiet", str(path), *extra]) == 0
    finally:
        _core.set_pure(before)
    return out.getvalue()


def test_core_and_pure_give_the_same_pn_findings(tmp_path: Path) -> None:
    path = tmp_path / "pn.pcap"
    _pn_scenario("pcap").write(path)
    pure = _json(path, True, "--jobs", "1")
    assert pure.count('"PN_REUSE"') == 2
    if _core.available():
        assert _json(path, False, "--jobs", "1") == pure


def test_jobs_and_station_partitions_give_the_same_pn_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.scale.test_bystation import _assert_equal

    path = tmp_path / "pn.pcap"
    _pn_scenario("pcap").write(path)
    one = analysis_document(run([str(path)]))
    assert len(found(one, "PN_REUSE")) == 2
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    assert analysis_document(run([str(path)], jobs=2)) == one
    _assert_equal(path)


def test_the_decoded_frame_path_gives_the_same_pn_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a frame sink the engine feeds decoded frames (live, --out frames): the PN comes
    from the Frame's CCMP header, in one process and with --jobs."""
    path = tmp_path / "pn.pcap"
    _pn_scenario("pcap").write(path)
    lean = analysis_document(run([str(path)]))
    full = analysis_document(run([str(path)], sinks=[lambda n, f: None]))
    assert found(full, "PN_REUSE") == found(lean, "PN_REUSE") and len(found(lean, "PN_REUSE")) == 2
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    jobs = analysis_document(run([str(path)], sinks=[lambda n, f: None], jobs=2))
    assert found(jobs, "PN_REUSE") == found(lean, "PN_REUSE")
