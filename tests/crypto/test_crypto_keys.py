"""Key hierarchy against published vectors (hostap, iwd, hashcat, IEEE 802.11 Annex J)."""

from __future__ import annotations

import pytest

from analyzer.crypto.keys import (
    SAE_GROUP_ORDERS,
    derive_ptk,
    ft_pmk_r0,
    ft_pmk_r1,
    ft_ptk,
    kdf,
    pmk_from_passphrase,
    pmkid,
    prf,
    prf_sha1,
    sae_pmkid,
    sae_pmkid_from_commits,
)

h = bytes.fromhex

# hostap src/crypto/crypto_module_tests.c / tests/test_sha1.c, iwd unit/test-crypto.c
PBKDF2_VECTORS = [
    ("password", b"IEEE", "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"),
    (
        "ThisIsAPassword",
        b"ThisIsASSID",
        "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af",
    ),
    (
        "a" * 32,
        b"Z" * 32,
        "becb93866bb8c3832cb777c2f559807c8c59afcb6eae734885001300a981cc62",
    ),
]


@pytest.mark.parametrize(("passphrase", "ssid", "psk"), PBKDF2_VECTORS)
def test_pbkdf2_matches_hostap_vector(passphrase: str, ssid: bytes, psk: str) -> None:
    """PSK = PBKDF2-HMAC-SHA1(passphrase, SSID, 4096, 256 bits)."""
    assert pmk_from_passphrase(passphrase, ssid).hex() == psk
    assert pmk_from_passphrase(passphrase.encode(), ssid).hex() == psk


# hostap tests/test_sha1.c: sha1_prf(key, "prefix", data, 64)
PRF_SHA1_VECTORS = [
    (
        b"\x0b" * 20,
        b"Hi There",
        "bcd4c650b30b9684951829e0d75f9d54b862175ed9f00606e17d8da35402ffee"
        "75df78c3d31e0f889f012120c0862beb67753e7439ae242edb8373698356cf5a",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "51f4de5b33f249adf81aeb713a3c20f4fe631446fabdfa58244759ae58ef9009"
        "a99abf4eac2ca5fa87e692c440eb40023e7babb206d61de7b92f41529092b8fc",
    ),
]


@pytest.mark.parametrize(("key", "data", "expected"), PRF_SHA1_VECTORS)
def test_prf_sha1_matches_hostap_vector(key: bytes, data: bytes, expected: str) -> None:
    """PRF-SHA1 is HMAC-SHA1(K, label || 00 || data || i) for i = 0, 1, ... truncated."""
    assert prf_sha1(key, b"prefix", data, 64).hex() == expected
    assert prf(key, b"prefix", data, 512).hex() == expected
    assert prf_sha1(key, b"prefix", data, 20).hex() == expected[:40]


def test_kdf_counts_from_one_and_appends_length_in_bits() -> None:
    """Block i is HMAC(K, LE16(i) || label || context || LE16(bits)), i counting from 1."""
    import hmac

    first = hmac.new(b"k", b"\x01\x00" + b"L" + b"ctx" + (384).to_bytes(2, "little"), "sha256")
    out = kdf(b"k", b"L", b"ctx", 384)
    assert len(out) == 48
    assert out[:32] == first.digest()
    assert kdf(b"k", b"L", b"ctx", 256) != out[:32]
    assert prf(b"k", b"L", b"ctx", 384, "sha256") == out


# iwd unit/test-crypto.c, PTK test cases 1/2 (AA a0:a1:a1:a3:a4:a5 sic) and 3/4
AA_1, SPA_1 = h("a0a1a1a3a4a5"), h("b0b1b2b3b4b5")
SNONCE_1 = h("c0c1c2c3c4c5c6c7c8c9d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5")
ANONCE_1 = h("e0e1e2e3e4e5e6e7e8e9f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405")


def test_ptk_matches_iwd_vector_for_ccmp_and_tkip() -> None:
    """PTK = PRF-SHA1(PMK, "Pairwise key expansion", sorted MACs || sorted nonces)."""
    pmk = pmk_from_passphrase("ThisIsAPassword", b"ThisIsASSID")
    ccmp = derive_ptk(pmk, AA_1, SPA_1, ANONCE_1, SNONCE_1, akm=2, cipher=4)
    tkip = derive_ptk(pmk, AA_1, SPA_1, ANONCE_1, SNONCE_1, akm=2, cipher=2)
    assert ccmp.kck.hex() == "379f9852d0199236b94e407ce4c00ec8"
    assert ccmp.kek.hex() == "47c9edc01c2c6e5b4910caddfb3e51a7"
    assert ccmp.tk.hex() == "b2360c79e9710fdd58bea93deaf06599"
    assert tkip.tk.hex() == ("b2360c79e9710fdd58bea93deaf06599db980afbc29c152855740a6ce5ae3827")


def test_ptk_is_symmetric_in_authenticator_and_supplicant_inputs() -> None:
    """Min/Max ordering makes the PTK independent of which side is called AA."""
    pmk = bytes(range(32))
    assert derive_ptk(pmk, AA_1, SPA_1, ANONCE_1, SNONCE_1) == derive_ptk(
        pmk, SPA_1, AA_1, SNONCE_1, ANONCE_1
    )


@pytest.mark.parametrize(
    ("pmk", "aa", "spa", "snonce", "anonce", "kck", "kek", "tk"),
    [
        (
            "9e9988bde2cba74395c0289ffda07bc41ffa889a3309237a2240c934bcdc7ddb",
            "000c41d294fb",
            "000d3a2610fb",
            "893ee551214557fff3c076ac977915a2060727038e9bea9b6619a5bab40f89c1",
            "dabdc104d457411aee338c00fa8a1f32abfc6cfb794360adce3afb5d159a51f6",
            "ccbf97a82b5c51a44325a77e9bc57050",
            "daec5438430f00eb893d84d8b4b4b5e8",
            "19f4dce0cc5f2166e94fdb3eaf68eb7680f4e2646e6d9e36260d89ffbf24ee7e",
        ),
        (
            "6fe857c0b742dfc2da8a1fe8b1b4b4628d9fbbb060826b83cb43b64b13e103e8",
            "00146c7e4080",
            "001346fe320c",
            "59168bc3a5df18d71efb6423f340088dab9e1ba2bbc58659e07b3764b0de8570",
            "225854b0444de3af06d1492b852984f04cf6274c0e3218b8681756864db7a055",
            "9a75ef0bde7c209ccae13f54b1b33ea3",
            "fa0166166e30811f1baaff8d1c1ac163",
            "82a49b50b86088c5cb793b542661a28a64693c72b86673e0a82d48c74768cbf9",
        ),
    ],
    ids=["iwd-3", "iwd-4"],
)
def test_ptk_matches_iwd_tkip_vectors(
    pmk: str, aa: str, spa: str, snonce: str, anonce: str, kck: str, kek: str, tk: str
) -> None:
    """TKIP PTK (64 bytes): KCK || KEK || 32-byte TK."""
    ptk = derive_ptk(h(pmk), h(aa), h(spa), h(anonce), h(snonce), cipher=2)
    assert (ptk.kck.hex(), ptk.kek.hex(), ptk.tk.hex()) == (kck, kek, tk)


def test_sae_ptk_with_kdk_matches_ieee_annex_j13() -> None:
    """AKM 8 uses KDF-SHA256; a KDK lengthens the PTK (IEEE 802.11-2024 J.13 via hostap)."""
    ptk = derive_ptk(
        h("def43e5567e01ca6649265f19a290eeff8bd888f6c1d9cc9d10f04bd378f3cad"),
        h("c0ffd4a8dbc1"),
        h("00904c01c107"),
        h("be7a1ca284347b5bd67dbd2dfdb4d99f1afae0b88ba18e008718417e4b27ef5f"),
        h("404b012ffb43ed0fb43ea1f287c91f2506d21b4a92d74b5ea50c943350ce8671"),
        akm=8,
        cipher=4,
        kdk_len=32,
    )
    assert ptk.kck.hex() == "cd7b9e7555362df0b63568484a8112f5"
    assert ptk.kek.hex() == "99cad3588da0f1e63fd190191039bb4b"
    assert ptk.tk.hex() == "9e2e9377e7532e737a1bc250fe194a03"
    assert ptk.kdk.hex() == "6c7fb97ceb55b01acff00f070942bdf5291feb4bee38e0365b25a250bb2ac9ff"


def test_sha384_akm_ptk_has_24_byte_kck_and_32_byte_kek() -> None:
    """Suite-B-192 / 802.1X-SHA384 split the PTK as KCK 24, KEK 32 (hostap wpa_kck_len)."""
    ptk = derive_ptk(bytes(48), AA_1, SPA_1, ANONCE_1, SNONCE_1, akm=12, cipher=9)
    assert (len(ptk.kck), len(ptk.kek), len(ptk.tk)) == (24, 32, 32)


def test_pmkid_matches_hashcat_22000_example() -> None:
    """PMKID = Truncate-128(HMAC-SHA1(PMK, "PMK Name" || AA || SPA)) (hashcat module_22000)."""
    pmk = pmk_from_passphrase("hashcat!", b"hashcat-essid")
    assert pmk.hex().startswith("88f43854")
    assert pmk.hex().endswith("f39535dc")
    assert pmkid(pmk, h("fc690c158264"), h("f4747f87f9f4")).hex() == (
        "4d4fe7aac3a2cecab195321ceb99a7d0"
    )


def test_pmkid_uses_sha256_for_sha256_akms() -> None:
    """AKM 6 (PSK-SHA256) keys the same input with HMAC-SHA256."""
    import hmac

    pmk, aa, spa = bytes(32), AA_1, SPA_1
    want = hmac.new(pmk, b"PMK Name" + aa + spa, "sha256").digest()[:16]
    assert pmkid(pmk, aa, spa, akm=6) == want != pmkid(pmk, aa, spa, akm=2)


# IEEE 802.11-2020 J.10 SAE vector via hostap src/common/common_module_tests.c sae_tests()
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SAE_LOCAL_RAND = 0x992465FD3DAA3C60AA6565B7F62A2A7F2E12DD12F198FAF4FBED89D7FF1ACE94
SAE_LOCAL_MASK = 0x9507A90F777A044D6A0830B91EA3D5DD70BECE44E1ACFFB86983B5E1BF9FB322
SAE_LOCAL_SCALAR = 0x2E2C0F0DB52440AD146D967114CE005CE1EAB0AA2C2E5C2871B774F6C2575C65
SAE_PEER_SCALAR = 0x591B96F3397FB945100848E7B550543B6720D88337EE93FC49FD6DF7E08B5223


def test_sae_pmkid_matches_ieee_annex_j10() -> None:
    """PMKID = first 128 bits of (scalar + peer scalar) mod r ("mekmitasdigoat"/"byteme")."""
    assert (SAE_LOCAL_RAND + SAE_LOCAL_MASK) % P256_ORDER == SAE_LOCAL_SCALAR
    got = sae_pmkid(SAE_LOCAL_SCALAR, SAE_PEER_SCALAR, P256_ORDER)
    assert got.hex() == "8747a600eea3f9f22475df58ca1e5498"
    assert sae_pmkid(SAE_PEER_SCALAR, SAE_LOCAL_SCALAR, P256_ORDER) == got


def test_sae_pmkid_keeps_leading_zero_bytes_of_the_sum() -> None:
    """The sum is encoded at the order's length, so a small sum starts with zeros."""
    assert sae_pmkid(1, 2, P256_ORDER) == bytes(16)
    assert sae_pmkid(P256_ORDER - 1, 1, P256_ORDER) == bytes(16)


# hashcat src/modules/module_37100.c ST_HASH (FT-PSK, password "12345678")
FT_SSID = b"test-ft-psk"
FT_AP, FT_STA = h("020000000000"), h("020000000100")
FT_R0KH_ID, FT_R1KH_ID, FT_MDID = b"wireshark-ft-psk", h("020000000000"), h("0102")
FT_ANONCE = h("eb131d608a197829340c645c3bf30df2c0c8e818e9e31c560af630664a21a009")
FT_SNONCE = h("b44919486bacb36befb4ab90c14e639bc5027cca16d62a1525c2424e6ac7d2fe")
FT_PMKR1NAME_IN_M2 = "3378f874c1930b599405d3de4b6e05cc"


def test_ft_pmk_r1_name_matches_the_pmkid_in_a_real_ft_psk_m2() -> None:
    """PMKR0Name/PMKR1Name chain reproduces the PMKID the STA put in its M2 RSNE."""
    psk = pmk_from_passphrase("12345678", FT_SSID)
    pmk_r0, r0_name = ft_pmk_r0(psk, FT_SSID, FT_MDID, FT_R0KH_ID, FT_STA)
    pmk_r1, r1_name = ft_pmk_r1(pmk_r0, r0_name, FT_R1KH_ID, FT_STA)
    assert (len(pmk_r0), len(pmk_r1)) == (32, 32)
    assert r1_name.hex() == FT_PMKR1NAME_IN_M2


def test_ft_mdid_int_is_the_mde_u16_read_little_endian() -> None:
    """MDID bytes 01 02 on the air are the int 0x0201."""
    psk = bytes(32)
    assert ft_pmk_r0(psk, FT_SSID, 0x0201, FT_R0KH_ID, FT_STA) == ft_pmk_r0(
        psk, FT_SSID, FT_MDID, FT_R0KH_ID, FT_STA
    )


def test_ft_ptk_is_unsorted_snonce_first() -> None:
    """FT-PTK context is SNonce || ANonce || BSSID || STA, so swapping nonces changes keys."""
    pmk_r1 = bytes(range(32))
    a = ft_ptk(pmk_r1, FT_SNONCE, FT_ANONCE, FT_AP, FT_STA, bytes(16))
    b = ft_ptk(pmk_r1, FT_ANONCE, FT_SNONCE, FT_AP, FT_STA, bytes(16))
    assert a != b
    assert (len(a.kck), len(a.kek), len(a.tk)) == (16, 16, 16)


def test_ft_sha384_chain_uses_48_byte_keys() -> None:
    """FT-802.1X-SHA384: PMK-R0/R1 are 48 bytes; the PTK has KCK 24 and KEK 32."""
    pmk_r0, r0_name = ft_pmk_r0(bytes(48), FT_SSID, FT_MDID, FT_R0KH_ID, FT_STA, akm=13)
    pmk_r1, r1_name = ft_pmk_r1(pmk_r0, r0_name, FT_R1KH_ID, FT_STA)
    ptk = ft_ptk(pmk_r1, FT_SNONCE, FT_ANONCE, FT_AP, FT_STA, r1_name)
    assert (len(pmk_r0), len(pmk_r1), len(r1_name)) == (48, 48, 16)
    assert (len(ptk.kck), len(ptk.kek)) == (24, 32)


def test_unknown_cipher_is_rejected() -> None:
    """A PTK needs a TK length; an unknown pairwise cipher is a caller error."""
    with pytest.raises(ValueError, match="cipher"):
        derive_ptk(bytes(32), AA_1, SPA_1, ANONCE_1, SNONCE_1, cipher=99)


def test_sae_pmkid_from_the_commit_scalars_of_a_real_exchange() -> None:
    """wpa3-sae.pcapng (Wireshark test capture): commit scalars of frames 5 (STA) and 6 (AP),
    group 19; M1's PMKID KDE (frame 12) is 4d0569c1c178db7de2416e0d4a132fd9."""
    sta = h("13405cf60063c3b399e8ff55f28c2f11148d1bb88d983f0039751330455985cd")
    ap = h("39c50ccbc11517ca48586eb7578700c896c0093dd28dd727b3fc3e9f28c16328")
    assert sae_pmkid_from_commits(19, sta, ap) == h("4d0569c1c178db7de2416e0d4a132fd9")
    assert sae_pmkid_from_commits(19, ap, sta) == sae_pmkid_from_commits(19, sta, ap)


def test_sae_pmkid_from_commits_is_none_for_a_group_without_a_known_order() -> None:
    assert sae_pmkid_from_commits(15, b"\x01" * 384, b"\x02" * 384) is None


@pytest.mark.parametrize(("group", "bits"), [(19, 256), (20, 384), (21, 521)])
def test_sae_group_orders_are_the_nist_curve_orders(group: int, bits: int) -> None:
    """(r - 1)·G = -G on the curve: r is the order (checked with `cryptography`)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    curve = {19: ec.SECP256R1(), 20: ec.SECP384R1(), 21: ec.SECP521R1()}[group]
    r = SAE_GROUP_ORDERS[group]
    minus_g = ec.derive_private_key(r - 1, curve).public_key().public_numbers()
    g = ec.derive_private_key(1, curve).public_key().public_numbers()
    assert r.bit_length() == bits and minus_g.x == g.x and minus_g.y != g.y


@pytest.mark.parametrize(
    ("akm", "cipher", "lengths"),
    [
        (2, 4, (16, 16, 16)), (2, 9, (16, 16, 32)), (6, 10, (16, 16, 32)),
        (11, 8, (16, 16, 16)), (12, 9, (24, 32, 32)), (20, 10, (24, 32, 32)),
    ],
)
def test_ptk_parts_take_kck_kek_from_the_akm_and_tk_from_the_cipher(
    akm: int, cipher: int, lengths: tuple[int, int, int]
) -> None:
    """IEEE 802.11-2020 12.7.1.3 / hostap wpa_pmk_to_ptk: KCK/KEK by AKM, TK by cipher."""
    pmk = bytes(48 if akm in (12, 20) else 32)
    ptk = derive_ptk(pmk, b"\x01" * 6, b"\x02" * 6, b"\x03" * 32, b"\x04" * 32, akm, cipher)
    assert (len(ptk.kck), len(ptk.kek), len(ptk.tk)) == lengths


def test_kdf_ptk_changes_every_byte_with_the_tk_length() -> None:
    """KDF-SHA-256 hashes the output length in: CCMP-128 and GCMP-256 PTKs share no KCK,
    while PRF-SHA-1 (AKM 2) only lengthens its output."""
    args = (bytes(32), b"\x01" * 6, b"\x02" * 6, b"\x03" * 32, b"\x04" * 32)
    assert derive_ptk(*args, 6, 4).kck != derive_ptk(*args, 6, 9).kck
    assert derive_ptk(*args, 2, 4).kck == derive_ptk(*args, 2, 9).kck
