"""RSN cryptography: key hierarchy, EAPOL/FT MICs, CCMP and key wrap. Pure functions."""

from analyzer.crypto.ccmp import aes_unwrap, aes_wrap, ccmp_decrypt, ccmp_encrypt
from analyzer.crypto.keys import (
    Ptk,
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
)
from analyzer.crypto.mic import eapol_mic, ft_mic, mic_offset, verify_eapol_mic, zero_mic

__all__ = [
    "Ptk",
    "aes_unwrap",
    "aes_wrap",
    "ccmp_decrypt",
    "ccmp_encrypt",
    "derive_ptk",
    "eapol_mic",
    "ft_mic",
    "ft_pmk_r0",
    "ft_pmk_r1",
    "ft_ptk",
    "kdf",
    "mic_offset",
    "pmk_from_passphrase",
    "pmkid",
    "prf",
    "prf_sha1",
    "sae_pmkid",
    "verify_eapol_mic",
    "zero_mic",
]
