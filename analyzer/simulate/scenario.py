"""Script-style scenario builder: APs, stations, a clock, and steps that emit real frames.

    sc = Scenario(fmt="pcapng", seed=1)
    sc.ap("ap1", "00:1f:f3:c0:89:0f", "lab", 5300, akm="8021x").sta("c", "02:00:00:00:00:01")
    sc.beacons("ap1", 5).connect("c", "ap1").data("c", 4).wait(500).roam("c", "ap2")
    sc.write("out.pcapng"); sc.truth()

Every step advances the clock (``beacons`` excepted: they are background); frames are sorted
by time on output, and ``truth()`` reports plain data with 1-based frame indices.

``acks=True``: every unicast frame is followed by its ACK. ``block_acks=True``: data frames are
answered by a compressed Block Ack instead, as an HT/VHT/HE station's A-MPDUs are under a Block
Ack agreement (here an A-MPDU of one MPDU); management and EAPOL frames keep their ACKs. Either
can be changed between steps (``sc.block_acks = False``); the ``lost_acks`` fault of a step
loses both kinds.
"""

from __future__ import annotations

import os
import random
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from analyzer.capture.writer import PcapngWriter, PcapWriter
from analyzer.crypto.keys import tk_length

from . import flows, preauth, steps
from .elements import AKMS, CIPHERS, PSK_AKMS
from .frames import Radio, ack, block_ack, mac, on_air, set_seq, set_ssn
from .mlo import MldLink, MloPlan
from .model import ApSpec, FtRoot, Link, Pending, Pmksa, Record, StaSpec
from .payloads import ip
from .truth import Faults, record_dict

START_NS = 1_714_557_600_000_000_000  # 2024-05-01 10:00:00 UTC
DATA_RATE = 108
ACK_SEED = 0xACC
ACK_AIRTIME_NS = 44_000  # an ACK at 6 Mb/s: 20 us preamble + 24 us of 14 bytes (OFDM)
BLOCK_ACK_AIRTIME_NS = 68_000  # a compressed Block Ack (32 bytes) at 6 Mb/s: 20 + 48 us


def _freq(channel: int) -> int:
    """A frequency in MHz given as is, or a 2.4/5 GHz channel number."""
    if channel > 200:
        return channel
    if channel == 14:
        return 2484
    return 2407 + 5 * channel if channel <= 13 else 5000 + 5 * channel


def _labels(value: Collection[str] | None) -> frozenset[str]:
    return frozenset(value or ())


def _answer_mgmt(frame: bytes) -> bool:
    """A management frame other than a beacon: what a `seq_restart` AP numbers 0."""
    return frame[0] & 0x0C == 0 and frame[0] >> 4 != 8


def _first_seq(tx: bytes) -> int:
    """A transmitter's first sequence number (from its address: stable, and not 0 for all)."""
    return int.from_bytes(tx[-2:], "big") % 4096


class Scenario:
    """Builder of a cryptographically valid monitor-mode capture (radiotap, linktype 127)."""

    def __init__(
        self,
        fmt: str = "pcap",
        seed: int = 1,
        *,
        start_ns: int = START_NS,
        fcs: bool = True,
        acks: bool = False,
        block_acks: bool = False,
        nanosecond: bool = False,
    ) -> None:
        self.fmt = fmt
        self.rng = random.Random(seed)
        # ACK timing and signal have their own stream: turning ACKs on moves frames in time
        # only, never changes keys, nonces or the gaps between steps.
        self._ack_rng = random.Random(seed + ACK_SEED)
        self.start_ns = start_ns
        self.now_ns = start_ns
        self.fcs = fcs
        self.acks = acks
        self.block_acks = block_acks
        self.nanosecond = nanosecond
        self.aps: dict[str, ApSpec] = {}
        self.stas: dict[str, StaSpec] = {}
        self.links: dict[bytes, Link] = {}
        self.sta_pmksa: dict[tuple[bytes, bytes], Pmksa] = {}
        self.ap_pmksa: dict[tuple[bytes, bytes], dict[bytes, bytes]] = {}
        self.ess_pmk: dict[tuple[bytes, bytes], bytes] = {}
        self.ft_roots: dict[tuple[bytes, int], FtRoot] = {}
        self.last_data_ns: dict[bytes, int] = {}
        self.records: list[Record] = []
        self.events: list[dict[str, Any]] = []
        self.rec: Record | None = None
        self.faults = Faults()
        self._out: list[tuple[int, int, Pending]] = []
        self._wire: list[tuple[int, int, bytes]] = []  # Ethernet frames seen on the DS
        self._group = 0
        self._token = 0
        self._sent: dict[tuple[bytes, str], bytes] = {}  # (station, label) -> last frame
        self.mlo: MloPlan | None = None  # Wi-Fi 7 multi-link devices (analyzer.simulate.mlo)

    # --- description -------------------------------------------------------------------------

    def ap(
        self,
        name: str,
        bssid: str,
        ssid: str,
        channel: int,
        akm: str = "psk",
        passphrase: str | None = None,
        mdid: int | None = None,
        *,
        r0kh_id: str | None = None,
        ft_over_ds: bool = True,
        okc: bool = False,
        pmkid_kde: bool | None = None,
        signal_dbm: int = -45,
        seq_restart: bool = False,
        ext_key_id: bool = False,
        cipher: str = "ccmp",
        pmf: str = "off",
    ) -> Scenario:
        """Add an AP; ``channel`` is a channel number or a frequency in MHz; ``cipher`` the
        pairwise (and group) suite: ccmp, gcmp, ccmp-256, gcmp-256. ``seq_restart``: the AP
        numbers every management frame it answers with sequence number 0, as some APs restart
        the number for every exchange (its answers to repeated requests repeat every byte).
        ``ext_key_id``: Extended Key ID for individually addressed frames (RSNE bit 13);
        ``pmf``: off, capable or required (RSN Capabilities MFPC/MFPR)."""
        if akm not in AKMS:
            raise ValueError(f"unknown akm {akm!r}; one of {sorted(AKMS)}")
        if cipher not in CIPHERS:
            raise ValueError(f"unknown cipher {cipher!r}; one of {sorted(CIPHERS)}")
        if akm in PSK_AKMS and passphrase is None:
            raise ValueError(f"AP {name!r}: akm {akm!r} needs a passphrase")
        if akm.startswith("ft-") and mdid is None:
            raise ValueError(f"AP {name!r}: akm {akm!r} needs a mdid")
        self.aps[name] = ApSpec(
            name,
            mac(bssid),
            ssid.encode(),
            _freq(channel),
            akm,
            passphrase,
            mdid,
            (r0kh_id or f"{name}.r0kh.example").encode(),
            ft_over_ds,
            okc,
            pmkid_kde,
            signal_dbm,
            gtk=self.rng.randbytes(tk_length(CIPHERS[cipher])),
            seq_restart=seq_restart,
            ext_key_id=ext_key_id,
            cipher=CIPHERS[cipher],
            pmf=pmf,
        )
        return self

    def sta(
        self,
        name: str,
        mac_addr: str,
        *,
        ip_addr: str | None = None,
        identity: str = "user@example.org",
        eap_method: str = "ttls",
        signal_dbm: int = -58,
    ) -> Scenario:
        address = ip_addr or f"10.0.0.{10 + len(self.stas)}"
        self.stas[name] = StaSpec(
            name, mac(mac_addr), ip(address), identity.encode(), eap_method, signal_dbm
        )
        return self

    def mld_ap(self, name: str, links: Sequence[tuple[str, int]]) -> Scenario:
        """Make AP ``name`` an AP MLD: its ``bssid`` is the MLD MAC address (keys, PMKIDs,
        Current AP) and ``links`` the affiliated APs, (link address, channel), link 0 first
        (see `analyzer.simulate.mlo`)."""
        spec = self.aps[name]
        plan = self.mlo = self.mlo or MloPlan()
        plan.aps[spec.bssid] = [MldLink(i, mac(a), _freq(ch)) for i, (a, ch) in enumerate(links)]
        return self

    def mld_sta(self, name: str, links: Sequence[str]) -> Scenario:
        """Make station ``name`` a non-AP MLD: its ``mac`` is the MLD MAC address and
        ``links`` its link addresses, link 0 first. Called again later: the links it sets up
        in its associations from now on (a link change at its next association)."""
        plan = self.mlo = self.mlo or MloPlan()
        since = self.now_ns if self.stas[name].mac in plan.stas else 0
        plan.stas.setdefault(self.stas[name].mac, []).append((since, [mac(a) for a in links]))
        return self

    # --- clock -------------------------------------------------------------------------------

    def at(self, seconds: float) -> Scenario:
        self.now_ns = self.start_ns + round(seconds * 1e9)
        return self

    def wait(self, ms: float) -> Scenario:
        self.now_ns += round(ms * 1e6)
        return self

    def gap(self, lo_ms: float, hi_ms: float) -> None:
        self.now_ns += round(self.rng.uniform(lo_ms, hi_ms) * 1e6)

    # --- emission (used by flows and steps) ---------------------------------------------------

    def next_token(self) -> int:
        self._token = self._token % 255 + 1
        return self._token

    def emit(
        self,
        frame: bytes,
        ap: ApSpec,
        sta: StaSpec | None,
        from_ap: bool,
        label: str,
        *,
        data: bool = False,
        at_ns: int | None = None,
    ) -> None:
        """Transmit one mgmt/data frame: radio, faults, optional ACK (or Block Ack).

        Sequence numbers are given per transmitter in time order when the capture is written,
        so background beacons scheduled ahead do not disturb them; retries share one number.
        With ``acks`` a unicast frame is answered by an ACK SIFS after its last transmission
        (a copy with a bad FCS or one that is retried got none), and the next frame follows
        the ACK. The sniffer hears the ACK even when it missed the frame (``drop``), unless
        the label is in ``lost_acks``. With ``block_acks`` a ``data`` frame is answered by a
        compressed Block Ack instead, likewise.
        """
        ts = self.now_ns if at_ns is None else at_ns
        if sta is not None:
            self._sent[(sta.mac, label)] = frame
        radio = self._radio(ap, sta, from_ap, DATA_RATE if data else None, ts)
        self._group += 1
        retry = label in self.faults.bad_fcs
        if retry:
            self._put(Pending(ts, frame, radio, self._group, bad_fcs=True), None)
            ts += self._airtime()
        if not self._dropped(label):
            self._put(Pending(ts, frame, radio, self._group, retry), label)
        if label in self.faults.retries:
            ts += self._airtime()
            self._put(Pending(ts, frame, radio, self._group, True), None)
        acked = 0
        if data and self.block_acks and not frame[4] & 1:
            acked = self._ack(frame, ap, sta, not from_ap, ts, label, block=True)
        elif self.acks and not frame[4] & 1:
            acked = self._ack(frame, ap, sta, not from_ap, ts, label)
        if at_ns is None:
            self.now_ns = max(ts + self._airtime(), acked)

    def emit_wired(self, frame: bytes) -> None:
        """An Ethernet II frame on the distribution system, now (see `write_wired`)."""
        self._wire.append((self.now_ns, len(self._wire), frame))
        self.now_ns += self.rng.randrange(5_000, 20_000)

    def emit_control(self, frame: bytes, ap: ApSpec, sta: StaSpec | None, from_ap: bool) -> None:
        radio = self._radio(ap, sta, from_ap, None, self.now_ns)
        self._put(Pending(self.now_ns, frame, radio), None)
        self.now_ns += self._airtime()

    def _ack(
        self, frame: bytes, ap: ApSpec, sta: StaSpec | None, from_ap: bool, ts: int, label: str,
        block: bool = False,
    ) -> int:  # fmt: skip
        """The ACK (``block``: compressed Block Ack) of ``frame`` sent at ``ts``: after the
        frame and SIFS (40-90 us in all); returns when it ends."""
        rng = self._ack_rng
        at = ts + rng.randrange(40_000, 90_000)
        if label not in self.faults.lost_acks:
            base = ap.signal_dbm if from_ap or sta is None else sta.signal_dbm
            basic = 2 if ap.freq_mhz < 3000 else 12
            radio = Radio(at // 1000, ap.freq_mhz, base + rng.randint(-3, 3), basic)
            self._put(self._answer(frame, at, radio, block), None)
        return at + (BLOCK_ACK_AIRTIME_NS if block else ACK_AIRTIME_NS)

    def _answer(self, frame: bytes, at: int, radio: Radio, block: bool) -> Pending:
        """An ACK to the frame's transmitter, or the receiver's Block Ack of the frame's TID
        (its starting sequence number is the frame's, filled in on output)."""
        if not block:
            return Pending(at, ack(frame[10:16]), radio)
        tid = frame[24] & 0x0F if frame[0] & 0x80 else 0  # QoS Control, QoS subtypes only
        return Pending(at, block_ack(frame[10:16], frame[4:10], tid, 0), radio,
                       acks_group=self._group)  # fmt: skip

    def _radio(
        self, ap: ApSpec, sta: StaSpec | None, from_ap: bool, rate: int | None, ts: int
    ) -> Radio:
        base = ap.signal_dbm if from_ap or sta is None else sta.signal_dbm
        basic = 2 if ap.freq_mhz < 3000 else 12
        return Radio(ts // 1000, ap.freq_mhz, base + self.rng.randint(-3, 3), rate or basic)

    def _airtime(self) -> int:
        return self.rng.randrange(60_000, 250_000)

    def _dropped(self, label: str) -> bool:
        f = self.faults
        return label in f.drop or (f.drop_p > 0 and self.rng.random() < f.drop_p)

    def _put(self, pending: Pending, label: str | None) -> None:
        order = len(self._out)
        self._out.append((pending.ts_ns, order, pending))
        if label is not None and self.rec is not None:
            self.rec.frames.setdefault(label, []).append(order)

    # --- steps -------------------------------------------------------------------------------

    def beacons(self, ap: str, count: int, interval_ms: float | None = None) -> Scenario:
        """Background beacons from now on; the clock does not move."""
        steps.beacons(self, self.aps[ap], count, interval_ms)
        return self

    def probe(self, sta: str, ap: str) -> Scenario:
        steps.probe(self, self.stas[sta], self.aps[ap])
        return self

    def connect(self, sta: str, ap: str, **options: Any) -> Scenario:
        """Initial association: auth, assoc, [EAP], 4-way handshake, first data (see flows)."""
        with self._faults(options):
            flows.join(self, self.stas[sta], self.aps[ap], "connect", options)
        return self

    def roam(self, sta: str, ap: str, method: str | None = None, **options: Any) -> Scenario:
        """Reassociation to ``ap`` by ``method`` (full, pmksa, okc, ft_over_air, ft_over_ds,
        psk, sae, owe); the default follows the AKM and the STA's PMKSA cache."""
        with self._faults(options):
            flows.join(self, self.stas[sta], self.aps[ap], "roam", {**options, "method": method})
        return self

    def data(self, sta: str, count: int = 4, interval_ms: float = 20.0) -> Scenario:
        """``count`` encrypted frames alternating uplink echo request / downlink reply."""
        steps.data(self, self.stas[sta], count, interval_ms)
        return self

    def deauth(self, sta: str, reason: int = 3, by: str = "sta") -> Scenario:
        steps.leave(self, self.stas[sta], reason, by, "deauth")
        return self

    def disassoc(self, sta: str, reason: int = 8, by: str = "sta") -> Scenario:
        steps.leave(self, self.stas[sta], reason, by, "disassoc")
        return self

    def btm(
        self,
        ap: str,
        sta: str,
        candidates: Sequence[str] = (),
        accept: bool = True,
        **options: Any,
    ) -> Scenario:
        """BTM Request with candidates; on accept the STA roams to the first one (or to the AP
        named by ``go_to``, listed or not). ``respond=False``: the station neither answers nor
        moves (the request ignored)."""
        if "go_to" in options:
            options["go_to"] = self.aps[options["go_to"]]
        steps.btm(
            self, self.aps[ap], self.stas[sta], [self.aps[c] for c in candidates], accept, options
        )
        return self

    def preauth(self, sta: str, ap: str, **options: Any) -> Scenario:
        """RSN pre-authentication of ``sta`` with ``ap`` through its current AP (EAP over
        ethertype 0x88C7; see `analyzer.simulate.preauth`). Options: ``air`` ("protected",
        "clear" or "none"), ``wire`` (also on the DS: `write_wired`), ``eap_method``,
        ``failure`` (EAP-Failure), ``start`` (begin with EAPOL-Start)."""
        preauth.preauth(self, self.stas[sta], self.aps[ap], options)
        return self

    def neighbor_report(self, sta: str) -> Scenario:
        steps.neighbor_report(self, self.stas[sta])
        return self

    def sa_query(self, sta: str) -> Scenario:
        steps.sa_query(self, self.stas[sta])
        return self

    def group_rekey(self, sta: str, clear: bool = False) -> Scenario:
        steps.group_rekey(self, self.stas[sta], clear)
        return self

    def deauth_flood(self, sta: str, ap: str, count: int = 50, interval_ms: float = 5.0,
                     reason: int = 7, both_ways: bool = True) -> Scenario:
        """Forged unprotected Deauthentications between ``sta`` and ``ap`` (steps)."""
        steps.deauth_flood(self, self.stas[sta], self.aps[ap], count, interval_ms, reason,
                           both_ways)  # fmt: skip
        return self

    def replay(self, sta: str, ap: str, labels: Sequence[str], times: int = 1,
               interval_ms: float = 500.0, reinstall: str | None = None) -> Scenario:
        """Transmit the last frames with these labels again, byte for byte but under new
        sequence numbers, ``times`` times (an FT Reassociation replay: reassoc_req,
        reassoc_resp; the AP answering is up to the labels given). ``reinstall``: the
        victim ("sta" or "ap") installs its key again, so its packet numbers restart."""
        st, bss = self.stas[sta], self.aps[ap]
        link = self.links.get(st.mac)
        if reinstall is not None and link is not None:
            if reinstall == "sta":
                link.pn_up = 0
            else:
                link.pn_down = 0
        for _ in range(times):
            self.wait(interval_ms)
            for label in labels:
                frame = self._sent[(st.mac, label)]
                from_ap = frame[10:16] == bss.bssid
                self.emit(frame, bss, st, from_ap, f"{label}_replayed")
                self.gap(0.5, 2.0)
        return self

    def recover(self, sta: str, after_ms: float = 5.0, dhcp: str | None = "renew",
                arp: bool = True, step_ms: float = 2.0, **options: Any) -> Scenario:
        """After a connect/roam: DHCP (``full``, ``renew`` or None), ARP for the gateway,
        then an ICMP echo each way, all protected (steps.recover); faults by label
        (``dhcp_1``..``dhcp_5``, ``arp_request``, ``arp_reply``)."""
        with self._faults(options):
            steps.recover(self, self.stas[sta], after_ms, dhcp, arp, step_ms)
        return self

    def ptk_rekey(self, sta: str, clear: bool = False) -> Scenario:
        """A new 4-way handshake on the station's association (protected unless ``clear``)."""
        steps.ptk_rekey(self, self.stas[sta], clear)
        return self

    def control(self, count: int, ap: str, sta: str) -> Scenario:
        steps.control(self, self.aps[ap], self.stas[sta], count)
        return self

    def _faults(self, options: dict[str, Any]) -> _FaultScope:
        drop = options.pop("drop", None)
        p = float(drop) if isinstance(drop, float) else 0.0
        names = None if isinstance(drop, float) else drop
        faults = Faults(
            _labels(names),
            p,
            _labels(options.pop("retries", None)),
            _labels(options.pop("bad_fcs", None)),
            _labels(options.pop("lost_acks", None)),
        )
        return _FaultScope(self, faults)

    # --- output ------------------------------------------------------------------------------

    def _sorted(self) -> list[tuple[int, int, bytes]]:
        """Frames in time order with their sequence numbers and FCS filled in."""
        seqs: dict[bytes, int] = {}
        given: dict[int, int] = {}
        restart = {ap.bssid for ap in self.aps.values() if ap.seq_restart}
        if self.mlo is not None:
            self.mlo.reset()
        out = []
        for ts, order, p in sorted(self._out, key=lambda e: (e[0], e[1])):
            frame = p.frame
            if p.group is not None:
                if p.group not in given:
                    tx = frame[10:16]
                    if tx in restart and _answer_mgmt(frame):
                        given[p.group] = 0
                    else:
                        given[p.group] = seqs.get(tx, _first_seq(tx))
                        seqs[tx] = (given[p.group] + 1) & 0xFFF
                frame = set_seq(frame, given[p.group], p.retry)
            elif p.acks_group is not None:  # a Block Ack: the number of the frame it answers
                ra = frame[4:10]
                frame = set_ssn(frame, given.get(p.acks_group, seqs.get(ra, _first_seq(ra))))
            radio = p.radio
            if self.mlo is not None:
                frame, radio = self.mlo.rewrite(frame, radio, ts)
            out.append((ts, order, on_air(frame, radio, self.fcs, p.bad_fcs)))
        return out

    def frames(self) -> Iterator[tuple[int, bytes]]:
        for ts, _, data in self._sorted():
            yield ts, data

    def write(self, path: str | os.PathLike[str], fmt: str | None = None) -> int:
        return self._write(path, fmt, 127, "mon0", self.frames())

    def wired_frames(self) -> list[tuple[int, bytes]]:
        """The Ethernet frames seen on the DS (pre-authentication), in time order."""
        return [(ts, frame) for ts, _, frame in sorted(self._wire)]

    def write_wired(self, path: str | os.PathLike[str], fmt: str | None = None) -> int:
        """The DS frames as a capture of their own (linktype 1, Ethernet): a port mirror on
        the APs' switch. Read it with the air capture as a second sensor."""
        return self._write(path, fmt, 1, "eth0", self.wired_frames())

    def _write(
        self, path: str | os.PathLike[str], fmt: str | None, linktype: int, name: str,
        frames: Iterable[tuple[int, bytes]],
    ) -> int:  # fmt: skip
        fmt = fmt or self.fmt
        if fmt not in ("pcap", "pcapng"):
            raise ValueError(f"unknown capture format {fmt!r}")
        with open(path, "wb") as f:
            if fmt == "pcapng":
                ng = PcapngWriter(f)
                iface = ng.add_interface(linktype, name)
                for ts, data in frames:
                    ng.write(iface, ts, data)
                return ng.count
            pc = PcapWriter(f, linktype, nanosecond=self.nanosecond)
            for ts, data in frames:
                pc.write(ts, data)
            return pc.count

    def truth(self) -> dict[str, Any]:
        """Plain data: APs, STAs, every connection attempt with 1-based frame indices."""
        ordered = self._sorted()
        index = {order: i + 1 for i, (_, order, _) in enumerate(ordered)}
        ts = {order: t for t, order, _ in ordered}
        return {
            "frames": len(ordered),
            "aps": [steps.ap_dict(a) for a in self.aps.values()],
            "stas": [steps.sta_dict(s) for s in self.stas.values()],
            "connections": [record_dict(r, index, ts) for r in self.records],
            "events": list(self.events),
        }


class _FaultScope:
    def __init__(self, sc: Scenario, faults: Faults) -> None:
        self.sc = sc
        self.faults = faults

    def __enter__(self) -> None:
        self.sc.faults = self.faults

    def __exit__(self, *exc: object) -> None:
        self.sc.faults = Faults()
