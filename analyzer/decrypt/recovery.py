"""The recovery of one attempt after its control plane, accumulated from the frames the
decryption pass opened for it: first frames and IP packets each way, the first DHCP exchange,
the ARP between the station and its gateway; then its latencies, or why each is null."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from analyzer.capture import RawRecord
from analyzer.dot11.payload import DHCP_TYPES, Payload
from analyzer.roam import clock
from analyzer.roam.records import RECOVERY_KEYS, Missing, Recovery, Roam

WINDOW_FRAMES = 64  # recovery is looked for in the first 64 decrypted frames after the roam


@dataclass(slots=True)
class Seen:
    frame: int
    ts_ns: int


@dataclass(slots=True)
class Recovering:
    """The recovery of one attempt, accumulated from its association's decrypted frames."""

    roam_i: int
    cp_start_ns: int | None
    cp_end_ns: int
    first_up: Seen | None = None
    first_down: Seen | None = None
    ip_up: Seen | None = None
    ip_down: Seen | None = None
    dhcp: list[tuple[str, Seen]] = field(default_factory=list)
    gateway: str | None = None
    arp_req: Seen | None = None
    arp_reply: Seen | None = None
    arp_up: bool = True  # the station asked (else the gateway did)
    sta_ip: str | None = None  # the DHCP ACK's address for the station
    group: int = 0  # group frames decrypted for it
    decrypted: int = 0
    undecryptable: int = 0

    def open(self, ts_ns: int) -> bool:
        """Still looking: after the control plane, short of the frame budget, not complete."""
        return (ts_ns >= self.cp_end_ns and self.decrypted < WINDOW_FRAMES
                and not self.complete())

    def dhcp_pending(self) -> bool:
        names = [n for n, _ in self.dhcp]
        return bool(names) and "ACK" not in names and "NAK" not in names

    def group_open(self, ts_ns: int) -> bool:
        return self.group < WINDOW_FRAMES and self.open(ts_ns)

    def complete(self) -> bool:
        return (self.ip_up is not None and self.ip_down is not None
                and not self.dhcp_pending() and self.arp_reply is not None)



def cp_end(roam: Roam) -> int | None:
    ends = [p.end_ns for p in roam.phases if p.name not in ("probe", "first_data")]
    return max(ends) if ends else None


def cp_start(roam: Roam) -> int | None:
    starts = [p.start_ns for p in roam.phases if p.name not in ("probe", "first_data")]
    return min(starts) if starts else None



def _dhcp_chaddr(p: Payload) -> bytes:
    ihl = (p.body[0] & 0x0F) * 4 if p.body else 0
    return p.body[ihl + 8 + 28 : ihl + 8 + 34]


_CLIENT_DHCP = frozenset({1, 3, 4, 7, 8})  # Discover, Request, Decline, Release, Inform


def observe(acc: Recovering, rec: RawRecord, p: Payload, up: bool, sta: bytes,
             group: bool = False) -> None:
    """One decrypted frame of the association (uplink, downlink, or a group frame of its AP)
    into the attempt's recovery."""
    seen = Seen(rec.index, rec.ts_ns)
    if up and acc.first_up is None:
        acc.first_up = seen
    if not up and not group and acc.first_down is None:
        acc.first_down = seen
    if p.kind in ("ipv4", "ipv6") and not group:
        if up and acc.ip_up is None:
            acc.ip_up = seen
        elif not up and acc.ip_down is None:
            acc.ip_down = seen
    if p.dhcp_type in DHCP_TYPES:
        _dhcp(acc, seen, p, up, group and _dhcp_chaddr(p) != sta)
    if p.kind == "arp":
        _arp(acc, seen, p, up)


def _dhcp(acc: Recovering, seen: Seen, p: Payload, up: bool, not_ours: bool) -> None:
    dtype = p.dhcp_type or 0
    if not_ours or up != (dtype in _CLIENT_DHCP):
        return  # a server's message uplink, a client's relayed back, another station's
    if not acc.dhcp and dtype not in (1, 3):
        return
    if acc.dhcp and not acc.dhcp_pending():
        return
    acc.dhcp.append((DHCP_TYPES[dtype], seen))
    if dtype == 5:
        acc.sta_ip = p.dhcp_yiaddr
        if p.dhcp_router and acc.gateway is None:
            acc.gateway = p.dhcp_router


def _arp(acc: Recovering, seen: Seen, p: Payload, up: bool) -> None:
    """The first ARP exchange between the station and its gateway, either way round: the
    station asking for the gateway (the DHCP router, else its first ARP target), or the
    gateway asking for the station, then the answer."""
    if acc.arp_req is None and p.arp_op == 1:
        asks_gw = up and (acc.gateway is None or p.arp_target_ip == acc.gateway)
        gw_asks = (not up and acc.gateway is not None and p.arp_sender_ip == acc.gateway
                   and acc.sta_ip in (None, p.arp_target_ip))
        if asks_gw or gw_asks:
            acc.arp_req = seen
            acc.gateway = acc.gateway or p.arp_target_ip
            acc.arp_up = up
    elif acc.arp_req is not None and acc.arp_reply is None and p.arp_op == 2:
        if up != acc.arp_up:
            acc.arp_reply = seen


def _ms(start: int | None, end: int | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start) / 1e6, 3)


_WINDOW = (f"in the first {WINDOW_FRAMES} frames of the association decrypted after the "
           "control plane")


def latencies(roam: Roam, acc: Recovering | None) -> tuple[dict[str, float | None], dict[str, str]]:
    jumped = clock.across_jump(roam.missing)
    if jumped is not None:  # the roam's own latencies were not measured either
        return dict.fromkeys(RECOVERY_KEYS), dict.fromkeys(RECOVERY_KEYS, jumped)
    if acc is None:
        why = ("not applicable: the attempt failed" if roam.outcome == "failed" else
               "nothing decrypted: no given key verifies this attempt's 4-way handshake")
        return dict.fromkeys(RECOVERY_KEYS), dict.fromkeys(RECOVERY_KEYS, why)
    values: dict[str, float | None] = {
        "l3_up": _ms(acc.cp_end_ns, acc.ip_up and acc.ip_up.ts_ns),
        "l3_down": _ms(acc.cp_end_ns, acc.ip_down and acc.ip_down.ts_ns),
        "dhcp": _dhcp_ms(acc),
        "to_ip_traffic": None,
    }
    if acc.ip_up and acc.ip_down:
        values["to_ip_traffic"] = _ms(acc.cp_start_ns, max(acc.ip_up.ts_ns, acc.ip_down.ts_ns))
    why = {
        "l3_up": f"no IP packet from the station decrypted {_WINDOW}",
        "l3_down": f"no IP packet to the station decrypted {_WINDOW}",
        "dhcp": _dhcp_why(acc),
        "to_ip_traffic": ("control plane start unknown" if acc.cp_start_ns is None else
                          "IP traffic not seen in both directions " + _WINDOW),
    }
    return values, {k: why[k] for k, v in values.items() if v is None}


def _dhcp_ms(acc: Recovering) -> float | None:
    start = next((s for n, s in acc.dhcp if n in ("Discover", "Request")), None)
    end = next((s for n, s in acc.dhcp if n == "ACK"), None)
    return _ms(start and start.ts_ns, end and end.ts_ns)


def _dhcp_why(acc: Recovering) -> str:
    if not acc.dhcp:
        return f"no DHCP exchange {_WINDOW} (the station kept its address, or it is static)"
    first = acc.dhcp[0][1].frame
    if any(n == "NAK" for n, _ in acc.dhcp):
        return f"the DHCP exchange from frame {first} ended with a NAK"
    return f"the DHCP exchange from frame {first} got no ACK {_WINDOW}"


def with_recovery(roam: Roam, values: dict[str, float | None], reasons: dict[str, str],
                   acc: Recovering | None) -> Roam:
    latency = {**roam.latency_ms, **values}
    missing = tuple(m for m in roam.missing if m.what[8:] not in RECOVERY_KEYS
                    or not m.what.startswith("latency."))  # fmt: skip
    missing += tuple(Missing(f"latency.{k}", reasons[k]) for k in RECOVERY_KEYS if k in reasons)
    recovery = None if acc is None else Recovery(
        first_up_frame=acc.first_up and acc.first_up.frame,
        first_down_frame=acc.first_down and acc.first_down.frame,
        first_ip_up_frame=acc.ip_up and acc.ip_up.frame,
        first_ip_down_frame=acc.ip_down and acc.ip_down.frame,
        dhcp=tuple((n, s.frame) for n, s in acc.dhcp),
        gateway=acc.gateway,
        arp_request_frame=acc.arp_req and acc.arp_req.frame,
        arp_reply_frame=acc.arp_reply and acc.arp_reply.frame,
        decrypted=acc.decrypted,
        undecryptable=acc.undecryptable,
    )
    return replace(roam, latency_ms=latency, missing=missing, recovery=recovery)


