"""Scenario behaviour, read from the truth and from the bytes the builder wrote."""

from __future__ import annotations

import struct
import time

import pytest

from analyzer.crypto.keys import pmkid
from analyzer.simulate import Scenario, bench_mix
from analyzer.simulate.frames import mac

from .conftest import Built

EAPOL_AT = 24 + 26 + 8  # radiotap, QoS data header, LLC/SNAP
KEY_AT = EAPOL_AT + 4


def _frame(built: Built | list[tuple[int, bytes]], index: int) -> bytes:
    frames = built.frames if isinstance(built, Built) else built
    return frames[index - 1][1]


def _replay(frame: bytes) -> int:
    return int.from_bytes(frame[KEY_AT + 5 : KEY_AT + 13], "big")


def _key_data(frame: bytes) -> bytes:
    (length,) = struct.unpack_from(">H", frame, KEY_AT + 93)
    return frame[KEY_AT + 95 : KEY_AT + 95 + length]


def _psk_pair(**ap_options: object) -> Scenario:
    sc = Scenario(seed=3)
    sc.ap("a", "02:00:00:00:0a:01", "net", 36, akm="psk", passphrase="secret123", **ap_options)
    sc.sta("s", "02:00:00:00:00:05")
    return sc


def _eap_pair(**ap_options: object) -> Scenario:
    sc = Scenario(seed=4)
    for i in (1, 2):
        sc.ap(f"a{i}", f"02:00:00:00:0b:0{i}", "corp", 36 + 4 * i, akm="8021x", **ap_options)
    sc.sta("s", "02:00:00:00:00:06")
    return sc


def test_roam_back_offers_the_cached_pmkid_and_skips_eap(built: dict[str, Built]) -> None:
    """AP1 -> AP2 -> AP1: the Reassoc offers P from AP1, M1 carries P, no EAP frames."""
    first, second, back = built["eap-pmksa-roam"].truth["connections"]
    assert first["eap"] and second["eap"] and not back["eap"]
    assert back["method"] == "pmksa" and back["pmksa_hit"]
    assert back["pmkids_offered"] == [first["m1_pmkid"]] == [back["m1_pmkid"]]
    assert not any(label.startswith("eap") for label in back["frames"])
    assert back["from_bssid"] == "00:19:e3:fb:eb:35" and back["to_bssid"] == "00:1f:f3:c0:89:0f"


def test_pmkid_kde_is_pmkid_of_pmk_aa_spa(built: dict[str, Built]) -> None:
    b = built["eap-pmksa-roam"]
    for conn in b.truth["connections"]:
        want = pmkid(bytes.fromhex(conn["pmk"]), mac(conn["to_bssid"]), mac(conn["sta"]), 1)
        assert conn["m1_pmkid"] == want.hex()
        kde = _key_data(_frame(b, conn["frames"]["m1"][0]))
        assert kde == bytes.fromhex("dd14000fac04") + want


def test_psk_m1_carries_no_pmkid_kde_unless_the_ap_is_told_to() -> None:
    for flag, expect in ((None, b""), (True, None)):
        sc = _psk_pair(pmkid_kde=flag).connect("s", "a")
        conn = sc.truth()["connections"][0]
        data = _key_data(_frame(list(sc.frames()), conn["frames"]["m1"][0]))
        if expect is not None:
            assert data == expect and conn["m1_pmkid"] is None
        else:
            assert data.endswith(bytes.fromhex(conn["m1_pmkid"]))


def test_ap_ignoring_the_cached_pmkid_runs_full_eap() -> None:
    sc = _eap_pair().connect("s", "a1").roam("s", "a2").roam("s", "a1", ap_miss=True)
    back = sc.truth()["connections"][-1]
    assert back["pmkids_offered"] and back["eap"] and not back["pmksa_hit"]
    assert back["m1_pmkid"] not in back["pmkids_offered"]


def test_okc_offers_a_pmkid_recomputed_for_the_new_aa() -> None:
    sc = _eap_pair(okc=True).connect("s", "a1").roam("s", "a2", method="okc")
    first, okc = sc.truth()["connections"]
    want = pmkid(bytes.fromhex(first["pmk"]), mac(okc["to_bssid"]), mac(okc["sta"]), 1)
    assert okc["pmkids_offered"] == [want.hex()] and okc["pmksa_hit"] and not okc["eap"]


def test_m1_retries_bump_the_replay_counter_at_least_a_second_apart() -> None:
    sc = _psk_pair().connect("s", "a", m1_retries=2)
    conn = sc.truth()["connections"][0]
    frames = list(sc.frames())
    m1s = [frames[i - 1] for i in conn["frames"]["m1"]]
    assert [_replay(f) for _, f in m1s] == [1, 2, 3]
    assert all(b[0] - a[0] >= 1_000_000_000 for a, b in zip(m1s, m1s[1:], strict=False))
    assert _replay(_frame(frames, conn["frames"]["m2"][0])) == 3


def test_dropped_frames_are_absent_and_retries_repeat_the_sequence_number() -> None:
    sc = _psk_pair().connect("s", "a", drop={"m3"}, retries={"auth_req"}, bad_fcs={"m1"})
    conn = sc.truth()["connections"][0]
    assert "m3" not in conn["frames"] and "m4" in conn["frames"]
    frames = list(sc.frames())
    auth = _frame(frames, conn["frames"]["auth_req"][0])
    retry = _frame(frames, conn["frames"]["auth_req"][0] + 1)
    assert retry[24 + 1] & 0x08 and retry[24 + 22 : 24 + 24] == auth[24 + 22 : 24 + 24]
    m1 = conn["frames"]["m1"][0]
    assert _frame(frames, m1 - 1)[16] & 0x40 and _frame(frames, m1)[24 + 1] & 0x08


def test_eap_failure_is_followed_by_deauth_reason_23() -> None:
    sc = _eap_pair().connect("s", "a1", eap_failure=True)
    conn = sc.truth()["connections"][0]
    assert conn["outcome"] == "eap_failure" and "m1" not in conn["frames"]
    deauth = _frame(list(sc.frames()), conn["frames"]["deauth"][0])
    assert deauth[24] == 0xC0 and struct.unpack_from("<H", deauth, 48)[0] == 23


def test_rejected_association_carries_the_status_code() -> None:
    sc = _psk_pair().connect("s", "a", status=17)
    conn = sc.truth()["connections"][0]
    resp = _frame(list(sc.frames()), conn["frames"]["assoc_resp"][0])
    assert conn["outcome"] == "assoc_rejected" and struct.unpack_from("<H", resp, 50)[0] == 17


def test_sae_cache_hit_uses_open_auth_and_a_miss_gets_status_53() -> None:
    sc = Scenario(seed=5)
    sc.ap("a", "02:00:00:00:0c:01", "wpa3", 36, akm="sae").sta("s", "02:00:00:00:00:07")
    sc.connect("s", "a").deauth("s").connect("s", "a").deauth("s").connect("s", "a", ap_miss=True)
    full, hit, miss = sc.truth()["connections"]
    assert "sae_commit_sta" in full["frames"] and full["m1_pmkid"]
    assert "auth_req" in hit["frames"] and hit["pmksa_hit"]
    assert hit["pmkids_offered"] == [full["m1_pmkid"]] == [hit["m1_pmkid"]]
    assert miss["status"] == 53 and "m1" not in miss["frames"]


def test_ft_roams_have_no_four_way_handshake(built: dict[str, Built]) -> None:
    initial, air, ds = built["ft-roam"].truth["connections"]
    assert {"m1", "m4"} <= set(initial["frames"])
    for roam in (air, ds):
        assert not {"m1", "m2", "m3", "m4"} & set(roam["frames"])
        assert roam["frames"]["reassoc_resp"] < roam["frames"]["data"]
    assert "auth_req" in air["frames"] and "ft_request" in ds["frames"]


def test_frames_are_in_time_order_with_per_transmitter_sequence_numbers(
    built: dict[str, Built],
) -> None:
    frames = built["everything"].frames
    assert [t for t, _ in frames] == sorted(t for t, _ in frames)
    last: dict[bytes, int] = {}
    for _, f in frames:
        if (f[24] >> 2) & 3 == 1 or f[16] & 0x40 or f[25] & 0x08:
            continue
        seq = struct.unpack_from("<H", f, 46)[0] >> 4
        ta = f[34:40]
        assert ta not in last or seq == (last[ta] + 1) & 0xFFF
        last[ta] = seq


def _answers(frames: list[tuple[int, bytes]]) -> list[tuple[bytes, bytes]]:
    """(frame, the next frame but background beacons) of every unicast data frame, radiotap
    stripped."""
    macs = [f[24:] for _, f in frames if f[24] != 0x80]
    return [(f, g) for f, g in zip(macs, macs[1:], strict=False) if f[0] == 0x88 and not f[4] & 1]


def test_block_acks_answer_data_frames_with_their_sequence_number_and_tid(
    built: dict[str, Built],
) -> None:
    """ht-roam: every data frame (TID 0) is answered by a compressed Block Ack from its
    receiver, of its TID and starting at its sequence number (IEEE 802.11-2020 9.3.1.8.2);
    EAPOL (TID 7, ACKs only in this builder) by an ACK to its transmitter."""
    pairs = _answers(built["ht-roam"].frames)
    block, acked = 0, 0
    for data, answer in pairs:
        tid, seq = data[24] & 0x0F, struct.unpack_from("<H", data, 22)[0] >> 4
        if tid == 0:
            control, ssc = struct.unpack_from("<HH", answer, 16)
            assert answer[0] == 0x94 and len(answer) == 28 + 4
            assert (answer[4:10], answer[10:16]) == (data[10:16], data[4:10])
            assert (control, ssc >> 4, answer[20:28]) == (0x0005, seq, b"\x01" + bytes(7))
            block += 1
        else:
            assert answer[0] == 0xD4 and answer[4:10] == data[10:16]
            acked += 1
    assert block > 10 and acked >= 4
    assert not any(answer[0] == 0x94 for _, answer in _answers(built["psk-roam"].frames))


def test_lost_acks_lose_the_block_acks_too() -> None:
    sc = Scenario(seed=3, acks=True, block_acks=True)
    sc.ap("a", "02:00:00:00:0a:01", "net", 36, akm="psk", passphrase="secret123")
    sc.sta("s", "02:00:00:00:00:05").connect("s", "a", lost_acks={"data"}).data("s", 2)
    first = sc.truth()["connections"][0]["frames"]["data"][0]
    frames = list(sc.frames())
    assert _frame(frames, first + 1)[24] != 0x94
    assert sum(f[24] == 0x94 for _, f in frames) == 2  # the data step's two frames


def test_truth_is_plain_data(built: dict[str, Built]) -> None:
    import json

    for b in built.values():
        assert json.loads(json.dumps(b.truth)) == b.truth


def test_unknown_step_option_is_refused() -> None:
    with pytest.raises(TypeError, match="unknown connect options"):
        _psk_pair().connect("s", "a", colour="red")


def test_bench_mix_has_the_advertised_shares_and_complete_roams() -> None:
    t0 = time.perf_counter()
    frames = list(bench_mix(40_000))
    assert time.perf_counter() - t0 < 10
    assert len(frames) == 40_000
    assert [t for t, _ in frames] == sorted(t for t, _ in frames)
    kinds = [f[24] for _, f in frames]
    share = {k: kinds.count(k) / len(kinds) for k in set(kinds)}
    assert 0.2 < share[0x80] < 0.3 and 0.5 < share[0x88] < 0.6
    assert 0.12 < sum(share.get(k, 0) for k in (0xD4, 0xB4, 0xC4)) < 0.18
    assert sum(1 for f in frames if f[1][24] == 0x20) >= 2  # reassociation requests


def test_control_mix_has_the_advertised_shares_and_answers_its_data() -> None:
    frames = list(bench_mix(40_000, mix="control"))
    assert len(frames) == 40_000
    assert [t for t, _ in frames] == sorted(t for t, _ in frames)
    kinds = [f[24] for _, f in frames]
    share = {k: kinds.count(k) / len(kinds) for k in set(kinds)}
    assert 0.27 < sum(share.get(k, 0) for k in (0xD4, 0x94, 0xB4, 0xC4)) < 0.33
    assert share[0x94] > 0.03  # Block Acks
    protected = sum(1 for _, f in frames if f[24] == 0x88 and f[25] & 0x40) / len(frames)
    assert 0.26 < protected < 0.32
    answered = sum(1 for (_, a), (_, b) in zip(frames, frames[1:], strict=False)
                   if a[24] == 0x88 and b[24] in (0xD4, 0x94) and b[28:34] == a[34:40])
    assert answered > 0.1 * len(frames)  # an ACK or Block Ack to the data frame's transmitter
