"""With keys: a second, bounded pass over a capture file after the roam engine ran (like
analyzer.prove, whose proof it performs on the way). Never on the hot path; without keys it
never runs.

Each attempt whose 4-way handshake a key verifies (analyzer.roam.keycheck) keys its station's
association from its M2 on (an FT transition from its Reassociation Request, with the PTK of
PMK-R1 and the FTE nonces): its PTKs (the Key ID KDE of an M3 chooses the key ID under
Extended Key ID; else 0) and the GTKs its M3s (or the FT Reassociation Response) carry,
unwrapped with the KEK. Protected data frames of that association are then:

* decrypted in full (MIC checked) from the end of the control plane until the recovery is
  seen (first frame and IP packet each way, the first DHCP exchange, the ARP between the
  station and its gateway) or WINDOW_FRAMES of them were decrypted: that gives
  `latency_ms.l3_up`, `l3_down`, `dhcp`, `to_ip_traffic`;
* otherwise only peeked at: one AES block of keystream shows the LLC/SNAP header, and only an
  EAPOL frame (a PTK rekey, a group key handshake, an EAP re-authentication travelling inside
  protected frames) is decrypted in full and followed: the keys a rekey installs are derived
  from the association's PMK and the decrypted nonces, the GTK of a group message from the
  current KEK.

Every fully decrypted frame is replay-checked: its PN must grow per key, transmitter and TID
(a Retry-flagged copy with the same PN is a retransmission, anything else a replay, not used).
With `everything` (the `--decrypt-out` copy, and tests) every protected data frame a known key
opens is decrypted, and robust management frames under PMF too. Keys, PTKs and GTKs stay in
this package: no output carries them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from analyzer.capture import RawRecord
from analyzer.capture.atomic import atomic_file
from analyzer.config.keys import KeyRing
from analyzer.crypto.ccmp import GCMP_CIPHERS, ccmp_key_id, ccmp_pn
from analyzer.crypto.keys import Ptk
from analyzer.decrypt.copy import DecryptedCopy
from analyzer.decrypt.keys import (
    ft_gtk,
    keyed_from,
    m3_keys,
    open_body,
    ordered,
    peek,
    promote,
    unwrapped,
)
from analyzer.decrypt.recovery import (
    Recovering,
    cp_end,
    cp_start,
    latencies,
    observe,
    with_recovery,
)
from analyzer.dot11.eapol import decode_eapol, decode_eapol_key
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.payload import ETHERTYPE_EAPOL, Payload, classify
from analyzer.dot11.protected import protected_layout
from analyzer.dot11.records import Eap, EapolKey
from analyzer.prove import prove_record
from analyzer.roam.events import mic_length
from analyzer.roam.findings import aggregate, pn_replayed, reauthentication, rekey
from analyzer.roam.keycheck import akm_of, cipher_of, ft_session_key, rekey_ptk, session_keys
from analyzer.roam.pn import judged_with_keys, reuse_frames
from analyzer.roam.records import Finding, Roam

_KEEP_PTKS = 4
_EAP_CODES = {1: "Request", 2: "Response", 3: "Success", 4: "Failure"}


@dataclass(slots=True)
class DecryptStats:
    """What the pass cost: records read, protected data frames of keyed associations,
    one-block peeks, full decryptions, frames no known key opened, replays, seconds."""

    records: int = 0
    protected: int = 0
    peeked: int = 0
    decrypted: int = 0
    undecryptable: int = 0
    replays: int = 0
    retransmissions: int = 0
    eapol_inside: int = 0
    written: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]



@dataclass(slots=True)
class _Handshake:
    """A handshake found inside protected frames, followed message by message."""

    group: bool
    anonce: bytes = b""
    frames: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    ptk: Ptk | None = None
    key_id: int = 0


@dataclass(slots=True)
class _Link:
    """One station's keyed association."""

    sta: bytes
    bssid: bytes
    roam_i: int
    roam: Roam
    cipher: int
    ptks: list[tuple[int, Ptk]]  # (key ID, PTK), newest first
    acc: Recovering | None
    hs: _Handshake | None = None
    eap: list[tuple[str, int]] = field(default_factory=list)



def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _colon(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)



class DecryptPass:
    """The post-pass over one capture file's records, in order."""

    def __init__(self, roams: list[Roam], keys: KeyRing, everything: bool = False,
                 writer: BinaryIO | None = None, derived: Any = None) -> None:
        self.roams = roams
        self.keys = keys
        self.derived = derived  # the run's passphrase PMKs (bounded: keycheck.Derivations)
        self.everything = everything or writer is not None
        self.stats = DecryptStats()
        self.findings: list[Finding] = []
        self.links: dict[bytes, _Link] = {}
        self.gtks: dict[bytes, list[tuple[int, bytes]]] = {}  # BSSID -> (key ID, GTK)
        self.accs: list[Recovering] = []
        self.opened: list[int] = []  # every frame decrypted (tests compare with tshark)
        self.on_plain: Callable[[int, bytes], None] | None = None  # tests: (frame, MSDU)
        self._starts: dict[int, list[int]] = {}
        self._prove = {r.evidence.inferred_from: i for i, r in enumerate(roams)
                       if r.evidence.inferred_from is not None}  # fmt: skip
        self._pn: dict[tuple[bytes, bytes, int], tuple[int, bytes]] = {}  # -> PN, seq ctrl
        self.watch: frozenset[int] = frozenset()  # frames whose temporal key is wanted
        self.tk_of: dict[int, bytes] = {}  # of the watched frames a key opened or peeked at
        self._out = None if writer is None else DecryptedCopy(writer)
        for i, roam in enumerate(roams):
            at = keyed_from(roam)
            if at is not None:
                self._starts.setdefault(at, []).append(i)

    # --- the loop ----------------------------------------------------------------------------

    def run(self, records: Iterable[RawRecord]) -> None:
        t0 = time.perf_counter()
        last = max(self._starts, default=0)
        for rec in records:
            self.stats.records += 1
            starts = self._starts.get(rec.index)
            if starts:
                for i in starts:
                    self._install(i)
            j = self._prove.get(rec.index)
            if j is not None:
                self.roams[j] = prove_record(self.roams[j], rec, self.keys)
            plain = self._frame(rec) if self.links or self.everything else None
            if self._out is not None:
                self._out.write(rec, plain)
            elif not self.links and rec.index > last and not self._prove:
                break
        for link in list(self.links.values()):
            if link.hs is not None:
                self._handshake_done(link, link.hs)
        self._flush_eap()
        if self._out is not None:
            self._out.writer.flush()
            self.stats.written = self._out.writer.count
        self.stats.seconds = round(time.perf_counter() - t0, 3)

    def _frame(self, rec: RawRecord) -> bytes | None:
        if not self._candidate(rec.linktype, rec.data):
            return None
        at = protected_layout(rec.linktype, rec.data)
        if at is None:
            return None
        data = rec.data
        header = bytes(data[at.start : at.start + at.hdr_len])
        body = bytes(data[at.body_at : at.end])
        a1, a2 = header[4:10], header[10:16]
        if at.ftype == 0:
            return self._management(rec, header, body)
        link = self.links.get(a2)
        if link is not None and link.bssid == a1:
            return self._unicast(rec, link, header, body, up=True)
        link = self.links.get(a1)
        if link is not None and link.bssid == a2:
            return self._unicast(rec, link, header, body, up=False)
        if a1[0] & 1 and a2 in self.gtks:
            return self._group(rec, a2, header, body)
        return None

    def _candidate(self, linktype: int, data: bytes) -> bool:
        """A cheap look at radiotap/raw 802.11 records before any decoding: a protected data
        frame to or from a keyed station, or a group frame of a keyed BSS (other link types
        are decoded to tell)."""
        if linktype == 127:
            if len(data) < 4:
                return False
            off = data[2] | data[3] << 8
        elif linktype == 105:
            off = 0
        else:
            return True
        if len(data) < off + 24 or not data[off + 1] & 0x40:
            return False
        ftype = data[off] >> 2 & 3
        if ftype != 2 and not (ftype == 0 and self.everything):
            return False
        a1, a2 = bytes(data[off + 4 : off + 10]), bytes(data[off + 10 : off + 16])
        links = self.links
        return a1 in links or a2 in links or (a1[0] & 1 == 1 and a2 in self.gtks)

    def _unicast(self, rec: RawRecord, link: _Link, header: bytes, body: bytes,
                 up: bool) -> bytes | None:
        self.stats.protected += 1
        acc = link.acc
        window = acc is not None and acc.open(rec.ts_ns)
        keys = ordered(link.ptks, ccmp_key_id(body) if len(body) > 3 else 0)
        if not (self.everything or window):
            self.stats.peeked += 1
            seen = peek(link.cipher, keys, header, body)
            if seen is None:
                return None
            if seen[1] != ETHERTYPE_EAPOL:
                self._fresh(seen[0].tk, header, body, rec.index, link)  # PN is in the clear
                return None
        plain, tk = open_body(link.cipher, [k.tk for k in keys], header, body)
        if plain is None:
            self.stats.undecryptable += 1
            if acc is not None and window:
                acc.undecryptable += 1
            return None
        self._opened(rec, plain)
        promote(link.ptks, tk)
        if not self._fresh(tk, header, body, rec.index, link):
            return plain  # decrypts, but a copy: used for nothing
        payload = classify(plain)
        if payload.kind == "eapol":
            self.stats.eapol_inside += 1
            self._eapol(link, rec.index, payload)
        if window and acc is not None:
            acc.decrypted += 1
            observe(acc, rec, payload, up, _mac(link.roam.sta))
        return plain

    def _management(self, rec: RawRecord, header: bytes, body: bytes) -> bytes | None:
        """A robust management frame protected with the PTK (PMF, 802.11-2020 12.5.3.3: the
        nonce flags it as management): decrypted only for the copy (`everything`)."""
        a1, a2 = header[4:10], header[10:16]
        link = self.links.get(a2) or self.links.get(a1)
        if not self.everything or link is None or link.bssid not in (a1, a2) or a1[0] & 1:
            return None
        plain, tk = open_body(link.cipher, [k.tk for _, k in link.ptks], header, body)
        if plain is None:
            self.stats.undecryptable += 1
            return None
        self._opened(rec, plain)
        self._fresh(tk, header, body, rec.index, link)
        return plain

    def _group(self, rec: RawRecord, bssid: bytes, header: bytes, body: bytes) -> bytes | None:
        waiting = [lk for lk in self.links.values()
                   if lk.bssid == bssid and lk.acc and lk.acc.group_open(rec.ts_ns)]
        if not (self.everything or waiting):
            return None
        gtks = ordered(self.gtks[bssid], ccmp_key_id(body) if len(body) > 3 else 0)
        family = next((lk.cipher for lk in self.links.values() if lk.bssid == bssid), 4)
        plain, tk = open_body(family, gtks, header, body)
        if plain is None:
            plain, tk = open_body(8 if family not in GCMP_CIPHERS else 4, gtks, header, body)
        if plain is None:
            return None
        self._opened(rec, plain)
        if not self._fresh(tk, header, body, rec.index, None, bssid):
            return plain
        payload = classify(plain)
        for lk in waiting:
            if lk.acc is not None:
                lk.acc.group += 1
                observe(lk.acc, rec, payload, False, lk.sta, group=True)
        return plain

    def _opened(self, rec: RawRecord, plain: bytes) -> None:
        self.stats.decrypted += 1
        self.opened.append(rec.index)
        if self.on_plain is not None:
            self.on_plain(rec.index, plain)

    def _fresh(self, tk: bytes, header: bytes, body: bytes, frame: int, link: _Link | None,
               bssid: bytes = b"") -> bool:
        """The replay check (802.11-2020 12.5.3.4.4): PN above the last one of this key,
        transmitter and TID. A Retry-flagged frame at or below it is a retransmission (in a
        Block Ack session an MPDU is resent after later ones), so is the last frame again
        under its own sequence number (a copy: wpa3-sae's frame 117); anything else is a
        replay, which PN_REPLAYED names."""
        if header[0] & 0x0C == 0:
            tid = 17  # robust management frames have their own counter (12.5.3.4.4)
        else:
            tid = header[24] & 0x0F if header[0] & 0x80 and len(header) > 24 else 16
        key = (tk, header[10:16], tid)
        if frame in self.watch:
            self.tk_of[frame] = tk
        pn, (last, last_sc) = ccmp_pn(body), self._pn.get(key, (-1, b""))
        if pn > last:
            self._pn[key] = (pn, header[22:24])
            return True
        if header[1] & 0x08 or (pn == last and header[22:24] == last_sc):
            self.stats.retransmissions += 1  # or the same frame captured twice
        else:
            self.stats.replays += 1
            sta = link.roam.sta if link is not None else None
            ap = link.roam.to_bssid if link is not None else _colon(bssid)
            self.findings.append(pn_replayed(frame, sta, ap))
        return False

    # --- keys ----------------------------------------------------------------------------------

    def _install(self, i: int) -> None:
        roam = self.roams[i]
        sta = _mac(roam.sta)
        old = self.links.get(sta)
        if old is not None:
            if old.hs is not None:
                self._handshake_done(old, old.hs)
            self._flush_eap(old)
        ptks = session_keys(roam, self.keys, self.derived)
        ft = None if ptks else ft_session_key(roam, self.keys)
        if ft is not None:
            ptks = [ft]
            gtk = ft_gtk(roam, ft)
            if gtk is not None:
                self._add_gtk(_mac(roam.to_bssid), *gtk)
        if not ptks:
            if roam.outcome == "success":
                self.links.pop(sta, None)
            return
        keyed: list[tuple[int, Ptk]] = []
        for ptk in ptks:
            key_id, gtk = m3_keys(roam, ptk)
            keyed.insert(0, (key_id, ptk))
            if gtk is not None:
                self._add_gtk(_mac(roam.to_bssid), *gtk)
        acc = None
        end = cp_end(roam)
        if roam.outcome != "failed" and end is not None:
            acc = Recovering(i, cp_start(roam), end)
            self.accs.append(acc)
        self.links[sta] = _Link(sta, _mac(roam.to_bssid), i, roam, cipher_of(roam), keyed, acc)

    def _add_gtk(self, bssid: bytes, key_id: int, gtk: bytes) -> None:
        have = self.gtks.setdefault(bssid, [])
        if (key_id, gtk) not in have:
            have.insert(0, (key_id, gtk))
            del have[_KEEP_PTKS:]

    # --- EAPOL inside protected frames ------------------------------------------------------

    def _eapol(self, link: _Link, frame: int, payload: Payload) -> None:
        try:
            eapol = decode_eapol(payload.body, payload.ethertype or ETHERTYPE_EAPOL)
            if eapol.type == 3 and eapol.body is not None:
                key = decode_eapol_key(eapol.raw[4:], mic_length(akm_of(link.roam)))
            else:
                key = None
        except DecodeError:
            return
        if isinstance(eapol.body, Eap):
            name = _EAP_CODES.get(eapol.body.code, "EAP")
            if eapol.body.type_name and eapol.body.code in (1, 2):
                name += f"/{eapol.body.type_name}"
            link.eap.append((name, frame))
        elif isinstance(key, EapolKey) and key.message:
            self._key_message(link, frame, key, eapol.raw)

    def _key_message(self, link: _Link, frame: int, key: EapolKey, raw: bytes) -> None:
        msg = key.message or ""
        if msg in ("M1", "G1") and not (link.hs and link.hs.messages[-1] == msg):
            self._flush_eap(link)
            if link.hs is not None:
                self._handshake_done(link, link.hs)  # never finished: listed as far as seen
            link.hs = _Handshake(group=msg == "G1", anonce=key.nonce)
        hs = link.hs
        if hs is None or hs.group != (msg in ("G1", "G2")):
            return
        hs.frames.append(frame)
        hs.messages.append(msg)
        if msg == "M1":
            hs.anonce = key.nonce
        elif msg == "M2" and hs.ptk is None:
            hs.ptk = rekey_ptk(link.roam, self.keys, hs.anonce, raw)
            if hs.ptk is not None:  # a candidate from now on, first once M4 is seen
                link.ptks.append((hs.key_id, hs.ptk))
        elif msg == "M3" and hs.ptk is not None:
            got = unwrapped(hs.ptk, key)
            if got is not None:
                hs.key_id, gtk = got
                if gtk is not None:
                    self._add_gtk(link.bssid, *gtk)
        elif msg == "G1" and link.ptks:
            got = unwrapped(link.ptks[0][1], key)
            if got is not None and got[1] is not None:
                self._add_gtk(link.bssid, *got[1])
        if msg in ("M4", "G2"):
            self._handshake_done(link, hs)

    def _handshake_done(self, link: _Link, hs: _Handshake) -> None:
        roam = link.roam
        if hs.ptk is not None and not hs.group:
            link.ptks[:] = [k for k in link.ptks if k[1] != hs.ptk]
            if hs.messages[-1] == "M4":
                link.ptks.insert(0, (hs.key_id, hs.ptk))
            else:
                link.ptks.append((hs.key_id, hs.ptk))
            del link.ptks[_KEEP_PTKS + 1 :]
        found = rekey(hs.group, hs.frames, hs.messages, roam.sta, roam.to_bssid, inside=True)
        if not hs.group and hs.ptk is None and "M2" in hs.messages:
            found = replace(found, message=found.message + "; its PTK is not derived: no given "
                            "key verifies its M2 (a new PMK after a re-authentication?), so "
                            "the frames after it stay encrypted")
        self.findings.append(replace(found, roam_id=roam.id))
        link.hs = None

    def _flush_eap(self, only: _Link | None = None) -> None:
        for link in [only] if only is not None else list(self.links.values()):
            if link.eap:
                names, frames = zip(*link.eap, strict=True)
                self.findings.append(replace(reauthentication(
                    list(frames), list(names), link.roam.sta, link.roam.to_bssid),
                    roam_id=link.roam.id))
                link.eap = []

    # --- results --------------------------------------------------------------------------------

    def finish(self) -> None:
        """Each attempt gets its recovery and latencies, or the reason they are null."""
        accs = {a.roam_i: a for a in self.accs}
        for i, roam in enumerate(self.roams):
            acc = accs.get(i)
            values, reasons = latencies(roam, acc)
            self.roams[i] = with_recovery(roam, values, reasons, acc)



def decrypt_capture(roams: list[Roam], records: Iterable[RawRecord], keys: KeyRing,
                    everything: bool = False, writer: BinaryIO | None = None,
                    derived: Any = None, tk_of: dict[int, bytes] | None = None,
                    ) -> tuple[list[Finding], DecryptStats, list[int]]:  # fmt: skip
    """Run the pass: `roams` are replaced in place (recovery, latencies, proofs); returns the
    findings decryption revealed, what it cost, and the frames it decrypted. `tk_of`: frames
    whose temporal key is wanted, filled with those a key opened or peeked at."""
    p = DecryptPass(roams, keys, everything, writer, derived)
    if tk_of is not None:
        p.watch, p.tk_of = frozenset(tk_of), tk_of
    p.run(records)
    p.finish()
    return p.findings, p.stats, p.opened


def post_pass(analysis: Any, source: str, keys: KeyRing, decrypt_out: str | None = None
              ) -> DecryptStats | None:  # fmt: skip
    """analyzer.run.dispatch.run's call: read `source` again and merge what decryption showed into
    `analysis` (its roams, and its findings, aggregated again)."""
    import os

    from analyzer.capture import open_capture

    if not os.path.isfile(source):  # stdin or a FIFO cannot be read again
        return None
    tk_of = dict.fromkeys(reuse_frames(analysis.findings), b"")
    with open_capture(source) as again:
        derived = getattr(analysis, "derivations", None)
        if decrypt_out is None:
            found, stats, _ = decrypt_capture(analysis.roams, again, keys, derived=derived,
                                              tk_of=tk_of)
        else:
            with atomic_file(decrypt_out) as f:  # the real name only once complete
                found, stats, _ = decrypt_capture(analysis.roams, again, keys, writer=f,
                                                  derived=derived, tk_of=tk_of)
    if tk_of:
        analysis.findings = judged_with_keys(analysis.findings, tk_of)
    if found:
        analysis.findings = aggregate(analysis.findings + found)
    return stats

