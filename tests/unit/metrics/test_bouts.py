"""Bout statistics against values worked out by hand from hand-built intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mabe.metrics.bouts import BOUT_STAT_COLUMNS, VideoUnit, bout_stats, merge_bouts, recording_stats, video_stats


def test_merge_clips_to_the_video_and_joins_overlapping_and_touching_intervals() -> None:
    s, e = merge_bouts([-5, 10, 15, 20, 50, 95], [3, 16, 20, 25, 60, 130], 100)
    assert s.tolist() == [0, 10, 50, 95] and e.tolist() == [3, 25, 60, 100]
    s, e = merge_bouts([120], [130], 100)
    assert len(s) == len(e) == 0


def test_bout_stats_by_hand_with_a_bout_touching_the_end() -> None:
    # fps 10, 100 frames: bouts [10, 20), [40, 50), [90, 100) -> 1 s each, gaps 2 s and 4 s
    got = bout_stats([40, 10, 90], [50, 20, 100], n_frames=100, fps=10.0)
    assert got == {"bouts": 3, "total_duration_s": 3.0, "fraction": 0.3, "latency_s": 1.0, "mean_bout_s": 1.0,
                   "median_bout_s": 1.0, "max_bout_s": 1.0, "mean_gap_s": 3.0, "censored_bouts": 1}


def test_no_bout_is_zero_bouts_and_nan_per_bout_numbers() -> None:
    got = bout_stats([], [], n_frames=50, fps=25.0)
    assert (got["bouts"], got["total_duration_s"], got["fraction"], got["censored_bouts"]) == (0, 0.0, 0.0, 0)
    assert all(math.isnan(got[c]) for c in ("latency_s", "mean_bout_s", "median_bout_s", "max_bout_s", "mean_gap_s"))
    with pytest.raises(ValueError):
        bout_stats([], [], n_frames=0, fps=25.0)


def _intervals(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"])


SNIFF12, SNIFF21, REAR1 = ("mouse1", "mouse2", "sniff"), ("mouse2", "mouse1", "sniff"), ("mouse1", "self", "rear")
UNITS = [
    VideoUnit(1, "L", 10.0, 100, 2, frozenset({SNIFF12, SNIFF21, REAR1}), recording="rec", first_frame=0),
    VideoUnit(2, "L", 10.0, 100, 2, frozenset({SNIFF12}), recording="rec", first_frame=100),
]
BOUTS = _intervals([
    (1, "mouse1", "mouse2", "sniff", 10, 20), (1, "mouse1", "mouse2", "sniff", 40, 50),
    (1, "mouse1", "mouse2", "sniff", 90, 100), (1, "mouse1", "self", "rear", 0, 5),
    (2, "mouse1", "mouse2", "sniff", 0, 10), (2, "mouse1", "mouse2", "sniff", 50, 70),
    (2, "mouse2", "mouse1", "sniff", 5, 9),  # not counted in video 2: must not show up
])


def _row(table: pd.DataFrame, unit: object, triple: tuple) -> pd.Series:
    hit = table[(table["unit"] == unit) & (table[["agent", "target", "action"]].apply(tuple, axis=1) == triple)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_video_table_counts_zero_for_a_bout_less_pair_and_nan_for_an_unlabelled_triple() -> None:
    table = video_stats(BOUTS, UNITS)
    assert len(table) == 6  # 3 triples of the lab x 2 videos
    v1 = _row(table, 1, SNIFF12)
    assert (v1["bouts"], v1["total_duration_s"], v1["latency_s"], v1["mean_gap_s"], v1["censored_bouts"]) == (3, 3.0, 1.0, 3.0, 1)
    zero = _row(table, 1, SNIFF21)
    assert zero["counted"] and zero["bouts"] == 0 and zero["total_duration_s"] == 0.0 and np.isnan(zero["latency_s"])
    v2 = _row(table, 2, SNIFF12)
    assert (v2["bouts"], v2["total_duration_s"], v2["max_bout_s"], v2["median_bout_s"], v2["start_s"]) == (2, 3.0, 2.0, 1.5, 10.0)
    for triple in (SNIFF21, REAR1):
        unlabelled = _row(table, 2, triple)
        assert not unlabelled["counted"]
        assert all(pd.isna(unlabelled[c]) for c in BOUT_STAT_COLUMNS)


def test_recording_table_puts_the_videos_back_together() -> None:
    table = recording_stats(BOUTS, UNITS)
    sniff = _row(table, "rec", SNIFF12)
    # bouts [10,20) [40,50) [90,110) [150,170) of 200 frames: the bout cut at frame 100 is one again
    assert sniff["bouts"] == 4 and sniff["censored_bouts"] == 0
    assert sniff["total_duration_s"] == pytest.approx(6.0) and sniff["fraction"] == pytest.approx(0.3)
    assert (sniff["latency_s"], sniff["median_bout_s"], sniff["max_bout_s"]) == (1.0, 1.5, 2.0)
    assert sniff["mean_gap_s"] == pytest.approx(10 / 3)
    assert sniff["video_ids"] == "1;2" and sniff["n_frames"] == 200
    # counted only in video 1: its 100 frames, no bout
    other = _row(table, "rec", SNIFF21)
    assert other["bouts"] == 0 and other["n_frames"] == 100 and other["video_ids"] == "1"
