"""Turn a closed `Attempt` and the station's context into the immutable `Roam` record."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.dot11.consts import akm_name
from analyzer.roam import latency
from analyzer.roam.attempt import Attempt, PhaseAcc
from analyzer.roam.method import FT_AKMS, decide
from analyzer.roam.records import (
    NO_TRIGGER,
    Evidence,
    FtDetails,
    Missing,
    Phase,
    Preauth,
    Roam,
)
from analyzer.roam.station import Bss, Station

_PHASE_ORDER = ("probe", "auth", "assoc", "eap", "4way")


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What the tracker knows around the attempt: station history and the BSSes."""

    pmkid_known: bool | None
    probe: PhaseAcc | None
    old_data_ns: int | None
    ssid: bytes | None
    channel_from: int | None
    channel_to: int | None
    rssi_old: int | None
    rssi_new: int | None
    finish_why: str | None = None
    preauths: tuple[Preauth, ...] = ()
    old_ack_ns: int | None = None


def kind_of(from_bssid: str | None, to_bssid: str) -> str:
    if from_bssid is None:
        return "initial"
    return "reconnect" if from_bssid == to_bssid else "roam"


def build_roam(att: Attempt, sur: Surroundings) -> Roam:
    method = decide(att, sur.pmkid_known)
    kind = kind_of(att.from_bssid, att.to_bssid)
    ctx = latency.Context(method, kind, sur.probe.start_ns if sur.probe else None,
                          sur.old_data_ns, sur.finish_why, sur.old_ack_ns)
    values, missing_latency = latency.compute(att, ctx)
    missing = latency.missing_frames(att, method) + missing_latency + _malformed(att)
    return Roam(
        id=att.id, sta=att.sta, from_bssid=att.from_bssid, to_bssid=att.to_bssid,
        ssid=_text(att.ssid if att.ssid else sur.ssid),
        channel_from=sur.channel_from, channel_to=sur.channel_to, kind=kind, method=method,
        akm=None if att.akm is None else akm_name(att.akm, att.wpa1),
        eap_method=att.eap_type_name, trigger=att.trigger or NO_TRIGGER,
        outcome=att.outcome or "incomplete", failure_reason=att.failure_reason,
        t_start_ns=att.start_ns, t_end_ns=_end(att), phases=_phases(att, sur),
        latency_ms=values, missing=tuple(missing), rssi_old_dbm=sur.rssi_old,
        rssi_new_dbm=att.rssi_new if att.rssi_new is not None else sur.rssi_new,
        pmkids_offered=tuple(p.hex() for p in att.pmkids),
        pmkid_m1=None if att.m1_pmkid is None else att.m1_pmkid.hex(),
        frames=tuple(att.frames), frames_dropped=att.frames_dropped,
        evidence=_evidence(att, sur),
        ft=_ft(att, method), steering=att.steering,
    )


def _ft(att: Attempt, method: str) -> FtDetails | None:
    if att.akm not in FT_AKMS:
        return None
    if method == "ft_over_ds":
        transition: str | None = "over_ds"
    elif method == "ft_over_air":
        transition = "over_air" if att.auth_alg == 2 else "not_captured"
    else:
        transition = None
    return FtDetails(
        initial=transition is None, transition=transition, mdid=att.mdid,
        r0kh_id=_text(att.r0kh_id), r1kh_id=att.r1kh_id,
        pmkr1_name=att.pmkids[0].hex() if transition is not None and att.pmkids else None,
    )


def _text(ssid: bytes | None) -> str | None:
    return None if ssid is None else ssid.decode("utf-8", "backslashreplace")


def _end(att: Attempt) -> int:
    if att.outcome == "success" and att.success_ns is not None:
        return att.success_ns
    return att.last_ns


def _phases(att: Attempt, sur: Surroundings) -> tuple[Phase, ...]:
    accs = dict(att.phases)
    if sur.probe is not None:
        accs["probe"] = sur.probe
    out = [_phase(name, accs[name]) for name in _PHASE_ORDER if name in accs]
    if att.first_data_ns is not None and att.success_ns is not None:
        out.append(Phase("first_data", att.success_ns, att.first_data_ns, 1, 0))
    return tuple(out)


def _phase(name: str, acc: PhaseAcc) -> Phase:
    return Phase(name, acc.start_ns, acc.end_ns, acc.frames, acc.retransmissions)


def _malformed(att: Attempt) -> list[Missing]:
    return [Missing(f"frame {i}", "malformed: could not be decoded") for i in att.malformed]


def _evidence(att: Attempt, sur: Surroundings) -> Evidence:
    return Evidence(
        eap_seen=att.eap_seen, eap_start=att.eap_start,
        eap_identity_request=att.eap_identity_request,
        eap_success="eap_success" in att.seen, eap_failure="eap_failure" in att.seen,
        m1_pmkid=att.m1_pmkid, m1_count=att.m1_count, m2_seen="M2" in att.seen,
        m3_count=att.m3_count, m4_seen="M4" in att.seen, auth_algorithm=att.auth_alg,
        auth_statuses=tuple(att.auth_statuses), assoc_status=att.assoc_status,
        reassoc=att.reassoc, current_ap=att.current_ap, pmkid_known_at_bssid=sur.pmkid_known,
        first_eap_frame=att.first_eap_frame, m1_frame=att.m1_frame,
        malformed_frames=tuple(att.malformed), akm_suite=att.akm,
        m1_pmkids=tuple(att.m1_pmkids), eapol_keys=tuple(att.key_pdus), mdid=att.mdid,
        r0kh_id=att.r0kh_id, r1kh_id=att.r1kh_id, assoc_req_frame=att.assoc_req_frame,
        preauths=sur.preauths, pairwise_cipher=att.cipher, sae_scalars=_sae_scalars(att),
        ft_frames=tuple(att.ft_frames), fils_ap_pmkids=att.fils_ap_pmkids,
        inferred_from=att.inferred_from if att.outcome == "success" else None,
    )


def _sae_scalars(att: Attempt) -> tuple[int, bytes, bytes] | None:
    """(group, station's scalar, AP's) of the last accepted commits, when both use one group."""
    sta, ap = att.sae_commits.get(False), att.sae_commits.get(True)
    if sta is None or ap is None or sta[0] != ap[0]:
        return None
    return sta[0], sta[1], ap[1]


def surroundings(st: Station, att: Attempt, bsses: dict[str, Bss],
                 finish_why: str | None) -> Surroundings:
    """The station's context of a closing attempt; hands over (and so forgets) the
    pre-authentications the station completed since its previous attempt record."""
    offered = att.pmkids + ((att.m1_pmkid,) if att.m1_pmkid is not None else ())
    old = bsses.get(att.from_bssid) if att.from_bssid is not None else None
    new = bsses.get(att.to_bssid)
    log = st.preauth
    preauthed = log is not None and log.reached(att.to_bssid, att.start_ns)
    return Surroundings(
        pmkid_known=(st.knows_pmkid(att.to_bssid, offered) or preauthed) if offered else None,
        probe=att.probe,
        old_data_ns=_old_data(att),
        ssid=new.ssid if new is not None else None,
        channel_from=old.channel if old is not None else None,
        channel_to=new.channel if new is not None else None,
        rssi_old=old.signal_dbm if old is not None else None,
        rssi_new=new.signal_dbm if new is not None else None,
        finish_why=finish_why,
        preauths=log.take() if log is not None else (),
        old_ack_ns=_old_ack(att),
    )


def pmkids_learned(att: Attempt) -> tuple[bytes, ...]:
    """PMKIDs the AP showed it holds: M1's always, the offered ones once accepted."""
    m1 = (att.m1_pmkid,) if att.m1_pmkid is not None else ()
    return att.pmkids + m1 if att.outcome == "success" else m1


def _old_data(att: Attempt) -> int | None:
    """Last data frame on the old BSSID, provided it precedes the first one on the new."""
    ts = att.old_data_ns
    if ts is None or (att.first_data_ns is not None and ts > att.first_data_ns):
        return None
    return ts


def _old_ack(att: Attempt) -> int | None:
    """ACK of the last acknowledged data on the old BSSID, provided it precedes the first
    acknowledged data on the new."""
    ts = att.old_ack_ns
    if ts is None or (att.first_ack_ns is not None and ts > att.first_ack_ns):
        return None
    return ts
