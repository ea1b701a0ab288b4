"""check_submission: the checks ``mabe predict`` runs before writing a file."""

from __future__ import annotations

import pandas as pd
import pytest

from mabe.errors import InvalidSubmission
from mabe.metrics import check_submission


def good() -> pd.DataFrame:
    return pd.DataFrame({
        "row_id": [0, 1, 2, 3],
        "video_id": [7, 7, 7, 8],
        "agent_id": ["mouse1", "mouse1", "mouse1", "mouse2"],
        "target_id": ["mouse2", "mouse3", "self", "mouse1"],
        "action": ["sniff", "attack", "rear", "sniff"],
        "start_frame": [0, 0, 0, 5],
        "stop_frame": [10, 10, 10, 6],
    })


def test_good_submission_passes():
    check_submission(good())
    check_submission(good().iloc[:0])  # predicting nothing is well-formed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns="action"), "missing column"),
        (lambda d: d.assign(extra=1), "unexpected column"),
        (lambda d: d.assign(row_id=[1, 2, 3, 4]), "row_id"),
        (lambda d: d.assign(start_frame=[0.5, 0, 0, 5]), "non-integer"),
        (lambda d: d.assign(start_frame=["0", "0", "0", "5"]), "not numeric"),
        (lambda d: d.assign(stop_frame=[10, 10, 10, 5]), "row 3: start_frame 5 is not before"),
        (lambda d: d.assign(start_frame=[-1, 0, 0, 5]), "negative"),
        (lambda d: d.assign(agent_id=["mouse1", "m1", "mouse1", "mouse2"]), "bad agent_id"),
        (lambda d: d.assign(target_id=["mouse2", "mouse3", "mouse1", "mouse1"]), "write 'self'"),
        (lambda d: d.assign(target_id=["mouse2", "mouse3", "selff", "mouse1"]), "bad target_id"),
        (lambda d: d.assign(action=["sniff", "", "rear", "sniff"]), "bad action"),
        (lambda d: d.assign(target_id=["mouse2", "mouse2", "self", "mouse1"]), "rows 0 and 1 overlap"),
    ],
)
def test_malformed_submissions_are_rejected(change, message):
    with pytest.raises(InvalidSubmission, match=message):
        check_submission(change(good()))


def test_overlap_hidden_behind_a_short_row_is_found():
    df = pd.DataFrame({
        "row_id": [0, 1, 2], "video_id": 1, "agent_id": "mouse1", "target_id": "mouse2",
        "action": ["sniff", "sniff", "attack"], "start_frame": [0, 10, 30],
        "stop_frame": [100, 20, 40],
    })
    with pytest.raises(InvalidSubmission, match="overlap"):
        check_submission(df)


def test_same_action_repeated_is_rejected():
    df = good()
    df.loc[1, ["target_id", "action"]] = ["mouse2", "sniff"]
    with pytest.raises(InvalidSubmission, match="overlap"):
        check_submission(df)
