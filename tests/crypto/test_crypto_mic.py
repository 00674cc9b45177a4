"""EAPOL-Key and FTE MICs against real handshakes (hashcat example hashes)."""

from __future__ import annotations

import hmac

import pytest

from analyzer.crypto.keys import derive_ptk, ft_pmk_r0, ft_pmk_r1, ft_ptk, pmk_from_passphrase
from analyzer.crypto.mic import (
    aes_cmac,
    eapol_mic,
    extract_mic,
    ft_mic,
    mic_offset,
    verify_eapol_mic,
    verify_ft_mic,
    zero_mic,
)

h = bytes.fromhex

# hashcat mode 22000 EAPOL example: "TP-LINK_HASHCAT_TEST" / "hashcat!", M2 with MIC zeroed
HC_AP, HC_STA = h("6466b38ec3fc"), h("225edc49b7aa")
HC_ANONCE = h("10e3be3b005a629e89de088d6a2fdc489db83ad4764f2d186b9cde15446e972e")
HC_SNONCE = h("48ce2ccba9c1fda130ff2fbbfb4fd3b063d1a93920b0f7df54a5cbf787b16171")
HC_RSNE = h("30140100000fac040100000fac040100000fac028000")
HC_MIC = "024022795224bffca545276c3762686f"


def hashcat_m2() -> bytes:
    """M2 = 802.1X header, key info 010a, replay counter 1, SNonce, zero IV/RSC/reserved/MIC."""
    return (
        h("0103007502010a")
        + h("0000")
        + (1).to_bytes(8, "big")
        + HC_SNONCE
        + bytes(16 + 8 + 8 + 16)
        + len(HC_RSNE).to_bytes(2, "big")
        + HC_RSNE
    )


def test_eapol_mic_v2_matches_hashcat_example() -> None:
    """Key descriptor v2: MIC = HMAC-SHA1(KCK, EAPOL frame with MIC zeroed)[:16]."""
    pmk = pmk_from_passphrase("hashcat!", b"TP-LINK_HASHCAT_TEST")
    kck = derive_ptk(pmk, HC_AP, HC_STA, HC_ANONCE, HC_SNONCE).kck
    assert kck.hex() == "57d0f2ff5faef56f9b94390aebf4474d"
    assert eapol_mic(kck, hashcat_m2(), key_version=2).hex() == HC_MIC


def test_verify_eapol_mic_accepts_the_carried_mic_and_rejects_a_wrong_kck() -> None:
    """verify_eapol_mic zeroes the MIC field itself before recomputing."""
    kck = h("57d0f2ff5faef56f9b94390aebf4474d")
    m2 = hashcat_m2()
    signed = m2[: mic_offset()] + h(HC_MIC) + m2[mic_offset() + 16 :]
    assert extract_mic(signed).hex() == HC_MIC
    assert zero_mic(signed) == m2
    assert verify_eapol_mic(kck, signed, key_version=2)
    assert not verify_eapol_mic(bytes(16), signed, key_version=2)
    assert not verify_eapol_mic(kck, signed[:60], key_version=2)


# hashcat src/modules/module_37100.c ST_HASH: FT-PSK M2 (key info 010b, v3 AES-CMAC)
FT_M2 = h(
    "010300fa02010b00000000000000000001b44919486bacb36befb4ab90c14e639bc5027cca16d62a"
    "1525c2424e6ac7d2fe00000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000009b30260100000fac040100000fac040100000fac0400"
    "0001003378f874c1930b599405d3de4b6e05cc3603010201376c0000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000010602000000000003107769"
    "7265736861726b2d66742d70736b"
)
FT_ANONCE = h("eb131d608a197829340c645c3bf30df2c0c8e818e9e31c560af630664a21a009")
FT_AP, FT_STA = h("020000000000"), h("020000000100")


def test_ft_psk_m2_mic_matches_hashcat_37100_example() -> None:
    """FT-PSK end to end: PSK -> PMK-R0 -> PMK-R1 -> FT-PTK -> AES-CMAC MIC of the M2."""
    ssid = b"test-ft-psk"
    psk = pmk_from_passphrase("12345678", ssid)
    pmk_r0, r0_name = ft_pmk_r0(psk, ssid, h("0102"), b"wireshark-ft-psk", FT_STA)
    pmk_r1, r1_name = ft_pmk_r1(pmk_r0, r0_name, FT_AP, FT_STA)
    ptk = ft_ptk(pmk_r1, FT_M2[17:49], FT_ANONCE, FT_AP, FT_STA, r1_name)
    assert eapol_mic(ptk.kck, FT_M2, key_version=3).hex() == "dd411684bd6e123bce3a606b2be06de2"


def test_eapol_mic_v1_is_hmac_md5() -> None:
    """Key descriptor v1 (WPA/TKIP): HMAC-MD5 over the frame."""
    kck, frame = bytes(range(16)), hashcat_m2()
    assert eapol_mic(kck, frame, 1) == hmac.new(kck, frame, "md5").digest()


@pytest.mark.parametrize(
    ("akm", "kck_len", "hash_name", "mic_len"),
    [
        (11, 16, "sha256", 16),
        (12, 24, "sha384", 24),
        (23, 24, "sha384", 24),
        (18, 16, "sha256", 16),
        (24, 24, "sha384", 24),
        (25, 32, "sha512", 32),
    ],
)
def test_akm_defined_v0_mic_uses_the_akm_hmac(
    akm: int, kck_len: int, hash_name: str, mic_len: int
) -> None:
    """v0: Suite-B HMAC-SHA256[:16], SHA-384 AKMs HMAC-SHA384[:24], OWE/SAE-EXT by KCK length."""
    kck, frame = bytes(range(kck_len)), hashcat_m2()
    want = hmac.new(kck, frame, hash_name).digest()[:mic_len]
    assert eapol_mic(kck, frame, 0, akm) == want


def test_sae_v0_mic_is_aes_cmac() -> None:
    """SAE / FT-SAE with key descriptor version 0 use AES-128-CMAC like v3."""
    kck, frame = bytes(range(16)), hashcat_m2()
    assert eapol_mic(kck, frame, 0, 8) == eapol_mic(kck, frame, 3) == aes_cmac(kck, frame)


def test_owe_mic_len_can_be_forced() -> None:
    """For AKMs 18/24/25 the caller may pick the MIC length found by trial decoding."""
    kck, frame = bytes(range(24)), hashcat_m2()
    assert eapol_mic(kck, frame, 0, 18, mic_len=24) == hmac.new(kck, frame, "sha384").digest()[:24]


def test_aes_cmac_matches_nist_sp800_38b_example() -> None:
    """OMAC1-AES-128 vector from SP 800-38B (also in hostap crypto_module_tests.c)."""
    key = h("2b7e151628aed2a6abf7158809cf4f3c")
    assert aes_cmac(key, b"").hex() == "bb1d6929e95937287fa37d129b756746"
    assert aes_cmac(key, h("6bc1bee22e409f96e93d7e117393172a")).hex() == (
        "070a16b46b4d4144f79bdd9dd04a287c"
    )


def test_ft_mic_covers_sta_ap_seq_and_elements_in_order() -> None:
    """FTE MIC = AES-CMAC(KCK, STA || AP || seq || RSNE || MDE || FTE(MIC=0) || RIC)."""
    kck = bytes(range(16))
    rsne, mde, fte = h("30020100"), h("3603010201"), h("3704") + bytes(4)
    want = aes_cmac(kck, FT_STA + FT_AP + b"\x05" + rsne + mde + fte)
    assert ft_mic(kck, FT_STA, FT_AP, 5, rsne, mde, fte) == want
    assert ft_mic(kck, FT_STA, FT_AP, 6, rsne, mde, fte) != want


def test_ft_mic_with_24_byte_kck_is_hmac_sha384() -> None:
    """FT-802.1X-SHA384 uses HMAC-SHA384 truncated to 24 bytes."""
    kck = bytes(range(24))
    data = FT_STA + FT_AP + b"\x06" + b"R" + b"M" + b"F"
    assert (
        ft_mic(kck, FT_STA, FT_AP, 6, b"R", b"M", b"F")
        == (hmac.new(kck, data, "sha384").digest()[:24])
    )


def test_verify_ft_mic_accepts_its_own_mic_and_rejects_a_flipped_bit() -> None:
    kck, sta, ap = bytes(range(16)), b"\x02" * 6, b"\x04" * 6
    rsne = bytes.fromhex("30140100000fac040100000fac040100000fac040000")
    mde = b"\x36\x03\x01\x02\x01"
    fte = bytes([55, 2 + 16 + 64, 0, 3]) + bytes(16) + b"\x11" * 32 + b"\x22" * 32
    mic = ft_mic(kck, sta, ap, 5, rsne, mde, fte)
    signed = fte[:4] + mic + fte[20:]
    assert verify_ft_mic(kck, sta, ap, 5, rsne, mde, signed)
    assert not verify_ft_mic(kck, sta, ap, 6, rsne, mde, signed)
    assert not verify_ft_mic(kck, sta, ap, 5, rsne, mde, signed[:5] + b"\x00" + signed[6:])


def test_verify_ft_mic_counts_the_rsnxe_when_present() -> None:
    kck, sta, ap = bytes(range(16)), b"\x02" * 6, b"\x04" * 6
    rsne, mde, rsnxe = b"\x30\x02\x01\x00", b"\x36\x03\x01\x02\x01", b"\xf4\x01\x20"
    fte = bytes([55, 82, 0, 4]) + bytes(16) + b"\x11" * 64
    mic = ft_mic(kck, sta, ap, 5, rsne, mde, fte, rsnxe=rsnxe)
    assert verify_ft_mic(kck, sta, ap, 5, rsne, mde, fte[:4] + mic + fte[20:], rsnxe)
