"""RSN pre-authentication (IEEE 802.11-2020 12.6.10.2, DOMAIN §7): EAP with a target AP of the
ESS through the current one, as EAPOL frames with ethertype 0x88C7.

The station stays associated; its frames go STA -> current AP -> DS -> target AP with DA = the
target's address (the authenticator address, AA) and SA = the station, and back the same way
(hostapd's preauth_auth.c sends from its own address to the station's). Where they show:

* over the air, as data frames of the current association (A1/A2 = station and current AP,
  A3 = the target): CCMP-protected, which is what a monitor capture really holds (unreadable:
  they count as data on the current AP), or in the clear (``air="clear"``), as a capture
  decrypted before it is read shows them; ``air="none"`` leaves them off the air capture;
* on the DS, as Ethernet II frames (``wire=True``), which ``Scenario.write_wired`` writes as a
  capture of their own (linktype 1), the one a port mirror on the APs' switch records.

The exchange is wpa_supplicant's: EAPOL-Start from the station, then the same EAP method as a
full authentication (Identity, a TLS-based method, Success or Failure). On Success both caches
of the builder hold a PMKSA for (station, target): PMK = MSK[0:32], PMKID =
HMAC-SHA1-128(PMK, "PMK Name" || AA || SPA), so a later roam to the target offers it.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from analyzer.crypto.ccmp import protect
from analyzer.crypto.keys import pmkid

from . import eapol, handshake
from .frames import mac_str, qos_data_header
from .model import ApSpec, Link, StaSpec
from .payloads import llc

if TYPE_CHECKING:
    from .scenario import Scenario

ETH_PREAUTH = 0x88C7
ETH_MIN = 60  # an Ethernet frame without FCS is padded to 60 bytes on the wire
AIR = ("protected", "clear", "none")
OPTIONS = frozenset({"air", "wire", "eap_method", "failure", "start"})


def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    frame = dst + src + struct.pack(">H", ethertype) + payload
    return frame + bytes(max(0, ETH_MIN - len(frame)))


class _Exchange:
    """Sends one EAPOL frame of the exchange where the options say it shows."""

    def __init__(self, sc: Scenario, link: Link, target: ApSpec, air: str, wire: bool) -> None:
        self.sc, self.link, self.target, self.air, self.wire = sc, link, target, air, wire

    def send(self, pdu: bytes, from_ap: bool, label: str) -> None:
        """Uplink: the air first, the current AP bridges it to the DS; downlink the reverse."""
        sc = self.sc
        legs = (self._wired, self._on_air) if from_ap else (self._on_air, self._wired)
        legs[0](pdu, from_ap, label)
        sc.gap(0.1, 0.6)  # bridging through the current AP
        legs[1](pdu, from_ap, label)

    def _on_air(self, pdu: bytes, from_ap: bool, label: str) -> None:
        if self.air == "none":
            return
        link, sc = self.link, self.sc
        sta, cur, aa = link.sta.mac, link.ap.bssid, self.target.bssid
        protected = self.air == "protected"
        if from_ap:
            header = qos_data_header(False, sta, cur, aa, protected=protected)
        else:
            header = qos_data_header(True, cur, sta, aa, protected=protected)
        body = llc(ETH_PREAUTH, pdu)
        if protected:
            if from_ap:
                link.pn_down += 1
                pn = link.pn_down
            else:
                link.pn_up += 1
                pn = link.pn_up
            body = protect(link.ap.cipher, link.ptk.tk, header, pn, body)
        sc.emit(header + body, link.ap, link.sta, from_ap, label, data=True)

    def _wired(self, pdu: bytes, from_ap: bool, label: str) -> None:
        if not self.wire:
            return
        sta, aa = self.link.sta.mac, self.target.bssid
        dst, src = (sta, aa) if from_ap else (aa, sta)
        self.sc.emit_wired(ethernet(dst, src, ETH_PREAUTH, pdu))


def check(sc: Scenario, sta: StaSpec, target: ApSpec, opts: dict[str, Any]) -> Link:
    """The current association the exchange goes through; ValueError when there is none."""
    unknown = set(opts) - OPTIONS
    if unknown:
        raise TypeError(f"unknown preauth options: {sorted(unknown)}")
    link = sc.links.get(sta.mac)
    if link is None:
        raise ValueError(f"preauth: station {sta.name!r} is not associated")
    if link.ap.bssid == target.bssid:
        raise ValueError(f"preauth: {sta.name!r} is already associated with {target.name!r}")
    if target.akm != "8021x" or link.ap.ssid != target.ssid:
        raise ValueError("preauth: the target must be an 802.1X AP of the current SSID")
    if opts.get("air", "protected") not in AIR:
        raise ValueError(f"preauth: air must be one of {AIR}")
    return link


def preauth(sc: Scenario, sta: StaSpec, target: ApSpec, opts: dict[str, Any]) -> None:
    """EAPOL-Start, EAP Identity, a TLS-based method, then EAP-Success (or Failure)."""
    link = check(sc, sta, target, opts)
    ex = _Exchange(sc, link, target, str(opts.get("air", "protected")),
                   bool(opts.get("wire", True)))
    method = str(opts.get("eap_method", sta.eap_method))
    start_ns = sc.now_ns
    if opts.get("start", True):
        ex.send(eapol.eapol_start(), False, "preauth_start")
        sc.gap(1.0, 4.0)
    last = _eap_rounds(sc, ex, sta, method)
    sc.gap(8.0, 40.0)
    failed = bool(opts.get("failure", False))
    code = eapol.EAP_FAILURE if failed else eapol.EAP_SUCCESS
    ex.send(_eapol_eap(eapol.eap(code, last), True), True,
            "preauth_failure" if failed else "preauth_success")
    event: dict[str, Any] = {
        "event": "preauth", "sta": mac_str(sta.mac), "bssid": mac_str(target.bssid),
        "via": mac_str(link.ap.bssid), "outcome": "eap_failure" if failed else "success",
        "start_ns": start_ns, "ts_ns": sc.now_ns, "msk": "", "pmk": "", "pmkid": None,
    }
    if not failed:
        msk = sc.rng.randbytes(64)
        pmk = msk[:32]
        pmk_id = pmkid(pmk, target.bssid, sta.mac, target.akm_suite)
        handshake.remember_pmksa(sc, sta, target, pmk, pmk_id)
        event.update(msk=msk.hex(), pmk=pmk.hex(), pmkid=pmk_id.hex())
    sc.events.append(event)


def _eapol_eap(packet: bytes, from_ap: bool) -> bytes:
    return eapol.eapol(2 if from_ap else 1, eapol.EAPOL_EAP, packet)


def _eap_rounds(sc: Scenario, ex: _Exchange, sta: StaSpec, method: str) -> int:
    """Identity and the method's rounds, as `handshake.eap` sends them; the last EAP id."""
    kind = eapol.EAP_TYPES[method]
    ident = sc.rng.randrange(256)
    ex.send(_eapol_eap(eapol.eap(eapol.EAP_REQUEST, ident, eapol.EAP_IDENTITY), True), True,
            "preauth_req_identity")
    sc.gap(1.0, 5.0)
    resp = eapol.eap(eapol.EAP_RESPONSE, ident, eapol.EAP_IDENTITY, sta.identity)
    ex.send(_eapol_eap(resp, False), False, "preauth_resp_identity")
    start = eapol.eap_tls(eapol.EAP_REQUEST, ident + 1, kind, flags=eapol.TLS_FLAG_START)
    rounds = [(start, eapol.tls_client_hello(sc.rng.randbytes(32)))] + [
        (eapol.eap_tls(eapol.EAP_REQUEST, ident + 2 + i, kind, s), c)
        for i, (s, c) in enumerate(handshake.tls_rounds(sc, method))
    ]
    for i, (server, client) in enumerate(rounds):
        sc.gap(8.0, 40.0)
        ex.send(_eapol_eap(server, True), True, "preauth_req")
        sc.gap(1.0, 6.0)
        reply = eapol.eap_tls(eapol.EAP_RESPONSE, ident + 1 + i, kind, client)
        ex.send(_eapol_eap(reply, False), False, "preauth_resp")
    return ident + len(rounds)
