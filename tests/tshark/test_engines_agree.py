"""Both engines over every real capture and every shipped scenario: Wireshark's dissectors
(`--engine tshark`) and ours give the same roams and PMKIDs, and the same decoded records."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.config import load_keys
from analyzer.dot11 import decode, peek
from analyzer.dot11.records import Frame, Malformed
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.simulate import BUILDERS
from analyzer.tshark.runner import TsharkCapture
from tests.conftest import PUBLIC, REPO, public_capture_params
from tests.simulate.extras import everything

pytestmark = pytest.mark.tshark

SHIPPED = sorted((REPO / "pcaps").glob("*.pcapng"))
CAPTURES = [*public_capture_params(), *SHIPPED]

def _id(p: object) -> str:
    return p.name if isinstance(p, Path) else str(p)


def _run(path: Path, engine: str) -> tuple[dict, list[Frame]]:
    """The JSON document of one engine's run and every decoded frame it fed the roam
    engine (a frame sink sees them all)."""
    frames: list[Frame] = []
    analysis = run([str(path)], sinks=[lambda _n, f: frames.append(f)], engine=engine)
    return analysis_document(analysis), frames


@pytest.mark.parametrize("path", CAPTURES, ids=_id)
def test_both_engines_agree_roam_for_roam_and_frame_for_frame(tshark: str, path: Path) -> None:
    """The same roams, PMKIDs and counts; the same frames, field for field (radio, MAC
    header, body, elements, EAPOL-Key with its raw PDU, EAP); the same capture entries, as
    many malformed frames but for the wording of their reasons (wpa-Induction.pcap.gz: see
    test_frame_with_unknown_protocol_version_and_bad_fcs_is_rejected_by_both)."""
    ours, our_frames = _run(path, "python")
    theirs, their_frames = _run(path, "tshark")
    assert theirs["roams"] == ours["roams"]
    assert theirs["pmkids"] == ours["pmkids"]
    assert theirs["counts"] == ours["counts"]
    assert our_frames and len(their_frames) == len(our_frames)
    for mine, other in zip(our_frames, their_frames, strict=True):
        assert other == mine, f"frame {mine.index}"
    for mine, other in zip(ours["captures"], theirs["captures"], strict=True):
        mine.pop("malformed_reasons"), other.pop("malformed_reasons")
        assert other == mine


# Keys from ../shared/pcaps/public/MANIFEST.tsv and pcaps/README.md: MICs, PMKIDs and verdicts
# are computed over the raw EAPOL and element bytes each engine handed over.
KEYED = {
    "wpa-Induction.pcap.gz": "wpa-pwd:Induction:Coherer",
    "wpa2-psk-linksys.cap": "wpa-pwd:dictionary:linksys",
    "n-02.cap": "wpa-pwd:bo$$password:Neheb",
    "ping_I_E_R_E-fromclient.pcapng": "wpa-pwd:abcdefgh:testnetwork",
    "wpa2-psk-mfp.pcapng.gz": "wpa-pwd:12345678:Wireshark-pmf",
    "wpa1-gtk-rekey.pcapng.gz": "wpa-pwd:12345678:wireshark-wpa1",
    "wpa3-sae.pcapng.gz": "wpa-psk:"
    "ecbfe709d6151eaba6a4fd9cba94fbb570c1fc4c15506fad3185b4a0a0cfda9a",
    "wpa-eap-tls.pcap.gz": "wpa-psk:"
    "a5001e18e0b3f792278825bc3abff72d7021d7c157b600470ef730e2490835d4",
    "wpa2-ft-eap.pcapng.gz": "msk:fc3fe399f0ab9eeb5b6e87b6e2b276d828e874de1773d4a925f5410d96565b22"
    "b1471711baffb8611b28d2a09cc1a6aaffbbfdf3cccf12db57f175c53bfe2b7b",
    "psk-roam.pcapng": "wpa-pwd:correct horse battery:roamlab",
    "ft-roam.pcapng": "wpa-pwd:correct horse battery:roamlab",
}


def _keyed_params() -> list:
    here = {p.name: p for p in CAPTURES if isinstance(p, Path)}
    found = [pytest.param(here[name], key, id=name) for name, key in KEYED.items() if name in here]
    skip = pytest.mark.skip(reason="no capture with a known key is available")
    return found or [pytest.param(None, None, marks=skip, id="no-keyed-captures")]


@pytest.mark.parametrize(("path", "key"), _keyed_params())
def test_with_keys_both_engines_verify_the_same_mics_and_pmkids(
    tshark: str, path: Path, key: str
) -> None:
    keys = load_keys([key], [])
    ours = analysis_document(run([str(path)], keys=keys))
    theirs = analysis_document(run([str(path)], keys=keys, engine="tshark"))
    assert [r["mic_valid"] for r in ours["roams"]] != [None] * len(ours["roams"])
    assert theirs["roams"] == ours["roams"]
    assert theirs["pmkids"] == ours["pmkids"]
    assert theirs["findings"] == ours["findings"]


SCENARIOS = {**BUILDERS, "everything": everything}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_both_engines_agree_on_every_builder_scenario(
    tshark: str, name: str, tmp_path: Path
) -> None:
    """The builder's scenarios, and the one that touches every step and AKM it knows (SAE,
    OWE, FT over the DS, EAP methods, OKC, BTM, neighbour reports, SA Query, group rekeys,
    failures, retries, a bad FCS): the same records frame for frame, the same roams."""
    path = tmp_path / f"{name}.pcapng"
    SCENARIOS[name]("pcapng").write(path)
    ours = {r.index: decode(r) for r in open_capture(str(path)) if peek(r.linktype, r.data) >= 0}
    theirs = {item.index: item for item in TsharkCapture(str(path))}
    assert theirs == {i: item for i, item in ours.items() if item is not None}
    mine = analysis_document(run([str(path)]))
    other = analysis_document(run([str(path)], engine="tshark"))
    assert other["roams"] == mine["roams"] and other["pmkids"] == mine["pmkids"]


def test_frame_with_unknown_protocol_version_and_bad_fcs_is_rejected_by_both(
    tshark: str, public_dir: Path
) -> None:
    """wpa-Induction.pcap.gz frame 21 (and 43, 574, 607, 623, 681, 692, 752, 1005, 1074):
    Frame Control protocol version 2 or 3 and an FCS that does not match. Our decoder checks the FCS
    first ("FCS mismatch"); tshark stops at the version ("IEEE 802.11 Unknown Protocol
    Version") and leaves the FCS "[FCS Status: Unverified]", so the mapper says "protocol
    version 2". Neither is wrong: both drop the frame, and no roam, PMKID or count differs."""
    path = public_dir / "wpa-Induction.pcap.gz"
    theirs = {i.index: i for i in TsharkCapture(str(path)) if i.index == 21}
    ours = next(decode(r) for r in open_capture(str(path)) if r.index == 21)
    assert isinstance(ours, Malformed) and ours.reason == "FCS mismatch"
    assert isinstance(theirs[21], Malformed) and theirs[21].reason == "protocol version 2"


def test_public_captures_are_where_the_test_expects_them() -> None:
    if not PUBLIC.is_dir():
        pytest.skip(f"real captures not available: {PUBLIC} is absent")
    assert SHIPPED, "pcaps/*.pcapng: the shipped scenarios are missing"
