"""Secrets never echoed: whatever the mistake on the command line (an unknown option, `--key`
given to a command that takes none, a typo like `--kye`, a key in the wrong option), no error
message shows the passphrase or the PMK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CAP = str(REPO / "pcaps" / "eap-pmksa-roam.pcapng")
PASS = "correct-horse-battery-staple"
PMK = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
SECRETS = (PASS, PMK, PMK[:16], "battery")

MISTAKES = [
    ["analyze", CAP, "--kye", f"wpa-pwd:{PASS}"],
    ["analyze", CAP, f"--kye=pmk:{PMK}"],
    ["analyze", CAP, f"--k=wpa-pwd:{PASS}"],
    ["analyze", CAP, f"--wpa-pwd:{PASS}"],
    ["analyze", CAP, "--format", f"wpa-pwd:{PASS}"],
    ["analyze", CAP, "--sta", f"pmk:{PMK}"],
    ["analyze", CAP, "--jobs", PASS],
    ["analyze", CAP, "--offset", f"wpa-pwd:{PASS}"],
    ["analyze", CAP, "--key", f"wpa-pwd:{PASS}:{'s' * 40}"],
    ["analyze", CAP, "--key", f"wpa-psk:{PASS}"],
    ["analyze", CAP, "--key", f"pmk:{PMK}zz"],
    ["analyze", CAP, "--key", f"pmk:{PMK[:-2]}"],
    ["analyze", CAP, "--key", f"wpa-pwd{PASS}"],
    ["check", CAP, "--key", f"pwd:{PASS}"],
    ["frames", CAP, "--key", f"wpa-pwd:{PASS}"],
    ["logs", CAP, "--key", f"pmk:{PMK}"],
    ["merge", CAP, "-o", "/nonexistent/m.pcapng", "--key", f"wpa-pwd:{PASS}"],
    ["simulate", "psk-roam", "--key", f"pmk:{PMK}"],
    ["simulate", f"wpa-pwd:{PASS}", "-o", "/nonexistent/x.pcap"],
    ["report", CAP, "--key", f"pmk:{PMK}"],
    ["live", "-r", "-", "--ring", f"wpa-pwd:{PASS}"],
    ["live", "--kye", f"pmk:{PMK}"],
    [f"wpa-pwd:{PASS}"],
    ["analyze", f"--key=wpa-pwd:{PASS}"],
]


@pytest.mark.parametrize("argv", MISTAKES, ids=lambda a: " ".join(a)[:60].replace(PMK, "PMK"))
def test_no_error_message_shows_a_passphrase_or_a_pmk(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "analyzer", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for secret in SECRETS:
        assert secret not in done.stderr and secret not in done.stdout
