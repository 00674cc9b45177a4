"""With keys, a success inferred from protected data (M3/M4 not captured) is proven or not by
decrypting the frame it was inferred from with the PTK of the attempt's own handshake."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from analyzer.capture import RawRecord
from analyzer.config.keys import KeyRing
from analyzer.crypto.ccmp import unprotect
from analyzer.dot11.protected import protected_parts
from analyzer.roam.keycheck import cipher_of, session_keys
from analyzer.roam.records import Missing, Roam


def prove_inferred(roams: list[Roam], records: Iterable[RawRecord], keys: KeyRing) -> None:
    """Each roam whose success was inferred from frame N gets its M3/M4 `missing` reasons
    completed with what decrypting frame N showed (roams are replaced in place)."""
    wanted = {r.evidence.inferred_from: i for i, r in enumerate(roams)
              if r.evidence.inferred_from is not None}  # fmt: skip
    if not wanted or not keys:
        return
    last = max(wanted)
    for rec in records:
        i = wanted.get(rec.index)
        if i is not None:
            roams[i] = _proved(roams[i], rec, keys)
        if rec.index >= last:
            return


def prove_record(roam: Roam, rec: RawRecord, keys: KeyRing) -> Roam:
    """The roam with what decrypting `rec` (the frame its success was inferred from) showed:
    proven, or not proven and incomplete (analyzer.decrypt calls it on its own pass)."""
    return _proved(roam, rec, keys)


def _proved(roam: Roam, rec: RawRecord, keys: KeyRing) -> Roam:
    ptks = session_keys(roam, keys)
    parts = protected_parts(rec.linktype, rec.data)
    if not ptks or parts is None:
        return roam
    header, body = parts
    cipher = cipher_of(roam)
    if any(unprotect(cipher, ptk.tk, header, body) is not None for ptk in ptks):
        note = f"; proven: frame {rec.index} decrypts with the PTK of this handshake"
        return _noted(roam, note)
    note = (f"; not proven: frame {rec.index} does not decrypt with the PTK of this handshake, "
            "so the success is not shown")
    return replace(_noted(roam, note), outcome="incomplete")


def _noted(roam: Roam, note: str) -> Roam:
    missing = tuple(Missing(m.what, m.why + note) if m.what in ("M3", "M4") else m
                    for m in roam.missing)  # fmt: skip
    return replace(roam, missing=missing)
