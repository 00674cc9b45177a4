"""Keys of the decryption pass: the GTK and Key ID an M3, a group message or an FT
Reassociation Response carries, which key to try first, and the one-block peek."""

from __future__ import annotations

from typing import Any

from analyzer.crypto.ccmp import aes_unwrap, keystream_block, unprotect
from analyzer.crypto.keys import Ptk
from analyzer.dot11.eapol import decode_eapol_key, walk_kdes
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.payload import ethertype_of
from analyzer.dot11.records import EapolKey
from analyzer.roam.events import mic_length
from analyzer.roam.keycheck import akm_of, key_mic_ok
from analyzer.roam.records import Roam

KDE_GTK = 1  # 802.11-2020 12.7.2 Table 12-9
KDE_KEY_ID = 10


def promote(ptks: list[tuple[int, Ptk]], tk: bytes) -> None:
    """The key that opened a frame goes first: after a rekey whose M3/M4 were not captured,
    the station's next frames show the new PTK is in use (as tshark assumes from M1+M2)."""
    i = next((n for n, (_, p) in enumerate(ptks) if p.tk == tk), 0)
    if i:
        ptks.insert(0, ptks.pop(i))


def keyed_from(roam: Roam) -> int | None:
    """The frame from which an attempt's keys apply: its first M2, else its FT Reassociation
    Request, else its first frame."""
    m2 = [f for m, f, _ in roam.evidence.eapol_keys if m == "M2"]
    if m2:
        return min(m2)
    ft = [f for seq, f, *_ in roam.evidence.ft_frames if seq == 5]
    if ft:
        return min(ft)
    return roam.frames[0] if roam.frames else None


_FT_SUB_GTK = 2  # 802.11-2020 9.4.2.47 Table 9-241


def ft_gtk(roam: Roam, ptk: Ptk) -> tuple[int, bytes] | None:
    """(Key ID, GTK) of the GTK subelement in the FT Reassociation Response's FTE: Key Info
    (2, Key ID in bits 0-1), Key Length (1), RSC (8), the key wrapped with the KEK."""
    mic_len = 24 if len(ptk.kck) == 24 else 16
    for seq, _, _, _, fte_raw, _ in roam.evidence.ft_frames:
        if seq != 6 or len(fte_raw) < 2:
            continue
        body = fte_raw[2:]
        pos = 2 + mic_len + 64
        while pos + 2 <= len(body):
            sid, n = body[pos], body[pos + 1]
            sub = body[pos + 2 : pos + 2 + n]
            if sid == _FT_SUB_GTK and len(sub) >= 11 + 24:
                key = aes_unwrap(ptk.kek, sub[11:])
                if key is not None and sub[2] <= len(key):
                    return sub[0] & 0x03, key[: sub[2]]
            pos += 2 + n
    return None



def ordered(keys: list[tuple[int, Any]], key_id: int) -> list[Any]:
    """Keys of the frame's key ID first (newest first), then the others."""
    return [k for i, k in keys if i == key_id] + [k for i, k in keys if i != key_id]


def open_body(cipher: int, tks: list[bytes], header: bytes, body: bytes
          ) -> tuple[bytes | None, bytes]:  # fmt: skip
    for tk in tks:
        try:
            plain = unprotect(cipher, tk, header, body)
        except ValueError:
            return None, b""
        if plain is not None:
            return plain, tk
    return None, b""


def peek(cipher: int, ptks: list[Ptk], header: bytes, body: bytes) -> tuple[Ptk, int] | None:
    """One keystream block per key: the key under which the MSDU starts with an LLC/SNAP
    header (48 known bits: a wrong key shows one by chance once in 2^48), and its ethertype;
    None when no key shows one (an unknown key, an A-MSDU, a damaged or forged frame)."""
    for ptk in ptks:
        try:
            ks = keystream_block(cipher, ptk.tk, header, body)
        except ValueError:
            return None
        if ks is None:
            return None
        head = bytes(a ^ b for a, b in zip(ks[:8], body[8:16], strict=True))
        et = ethertype_of(head)
        if et is not None:
            return ptk, et
    return None


def m3_keys(roam: Roam, ptk: Ptk) -> tuple[int, tuple[int, bytes] | None]:
    """(Key ID, (GTK key ID, GTK)) from the attempt's M3 that this PTK's KCK verifies."""
    mic_len = mic_length(akm_of(roam))
    for message, _, pdu in roam.evidence.eapol_keys:
        if message != "M3" or not key_mic_ok(roam, ptk.kck, pdu):
            continue
        try:
            key = decode_eapol_key(pdu[4:], mic_len)
        except DecodeError:
            continue
        got = unwrapped(ptk, key)
        if got is not None:
            return got
    return 0, None


def unwrapped(ptk: Ptk, key: EapolKey) -> tuple[int, tuple[int, bytes] | None] | None:
    """(Key ID KDE's key ID or 0, (GTK key ID, GTK) or None) of an M3's or G1's Key Data."""
    if not key.key_data or key.key_version == 1:  # RC4-wrapped (TKIP) key data: not here
        return None
    data = aes_unwrap(ptk.kek, key.key_data)
    if data is None:
        return None
    key_id, gtk = 0, None
    for kde in walk_kdes(data):
        if kde.type == KDE_GTK and len(kde.data) > 2:
            gtk = (kde.data[0] & 0x03, kde.data[2:])
        elif kde.type == KDE_KEY_ID and kde.data:
            key_id = kde.data[0] & 0x03
    return key_id, gtk


