"""SAE PMKIDs proved from the commit scalars alone (IEEE 802.11-2020 12.4.5.4: PMKID =
L((commit-scalar + peer-commit-scalar) mod r, 0, 128); hostap sae.c), no key needed."""

from __future__ import annotations

from pathlib import Path

from tests.pmksa.scenarios import AP1, analyse, back_to_ap1, codes, original


def test_sae_m1_pmkid_verifies_from_the_commit_scalars_without_a_key(tmp_path: Path) -> None:
    analysis = analyse(original(akm="sae"), tmp_path)
    m1s = [p for p in analysis.inventory.pmkids if p.where == "m1"]
    assert m1s and all(p.verified is True for p in m1s)
    assert all(r.mic_valid is None for r in analysis.roams)


def test_sae_pmkid_offered_back_to_the_same_ap_verifies_without_a_key(tmp_path: Path) -> None:
    """Open authentication offering the PMKID of the earlier SAE exchange with AP1: proved
    by that exchange's scalars, so the offer (and the M1 that echoes it) verifies."""
    analysis = analyse(original(akm="sae"), tmp_path)
    back = back_to_ap1(analysis)
    assert back.method == "sae_pmksa_cache" and len(back.pmkids_offered) == 1
    offered = bytes.fromhex(back.pmkids_offered[0])
    seen = [p for p in analysis.inventory.pmkids if p.pmkid == offered and p.bssid == AP1]
    wheres = {p.where for p in seen}
    assert "m1" in wheres and wheres & {"assoc_req", "reassoc_req"}
    assert all(p.verified is True for p in seen)
    assert "PMKID_INVALID" not in codes(analysis)
