"""IEEE 802.11-2020 code points the analyzer names, and lookups that never raise.

Names follow hostap `src/common/ieee802_11_defs.h` (WLAN_STATUS_*, WLAN_REASON_*, lower-cased)
so that they can be grepped against wpa_supplicant / hostapd logs.

AKM and cipher values are the suite *type* under the IEEE OUI 00-0F-AC (00-50-F2 inside the
WPA1 vendor element). Suites under any other OUI are encoded as `(oui << 8) | type`, which is
the big-endian u32 of the four suite octets: CCKM 00-40-96:0 is 0x00409600.
"""

from __future__ import annotations

from enum import IntEnum

OUI_IEEE = 0x000FAC
OUI_MICROSOFT = 0x0050F2  # WPA1 vendor element and its suites
OUI_CISCO = 0x004096
OUI_WFA = 0x506F9A


class StatusCode(IntEnum):
    """IEEE 802.11-2020 9.4.1.9 Table 9-50."""

    SUCCESS = 0
    UNSPECIFIED_FAILURE = 1
    TDLS_WAKEUP_ALTERNATE = 2
    TDLS_WAKEUP_REJECT = 3
    SECURITY_DISABLED = 5
    UNACCEPTABLE_LIFETIME = 6
    NOT_IN_SAME_BSS = 7
    CAPS_UNSUPPORTED = 10
    REASSOC_NO_ASSOC = 11
    ASSOC_DENIED_UNSPEC = 12
    NOT_SUPPORTED_AUTH_ALG = 13
    UNKNOWN_AUTH_TRANSACTION = 14
    CHALLENGE_FAIL = 15
    AUTH_TIMEOUT = 16
    AP_UNABLE_TO_HANDLE_NEW_STA = 17
    ASSOC_DENIED_RATES = 18
    ASSOC_DENIED_NOSHORT = 19
    SPEC_MGMT_REQUIRED = 22
    PWR_CAPABILITY_NOT_VALID = 23
    SUPPORTED_CHANNEL_NOT_VALID = 24
    ASSOC_DENIED_NO_SHORT_SLOT_TIME = 25
    ASSOC_DENIED_NO_HT = 27
    R0KH_UNREACHABLE = 28
    ASSOC_DENIED_NO_PCO = 29
    ASSOC_REJECTED_TEMPORARILY = 30
    ROBUST_MGMT_FRAME_POLICY_VIOLATION = 31
    UNSPECIFIED_QOS_FAILURE = 32
    DENIED_INSUFFICIENT_BANDWIDTH = 33
    DENIED_POOR_CHANNEL_CONDITIONS = 34
    DENIED_QOS_NOT_SUPPORTED = 35
    REQUEST_DECLINED = 37
    INVALID_PARAMETERS = 38
    REJECTED_WITH_SUGGESTED_CHANGES = 39
    INVALID_ELEMENT = 40
    INVALID_GROUP_CIPHER = 41
    INVALID_PAIRWISE_CIPHER = 42
    INVALID_AKMP = 43
    UNSUPPORTED_RSNE_VERSION = 44
    INVALID_RSNE_CAPABILITIES = 45
    CIPHER_OUT_OF_POLICY = 46
    TS_NOT_CREATED = 47
    DIRECT_LINK_NOT_ALLOWED = 48
    DEST_STA_NOT_PRESENT = 49
    DEST_STA_NOT_QOS_STA = 50
    ASSOC_DENIED_LISTEN_INT_TOO_LARGE = 51
    INVALID_FT_ACTION_FRAME_COUNT = 52
    INVALID_PMKID = 53
    INVALID_MDE = 54
    INVALID_FTE = 55
    TRY_ANOTHER_BSS = 58
    INVALID_RSNE = 72
    ANTI_CLOGGING_TOKEN_REQ = 76
    FINITE_CYCLIC_GROUP_NOT_SUPPORTED = 77
    REJECTED_WITH_SUGGESTED_BSS_TRANSITION = 82
    ASSOC_DENIED_NO_VHT = 104
    FILS_AUTHENTICATION_FAILURE = 112
    UNKNOWN_AUTHENTICATION_SERVER = 113
    UNKNOWN_PASSWORD_IDENTIFIER = 123
    DENIED_HE_NOT_SUPPORTED = 124
    SAE_HASH_TO_ELEMENT = 126
    SAE_PK = 127


class ReasonCode(IntEnum):
    """IEEE 802.11-2020 9.4.1.7 Table 9-49."""

    UNSPECIFIED = 1
    PREV_AUTH_NOT_VALID = 2
    DEAUTH_LEAVING = 3
    DISASSOC_DUE_TO_INACTIVITY = 4
    DISASSOC_AP_BUSY = 5
    CLASS2_FRAME_FROM_NONAUTH_STA = 6
    CLASS3_FRAME_FROM_NONASSOC_STA = 7
    DISASSOC_STA_HAS_LEFT = 8
    STA_REQ_ASSOC_WITHOUT_AUTH = 9
    PWR_CAPABILITY_NOT_VALID = 10
    SUPPORTED_CHANNEL_NOT_VALID = 11
    BSS_TRANSITION_DISASSOC = 12
    INVALID_IE = 13
    MICHAEL_MIC_FAILURE = 14
    FOURWAY_HANDSHAKE_TIMEOUT = 15  # hostap: 4WAY_HANDSHAKE_TIMEOUT
    GROUP_KEY_UPDATE_TIMEOUT = 16
    IE_IN_4WAY_DIFFERS = 17
    GROUP_CIPHER_NOT_VALID = 18
    PAIRWISE_CIPHER_NOT_VALID = 19
    AKMP_NOT_VALID = 20
    UNSUPPORTED_RSN_IE_VERSION = 21
    INVALID_RSN_IE_CAPAB = 22
    IEEE_802_1X_AUTH_FAILED = 23
    CIPHER_SUITE_REJECTED = 24
    TDLS_TEARDOWN_UNREACHABLE = 25
    TDLS_TEARDOWN_UNSPECIFIED = 26
    SSP_REQUESTED_DISASSOC = 27
    NO_SSP_ROAMING_AGREEMENT = 28
    BAD_CIPHER_OR_AKM = 29
    NOT_AUTHORIZED_THIS_LOCATION = 30
    SERVICE_CHANGE_PRECLUDES_TS = 31
    UNSPECIFIED_QOS_REASON = 32
    NOT_ENOUGH_BANDWIDTH = 33
    DISASSOC_LOW_ACK = 34
    EXCEEDED_TXOP = 35
    STA_LEAVING = 36
    END_TS_BA_DLS = 37
    UNKNOWN_TS_BA = 38
    TIMEOUT = 39
    PEERKEY_MISMATCH = 45
    AUTHORIZED_ACCESS_LIMIT_REACHED = 46
    EXTERNAL_SERVICE_REQUIREMENTS = 47
    INVALID_FT_ACTION_FRAME_COUNT = 48
    INVALID_PMKID = 49
    INVALID_MDE = 50
    INVALID_FTE = 51
    MESH_PEERING_CANCELLED = 52
    MESH_MAX_PEERS = 53
    MESH_CONFIG_POLICY_VIOLATION = 54
    MESH_CLOSE_RCVD = 55
    MESH_MAX_RETRIES = 56
    MESH_CONFIRM_TIMEOUT = 57
    MESH_INVALID_GTK = 58
    MESH_INCONSISTENT_PARAMS = 59
    MESH_INVALID_SECURITY_CAP = 60
    MESH_PATH_ERROR_NO_PROXY_INFO = 61
    MESH_PATH_ERROR_NO_FORWARDING_INFO = 62
    MESH_PATH_ERROR_DEST_UNREACHABLE = 63
    MAC_ADDRESS_ALREADY_EXISTS_IN_MBSS = 64
    MESH_CHANNEL_SWITCH_REGULATORY_REQ = 65
    MESH_CHANNEL_SWITCH_UNSPECIFIED = 66


class AuthAlgorithm(IntEnum):
    """IEEE 802.11-2020 9.4.1.1 (Authentication Algorithm Number)."""

    OPEN = 0
    SHARED_KEY = 1
    FT = 2
    SAE = 3
    FILS_SK = 4
    FILS_SK_PFS = 5
    FILS_PK = 6
    PASN = 7


class Akm(IntEnum):
    """IEEE 802.11-2020 9.4.2.24.3 Table 9-151 (AKM suite selectors), plus vendor suites."""

    IEEE8021X = 1
    PSK = 2
    FT_8021X = 3
    FT_PSK = 4
    IEEE8021X_SHA256 = 5
    PSK_SHA256 = 6
    TDLS = 7
    SAE = 8
    FT_SAE = 9
    SUITE_B = 11
    SUITE_B_192 = 12
    FT_8021X_SHA384 = 13
    FILS_SHA256 = 14
    FILS_SHA384 = 15
    FT_FILS_SHA256 = 16
    FT_FILS_SHA384 = 17
    OWE = 18
    FT_PSK_SHA384 = 19
    PSK_SHA384 = 20
    PASN = 21
    FT_8021X_SHA384_UNRESTRICTED = 22
    IEEE8021X_SHA384 = 23
    SAE_EXT_KEY = 24
    FT_SAE_EXT_KEY = 25
    CCKM = (OUI_CISCO << 8) | 0
    DPP = (OUI_WFA << 8) | 2
    # 00-50-F2 suites inside an RSNE; inside the WPA1 element they decode to 1 / 2.
    WPA_8021X = (OUI_MICROSOFT << 8) | 1
    WPA_PSK = (OUI_MICROSOFT << 8) | 2


_AKM_NAMES: dict[int, str] = {
    Akm.IEEE8021X: "802.1X",
    Akm.PSK: "PSK",
    Akm.FT_8021X: "FT-802.1X",
    Akm.FT_PSK: "FT-PSK",
    Akm.IEEE8021X_SHA256: "802.1X-SHA256",
    Akm.PSK_SHA256: "PSK-SHA256",
    Akm.TDLS: "TDLS",
    Akm.SAE: "SAE",
    Akm.FT_SAE: "FT-SAE",
    Akm.SUITE_B: "SuiteB",
    Akm.SUITE_B_192: "SuiteB-192",
    Akm.FT_8021X_SHA384: "FT-802.1X-SHA384",
    Akm.FILS_SHA256: "FILS-SHA256",
    Akm.FILS_SHA384: "FILS-SHA384",
    Akm.FT_FILS_SHA256: "FT-FILS-SHA256",
    Akm.FT_FILS_SHA384: "FT-FILS-SHA384",
    Akm.OWE: "OWE",
    Akm.FT_PSK_SHA384: "FT-PSK-SHA384",
    Akm.PSK_SHA384: "PSK-SHA384",
    Akm.PASN: "PASN",
    Akm.FT_8021X_SHA384_UNRESTRICTED: "FT-802.1X-SHA384-unrestricted",
    Akm.IEEE8021X_SHA384: "802.1X-SHA384",
    Akm.SAE_EXT_KEY: "SAE-EXT-KEY",
    Akm.FT_SAE_EXT_KEY: "FT-SAE-EXT-KEY",
    Akm.CCKM: "CCKM",
    Akm.DPP: "DPP",
    Akm.WPA_8021X: "WPA-802.1X",
    Akm.WPA_PSK: "WPA-PSK",
}

_WPA1_AKM_NAMES = {1: "WPA-802.1X", 2: "WPA-PSK"}


class Cipher(IntEnum):
    """IEEE 802.11-2020 9.4.2.24.2 Table 9-149 (cipher suite selectors)."""

    USE_GROUP = 0
    WEP40 = 1
    TKIP = 2
    CCMP = 4
    WEP104 = 5
    BIP_CMAC_128 = 6
    NO_GROUP_TRAFFIC = 7
    GCMP = 8
    GCMP_256 = 9
    CCMP_256 = 10
    BIP_GMAC_128 = 11
    BIP_GMAC_256 = 12
    BIP_CMAC_256 = 13


_CIPHER_NAMES: dict[int, str] = {
    Cipher.USE_GROUP: "use-group",
    Cipher.WEP40: "WEP-40",
    Cipher.TKIP: "TKIP",
    Cipher.CCMP: "CCMP",
    Cipher.WEP104: "WEP-104",
    Cipher.BIP_CMAC_128: "BIP-CMAC-128",
    Cipher.NO_GROUP_TRAFFIC: "no-group-traffic",
    Cipher.GCMP: "GCMP",
    Cipher.GCMP_256: "GCMP-256",
    Cipher.CCMP_256: "CCMP-256",
    Cipher.BIP_GMAC_128: "BIP-GMAC-128",
    Cipher.BIP_GMAC_256: "BIP-GMAC-256",
    Cipher.BIP_CMAC_256: "BIP-CMAC-256",
}


class ActionCategory(IntEnum):
    """IEEE 802.11-2020 9.4.1.11 Table 9-51 (hostap WLAN_ACTION_*)."""

    SPECTRUM_MGMT = 0
    QOS = 1
    DLS = 2
    BLOCK_ACK = 3
    PUBLIC = 4
    RADIO_MEASUREMENT = 5
    FT = 6
    HT = 7
    SA_QUERY = 8
    PROTECTED_DUAL = 9
    WNM = 10
    UNPROTECTED_WNM = 11
    TDLS = 12
    MESH = 13
    MULTIHOP = 14
    SELF_PROTECTED = 15
    DMG = 16
    WMM = 17
    FST = 18
    ROBUST_AV_STREAMING = 19
    UNPROTECTED_DMG = 20
    VHT = 21
    UNPROTECTED_S1G = 22
    S1G = 23
    FILS = 26
    HE = 30
    PROTECTED_HE = 31
    PROTECTED_FTM = 34
    VENDOR_SPECIFIC_PROTECTED = 126
    VENDOR_SPECIFIC = 127


class BlockAckType(IntEnum):
    """BlockAck frame variants by BA Type (BA Control B1-B4); IEEE 802.11-2020 9.3.1.8.1
    Table 9-24, Multi-STA from 802.11ax."""

    BASIC = 0
    EXTENDED_COMPRESSED = 1
    COMPRESSED = 2
    MULTI_TID = 3
    GCR = 6
    GLK_GCR = 10
    MULTI_STA = 11


def _unknown(value: int) -> str:
    """Vendor suites print as hex: unknown(0x00409601)."""
    return f"unknown({value})" if 0 <= value < 256 else f"unknown(0x{value:08x})"


def _lookup(enum: type[IntEnum], value: int) -> str:
    try:
        return enum(value).name.lower()
    except ValueError:
        return f"unknown({value})"


def status_name(value: int) -> str:
    """`status_name(53)` is "invalid_pmkid"; unknown values give "unknown(N)"."""
    return _lookup(StatusCode, value)


def reason_name(value: int) -> str:
    """`reason_name(15)` is "4way_handshake_timeout"; unknown values give "unknown(N)"."""
    if value == ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT:
        return "4way_handshake_timeout"
    return _lookup(ReasonCode, value)


def block_ack_type_name(value: int) -> str:
    """`block_ack_type_name(2)` is "compressed"; reserved values give "unknown(N)"."""
    return _lookup(BlockAckType, value)


def akm_name(value: int, wpa1: bool = False) -> str:
    """Display name: "PSK", "FT-SAE", "CCKM"...; with `wpa1`, 1 and 2 are WPA1 (00-50-F2)."""
    if wpa1 and value in _WPA1_AKM_NAMES:
        return _WPA1_AKM_NAMES[value]
    return _AKM_NAMES.get(value) or _unknown(value)


def cipher_name(value: int) -> str:
    """Display name: "CCMP", "GCMP-256"...; 1-5 mean the same under 00-50-F2 (WPA1)."""
    return _CIPHER_NAMES.get(value) or _unknown(value)
