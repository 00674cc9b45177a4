"""Ground truth as plain data (no analyzer types), and the per-step fault settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .frames import mac_str
from .model import Record

# Labels whose first frame marks a phase of a connection attempt (DOMAIN §9).
PHASES = {
    "probe": ("probe_req",),
    "auth": ("auth_req", "sae_commit_sta", "ft_request"),
    "assoc": ("assoc_req", "reassoc_req"),
    "eap": ("eap_req_identity", "eapol_start"),
    "eap_end": ("eap_success", "eap_failure"),
    "m1": ("m1",),
    "m4": ("m4",),
    "first_data": ("data",),
}


@dataclass(frozen=True, slots=True)
class Faults:
    """Frames (by label) the sniffer misses, sees retried, or sees with a bad FCS first;
    frames whose ACK it misses (with ``acks``)."""

    drop: frozenset[str] = frozenset()
    drop_p: float = 0.0
    retries: frozenset[str] = frozenset()
    bad_fcs: frozenset[str] = frozenset()
    lost_acks: frozenset[str] = frozenset()


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _phases(frames: dict[str, list[int]], ts: dict[int, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for phase, labels in PHASES.items():
        times = [ts[o] for label in labels for o in frames.get(label, [])]
        if times:
            out[phase] = min(times)
    return out


def record_dict(rec: Record, index: dict[int, int], ts: dict[int, int]) -> dict[str, Any]:
    frames = {label: sorted(index[o] for o in orders) for label, orders in rec.frames.items()}
    every = [ts[o] for orders in rec.frames.values() for o in orders]
    return {
        "kind": rec.kind,
        "sta": mac_str(rec.sta),
        "from_bssid": None if rec.from_bssid is None else mac_str(rec.from_bssid),
        "to_bssid": mac_str(rec.to_bssid),
        "ssid": rec.ssid.decode(errors="replace"),
        "method": rec.method,
        "akm": rec.akm,
        "trigger": rec.trigger,
        "pmkids_offered": [p.hex() for p in rec.pmkids_offered],
        "m1_pmkid": _hex(rec.m1_pmkid),
        "pmksa_hit": rec.pmksa_hit,
        "eap": rec.eap,
        "status": rec.status,
        "outcome": rec.outcome,
        "pmk": rec.pmk.hex(),
        "msk": rec.msk.hex(),
        "tk": rec.tk.hex(),
        "frames": frames,
        "phases_ns": _phases(rec.frames, ts),
        "start_ns": min(every, default=None),
        "end_ns": max(every, default=None),
        "last_old_data_ns": rec.last_old_data_ns,
    }
