"""`analyze --decrypt-out F.pcapng`: a decrypted copy Wireshark reads without keys, opt-in,
and never a key in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.simulate import library
from tests.conftest import PUBLIC

CCMP_256 = PUBLIC / "wpa-ccmp-256.pcapng.gz"
PMK = "ecbfe709d6151eaba6a4fd9cba94fbb570c1fc4c15506fad3185b4a0a0cfda9a"


def _needs(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"real captures not available: {path} is absent")


def test_decrypted_copy_is_readable_without_keys(tmp_path: Path, tshark: str) -> None:
    _needs(CCMP_256)
    out = tmp_path / "dec.pcapng"
    rc = main(["analyze", str(CCMP_256), "--quiet", "--format", "json",
               "--key", "wpa-pwd:12345678:Wireshark-ccmp-256", "--decrypt-out", str(out)])
    assert rc == 0
    data = out.read_bytes()
    assert b"12345678" not in data and b"Wireshark-ccmp-256" in data  # the SSID is on air
    text = subprocess.run(
        [tshark, "-n", "-r", str(out), "-o", "wlan.check_fcs:TRUE", "-T", "fields",
         "-e", "frame.number", "-e", "wlan.fc.protected", "-e", "_ws.col.Info"],
        capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in text.splitlines()]
    assert len(rows) == 59  # every record, in order
    info = {int(n): i for n, _, i in rows}
    assert "DHCP Request" in info[35] and "Echo (ping) request" in info[56]
    assert "Who has 192.168.5.5?" in info[24]  # a group frame, with the GTK
    assert all(p == "0" for _, p, _ in rows)  # every protected data frame opened
    assert "Malformed" not in text


def test_decrypt_out_needs_a_key_and_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:  # fmt: skip
    cap = tmp_path / "s.pcapng"
    library.psk_roam().write(cap)
    out = tmp_path / "dec.pcapng"
    assert main(["analyze", str(cap), "--quiet", "--decrypt-out", str(out)]) == 2
    assert "needs the network's key" in capsys.readouterr().err
    key = f"wpa-pwd:{library.PASSPHRASE}:{library.SSID_LAB}"
    assert main(["analyze", str(cap), str(cap), "--quiet", "--key", key,
                 "--decrypt-out", str(out)]) == 2
    assert "one capture file" in capsys.readouterr().err
    assert not out.exists()


def test_decrypted_copy_of_a_builder_roam(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:  # fmt: skip
    """Every protected data frame of the builder's psk-roam opens; the file holds neither the
    passphrase nor the PMK, and the analysis of the copy finds the same roams."""
    from analyzer.crypto.keys import pmk_from_passphrase
    from analyzer.run.dispatch import run

    cap, out = tmp_path / "s.pcapng", tmp_path / "dec.pcapng"
    library.psk_roam().write(cap)
    key = f"wpa-pwd:{library.PASSPHRASE}:{library.SSID_LAB}"
    assert main(["analyze", str(cap), "--quiet", "--format", "json", "--key", key,
                 "--decrypt-out", str(out)]) == 0
    data = out.read_bytes()
    pmk = pmk_from_passphrase(library.PASSPHRASE, library.SSID_LAB.encode())
    assert library.PASSPHRASE.encode() not in data and pmk not in data
    assert pmk.hex().encode() not in data and pmk.hex() not in capsys.readouterr().out
    again = run([str(out)])
    assert [(r.kind, r.outcome) for r in again.roams] == [
        (r.kind, r.outcome) for r in run([str(cap)]).roams]
