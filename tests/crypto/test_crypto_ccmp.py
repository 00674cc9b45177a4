"""CCMP and AES key wrap against IEEE 802.11 annex vectors and RFC 3394."""

from __future__ import annotations

import pytest

from analyzer.crypto.ccmp import (
    aes_unwrap,
    aes_wrap,
    ccmp_aad,
    ccmp_decrypt,
    ccmp_encrypt,
    ccmp_header,
    ccmp_key_id,
    ccmp_nonce,
    ccmp_pn,
    gcmp_decrypt,
    gcmp_encrypt,
    gcmp_nonce,
    pad_key_data,
    protect,
    strip_key_data_padding,
    unprotect,
)

h = bytes.fromhex

# (name, TK, PN, key id, MAC header, plaintext, CCMP header || ciphertext || MIC).
# 1, 2, 6, 7: "CCMP test mpdu" 1/2/6/7 of IEEE 802.11i D7.0 I.7.4 as kept in FreeBSD
# tools/regression/net80211/ccmp/test_ccmp.c; #1 is also IEEE 802.11-2020 J.6.4.
# Test mpdus 3/4/5/8 are left out: they keep the Order bit of QoS frames in the AAD,
# which 802.11-2012 and later mask. "mgmt" is 802.11-2012 M.9.2 (protected unicast
# deauth); its output was computed with hostap wlantest test_vectors by a third party
# and is matched here independently.
CCMP_VECTORS = [
    (
        "J.6.4-data",
        "c97c1f67ce371185514a8a19f2bdd52f",
        0xB5039776E70C,
        0,
        "0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033",
        "f8ba1a55d02f85ae967bb62fb6cda8eb7e78a050",
        "0ce70020769703b5f3d0a2fe9a3dbf2342a643e43246e80c3c04d0197845ce0b16f97623",
    ),
    (
        "mpdu2-order-non-qos",
        "8f7a053fa577a5597529272097a603d5",
        0x31F3CBBA97EA,
        2,
        "38c06a51ea100c846850eec1762c88deaf2ee9f46a07e0cc",
        "83a0634b5ed7627eb9df225e05740342de194117",
        "ea9700a0bacbf331814b6965d05bf2b2ed38d4beb069fe82714a610b542fbf8da06aa4ae",
    ),
    (
        "mpdu6-qos-tid13",
        "f71eea4e1f58804b9717230ad0614641",
        0x6B81ECA48989,
        1,
        "8852e11f5af28430fdabbff943b9f9a6ab1d98c7fe7350713d6a",
        "abfda22d3a0bfc9cc1fc079363c2fca143e6eb1d",
        "89890060a4ec816b9a709b60a39d40b1dfb612e18b5f114badb6cc86309a8d5c466bbb71",
    ),
    (
        "mpdu7-tods-moredata",
        "1bdb34980e038124a1db1a892bec366a",
        0x5EEC4073E723,
        3,
        "187981469b50f4fd56f6efec9520169183570c4ccdee20a0",
        "98beca86f4b38da20cfdf24724c58eb835665339",
        "23e700e07340ec5e12c537ebf3ab584ef1fef9a1f3547a8c13b3225a2d0957ecfabe95b9",
    ),
    (
        "M.9.2-mgmt-deauth",
        "66ed21042f9f26d7115706e40414cf2e",
        1,
        0,
        "c00000000200000001000200000000000200000000006000",
        "0200",
        "01000020000000001d07cafd0409bb8bafef",
    ),
]


@pytest.mark.parametrize(
    ("tk", "pn", "key_id", "hdr", "plain", "body"),
    [v[1:] for v in CCMP_VECTORS],
    ids=[v[0] for v in CCMP_VECTORS],
)
def test_ccmp_matches_ieee_test_mpdu(
    tk: str, pn: int, key_id: int, hdr: str, plain: str, body: str
) -> None:
    """Encrypting the plaintext MPDU gives the published protected body, and back."""
    assert ccmp_encrypt(h(tk), h(hdr), pn, h(plain), key_id).hex() == body
    assert ccmp_decrypt(h(tk), h(hdr), h(body)) == h(plain)
    assert (ccmp_pn(h(body)), ccmp_key_id(h(body))) == (pn, key_id)


def test_ccmp_aad_and_nonce_match_annex_j64() -> None:
    """AAD masks Retry and the sequence number, sets Protected; nonce = 00 || A2 || PN."""
    hdr = h("0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033")
    assert ccmp_aad(hdr).hex() == "08400fd2e128a57c5030f1844408abaea5b8fcba0000"
    assert ccmp_nonce(hdr, 0xB5039776E70C).hex() == "005030f1844408b5039776e70c"
    assert ccmp_header(0xB5039776E70C).hex() == "0ce70020769703b5"


def test_ccmp_aad_of_qos_data_keeps_only_tid_and_masks_order() -> None:
    """QoS data: subtype bits, Order and QC bits 4-15 masked; the TID goes into the nonce."""
    # IEEE 802.11i D7.0 test mpdu 5: QoS data, Order set, QC 0x000b
    hdr = h("88da184145dec69a7480f351946bc96be276fbe6c12780f24b19")
    assert ccmp_aad(hdr).hex() == "8842" + "45dec69a7480f351946bc96be276fbe6c127" + "0000" + "0b00"
    assert ccmp_nonce(hdr, 0xA7FFE03C0E37).hex() == "0bf351946bc96ba7ffe03c0e37"


def test_ccmp_aad_includes_a4_for_four_address_frames() -> None:
    """ToDS = FromDS = 1: A4 follows the sequence control in the AAD."""
    a4 = h("aabbccddeeff")
    hdr = h("8843") + bytes(2) + bytes(range(18)) + h("1234") + a4 + h("0500")
    aad = ccmp_aad(hdr)
    assert aad[22:28] == a4 and aad[28:] == h("0500")
    assert ccmp_nonce(hdr, 1)[0] == 5


def test_ccmp_decrypt_rejects_wrong_key_and_tampering() -> None:
    """A wrong TK, a flipped bit or a missing ExtIV bit yields None."""
    _, tk, pn, kid, hdr, plain, _ = CCMP_VECTORS[0]
    body = ccmp_encrypt(h(tk), h(hdr), pn, h(plain), kid)
    assert ccmp_decrypt(bytes(16), h(hdr), body) is None
    assert ccmp_decrypt(h(tk), h(hdr), body[:-1] + bytes([body[-1] ^ 1])) is None
    assert ccmp_decrypt(h(tk), h(hdr), body[:3] + b"\x00" + body[4:]) is None
    assert ccmp_decrypt(h(tk), h(hdr), body[:10]) is None


def test_ccmp_256_round_trips_with_a_16_byte_mic() -> None:
    """A 32-byte TK selects CCMP-256 and its 16-byte MIC."""
    hdr = h("0841") + bytes(22)
    body = ccmp_encrypt(bytes(range(32)), hdr, 7, b"payload")
    assert len(body) == 8 + 7 + 16
    assert ccmp_decrypt(bytes(range(32)), hdr, body) == b"payload"


def test_aes_wrap_matches_rfc3394_4_1() -> None:
    """16 bytes need no padding: plain RFC 3394 wrap."""
    kek = h("000102030405060708090a0b0c0d0e0f")
    plain = h("00112233445566778899aabbccddeeff")
    wrapped = aes_wrap(kek, plain)
    assert wrapped.hex() == "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"
    assert aes_unwrap(kek, wrapped) == plain
    assert aes_unwrap(bytes(16), wrapped) is None


@pytest.mark.parametrize(
    ("length", "padded"), [(0, 16), (6, 16), (8, 16), (16, 16), (22, 24), (24, 24)]
)
def test_key_data_padding_is_dd_then_zeros_to_eight_and_at_least_sixteen(
    length: int, padded: int
) -> None:
    """802.11 12.7.2: pad with 0xdd 00.. when shorter than 16 or not a multiple of 8."""
    data = bytes([0x30, max(length - 2, 0)]) + bytes(max(length - 2, 0)) if length else b""
    out = pad_key_data(data)
    assert len(out) == padded
    if padded != length:
        assert out[length] == 0xDD and not any(out[length + 1 :])
    assert strip_key_data_padding(out) == data


def test_wrapped_gtk_kde_unwraps_to_padded_key_data() -> None:
    """aes_unwrap returns key data with its padding; strip_key_data_padding removes it."""
    kde = h("dd16000fac010100") + bytes(range(16))
    kek = bytes(range(16))
    assert strip_key_data_padding(aes_unwrap(kek, aes_wrap(kek, kde)) or b"") == kde


def _data_header() -> bytes:
    """QoS data, ToDS, protected: A1 BSSID, A2 STA, A3 DA, SC, QoS TID 3."""
    return (bytes([0x88, 0x41, 0, 0]) + bytes.fromhex("001122334401") +
            bytes.fromhex("020000000001") + bytes.fromhex("001122334455") + b"\x10\x00" +
            b"\x03\x00")


@pytest.mark.parametrize("tk_len", [16, 32])
def test_gcmp_round_trips_with_a_16_byte_mic_and_the_ccmp_header(tk_len: int) -> None:
    tk, hdr = bytes(range(tk_len)), _data_header()
    body = gcmp_encrypt(tk, hdr, 0x0102030405, b"hello gcmp")
    assert body[:8] == ccmp_header(0x0102030405) and len(body) == 8 + 10 + 16
    assert gcmp_decrypt(tk, hdr, body) == b"hello gcmp"
    assert gcmp_decrypt(bytes(tk_len), hdr, body) is None
    assert unprotect(8 if tk_len == 16 else 9, tk, hdr, body) == b"hello gcmp"


def test_gcmp_nonce_is_a2_then_the_pn_big_endian() -> None:
    assert gcmp_nonce(_data_header(), 0x0A0B0C0D0E0F) == (
        bytes.fromhex("020000000001") + bytes.fromhex("0a0b0c0d0e0f"))


def test_protect_picks_gcmp_for_suites_8_and_9_and_ccmp_otherwise() -> None:
    tk, hdr = bytes(range(32)), _data_header()
    assert protect(9, tk, hdr, 1, b"x") == gcmp_encrypt(tk, hdr, 1, b"x")
    assert protect(10, tk, hdr, 1, b"x") == ccmp_encrypt(tk, hdr, 1, b"x")
