"""RSN cryptography: key hierarchy, EAPOL/FT MICs, CCMP and key wrap. Pure functions.

The names below load their module on first use (PEP 562): the roam engine imports
`analyzer.crypto.keys` for every run, the `cryptography` package only when a MIC is checked or
a frame decrypted."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "aes_unwrap": "ccmp",
    "aes_wrap": "ccmp",
    "ccmp_decrypt": "ccmp",
    "ccmp_encrypt": "ccmp",
    "gcmp_decrypt": "ccmp",
    "gcmp_encrypt": "ccmp",
    "protect": "ccmp",
    "unprotect": "ccmp",
    "Ptk": "keys",
    "derive_ptk": "keys",
    "ft_pmk_r0": "keys",
    "ft_pmk_r1": "keys",
    "ft_ptk": "keys",
    "kdf": "keys",
    "pmk_from_passphrase": "keys",
    "pmkid": "keys",
    "prf": "keys",
    "prf_sha1": "keys",
    "sae_pmkid": "keys",
    "sae_pmkid_from_commits": "keys",
    "tk_length": "keys",
    "eapol_mic": "mic",
    "ft_mic": "mic",
    "mic_offset": "mic",
    "verify_eapol_mic": "mic",
    "verify_ft_mic": "mic",
    "zero_mic": "mic",
}

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
    "gcmp_decrypt",
    "gcmp_encrypt",
    "kdf",
    "mic_offset",
    "pmk_from_passphrase",
    "pmkid",
    "prf",
    "prf_sha1",
    "protect",
    "sae_pmkid",
    "sae_pmkid_from_commits",
    "tk_length",
    "unprotect",
    "verify_eapol_mic",
    "verify_ft_mic",
    "zero_mic",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from analyzer.crypto.ccmp import (
        aes_unwrap,
        aes_wrap,
        ccmp_decrypt,
        ccmp_encrypt,
        gcmp_decrypt,
        gcmp_encrypt,
        protect,
        unprotect,
    )
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
        sae_pmkid_from_commits,
        tk_length,
    )
    from analyzer.crypto.mic import (
        eapol_mic,
        ft_mic,
        mic_offset,
        verify_eapol_mic,
        verify_ft_mic,
        zero_mic,
    )
