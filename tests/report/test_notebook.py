"""notebooks/investigate_roams.ipynb is stored without outputs and runs top to bottom."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import PUBLIC, REPO

NOTEBOOK = REPO / "notebooks" / "investigate_roams.ipynb"
STORY = REPO / "pcaps" / "eap-pmksa-roam.pcapng"


def _can_build_story() -> bool:
    try:
        from analyzer.simulate.library import SCENARIOS
    except ImportError:
        return False
    return "eap_pmksa_roam" in SCENARIOS


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_runs_top_to_bottom(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the story capture (built by the scenario builder when absent); until the builder has
    the `eap_pmksa_roam` scenario, on a public capture with several attempts."""
    if not STORY.exists() and not _can_build_story():
        fallback = PUBLIC / "wpa2-psk-linksys.cap"
        if not fallback.exists():
            pytest.skip("no story capture, no eap_pmksa_roam scenario and no public captures")
        monkeypatch.setenv("ROAM_CAPTURE", str(fallback))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=dict(os.environ))
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5  # the ladder, the CDF, the phases, the timeline, the verdicts
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(tables) >= 4
