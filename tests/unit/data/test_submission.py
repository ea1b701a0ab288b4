"""assemble_submission: the one place per-video tables become a numbered, checked submission."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import mabe.data.submission as submission_module
from mabe.data.schema import SUBMISSION_COLUMNS
from mabe.data.submission import assemble_submission, read_submission, write_submission
from mabe.errors import InvalidSubmission


def part(video, rows):
    """A per-video table from ``(agent, target, action, start, stop)`` rows (ids may be untyped)."""
    return pd.DataFrame(
        {"video_id": [video] * len(rows), "agent_id": [r[0] for r in rows],
         "target_id": [r[1] for r in rows], "action": [r[2] for r in rows],
         "start_frame": [r[3] for r in rows], "stop_frame": [r[4] for r in rows]}
    )


def test_parts_are_joined_in_order_and_numbered():
    table = assemble_submission([part(9, [("mouse1", "mouse2", "sniff", 5, 9)]),
                                 part(3, [("mouse2", "self", "rear", 0, 4),
                                          ("mouse1", "mouse2", "sniff", 0, 2)])])
    assert list(table.columns) == list(SUBMISSION_COLUMNS)
    assert table["row_id"].tolist() == [0, 1, 2]
    assert table["video_id"].tolist() == [9, 3, 3]
    assert table["video_id"].dtype == np.int64 and table["start_frame"].dtype == np.int64


def test_sort_orders_by_video_agent_target_start():
    table = assemble_submission([part(9, [("mouse1", "mouse2", "sniff", 5, 9)]),
                                 part(3, [("mouse2", "self", "rear", 0, 4),
                                          ("mouse1", "mouse2", "sniff", 0, 2)])], sort=True)
    assert table[["video_id", "agent_id"]].values.tolist() == [[3, "mouse1"], [3, "mouse2"],
                                                                [9, "mouse1"]]
    assert table["row_id"].tolist() == [0, 1, 2]


def test_empty_parts_never_turn_ids_into_floats():
    empty = part(None, [])  # video_id column of an empty per-video table has no integer dtype
    table = assemble_submission([empty, part(7, [("mouse1", "self", "rear", 0, 3)]), empty],
                                check=False)
    assert table["video_id"].dtype == np.int64 and table["video_id"].tolist() == [7]
    nothing = assemble_submission([empty, empty])
    assert list(nothing.columns) == list(SUBMISSION_COLUMNS) and len(nothing) == 0
    assert len(assemble_submission([])) == 0


def test_check_rejects_what_kaggle_would_and_unchecked_keeps_it():
    overlapping = [part(1, [("mouse1", "mouse2", "sniff", 0, 10), ("mouse1", "mouse2", "attack", 5, 8)])]
    with pytest.raises(InvalidSubmission, match="overlap"):
        assemble_submission(overlapping)
    assert len(assemble_submission(overlapping, check=False)) == 2


def test_written_and_read_back_unchanged(tmp_path):
    table = assemble_submission([part(4, [("mouse1", "mouse3", "attack", 2, 6)])])
    path = write_submission(table, tmp_path / "sub.csv")
    pd.testing.assert_frame_equal(read_submission(path), table, check_dtype=False)
    with pytest.raises(Exception, match="already exists"):
        write_submission(table, path)


def test_docstring_examples():
    assert doctest.testmod(submission_module).failed == 0
