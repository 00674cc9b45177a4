"""The notebook tables keep their columns and dtypes, empty or not, judged or not."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzer.report import dataframes as df
from tests.report.factory import roam, story

TABLES = {
    "roams": df.ROAM_SCHEMA,
    "frames": df.FRAME_SCHEMA,
    "findings": df.FINDING_SCHEMA,
    "stations": df.STATION_SCHEMA,
    "pmksa": df.PMKSA_SCHEMA,
}


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("n", (0, 1, 30))
def test_tables_have_the_documented_columns_and_dtypes(name: str, n: int) -> None:
    frame = getattr(story(n), name)
    assert dtypes(frame) == dict(TABLES[name])


def test_pmksa_verdict_is_null_where_the_roam_has_no_pmksa() -> None:
    roams = story(6).roams.set_index("id")
    assert roams.loc[1, "pmksa_verdict"] == "ap_miss"
    assert roams.loc[1, "pmksa_as_expected"] is False or not roams.loc[1, "pmksa_as_expected"]
    assert pd.isna(roams.loc[2, "pmksa_verdict"])
    assert pd.isna(roams.loc[2, "pmksa_as_expected"])


def test_a_roam_dict_from_before_the_pmksa_judge_still_flattens() -> None:
    """A JSON roam without the `pmksa` key at all (older documents) gives null verdicts."""
    record, _frames = roam(3)
    shape = record.to_dict()
    del shape["pmksa"], shape["mic_valid"]
    frame = df.table([df.roam_row(shape)], df.ROAM_SCHEMA)
    assert frame["pmksa_verdict"].isna().all() and frame["mic_valid"].isna().all()
    assert dtypes(frame) == dict(df.ROAM_SCHEMA)


def test_phase_durations_and_missing_phases() -> None:
    roams = story(3).roams.set_index("id")
    assert roams.loc[1, "phase_auth_ms"] == 2.0
    assert roams.loc[1, "missing_phases"] == "eap"  # full_8021x without EAP frames
    assert pd.isna(roams.loc[2, "missing_phases"])  # psk: EAP does not apply
    assert pd.isna(roams.loc[1, "phase_first_data_ms"])


def test_frames_belong_to_their_roam() -> None:
    analysis = story(5)
    frames = analysis.frames
    assert frames["roam_id"].notna().all()
    for roam_id, group in frames.groupby("roam_id"):
        assert set(group["frame"]) == set(analysis.roam(int(roam_id)).record.frames)


def test_pmksa_table_has_a_row_per_judged_attempt() -> None:
    pmksa = story(9).pmksa
    assert list(pmksa["roam_id"]) == [1, 3, 5, 7, 9]
    assert pmksa.loc[pmksa["verdict"] == "ap_miss", "evidence"].iloc[0] == "3 9"
