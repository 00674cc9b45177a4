"""Encoders: byte layouts checked against the standard's tables (DOMAIN §1, §2, §5)."""

from __future__ import annotations

import struct
import zlib

from analyzer.crypto.keys import derive_ptk
from analyzer.crypto.mic import verify_eapol_mic
from analyzer.simulate.eapol import KEY_INFO, KeyMessage, eapol_key
from analyzer.simulate.frames import (
    RADIOTAP_LEN,
    Radio,
    auth,
    mac,
    on_air,
    set_seq,
)

AP = mac("00:1f:f3:c0:89:0f")
STA = mac("00:21:6a:5b:4c:3d")


def test_radiotap_fields_sit_at_their_aligned_offsets() -> None:
    """TSFT|Flags|Rate|Channel|Signal|Antenna -> offsets 8/16/17/18/22/23, frame at it_len."""
    frame = auth(AP, STA, AP, 0, 1)
    buf = on_air(frame, Radio(123456789, 5300, -61, 12))
    version, _, it_len, present = struct.unpack_from("<BBHI", buf)
    assert (version, it_len, present) == (0, RADIOTAP_LEN, 0x82F)
    assert struct.unpack_from("<Q", buf, 8)[0] == 123456789
    assert buf[16] == 0x10 and buf[17] == 12
    assert struct.unpack_from("<HHb", buf, 18) == (5300, 0x0140, -61)
    assert buf[it_len : it_len + len(frame)] == frame


def test_fcs_is_the_little_endian_crc32_and_a_bad_one_is_flagged() -> None:
    frame = auth(AP, STA, AP, 0, 1)
    good = on_air(frame, Radio(0, 2412, -40, 2))
    assert good[-4:] == struct.pack("<I", zlib.crc32(frame))
    bad = on_air(frame, Radio(0, 2412, -40, 2), bad_fcs=True)
    assert bad[16] & 0x50 == 0x50 and bad[-4:] != good[-4:]


def test_set_seq_writes_sequence_number_and_retry_bit() -> None:
    frame = set_seq(auth(AP, STA, AP, 0, 1), 0xABC, retry=True)
    assert frame[1] & 0x08
    assert struct.unpack_from("<H", frame, 22)[0] == 0xABC << 4
    assert not set_seq(frame, 1)[1] & 0x08


def test_key_information_values_match_hostapd_for_descriptor_version_2() -> None:
    """DOMAIN §5: v2 M1 008A, M2 010A, M3 13CA, M4 030A, G1 1382, G2 0302."""
    want = {"m1": 0x008A, "m2": 0x010A, "m3": 0x13CA, "m4": 0x030A, "g1": 0x1382, "g2": 0x0302}
    assert {k: v | 2 for k, v in KEY_INFO.items()} == want


def test_eapol_key_mic_verifies_with_the_kck_and_covers_the_frame() -> None:
    ptk = derive_ptk(bytes(range(32)), AP, STA, b"\x01" * 32, b"\x02" * 32)
    frame = eapol_key(KeyMessage("m2", 2, 1, b"\x02" * 32, b"\x30\x00"), ptk.kck, 2, 1)
    assert verify_eapol_mic(ptk.kck, frame, 2)
    tampered = frame[:-1] + b"\x01"
    assert not verify_eapol_mic(ptk.kck, tampered, 2)
