"""Key-management method of an attempt, from its signature (DOMAIN §8), and the frames that
method makes one expect."""

from __future__ import annotations

from analyzer.dot11.consts import Akm
from analyzer.roam.attempt import Attempt

_WPA_PSK = 2  # AKM 2 inside the WPA1 element is WPA-PSK
FT_AKMS = frozenset({Akm.FT_8021X, Akm.FT_PSK, Akm.FT_SAE, Akm.FT_8021X_SHA384,
                     Akm.FT_FILS_SHA256, Akm.FT_FILS_SHA384, Akm.FT_PSK_SHA384,
                     Akm.FT_8021X_SHA384_UNRESTRICTED, Akm.FT_SAE_EXT_KEY})
PSK_AKMS = frozenset({Akm.PSK, Akm.FT_PSK, Akm.PSK_SHA256, Akm.FT_PSK_SHA384, Akm.PSK_SHA384,
                      Akm.WPA_PSK})
SAE_AKMS = frozenset({Akm.SAE, Akm.FT_SAE, Akm.SAE_EXT_KEY, Akm.FT_SAE_EXT_KEY})
FILS_ALGS = frozenset({4, 5, 6})
NO_FOURWAY = frozenset({"ft_over_air", "ft_over_ds", "fils", "open"})
NO_EAP = frozenset({"pmksa_cache", "okc", "ft_over_air", "ft_over_ds", "sae",
                    "sae_pmksa_cache", "psk", "owe", "fils", "open"})

FOURWAY = ("M1", "M2", "M3", "M4")


def decide(att: Attempt, pmkid_known: bool | None) -> str:
    """The method; `pmkid_known` says whether an offered PMKID came before from this BSSID."""
    by_auth = _by_auth(att)
    if by_auth is not None:
        return by_auth
    if att.has_rsn is False:  # with Privacy and no RSNE/WPA element it is not open (WEP?)
        return "open" if att.auth_alg in (None, 0) and not att.privacy else "unknown"
    return _by_akm(att, pmkid_known)


def ft_reassociation(att: Attempt) -> bool:
    """A Reassociation Request under an FT AKM with MDE, FTE and a PMKR1Name: an FT
    transition, whether or not its FT Authentication (or FT Action) was captured."""
    return (att.akm in FT_AKMS and att.reassoc and att.mdid is not None and att.fte_in_request
            and bool(att.pmkids))  # fmt: skip


def _by_auth(att: Attempt) -> str | None:
    if att.via is not None:
        return "ft_over_ds"
    match att.auth_alg:
        case 2:
            return "ft_over_air"
        case None if ft_reassociation(att):
            return "ft_over_air"  # FT over the air is what clients do, and what expects least
        case 3:
            return "sae"
        case alg if alg in FILS_ALGS:
            return "fils"
    return None


def _by_akm(att: Attempt, pmkid_known: bool | None) -> str:
    akm = att.akm
    if akm is None:
        return "full_8021x" if att.eap_seen else "unknown"
    if akm in SAE_AKMS:
        return "sae_pmksa_cache" if att.pmkids else "sae"
    if akm == Akm.OWE:
        return "owe"
    if akm in PSK_AKMS or (att.wpa1 and akm == _WPA_PSK):
        return "psk"
    if att.eap_seen:
        return "full_8021x"
    if att.pmkids or att.m1_pmkid is not None:
        return "pmksa_cache" if pmkid_known else "okc"
    return "unknown"


def expected_frames(att: Attempt, method: str) -> tuple[str, ...]:
    """Frame names the method's exchange consists of, in order."""
    if method == "ft_over_ds":
        head: tuple[str, ...] = ("ft_request", "ft_response")
    elif att.still_authenticated:
        head = ()
    elif att.auth_alg is not None or method != "unknown":
        head = ("auth_req", "auth_resp")
    else:
        head = ()
    head += ("assoc_req", "assoc_resp")
    if method == "full_8021x":
        head += ("eap", "eap_success")
    if method in NO_FOURWAY:
        return head
    return head + FOURWAY
