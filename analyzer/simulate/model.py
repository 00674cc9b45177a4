"""Scenario parts: AP and STA descriptions, per-association state, the record of one step."""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.crypto.keys import Ptk

from .elements import AKMS, CIPHER_CCMP, EAP_AKMS, FT_AKMS, SUITE_B_AKMS
from .frames import Radio


@dataclass(frozen=True, slots=True)
class ApSpec:
    """One BSS. ``pmkid_kde`` None means hostapd's choice (DOMAIN §7: never for PSK, nor for
    Suite-B, whose PMKID needs a KCK M1 does not have yet). ``cipher``: the pairwise and group
    cipher suite (00-0F-AC:n)."""

    name: str
    bssid: bytes
    ssid: bytes
    freq_mhz: int
    akm: str
    passphrase: str | None = None
    mdid: int | None = None
    r0kh_id: bytes = b""
    ft_over_ds: bool = True
    okc: bool = False
    pmkid_kde: bool | None = None
    signal_dbm: int = -45
    beacon_interval_tu: int = 100
    gtk: bytes = bytes(16)
    seq_restart: bool = False  # answers numbered 0, the same AID each time: repeats byte-exact
    ext_key_id: bool = False  # Extended Key ID for Individually Addressed Frames (RSNE bit 13)
    pmf: str = "off"  # management frame protection: off, capable (MFPC), required (MFPR too)
    cipher: int = CIPHER_CCMP

    @property
    def rsn_caps(self) -> int:
        """The capabilities both RSNEs of this BSS carry beyond the replay counters."""
        pmf = {"off": 0, "capable": 0x80, "required": 0xC0}[self.pmf]
        return (0x2000 if self.ext_key_id else 0) | pmf

    @property
    def akm_suite(self) -> int:
        return AKMS[self.akm]

    @property
    def is_ft(self) -> bool:
        return self.akm in FT_AKMS

    @property
    def is_eap(self) -> bool:
        return self.akm in EAP_AKMS

    @property
    def is_suite_b(self) -> bool:
        return self.akm in SUITE_B_AKMS

    @property
    def sends_pmkid_kde(self) -> bool:
        if self.pmkid_kde is not None:
            return self.pmkid_kde
        return self.akm in ("8021x", "ft-8021x", "ft-psk", "sae", "8021x-sha256")


@dataclass(frozen=True, slots=True)
class StaSpec:
    name: str
    mac: bytes
    ip: bytes
    identity: bytes = b"user@example.org"
    eap_method: str = "ttls"
    signal_dbm: int = -58


@dataclass(frozen=True, slots=True)
class Pmksa:
    pmk: bytes
    pmkid: bytes
    akm: int


@dataclass(frozen=True, slots=True)
class FtRoot:
    """PMK-R0 held for a STA in a mobility domain (from its initial MD association)."""

    pmk_r0: bytes
    pmk_r0_name: bytes
    r0kh_id: bytes
    mdid: int


@dataclass(slots=True)
class Link:
    """A STA's current association: keys and the counters that advance with every frame."""

    sta: StaSpec
    ap: ApSpec
    ptk: Ptk
    pmk: bytes
    aid: int
    replay: int = 0
    pn_up: int = 0
    pn_down: int = 0
    icmp_seq: int = 0


@dataclass(slots=True)
class Record:
    """What one connect/roam step did, kept by frame order ids until the capture is sorted."""

    kind: str
    sta: bytes
    from_bssid: bytes | None
    to_bssid: bytes
    ssid: bytes
    method: str
    akm: int
    trigger: str = ""
    pmkids_offered: list[bytes] = field(default_factory=list)
    m1_pmkid: bytes | None = None
    pmksa_hit: bool = False
    eap: bool = False
    status: int = 0
    outcome: str = "success"
    pmk: bytes = b""
    msk: bytes = b""
    tk: bytes = b""
    last_old_data_ns: int | None = None
    frames: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pending:
    """A frame as transmitted; ``group`` ties a transmission to its retries (None: control);
    ``acks_group``, of a Block Ack, is the group of the data frame it acknowledges, whose
    sequence number is its starting sequence number."""

    ts_ns: int
    frame: bytes
    radio: Radio
    group: int | None = None
    retry: bool = False
    bad_fcs: bool = False
    acks_group: int | None = None
