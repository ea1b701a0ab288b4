"""Degenerate decoding is found in the submission alone; healthy decoding raises nothing."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from mabe.workflows import decoding_checks
from mabe.workflows.decoding_checks import FINDING_COLUMNS, degenerate_decoding


def _sub(rows):
    return pd.DataFrame(rows, columns=["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"])


def _healthy(seed: int = 0, video: int = 1, n: int = 30) -> pd.DataFrame:
    """Bouts of varied length and spacing covering ~20% of a 9000-frame video."""
    rng = np.random.default_rng(seed)
    starts = np.cumsum(rng.integers(40, 200, size=n))
    lengths = rng.integers(5, 60, size=n)
    return _sub([(video, "mouse1", "mouse2", "sniff", s, s + n) for s, n in zip(starts, lengths, strict=True)])


def test_doctests():
    result = doctest.testmod(decoding_checks)
    assert result.attempted > 0 and result.failed == 0


def test_the_issue_example_89_one_frame_bouts_26_frames_apart():
    starts = 100 + np.arange(89) * 26
    sub = pd.concat([_healthy(), _sub([(1, "mouse2", "mouse1", "sniffgenital", s, s + 1) for s in starts])])
    found = degenerate_decoding(sub, {1: 9000}, ["sniff", "sniffgenital"])
    assert list(found.columns) == list(FINDING_COLUMNS)
    assert found["kind"].tolist() == ["one_frame", "regular"]
    assert set(found["action"]) == {"sniffgenital"}
    assert "89 of 89 sniffgenital bouts last a single frame" in found["detail"].iloc[0]
    assert "exactly 26 frames" in found["detail"].iloc[1]
    assert found.iloc[1][["video_id", "agent_id", "target_id"]].tolist() == [1, "mouse2", "mouse1"]


def test_healthy_decoding_raises_nothing():
    sub = pd.concat([_healthy(0, 1), _healthy(1, 2)])
    assert degenerate_decoding(sub, {1: 9000, 2: 9000}, ["sniff"]).empty


def test_never_predicted_and_dominant_actions():
    sub = pd.concat([_healthy(), _sub([(1, "mouse1", "self", "rear", 0, 6000)])])
    found = degenerate_decoding(sub, {1: 9000}, ["sniff", "rear", "attack"])
    assert found["kind"].tolist() == ["dominant", "never"]
    assert "rear predicted in 67% of the video's frames" in found["detail"].iloc[0]
    assert found["action"].iloc[1] == "attack"
    # overlapping bouts of one key count their union once
    overlapping = _sub([(1, "mouse1", "self", "rear", 0, 4000), (1, "mouse1", "self", "rear", 100, 4400)])
    assert degenerate_decoding(overlapping, {1: 9000}).empty
    # several pairs of one video: one finding naming the worst pair
    many = _sub([(1, f"mouse{a}", f"mouse{b}", "sniff", 0, 5000 + 100 * a + b) for a, b in ((1, 2), (2, 1), (2, 3))])
    found = degenerate_decoding(many, {1: 9000})
    assert found["kind"].tolist() == ["dominant"]
    assert found["detail"].iloc[0] == (
        "video 1: sniff predicted in more than 50% of the frames for 3 (agent, target) pairs (up to 58%, mouse2 → mouse3)"
    )
    # without frame counts there is no dominance check, without actions no "never"
    assert degenerate_decoding(sub).empty


@pytest.mark.parametrize("n_bouts,expected", [(9, []), (10, ["one_frame", "regular"])])
def test_too_few_bouts_are_not_judged(n_bouts, expected):
    sub = _sub([(1, "mouse1", "mouse2", "sniff", 26 * k, 26 * k + 1) for k in range(n_bouts)])
    assert degenerate_decoding(sub, min_bouts=10)["kind"].tolist() == expected


def test_missing_column_is_an_error():
    with pytest.raises(ValueError, match="action"):
        degenerate_decoding(_healthy().drop(columns="action"))
