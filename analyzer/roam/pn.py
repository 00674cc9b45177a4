"""Packet-number tracking without keys (issue 19): the CCMP/GCMP header carries the PN in
the clear, and a transmitter never uses one twice under a key (IEEE 802.11-2020 12.5.3.3.4,
12.5.5.3.4: the nonce is built from it). Tracked per transmitter, receiver and TID (receivers
keep a replay counter per TID, 12.5.3.4.4, and a transmitter's queues of different TIDs go out
of order), under the key ID of the last frame; a PN at or below the highest one is PN_REUSE,
unless it is explained:

- the same MPDU again (the same PN and MIC): a MAC retransmission, a copy another sensor
  heard, or a verbatim replay (which a receiver drops: no nonce reused);
- a retransmission (Retry bit) of an earlier MPDU: in a Block Ack session an MPDU is resent
  after later ones;
- a new key: another key ID (a group key rotation, Extended Key ID), or an Authentication,
  (Re)Association, Deauthentication/Disassociation or EAPOL-Key frame between the two
  (`forget`): the PN restarts under the new key;
- a rekey inside protected frames (a PTK rekey or an EAP re-authentication after the first
  handshake travels encrypted, invisible without keys): both ends install the new key, so
  both directions of the pair restart. A restart of one direction waits for the other's next
  frame: restarted too (after the first one's earlier frame), neither is reported; counting
  on, the restart is reported then; never heard again, it is not (a rekey or a reinstallation:
  the capture cannot tell). A key reinstallation
  restarts one end only. A group address's PN that restarts at a fresh key's first numbers
  (FRESH_PN or below) is a group key handed out inside protected frames.

After a PN_REUSE the tracking follows the new sequence, so a restart is one event. The same PN
with another MIC (another MPDU) is an error: two frames under one nonce; a PN that went back
is a warning: a key installed again (nonce reuse), or a replay of an earlier frame, or a rekey
that was not captured in the clear (a PTK rekey's handshake travels protected)."""

from __future__ import annotations

from dataclasses import replace

from analyzer.roam import findings as fnd
from analyzer.roam.events import roles_of
from analyzer.roam.records import Finding

MAX_KEYS = 1 << 20  # (transmitter, receiver, TID) kept; past it the table starts again
FRESH_PN = 16  # a group PN at or below this after a higher one: a new group key

# (PN, key ID, TID or None, sequence number, MIC): analyzer.dot11.decode.pn_fields
PnFields = tuple[int, int, int | None, int, int]
Key = tuple[str, str, int | None]


class PnTracker:
    """The highest PN per (transmitter, receiver, TID), with its key ID, frame, sequence
    number and MIC; `seen` returns the PN_REUSE finding a frame raises."""

    def __init__(self) -> None:
        self._last: dict[Key, list] = {}  # key -> [key ID, PN, frame, sequence number, MIC]
        self._of_pair: dict[tuple[str, str], list[Key]] = {}
        # one direction's restart waiting for the other direction: (earlier, later, finding)
        self._pending: dict[tuple[str, str], tuple[int, int, Finding]] = {}
        self.dropped = 0  # times keys left `_last` (the compiled core's cache of it follows)

    def seen(self, ta: str | None, ra: str, fc_flags: int, index: int, fields: PnFields
             ) -> Finding | None:  # fmt: skip
        if ta is None:
            return None
        pn, key_id, tid, seq, mic = fields
        key = (ta, ra, tid)
        last = self._last.get(key)
        if last is None:
            self._start(key, [key_id, pn, index, seq, mic])
            return None
        if key_id != last[0] or pn > last[1]:
            last[0], last[1], last[2], last[3], last[4] = key_id, pn, index, seq, mic
            return self._pending.pop((ra, ta), (0, 0, None))[2] if self._pending else None
        if pn == last[1] and mic == last[4]:
            return None  # the same MPDU again
        if fc_flags & 0x08 and pn < last[1]:
            return None  # a retransmission of an earlier MPDU
        earlier, same, group = last[2], pn == last[1], int(ra[:2], 16) & 1
        last[0], last[1], last[2], last[3], last[4] = key_id, pn, index, seq, mic
        if group:
            return None if pn <= FRESH_PN else _finding(ta, ra, fc_flags, tid, key_id,
                                                         earlier, index, same)
        other = self._pending.pop((ra, ta), None)
        if other is not None and other[1] > earlier:
            return None  # both ends restarted: a rekey inside protected frames
        self._pending[(ta, ra)] = (earlier, index,
                                   _finding(ta, ra, fc_flags, tid, key_id, earlier, index, same))
        return other[2] if other is not None else None

    def forget(self, a: str | None, b: str | None) -> None:
        """A frame between `a` and `b` that installs or drops a key (Authentication,
        (Re)Association, Deauthentication, Disassociation, EAPOL-Key): their PNs restart."""
        if a is None or b is None:
            return
        keys = self._of_pair.pop((a, b) if a < b else (b, a), None)
        if keys:
            self.dropped += 1
            for key in keys:
                self._last.pop(key, None)

    def forget_group(self, ta: str) -> None:
        """A group key handshake message of `ta` in the clear: its group PNs restart."""
        for (a, ra, tid) in [k for k in self._last if k[0] == ta and int(k[1][:2], 16) & 1]:
            self.dropped += 1
            self._last.pop((a, ra, tid), None)

    def _start(self, key: Key, state: list) -> None:
        if len(self._last) >= MAX_KEYS:
            self.dropped += 1
            self._last.clear()
            self._of_pair.clear()
        self._last[key] = state
        ta, ra = key[0], key[1]
        self._of_pair.setdefault((ta, ra) if ta < ra else (ra, ta), []).append(key)


def _finding(ta: str, ra: str, fc_flags: int, tid: int | None, key_id: int, earlier: int,
             later: int, same: bool) -> Finding:  # fmt: skip
    roles = roles_of(fc_flags, ra, ta)
    sta, bssid = (roles[0], roles[1]) if roles is not None else (None, None)
    if roles is None and fc_flags & 0x03 == 0x02:  # from an AP to a group address
        bssid = ta
    on = f"{ta} -> {ra}, key ID {key_id}, " + ("non-QoS" if tid is None else f"TID {tid}")
    if same:
        msg = (f"packet number used twice for different frames ({on}): the same PN with "
               "another MIC, the other direction not restarting with it, no Authentication, "
               "(Re)Association or EAPOL-Key frame of the pair in between: nonce reuse under "
               "one key (frames: each earlier frame, then the later one)")
        return _with_frames(fnd.make("PN_REUSE", later, sta, bssid, msg), earlier, later, "error")
    msg = (f"packet number went back ({on}) without the Retry bit, the other direction not "
           "restarting with it (as a rekey inside protected frames would) and no "
           "Authentication, (Re)Association or EAPOL-Key frame of the pair captured in "
           "between: a key installed again (nonce reuse) or a replay of earlier frames; "
           "frames: each earlier frame with the higher PN, then the later one")
    return _with_frames(fnd.make("PN_REUSE", later, sta, bssid, msg), earlier, later, "warning")


def _with_frames(f: Finding, earlier: int, later: int, severity: str) -> Finding:
    return replace(f, severity=severity, frames=(earlier, later))


def reuse_frames(findings: list[Finding]) -> list[int]:
    """The frames of every PN_REUSE (each earlier frame, then the later one)."""
    return [n for f in findings if f.code == "PN_REUSE" for n in f.frames]


def judged_with_keys(findings: list[Finding], tk_of: dict[int, bytes]) -> list[Finding]:
    """With keys, the decryption pass (analyzer.decrypt) knows which temporal key opened each
    frame of a PN_REUSE (`tk_of`, empty when none did): the same key for the earlier and the
    later frame proves nonce reuse (an error); another key shows a new key was installed
    between them (info: no nonce reused)."""
    return [_judged(f, tk_of) if f.code == "PN_REUSE" else f for f in findings]


def _judged(f: Finding, tk_of: dict[int, bytes]) -> Finding:
    pairs = list(zip(f.frames[0::2], f.frames[1::2], strict=True))
    known = [(a, b, tk_of[a] == tk_of[b]) for a, b in pairs if tk_of.get(a) and tk_of.get(b)]
    if not known:
        return f
    same = [f"{a}/{b}" for a, b, s in known if s]
    new = [f"{a}/{b}" for a, b, s in known if not s]
    said = []
    if same:
        said.append(f"frames {', '.join(same)} under the same temporal key: nonce reuse proven")
    if new:
        said.append(f"frames {', '.join(new)} under different temporal keys: a new key was "
                    "installed between them, no nonce reused")
    severity = "error" if same else "info" if len(known) == len(pairs) else f.severity
    return replace(f, severity=severity, message=f"{f.message}; with the key: {'; '.join(said)}")
