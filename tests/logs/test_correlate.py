"""The report's story as a scenario capture plus the supplicant's log of it, correlated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from analyzer.simulate.library import (  # noqa: E402
    BSSID_1,
    BSSID_2,
    SSID_REPORT,
    STA_MAC,
    Scenario,
)

OFFSET_S = 3.25  # the log's clock is behind the capture's
PMKID_LINE = "RSN: PMKSA cache entry found - PMKID - hexdump(len=16): {}"
FREQ = {BSSID_1: 5300, BSSID_2: 5260}


def story(path: Path) -> dict[str, Any]:
    """AP1 -> AP2 -> (refused by the driver) -> single-channel scan -> AP1 with the cache."""
    sc = Scenario("pcapng", 1)
    sc.ap("ap1", BSSID_1, SSID_REPORT, 5300, akm="8021x")
    sc.ap("ap2", BSSID_2, SSID_REPORT, 5260, akm="8021x")
    sc.sta("client", STA_MAC, identity="anonymous@itsec.example", eap_method="ttls")
    sc.beacons("ap1", 16).beacons("ap2", 16)
    sc.wait(5).connect("client", "ap1").data("client", 6)
    sc.at(0.7).roam("client", "ap2", method="full").data("client", 6)
    sc.at(1.3).probe("client", "ap1").wait(20).roam("client", "ap1", method="pmksa")
    sc.data("client", 6)
    sc.write(path)
    return sc.truth()


def _t(ts_ns: int, dated: bool) -> str:
    return f"{ts_ns / 1e9 - OFFSET_S:.6f}: " if dated else ""


def _block(t: str, bssid: str) -> list[str]:
    return [f"{t}nl80211: Authenticate (ifindex=3)", f"{t}  * bssid={bssid}",
            f"{t}  * freq={FREQ[bssid]}", f"{t}  * Auth Type 0"]


def _attempt(t: str, bssid: str) -> list[str]:
    return [f"{t}wlan0: SME: Trying to authenticate with {bssid} "
            f"(SSID='{SSID_REPORT}' freq={FREQ[bssid]} MHz)",
            f"{t}wlan0: State: COMPLETED -> AUTHENTICATING", *_block(t, bssid)]


def _success(t: str, bssid: str) -> list[str]:
    return [f"{t}nl80211: Authentication request send successfully",
            f"{t}wlan0: Trying to associate with {bssid} (SSID='{SSID_REPORT}' "
            f"freq={FREQ[bssid]} MHz)",
            f"{t}wlan0: CTRL-EVENT-CONNECTED - Connection to {bssid} completed [id=0 id_str=]"]


def supplicant_log(truth: dict[str, Any], dated: bool) -> list[str]:
    """What wpa_supplicant -dd [-t] logs for the story (sme.c / driver_nl80211.c wording)."""
    c1, c2, c3 = truth["connections"]
    auth = [c["phases_ns"]["auth"] - 1_000_000 for c in (c1, c2, c3)]
    pmkid = c3["pmkids_offered"][0]
    spaced = " ".join(pmkid[i:i + 2] for i in range(0, 32, 2))
    fail_ns = 1_714_557_601_300_000_000 - 2_000_000
    lines = [f"{_t(auth[0] - 9_000_000, dated)}wlan0: Own MAC address: {STA_MAC}"]
    for ts, bssid in ((auth[0], BSSID_1), (auth[1], BSSID_2)):
        t = _t(ts, dated)
        lines += [f"{t}RSN: No PMKSA cache entry found", *_attempt(t, bssid), *_success(t, bssid)]
    t = _t(fail_ns, dated)
    lines += [f"{t}RSN: PMKSA cache search - network_ctx=0x1 try_opportunistic=0 akmp=0x1",
              f"{t}RSN: Search for BSSID {BSSID_1}", f"{t}" + PMKID_LINE.format(spaced),
              f"{t}wlan0: RSN: Trying to use cached PMKSA", *_attempt(t, BSSID_1),
              f"{t}nl80211: MLME command failed (auth): count=1 ret=-2 (No such file or directory)",
              f"{t}nl80211: Trigger single channel scan to refresh cfg80211 BSS entry"]
    t = _t(auth[2], dated)
    lines += [f"{t}nl80211: Scan results for missing cfg80211 BSS entry", *_block(t, BSSID_1),
              *_success(t, BSSID_1)[:2], f"{t}RSN: matched PMKID - hexdump(len=16): {spaced}",
              _success(t, BSSID_1)[2], f"{t}wlan0: PMKSA-CACHE-ADDED {BSSID_1} 0"]
    return lines


def run_logs(tmp_path: Path, dated: bool, capsys: pytest.CaptureFixture[str]
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    capture = tmp_path / "story.pcapng"
    truth = story(capture)
    log = tmp_path / "wpa.log"
    log.write_text("\n".join(supplicant_log(truth, dated)) + "\n")
    assert main(["logs", str(log), "--capture", str(capture), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out), truth


@pytest.mark.parametrize("dated", [True, False], ids=["with_times", "without_times"])
def test_failed_attempt_shows_in_the_roam_timeline_before_the_retry_that_hit(
    tmp_path: Path, dated: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refused attempt gets an entry with no frame on the air, then the scan and the
    retry that reached the air and hit the PMKSA cache; the offset is estimated when the log
    has times, and the order of attempts is enough when it has none."""
    doc, truth = run_logs(tmp_path, dated, capsys)
    align = doc["alignment"]
    assert align["method"] == ("timestamps" if dated else "order")
    if dated:
        assert abs(align["offset_s"] - OFFSET_S) < 0.01
    failed = [a for a in doc["attempts"] if a["outcome"] == "driver_failed"]
    assert len(failed) == 1 and failed[0]["on_air"] is False and failed[0]["frame"] is None
    assert failed[0]["error"]["errno"] == "ENOENT"
    on_air = [a for a in doc["attempts"] if a["on_air"]]
    assert [a["frame"] for a in on_air] == [c["frames"]["auth_req"][0]
                                            for c in truth["connections"]]
    roam = doc["roams"][-1]
    assert roam["to_bssid"] == BSSID_1 and roam["pmksa"]["verdict"] == "hit"
    log = roam["log"]
    assert [a["index"] for a in log["not_transmitted"]] == [failed[0]["index"]]
    assert log["attempt"]["kind"] == "driver_retry" and log["attempt"]["on_air"] is True
    rows = log["timeline"]
    first, scan = rows[:2]
    retry = next(r for r in rows if r["source"] == "log+air")
    assert first["on_air"] is False and first["frame"] is None and "ENOENT" in first["text"]
    assert "5300 MHz" in scan["text"] and scan["on_air"]
    assert retry["frame"] == truth["connections"][2]["frames"]["auth_req"][0]
    assert log["pmksa_check"]["status"] == "confirmed"
    finding, = doc["findings"]
    assert finding["code"] == "AUTH_NOT_TRANSMITTED" and finding["roam_id"] == roam["id"]
    assert "single-channel scan" in finding["message"] and "cfg80211" in finding["message"]


def test_table_output_names_the_failure_and_the_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = tmp_path / "story.pcapng"
    log = tmp_path / "wpa.log"
    log.write_text("\n".join(supplicant_log(story(capture), True)) + "\n")
    assert main(["logs", str(log), "--capture", str(capture)]) == 0
    out = capsys.readouterr().out
    assert "AUTH_NOT_TRANSMITTED" in out and "no frame on the air" in out
    assert "PMKSA hit confirmed" in out


def test_seed_log_alone_reports_sent_to_driver_and_the_refusal(
    capsys: pytest.CaptureFixture[str]
) -> None:
    seed = Path(__file__).resolve().parents[2] / ".." / "shared" / "docs" / "seed-log.txt"
    if not seed.exists():
        pytest.skip("no seed log")
    assert main(["logs", str(seed), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    first, second = doc["attempts"]
    assert first["on_air"] is False and first["error"]["errno"] == "ENOENT"
    assert second["on_air"] is None and second["outcome"] == "sent_to_driver"
    assert first["rsne"]["pmkids"] == [first["pmkid"]]
    assert second["ap_rsne"]["capabilities"] == "0x000c"
    assert doc["findings"][0]["code"] == "AUTH_NOT_TRANSMITTED" and "roams" not in doc


def test_missing_log_is_a_one_line_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", str(tmp_path / "nope.log")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.log" in err


def test_hostapd_decisions_land_on_the_roam_they_belong_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hostapd's lines are placed by its `authentication OK`, aligned to the frame."""
    capture = tmp_path / "story.pcapng"
    truth = story(capture)
    lines = [f"{_t(truth['connections'][0]['phases_ns']['auth'], True)}Using interface wlan0 "
             f"with hwaddr {BSSID_1} and ssid \"{SSID_REPORT}\""]
    for c, hit in ((truth["connections"][0], False), (truth["connections"][2], True)):
        t = _t(c["phases_ns"]["auth"] + 300_000, True)
        lines.append(f"{t}wlan0: STA {STA_MAC} IEEE 802.11: authentication OK (open system)")
        if hit:
            lines += [f"{t}wlan0: STA {STA_MAC} WPA: PMKID found from PMKSA cache eap_type=21 "
                      "vlan=0",
                      f"{t}wlan0: STA {STA_MAC} IEEE 802.1X: PMK from PMKSA cache - skip "
                      "IEEE 802.1X/EAP"]
    log = tmp_path / "hostapd.log"
    log.write_text("\n".join(lines) + "\n")
    assert main(["logs", str(log), "--capture", str(capture), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    first, _, back = doc["roams"]
    assert first["log"] is None
    kinds = [d["kind"] for d in back["log"]["decisions"]]
    assert kinds == ["ap_hit", "ap_skip_eap"]
    assert back["log"]["pmksa_check"]["status"] == "confirmed"
