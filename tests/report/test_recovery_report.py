"""The recovery latencies beside the control plane: terminal table, chart and HTML section,
shown only when the decryption pass measured something."""

from __future__ import annotations

import io
from pathlib import Path

from analyzer import load
from analyzer.config import load_keys
from analyzer.report.jsonout import analysis_document
from analyzer.report.recovery import has_recovery, recovery_chart, recovery_html, recovery_table
from analyzer.report.text import print_roams
from analyzer.run.dispatch import run
from analyzer.simulate.scenario import Scenario

PASS = "correct horse battery"


def _capture(tmp_path: Path) -> Path:
    sc = Scenario("pcapng", 5, acks=True)
    sc.ap("ap1", "00:1f:f3:c0:89:0f", "lab", 36, akm="psk", passphrase=PASS)
    sc.ap("ap2", "00:19:e3:fb:eb:35", "lab", 44, akm="psk", passphrase=PASS)
    sc.sta("s", "00:21:6a:5b:4c:3d")
    sc.wait(5).connect("s", "ap1").recover("s", dhcp="full")
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", after_ms=20)
    path = tmp_path / "s.pcapng"
    sc.write(path)
    return path


def test_terminal_table_only_with_keys(tmp_path: Path) -> None:
    path = _capture(tmp_path)
    keyed = analysis_document(run([str(path)], keys=load_keys([f"wpa-pwd:{PASS}:lab"])))
    table = recovery_table(keyed)
    assert table is not None and table.row_count == 2
    out = io.StringIO()
    print_roams(keyed, out)
    assert "After the control plane (decrypted)" in out.getvalue()
    assert "Request" in out.getvalue() and "10.0.0.1" in out.getvalue()
    assert recovery_table(analysis_document(run([str(path)]))) is None


def test_chart_and_html_section(tmp_path: Path) -> None:
    path = _capture(tmp_path)
    roams = load(str(path), keys=[f"wpa-pwd:{PASS}:lab"]).roams
    assert has_recovery(roams)
    assert roams["latency_to_ip_traffic_ms"].notna().all()
    fig = recovery_chart(roams)
    assert fig.axes and fig.axes[0].get_legend() is not None
    section = recovery_html(roams)
    assert "After the control plane (decrypted)" in section and "<img" in section
    assert "latency_dhcp_ms" in section
    plain = load(str(path)).roams
    assert not has_recovery(plain) and recovery_html(plain) == ""
