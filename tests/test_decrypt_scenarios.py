"""The decryption pass on builder roams: recovery after the roam (DHCP, ARP for the gateway,
IP each way), every new latency and its reasons, what protected frames carry, the PN replay
check, and what it costs."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.config import load_keys
from analyzer.decrypt import WINDOW_FRAMES, DecryptPass
from analyzer.roam.records import RECOVERY_KEYS, Roam
from analyzer.run.dispatch import run
from analyzer.simulate.scenario import Scenario

PASS = "correct horse battery"
KEY = f"wpa-pwd:{PASS}:lab"
AP1, AP2, STA = "00:1f:f3:c0:89:0f", "00:19:e3:fb:eb:35", "00:21:6a:5b:4c:3d"


def _pair(cipher: str = "ccmp") -> Scenario:
    sc = Scenario("pcapng", 3, acks=True)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS, cipher=cipher)
    sc.ap("ap2", AP2, "lab", 44, akm="psk", passphrase=PASS, cipher=cipher)
    sc.sta("s", STA)
    sc.wait(5).connect("s", "ap1").data("s", 4)
    return sc


def _roams(sc: Scenario, tmp_path: Path, key: str | None = KEY) -> list[Roam]:
    path = tmp_path / "s.pcapng"
    sc.write(path)
    return run([str(path)], keys=load_keys([key] if key else [])).roams


def _why(roam: Roam, key: str) -> str:
    return next(m.why for m in roam.missing if m.what == f"latency.{key}")


@pytest.mark.parametrize("cipher", ["ccmp", "gcmp", "gcmp-256", "ccmp-256"])
def test_roam_with_dhcp_and_arp_after_it(cipher: str, tmp_path: Path) -> None:
    """30 ms after the roam's M4 the station asks DHCP (Request → ACK 3 ms later), ARPs for the
    gateway the ACK named, then pings: l3_up is the Request (30 ms), l3_down the ACK, dhcp the
    3 ms between, to_ip_traffic from the control plane's start to IP both ways."""
    sc = _pair(cipher)
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", after_ms=30, dhcp="renew",
                                                          step_ms=3)
    roam = _roams(sc, tmp_path)[-1]
    lat, rec = roam.latency_ms, roam.recovery
    assert roam.kind == "roam" and rec is not None
    assert lat["l3_up"] == pytest.approx(30, abs=1)
    assert lat["dhcp"] == pytest.approx(3, abs=1)
    assert lat["l3_down"] == pytest.approx(lat["l3_up"] + lat["dhcp"], abs=0.01)
    assert lat["to_ip_traffic"] == pytest.approx(lat["control_plane"] + lat["l3_down"], abs=0.01)
    assert [m for m, _ in rec.dhcp] == ["Request", "ACK"]
    assert rec.gateway == "10.0.0.1"
    assert rec.arp_request_frame is not None and rec.arp_reply_frame > rec.arp_request_frame
    assert rec.first_up_frame == rec.first_ip_up_frame == rec.dhcp[0][1]
    assert not {m.what for m in roam.missing} & {f"latency.{k}" for k in RECOVERY_KEYS}


def test_full_dhcp_exchange_is_timed_from_the_discover(tmp_path: Path) -> None:
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", dhcp="full", step_ms=4)
    roam = _roams(sc, tmp_path)[-1]
    assert roam.recovery is not None
    assert [m for m, _ in roam.recovery.dhcp] == ["Discover", "Offer", "Request", "ACK"]
    assert roam.latency_ms["dhcp"] == pytest.approx(12, abs=1.5)


def test_no_dhcp_after_the_roam_says_why(tmp_path: Path) -> None:
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", dhcp=None, arp=False)
    roam = _roams(sc, tmp_path)[-1]
    assert roam.latency_ms["dhcp"] is None
    assert "no DHCP exchange" in _why(roam, "dhcp")
    assert roam.latency_ms["l3_up"] is not None and roam.latency_ms["l3_down"] is not None


def test_unanswered_dhcp_request(tmp_path: Path) -> None:
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", dhcp="renew",
                                                          drop={"dhcp_5"})
    roam = _roams(sc, tmp_path)[-1]
    assert roam.latency_ms["dhcp"] is None
    assert "got no ACK" in _why(roam, "dhcp")


def test_without_the_key_or_with_a_wrong_one(tmp_path: Path) -> None:
    sc = _pair()
    sc.at(0.5).roam("s", "ap2").recover("s")
    for key, why in ((None, "needs decryption"),
                     ("wpa-pwd:not the password:lab", "no given key verifies")):
        roam = _roams(sc, tmp_path, key)[-1]
        assert roam.recovery is None
        for k in RECOVERY_KEYS:
            assert roam.latency_ms[k] is None and why in _why(roam, k)


def test_silence_after_the_roam_is_not_guessed(tmp_path: Path) -> None:
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False)
    roam = _roams(sc, tmp_path)[-1]
    assert all(roam.latency_ms[k] is None for k in RECOVERY_KEYS)
    assert "no IP packet from the station" in _why(roam, "l3_up")
    assert "not seen in both directions" in _why(roam, "to_ip_traffic")


def test_rekeys_inside_protected_frames_are_followed(tmp_path: Path) -> None:
    """A protected PTK rekey and a protected group key handshake: findings from the decrypted
    EAPOL, and the data after the rekey opens with the new PTK."""
    sc = _pair()
    sc.wait(20).ptk_rekey("s").data("s", 4).wait(20).group_rekey("s").data("s", 2)
    path = tmp_path / "s.pcapng"
    sc.write(path)
    analysis = run([str(path)], keys=load_keys([KEY]))
    codes = [(f.code, f.message) for f in analysis.findings]
    assert any(c == "PTK_REKEY" and "inside protected frames" in m and "M4" in m
               for c, m in codes)
    assert any(c == "GROUP_KEY_HANDSHAKE" and "inside protected frames" in m for c, m in codes)
    p = DecryptPass(run([str(path)]).roams, load_keys([KEY]), everything=True)
    with open_capture(str(path)) as records:
        p.run(records)
    assert p.stats.undecryptable == 0
    (link,) = p.links.values()
    assert len(link.ptks) == 2 and len(p.gtks[bytes.fromhex(AP1.replace(":", ""))]) >= 1


def test_a_replayed_data_frame_is_not_used(tmp_path: Path) -> None:
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", dhcp=None, arp=False)
    sc.replay("s", "ap2", ["data"], times=1)
    path = tmp_path / "s.pcapng"
    sc.write(path)
    p = DecryptPass(run([str(path)]).roams, load_keys([KEY]), everything=True)
    with open_capture(str(path)) as records:
        p.run(records)
    assert p.stats.replays == 1
    analysis = run([str(path)], keys=load_keys([KEY]))  # bounded: the PN read from a peek
    (found,) = [f for f in analysis.findings if f.code == "PN_REPLAYED"]
    assert found.severity == "warning" and found.sta == STA and found.bssid == AP2


def test_a_key_reinstalled_reuses_packet_numbers(tmp_path: Path) -> None:
    """The AP resets its packet numbers under the same PTK (a key reinstallation): every
    frame after it repeats a PN already used, each a PN_REPLAYED (one finding, counted)."""
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s", dhcp=None, arp=False)
    sc.data("s", 10)
    link = sc.links[bytes.fromhex(STA.replace(":", ""))]
    link.pn_up = link.pn_down = 0
    sc.data("s", 6)
    path = tmp_path / "s.pcapng"
    sc.write(path)
    analysis = run([str(path)], keys=load_keys([KEY]))
    (found,) = [f for f in analysis.findings if f.code == "PN_REPLAYED"]
    assert found.count == 6 and "key installed again" in found.message


def test_only_the_frames_needed_are_decrypted(tmp_path: Path) -> None:
    """After the recovery is seen, data frames are only peeked at (one AES block): a long
    session decrypts a bounded number of frames, and EAPOL inside is still found."""
    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s").data("s", 400)
    sc.ptk_rekey("s").data("s", 10)
    path = tmp_path / "s.pcapng"
    sc.write(path)
    analysis = run([str(path)], keys=load_keys([KEY]))
    stats = analysis.decryption
    assert stats.protected > 400
    assert stats.decrypted <= 2 * WINDOW_FRAMES + 4 + 10
    assert stats.peeked >= 380
    assert any(f.code == "PTK_REKEY" and "inside" in f.message for f in analysis.findings)


def test_ft_transitions_are_decrypted_with_the_ft_ptk(tmp_path: Path) -> None:
    """FT has no 4-way handshake: the PTK comes from PMK-R1 and the FTE nonces (the FTE MIC
    verifying it), the GTK from the Reassociation Response's FTE GTK subelement."""
    from analyzer.simulate import library

    sc = library.ft_roam()
    path = tmp_path / "ft.pcapng"
    sc.write(path)
    keys = load_keys([f"wpa-pwd:{library.PASSPHRASE}:{library.SSID_LAB}"])
    roams = run([str(path)], keys=keys).roams
    assert [r.method for r in roams][1:] == ["ft_over_air", "ft_over_ds"]
    for roam in roams:
        assert roam.latency_ms["l3_up"] is not None and roam.latency_ms["l3_down"] is not None
    p = DecryptPass(run([str(path)]).roams, keys, everything=True)
    with open_capture(str(path)) as records:
        p.run(records)
    assert p.stats.undecryptable == 0 and p.stats.decrypted == p.stats.protected
    ap2 = sc.aps["ap2"]
    assert (1, ap2.gtk) in p.gtks[ap2.bssid]


def test_hostile_bytes_inside_keyed_frames_never_raise(tmp_path: Path) -> None:
    """Protected frames of a keyed association with bytes flipped or cut (the MIC then fails,
    or a peek sees garbage), and forged frames claiming the station's addresses: the pass
    counts them undecryptable and goes on."""
    import random

    from analyzer.capture.writer import write_capture
    from analyzer.simulate.frames import RADIOTAP_LEN as RT

    sc = _pair()
    sc.at(0.5).roam("s", "ap2", first_data=False).recover("s").data("s", 40)
    sc.ptk_rekey("s").data("s", 10)
    rng = random.Random(7)
    frames = []
    for ts, data in sc.frames():
        if data[RT + 1] & 0x40 and rng.random() < 0.5:  # protected
            data = bytearray(data)
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(RT + 24, len(data))] ^= 1 << rng.randrange(8)
            data = bytes(data[: rng.randrange(RT + 24, len(data) + 1)])
        frames.append((ts, data))
    path = tmp_path / "hostile.pcapng"
    write_capture(path, frames, fmt="pcapng")
    analysis = run([str(path)], keys=load_keys([KEY]))
    assert analysis.decryption is not None and analysis.decryption.undecryptable > 0
