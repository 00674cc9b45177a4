"""The builder's captures judged by independent tools: tshark and aircrack-ng."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.crypto.keys import pmkid
from analyzer.simulate import library
from analyzer.simulate.frames import mac
from analyzer.simulate.library import PASSPHRASE, SSID_LAB, simulate

from .conftest import Built

pytestmark = pytest.mark.tshark
REPO = Path(__file__).resolve().parents[2]


def _run(tshark: str, path: Path, *args: str) -> list[str]:
    cmd = [tshark, "-n", "-r", str(path), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


def _decrypting(*keys: tuple[str, str]) -> list[str]:
    args = ["-o", "wlan.enable_decryption:TRUE"]
    for kind, key in keys:
        args += ["-o", f'uat:80211_keys:"{kind}","{key}"']
    return args


def _protected_data(built: Built) -> int:
    return sum(1 for _, f in built.frames if f[24] == 0x88 and f[25] & 0x40)


@pytest.mark.parametrize(
    "name", ["psk-roam", "eap-pmksa-roam", "ft-roam", "ht-roam", "everything"]
)
def test_tshark_finds_no_malformed_frame_or_warning(
    tshark: str, built: dict[str, Built], name: str
) -> None:
    b = built[name]
    assert len(_run(tshark, b.path)) == b.truth["frames"]
    flagged = _run(tshark, b.path, "-Y", "_ws.malformed || _ws.expert.severity >= warning")
    assert flagged == []


def test_tshark_decrypts_psk_data_with_the_passphrase(tshark: str, built: dict[str, Built]) -> None:
    b = built["psk-roam"]
    keys = _decrypting(("wpa-pwd", f"{PASSPHRASE}:{SSID_LAB}"))
    rows = _run(tshark, b.path, *keys, "-Y", "icmp", "-T", "fields", "-e", "ip.src")
    assert len(rows) == _protected_data(b) > 0
    assert set(rows) == {"10.0.0.10", "10.0.0.1"}


def test_tshark_decrypts_8021x_data_after_the_pmksa_cached_roam(
    tshark: str, built: dict[str, Built]
) -> None:
    """Keyed with the PMKs (MSK[0:32]) only: the cached reassociation reuses the first PMK."""
    b = built["eap-pmksa-roam"]
    pmks = {c["pmk"] for c in b.truth["connections"]}
    assert len(pmks) == 2
    rows = _run(
        tshark,
        b.path,
        *_decrypting(*(("wpa-psk", p) for p in pmks)),
        "-Y",
        "icmp",
        "-T",
        "fields",
        "-e",
        "frame.number",
    )
    back = b.truth["connections"][-1]
    assert len(rows) == _protected_data(b)
    assert str(back["frames"]["data"][0]) in rows


def test_tshark_decrypts_ft_psk_data_after_both_ft_roams(
    tshark: str, built: dict[str, Built]
) -> None:
    """Wireshark 3.x+ derives PMK-R0/R1 and the FT PTK from the passphrase and FT elements."""
    b = built["ft-roam"]
    keys = _decrypting(("wpa-pwd", f"{PASSPHRASE}:{SSID_LAB}"))
    rows = _run(tshark, b.path, *keys, "-Y", "icmp", "-T", "fields", "-e", "frame.number")
    assert len(rows) == _protected_data(b)
    for roam in b.truth["connections"][1:]:
        assert str(roam["frames"]["data"][0]) in rows


def test_tshark_sees_the_recomputed_pmkid_in_reassoc_rsne_and_m1_kde(
    tshark: str, built: dict[str, Built]
) -> None:
    b = built["eap-pmksa-roam"]
    first, _, back = b.truth["connections"]
    want = pmkid(bytes.fromhex(first["pmk"]), mac(first["to_bssid"]), mac(first["sta"]), 1).hex()
    rows = _run(
        tshark,
        b.path,
        "-Y",
        "wlan.pmkid.akms || wlan.rsn.ie.pmkid",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "wlan.pmkid.akms",
        "-e",
        "wlan.rsn.ie.pmkid",
    )
    seen = {int(r.split("\t")[0]): r.split("\t")[1:] for r in rows}
    assert seen[back["frames"]["reassoc_req"][0]][0] == want
    assert seen[back["frames"]["m1"][0]][1] == want
    assert seen[first["frames"]["m1"][0]][1] == want


@pytest.mark.aircrack
def test_aircrack_finds_the_passphrase_in_a_pcap(aircrack: str, tmp_path: Path) -> None:
    path = tmp_path / "psk.pcap"
    library.psk_roam("pcap").write(path)
    (tmp_path / "words.txt").write_text(f"password\nletmein\n{PASSPHRASE}\nqwerty\n")
    done = subprocess.run(
        [aircrack, "-q", "-w", str(tmp_path / "words.txt"), "-b", library.BSSID_1, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert f"KEY FOUND! [ {PASSPHRASE} ]" in done.stdout


SHIPPED = [n for n in sorted(library.BUILDERS) if (REPO / "pcaps" / f"{n}.pcapng").exists()]


def test_the_three_promised_scenarios_are_shipped() -> None:
    assert {"psk-roam", "eap-pmksa-roam", "ft-roam"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_pcaps_are_what_the_generator_writes(name: str, tmp_path: Path) -> None:
    shipped = REPO / "pcaps" / f"{name}.pcapng"
    simulate(name, tmp_path / "x.pcapng")
    assert (tmp_path / "x.pcapng").read_bytes() == shipped.read_bytes()
