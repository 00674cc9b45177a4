"""IEEE 802.1X-2020 EAPOL PDUs and the 802.11 EAPOL-Key body (IEEE 802.11-2020 12.7.2).

Everything here is big-endian. The MIC length of an EAPOL-Key frame depends on the AKM
(and for OWE / SAE-EXT-KEY on the DH group), which only the roam layer knows: when the Key
Descriptor Version does not fix it, `decode_eapol_key` returns every MIC length that makes
the Key Data Length end the frame, and splits MIC and Key Data only if exactly one does.
When none ends it exactly (bytes after the Key Data: hostapd pads a Suite-B M1 with an
unfilled PMKID KDE), every length the Key Data fits in is a candidate, and `trailing` counts
the bytes left over.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from analyzer.dot11.eap import decode_eap
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Eap, Eapol, EapolKey, Kde, Rsne

_HEADER = struct.Struct(">BBH")  # protocol version, packet type, body length
# descriptor type, key information, key length, replay counter, nonce, IV, RSC, reserved
_KEY_FIXED = struct.Struct(">BHHQ32s16s8s8s")
_U16 = struct.Struct(">H")

ETHERTYPE_EAPOL = 0x888E
ETHERTYPE_PREAUTH = 0x88C7

# 802.1X-2020 11.3.2 packet types
TYPE_EAP = 0
TYPE_START = 1
TYPE_LOGOFF = 2
TYPE_KEY = 3

# 802.1X-2020 11.9 / 802.11-2020 12.7.2 key descriptor types
DESC_RC4 = 1  # 802.1X RC4 (dynamic WEP): a different layout, not decoded
DESC_RSN = 2
DESC_WPA = 254

# 802.11-2020 12.7.2 Figure 12-33 Key Information bits
KI_VERSION = 0x0007
KI_PAIRWISE = 0x0008
KI_INSTALL = 0x0040
KI_ACK = 0x0080
KI_MIC = 0x0100
KI_SECURE = 0x0200
KI_REQUEST = 0x0800
KI_ENCRYPTED = 0x1000

# 802.11-2020 12.7.2 Table 12-9 KDE data types (00-0F-AC); 16-19 are 802.11be MLO [hap]
KDE_GTK = 1
KDE_MAC = 3
KDE_PMKID = 4
KDE_IGTK = 9
KDE_OCI = 13
KDE_BIGTK = 14
KDE_MLO_GTK = 16
KDE_MLO_IGTK = 17
KDE_MLO_BIGTK = 18
KDE_MLO_LINK = 19

EID_RSNE = 48
EID_VENDOR = 221
_OUI_IEEE = b"\x00\x0f\xac"
_WPA1_PREFIX = b"\x00\x50\xf2\x01"  # WPA1 vendor element: Microsoft OUI, type 1

MIC_CANDIDATES = (16, 24, 32, 0)
_MIC_FIXED = 16  # descriptor versions 1-3, WPA1 (HMAC-MD5, HMAC-SHA1-128, AES-CMAC)
_FIXED_LEN = _KEY_FIXED.size  # 77: the MIC starts here
_PMKID_LEN = 16
_SIV_LEN = 16  # AES-SIV's synthetic IV: an AEAD Key Data with nothing in it


def decode_eapol(pdu: bytes, ethertype: int = ETHERTYPE_EAPOL) -> Eapol:
    """Decode an EAPOL PDU from its 802.1X header on; `raw` excludes any trailing padding.

    The protocol version is kept but never used to classify (hostapd sends 2, wpa_supplicant
    1). An RC4 (dynamic WEP) key descriptor is returned with body None.
    """
    if len(pdu) < _HEADER.size:
        raise DecodeError("eapol", f"PDU of {len(pdu)} bytes is shorter than the 4-byte header")
    version, ptype, length = _HEADER.unpack_from(pdu)
    end = _HEADER.size + length
    if end > len(pdu):
        raise DecodeError("eapol", f"body length {length} exceeds the {len(pdu) - 4} bytes present")
    body = pdu[_HEADER.size : end]
    return Eapol(
        ethertype=ethertype,
        version=version,
        type=ptype,
        length=length,
        body=_decode_body(ptype, body),
        raw=pdu[:end],
    )


def _decode_body(ptype: int, body: bytes) -> EapolKey | Eap | None:
    if ptype == TYPE_EAP:
        return decode_eap(body)
    if ptype == TYPE_KEY and not (body and body[0] == DESC_RC4):
        return decode_eapol_key(body)
    return None


def decode_eapol_key(body: bytes, mic_len: int | None = None) -> EapolKey:
    """Decode an EAPOL-Key body (descriptor type onward); `mic_len` fixes the MIC length.

    Without `mic_len`, descriptor versions 1-3 and WPA1 mean a 16-byte MIC; otherwise every
    length in MIC_CANDIDATES for which Key Data Length ends the body is kept. One fit decides
    MIC and Key Data; several leave both None with `mic_lengths` listing them.
    """
    if len(body) < _FIXED_LEN:
        raise DecodeError("eapol", f"EAPOL-Key body of {len(body)} bytes is shorter than 77")
    desc, key_info, key_length, replay, nonce, iv, rsc, _ = _KEY_FIXED.unpack_from(body)
    if desc not in (DESC_RSN, DESC_WPA):
        raise DecodeError("eapol", f"key descriptor type {desc} is not RSN (2) or WPA (254)")
    lengths = _mic_lengths(desc, key_info, mic_len)
    fits = _fitting_splits(body, lengths)
    messages = {_classify(key_info, _plain_kdes(desc, key_info, kd), kd) for _, _, kd in fits}
    # one exact fit decides; so does a given length; bytes after the Key Data with a guessed
    # length never do (the roam layer gives the AKM's length: events.resolve_key)
    exact = all(_ends_exactly(body, fit) for fit in fits)
    decided = len(fits) == 1 and (len(lengths) == 1 or exact)
    mic, key_data = (fits[0][1], fits[0][2]) if decided else (None, None)
    trailing = 0 if mic is None or key_data is None else (
        len(body) - _FIXED_LEN - len(mic) - _U16.size - len(key_data))
    kdes = () if key_data is None else _plain_kdes(desc, key_info, key_data)
    return EapolKey(
        descriptor=desc,
        key_info=key_info,
        key_length=key_length,
        replay_counter=replay,
        nonce=nonce,
        iv=iv,
        rsc=rsc,
        mic=mic,
        key_data=key_data,
        mic_lengths=tuple(n for n, _, _ in fits),
        message=messages.pop() if len(messages) == 1 and (decided or exact) else None,
        kdes=kdes,
        pmkid=_pmkid(kdes),
        rsne=_rsne(kdes),
        trailing=trailing,
    )


def _mic_lengths(desc: int, key_info: int, mic_len: int | None) -> tuple[int, ...]:
    if mic_len is not None:
        return (mic_len,)
    if desc == DESC_WPA or key_info & KI_VERSION in (1, 2, 3):
        return (_MIC_FIXED,)
    return MIC_CANDIDATES


def _fitting_splits(body: bytes, lengths: tuple[int, ...]) -> list[tuple[int, bytes, bytes]]:
    """(n, MIC, Key Data) for each MIC length n that fits; raises when none does.

    A single given length may leave trailing bytes (hostapd tolerates them); when guessing
    among several, those whose Key Data Length ends the body exactly, else those that leave
    bytes after it.
    """
    fits = []
    for exact in (True, False) if len(lengths) > 1 else (False,):
        for n in lengths:
            split = _split(body, n, exact)
            if split is not None:
                fits.append((n, *split))
        if fits:
            break
    if not fits:
        tried = "/".join(str(n) for n in lengths)
        raise DecodeError("eapol", f"no MIC length ({tried}) fits Key Data Length")
    return fits


def _ends_exactly(body: bytes, fit: tuple[int, bytes, bytes]) -> bool:
    n, _, key_data = fit
    return _FIXED_LEN + n + _U16.size + len(key_data) == len(body)


def _split(body: bytes, n: int, exact: bool) -> tuple[bytes, bytes] | None:
    if n < 0 or len(body) < _FIXED_LEN + n + _U16.size:
        return None
    (kd_len,) = _U16.unpack_from(body, _FIXED_LEN + n)
    start = _FIXED_LEN + n + _U16.size
    room = len(body) - start
    if kd_len > room or (exact and kd_len != room):
        return None
    return body[_FIXED_LEN : _FIXED_LEN + n], body[start : start + kd_len]


# --- message classification (DOMAIN §5; hostapd wpa_receive) --------------------------------


def _classify(key_info: int, kdes: tuple[Kde, ...], key_data: bytes) -> str | None:
    if key_info & KI_REQUEST:
        return "REQ"
    if not key_info & KI_PAIRWISE:
        return "G1" if key_info & KI_ACK else "G2"
    if key_info & KI_ACK:
        return "M3" if key_info & (KI_MIC | KI_INSTALL) else "M1"
    if key_info & KI_MIC:
        return _m2_or_m4(key_info, kdes, key_data)
    if key_info & KI_ENCRYPTED:  # AEAD (FILS AKMs): no MIC; M4's Key Data is the SIV alone
        return "M4" if len(key_data) <= _SIV_LEN else "M2"
    return None


def _m2_or_m4(key_info: int, kdes: tuple[Kde, ...], key_data: bytes) -> str:
    """Secure alone is not decisive: wpa_supplicant sets it in rekey M2s."""
    if not key_data:
        return "M4"
    if _starts_with_rsne(key_data):
        return "M2"
    if kdes and all(k.type == KDE_MAC for k in kdes):
        return "M4"  # MLO M4 carries only the MLD MAC address KDE
    has_rsne = any(k.type == -EID_RSNE or _is_wpa1(k) for k in kdes)
    return "M4" if key_info & KI_SECURE and not has_rsne else "M2"


def _starts_with_rsne(key_data: bytes) -> bool:
    return key_data[0] == EID_RSNE or (key_data[0] == EID_VENDOR and key_data[2:6] == _WPA1_PREFIX)


def _is_wpa1(kde: Kde) -> bool:
    return kde.type == -EID_VENDOR and kde.data[:4] == _WPA1_PREFIX


# --- key data -------------------------------------------------------------------------------


def _plain_kdes(desc: int, key_info: int, key_data: bytes) -> tuple[Kde, ...]:
    """KDEs and elements of unencrypted Key Data; () when it is encrypted.

    WPA1 has no Encrypted Key Data bit: its pairwise Key Data (the WPA IE) is plaintext,
    its group Key Data is always the wrapped GTK.
    """
    if key_info & KI_ENCRYPTED:
        return ()
    if desc == DESC_WPA and not key_info & KI_PAIRWISE:
        return ()
    return tuple(_walk_kdes(key_data))


def walk_kdes(key_data: bytes) -> tuple[Kde, ...]:
    """KDEs and elements of Key Data already decrypted (unwrapped, padding kept)."""
    return tuple(_walk_kdes(key_data))


def _walk_kdes(key_data: bytes) -> Iterator[Kde]:
    """`DD len 00-0F-AC type data` as Kde(type, data); other elements as Kde(-id, body).

    Stops at padding (DD 00) and at an element that overruns the Key Data.
    """
    pos, end = 0, len(key_data)
    while pos + 2 <= end:
        eid, elen = key_data[pos], key_data[pos + 1]
        if eid == EID_VENDOR and elen == 0:
            return
        if pos + 2 + elen > end:
            return
        yield _kde(eid, key_data[pos + 2 : pos + 2 + elen])
        pos += 2 + elen


def _kde(eid: int, body: bytes) -> Kde:
    if eid == EID_VENDOR and len(body) >= 4 and body[:3] == _OUI_IEEE:
        return Kde(type=body[3], data=body[4:])
    return Kde(type=-eid, data=body)


def _pmkid(kdes: tuple[Kde, ...]) -> bytes | None:
    for k in kdes:
        if k.type == KDE_PMKID and len(k.data) >= _PMKID_LEN:
            return k.data[:_PMKID_LEN]
    return None


def _rsne(kdes: tuple[Kde, ...]) -> Rsne | None:
    """The first RSNE (or WPA1 element) in the Key Data that decodes."""
    for k in kdes:
        if k.type != -EID_RSNE and not _is_wpa1(k):
            continue
        from analyzer.dot11.elements import decode_rsne

        eid = EID_RSNE if k.type == -EID_RSNE else EID_VENDOR
        raw = bytes((eid, len(k.data))) + k.data
        try:
            if eid == EID_RSNE:
                return decode_rsne(k.data, raw)
            return decode_rsne(k.data[4:], raw, wpa1=True)
        except DecodeError:
            continue
    return None
