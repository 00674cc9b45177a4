"""With Wireshark's keys, the decryption pass on the real captures does what Wireshark's own
tests assert (MANIFEST.tsv `peer_test_assertions`), and tshark decrypts the same frames."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.config import load_keys
from analyzer.decrypt import DecryptPass
from analyzer.dot11.payload import classify
from analyzer.run.dispatch import run
from tests.conftest import PUBLIC, public_capture_params

KEYS_FILE = PUBLIC.parent / "80211_keys"


def public_dir() -> Path:
    if not PUBLIC.is_dir():
        pytest.skip(f"real captures not available: {PUBLIC} is absent")
    return PUBLIC


def _keys():  # noqa: ANN202
    if not KEYS_FILE.is_file():
        pytest.skip(f"{KEYS_FILE} is absent")
    return load_keys([], [str(KEYS_FILE)])


def _pass(name: str, everything: bool = True) -> tuple[DecryptPass, dict[int, bytes]]:
    path = public_dir() / name
    keys = _keys()
    plain: dict[int, bytes] = {}
    p = DecryptPass(run([str(path)]).roams, keys, everything=everything)
    p.on_plain = plain.__setitem__
    with open_capture(str(path)) as records:
        p.run(records)
    p.finish()
    return p, plain


def _tks(p: DecryptPass) -> set[str]:
    return {ptk.tk.hex() for link in p.links.values() for _, ptk in link.ptks}


def _gtks(p: DecryptPass) -> set[str]:
    return {g.hex() for have in p.gtks.values() for _, g in have}


WIRESHARK_KEYS = [  # test/suite_decryption.py, as MANIFEST.tsv quotes it
    ("wpa-ccmp-256.pcapng.gz",
     {"4e6abbcf9dc0943936700b6825952218f58a47dfdf51dbb8ce9b02fd7d2d9e40"},
     {"502085ca205e668f7e7c61cdf4f731336bb31e4f5b28ec91860174192e9b2190"}),
    ("wpa-gcmp-256.pcapng.gz",
     {"b3dc2ff2d88d0d34c1ddc421cea17f304af3c46acbbe7b6d808b6ebf1b98ec38"},
     {"a745ee2313f86515a155c4cb044bc148ae234b9c72707f772b69c2fede3e4016"}),
    ("wpa-gcmp.pcapng.gz", {"755a9c1c9e605d5ff62849e4a17a935c"},
     {"7ff30f7a8dd67950eaaf2f20a869a62d"}),
    ("wpa_ptk_extended_key_id.pcap.gz",
     {"618b4d1829e2a496d7fd8c034a6d024d", "f31ecff5452f4c286cf66ef50d10dabe",
      "28dd851decf3f1c2a35df8bcc22fa1d2"},
     {"234a9a6ddcca3cb728751cea49d01bb0"}),  # GTK: tshark's wlan.analysis.gtk
    ("wpa-eap-tls.pcap.gz", {"7d9987daf5876249b6c773bf454a0da7",  # asserted; tshark's:
                             "b66e106f8b4ef82a0718a626f651c367",
                             "134f140187adae8feb5dcf81065a0f4d"},
     {"ee043ccdca063be67b2f408af12a8b88", "97da047806dab7253d001a4928a6d54e"}),
]


@pytest.mark.parametrize(("name", "tks", "gtks"), WIRESHARK_KEYS, ids=lambda v: str(v)[:24])
def test_tks_and_gtks_are_wiresharks(name: str, tks: set[str], gtks: set[str]) -> None:
    """Each TK and GTK Wireshark's tests assert is derived: from the captured handshakes,
    from rekeys decrypted inside protected frames (Extended Key ID, EAP-TLS re-auths), and
    the GTKs unwrapped from M3 with the KEK."""
    p, _ = _pass(name)
    assert tks <= _tks(p)
    assert gtks <= _gtks(p)


@pytest.mark.parametrize("name", ["wpa-ccmp-256.pcapng.gz", "wpa-gcmp-256.pcapng.gz",
                                  "wpa-gcmp.pcapng.gz"])
def test_decrypted_frames_hold_what_wiresharks_tests_say(name: str) -> None:
    """An ARP 'who has 192.168.5.5' (a group frame: GTK), a DHCP Request and an ICMP echo
    request (pairwise: TK)."""
    _, plain = _pass(name)
    payloads = [classify(b) for b in plain.values()]
    assert any(x.kind == "arp" and x.arp_op == 1 and x.arp_target_ip == "192.168.5.5"
               for x in payloads)
    assert any(x.dhcp_type == 3 for x in payloads)
    assert any(x.icmp_type == 8 for x in payloads)


def test_recovery_after_the_join_on_ccmp_256() -> None:
    """DHCP Discover 22 → Offer 34 → Request 35 → ACK 40, the gateway (DHCP router
    192.168.5.1) ARPs for the station at 42 and it answers at 55 (tshark's reading)."""
    path = public_dir() / "wpa-ccmp-256.pcapng.gz"
    (roam,) = run([str(path)], keys=_keys()).roams
    rec = roam.recovery
    assert rec is not None
    assert rec.dhcp == (("Discover", 22), ("Offer", 34), ("Request", 35), ("ACK", 40))
    assert (rec.gateway, rec.arp_request_frame, rec.arp_reply_frame) == ("192.168.5.1", 42, 55)
    assert (rec.first_ip_up_frame, rec.first_ip_down_frame) == (22, 34)
    assert roam.latency_ms["dhcp"] == pytest.approx(1023.359)
    assert all(roam.latency_ms[k] is not None for k in ("l3_up", "l3_down", "to_ip_traffic"))


def test_eap_tls_reauthentications_and_group_handshakes_inside_protected_frames() -> None:
    """Two EAP-TLS re-authentications (frames 31 and 62), each followed by a 4-way handshake
    under a new PMK, and group key handshakes, all inside protected frames."""
    path = public_dir() / "wpa-eap-tls.pcap.gz"
    analysis = run([str(path)], keys=_keys())
    got = {(f.code, f.frame) for f in analysis.findings}
    assert {("EAP_REAUTHENTICATION", 31), ("EAP_REAUTHENTICATION", 62)} <= got
    assert {("PTK_REKEY", 50), ("PTK_REKEY", 80)} <= got
    groups = {f for c, f in got if c == "GROUP_KEY_HANDSHAKE"}
    assert {26, 28, 55, 60, 86} <= groups
    assert all("inside protected frames" in f.message for f in analysis.findings
               if f.code in ("PTK_REKEY", "GROUP_KEY_HANDSHAKE", "EAP_REAUTHENTICATION"))


def test_wpa_test_decode_proves_success_by_decryption() -> None:
    path = public_dir() / "wpa-test-decode.pcap.gz"
    analysis = run([str(path)], keys=_keys())
    (roam,) = analysis.roams
    assert roam.outcome == "success"
    assert "proven: frame 21 decrypts" in next(m.why for m in roam.missing if m.what == "M4")
    assert roam.recovery is not None and roam.recovery.dhcp == (("Request", 19), ("ACK", 21))
    rekeys = [f.frame for f in analysis.findings if f.code == "PTK_REKEY"]
    assert rekeys == [1638, 3251]


def test_without_keys_nothing_is_decrypted() -> None:
    path = public_dir() / "wpa-ccmp-256.pcapng.gz"
    analysis = run([str(path)])
    assert analysis.decryption is None
    assert all(r.recovery is None for r in analysis.roams)
    assert "needs decryption" in next(m.why for m in analysis.roams[0].missing
                                      if m.what == "latency.l3_up")


# TKIP (WPA1) and TDLS peer keys are not decrypted
NOT_COVERED = {"wpa1-gtk-rekey.pcapng.gz": "TKIP", "wpa-test-decode-tdls.pcap.gz": "TDLS"}


def _tshark_decrypted(path: Path, tshark: str, tmp_path: Path) -> set[int]:
    conf = tmp_path / "wireshark"
    conf.mkdir(exist_ok=True)
    lines = [ln for ln in KEYS_FILE.read_text().splitlines() if '"wep"' not in ln]
    (conf / "80211_keys").write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [tshark, "-n", "-r", str(path), "-o", "wlan.enable_decryption:TRUE", "-Y",
         "(wlan.fc.type == 0 || wlan.fc.type == 2) && wlan.fc.protected == 1"
         " && (wlan.analysis.tk || wlan.analysis.gtk)",
         "-T", "fields", "-e", "frame.number"],
        capture_output=True, text=True, check=True, timeout=300,
        env={**os.environ, "WIRESHARK_CONFIG_DIR": str(conf)})
    return {int(x) for x in out.stdout.split()}


@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: p.name)
def test_tshark_decrypts_the_same_data_frames(path: Path, tshark: str, tmp_path: Path) -> None:
    """With the same keys, every protected data and management frame tshark decrypts we
    decrypt, and no other (TKIP and TDLS captures: ours are a subset)."""
    p, _ = _pass(path.name)
    ours, theirs = set(p.opened), _tshark_decrypted(path, tshark, tmp_path)
    if path.name in NOT_COVERED:
        assert ours <= theirs
    else:
        assert ours == theirs


def test_a_rekey_under_an_unknown_pmk_says_so() -> None:
    """With only the first EAP-TLS PMK, the 4-way handshake after the first re-authentication
    (a new PMK) cannot be followed: the finding says why the frames after it stay encrypted."""
    from analyzer.config.keys import parse_key

    path = public_dir() / "wpa-eap-tls.pcap.gz"
    pmk = "a5001e18e0b3f792278825bc3abff72d7021d7c157b600470ef730e2490835d4"
    analysis = run([str(path)], keys=parse_key(f"wpa-psk:{pmk}"))
    (rekey,) = [f for f in analysis.findings if f.code == "PTK_REKEY" and f.frame == 50]
    assert "its PTK is not derived" in rekey.message
    assert analysis.decryption.undecryptable > 0


def test_no_key_in_any_output() -> None:
    """Neither the keys given nor any TK/GTK derived appears in the JSON document."""
    import json

    from analyzer.report.jsonout import analysis_document

    secrets = [line.split('"')[3] for line in KEYS_FILE.read_text().splitlines()
               if line.startswith('"') and '"wep"' not in line] if KEYS_FILE.is_file() else []
    for name, tks, gtks in WIRESHARK_KEYS:
        text = json.dumps(analysis_document(run([str(public_dir() / name)], keys=_keys())))
        for secret in (*secrets, *tks, *gtks):
            assert secret not in text, name


def test_protected_management_frames_in_the_decrypted_copy(tmp_path: Path, tshark: str) -> None:
    """Wireshark's test_80211_wpa_psk_mfp: with decryption, 'wlan.fixed.reason_code == 2 ||
    wlan.fixed.category_code == 3' matches exactly 3 frames. Our decrypted copy, read by
    tshark without any key, matches the same 3 (two SA Query/Block Ack actions, the Deauth)."""
    from analyzer.cli import main

    path = public_dir() / "wpa-test-decode-mgmt.pcap.gz"
    out = tmp_path / "dec.pcapng"
    assert main(["analyze", str(path), "--quiet", "--format", "json", "--key",
                 "wpa-pwd:12345678", "--decrypt-out", str(out)]) == 0
    got = subprocess.run(
        [tshark, "-n", "-r", str(out), "-Y",
         "wlan.fixed.reason_code == 2 || wlan.fixed.category_code == 3", "-T", "fields",
         "-e", "frame.number"], capture_output=True, text=True, check=True).stdout.split()
    assert got == ["9", "10", "11"]


@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: p.name)
def test_no_replay_raised_on_real_captures(path: Path) -> None:
    """Retransmissions (Retry bit) and a frame captured twice (wpa3-sae's frame 117: same
    sequence number, same PN) are not replays: no PN_REPLAYED on any real capture."""
    analysis = run([str(path)], keys=_keys())
    assert not [f for f in analysis.findings if f.code == "PN_REPLAYED"]
