"""One row per relevant decoded frame, for `roam-analyzer frames`."""

from __future__ import annotations

from typing import Any

from analyzer.dot11.consts import akm_name, block_ack_type_name, reason_name, status_name
from analyzer.dot11.records import (
    Action,
    AssocReq,
    AssocResp,
    Auth,
    Beacon,
    BlockAck,
    Disconnect,
    Eap,
    Eapol,
    EapolKey,
    Elements,
    EthHeader,
    Frame,
    Kind,
    MacHeader,
    ProbeReq,
)
from analyzer.report.safe import printable
from analyzer.roam.inventory import frame_roles

# Not rows of the frames tables (notebook, --out frames.csv, the Parquet dataset): beacons,
# data, ACKs and Block Acks are the bulk of a capture and are summarised elsewhere (counts,
# latencies).
NOT_TABLED = frozenset({Kind.BEACON, Kind.DATA, Kind.CONTROL})

EAPOL_TYPES = {0: "EAP", 1: "Start", 2: "Logoff", 3: "Key"}
EAP_CODES = {1: "Request", 2: "Response", 3: "Success", 4: "Failure"}


def frame_row(capture: int, frame: Frame) -> dict[str, Any]:
    sta, bssid = frame_roles(frame)
    row: dict[str, Any] = {
        "capture": capture,
        "frame": frame.index,
        "ts": frame.ts_ns / 1e9,
        "kind": kind_name(frame),
        "sta": sta,
        "bssid": bssid,
        **_header_fields(frame.header),
    }
    if frame.radio is not None:
        row["signal_dbm"] = frame.radio.signal_dbm
        row["freq_mhz"] = frame.radio.freq_mhz
    row.update(_body_fields(frame.body))
    return row


def kind_name(frame: Frame) -> str:
    """The frame's kind in lower case; of the control frames decoded, "ack" or "block_ack"."""
    header = frame.header
    if isinstance(frame.body, BlockAck):
        return "block_ack"
    if frame.kind is Kind.CONTROL and isinstance(header, MacHeader) and header.subtype == 13:
        return "ack"
    return frame.kind.name.lower()


def _header_fields(header: MacHeader | EthHeader | None) -> dict[str, Any]:
    if isinstance(header, MacHeader):
        return {
            "ta": header.ta,
            "ra": header.ra,
            "seq": header.seq,
            "retry": header.retry,
            "protected": header.protected,
        }
    if isinstance(header, EthHeader):
        return {"ta": header.src, "ra": header.dst}
    return {}


def _body_fields(body: object) -> dict[str, Any]:
    match body:
        case Beacon(elements=el):
            return _element_fields(el)
        case ProbeReq(elements=el):
            return _element_fields(el)
        case Auth():
            return {
                "algorithm": body.algorithm,
                "auth_seq": body.seq,
                "status": status_name(body.status),
                **_element_fields(body.elements),
            }
        case AssocReq():
            return {"current_ap": body.current_ap, **_element_fields(body.elements)}
        case AssocResp():
            return {
                "status": status_name(body.status),
                "aid": body.aid,
                **_element_fields(body.elements),
            }
        case Disconnect():
            reason = None if body.reason is None else reason_name(body.reason)
            return {"reason": reason if reason is not None else "protected"}
        case Action():
            return {
                "category": body.category,
                "action": body.action,
                "detail": type(body.detail).__name__ if body.detail else None,
            }
        case Eapol():
            return _eapol_fields(body)
        case BlockAck():
            return _block_ack_fields(body)
    return {}


def _block_ack_fields(ba: BlockAck) -> dict[str, Any]:
    return {
        "ba_type": block_ack_type_name(ba.ba_type),
        "tid": ba.tid_info,
        "ssn": ba.starting_seq,
        "bitmap": None if ba.bitmap is None else ba.bitmap.hex(),
    }


def _element_fields(el: Elements) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if el.ssid is not None:
        out["ssid"] = printable(el.ssid)
    if el.channel is not None:
        out["channel"] = el.channel
    if el.rsne is not None:
        out["akm"] = [akm_name(a) for a in el.rsne.akms]
        if el.rsne.pmkids:
            out["pmkids"] = [p.hex() for p in el.rsne.pmkids]
    if el.mde is not None:
        out["mdid"] = f"{el.mde.mdid:04x}"
    return out


def _eapol_fields(pdu: Eapol) -> dict[str, Any]:
    out: dict[str, Any] = {"eapol_type": EAPOL_TYPES.get(pdu.type, str(pdu.type))}
    body = pdu.body
    if isinstance(body, EapolKey):
        out.update(
            message=body.message,
            replay_counter=body.replay_counter,
            key_info=f"0x{body.key_info:04x}",
        )
        if body.pmkid is not None:
            out["pmkid"] = body.pmkid.hex()
    elif isinstance(body, Eap):
        out.update(
            eap_code=EAP_CODES.get(body.code, str(body.code)),
            eap_id=body.id,
            eap_type=body.type_name,
        )
        if body.identity is not None:
            out["identity"] = printable(body.identity)
    return out


def summary(row: dict[str, Any]) -> str:
    """A short human description of a frame row."""
    skip = {
        "capture",
        "frame",
        "ts",
        "kind",
        "sta",
        "bssid",
        "ta",
        "ra",
        "seq",
        "retry",
        "protected",
        "signal_dbm",
        "freq_mhz",
    }
    parts = [f"{k}={_short(v)}" for k, v in row.items() if k not in skip and v is not None]
    return " ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
