"""``interval_rows``: the one way to build a video's submission rows (issue #11)."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.data.submission import ROW_COLUMNS, assemble_submission, interval_rows


def test_one_name_for_every_interval_or_one_per_interval():
    rows = interval_rows(7, "mouse1", ["mouse2", "self"], ["sniff", "rear"], np.array([0, 10]), [5, 12])
    assert tuple(rows.columns) == ROW_COLUMNS
    assert rows["agent_id"].tolist() == ["mouse1", "mouse1"]
    assert rows["target_id"].tolist() == ["mouse2", "self"]
    assert rows["action"].tolist() == ["sniff", "rear"]
    assert rows["video_id"].dtype == np.int64 and rows["start_frame"].dtype == np.int64
    assert rows["stop_frame"].tolist() == [5, 12]
    table = assemble_submission([rows, interval_rows(3, "mouse2", "self", "rear", [], [])], sort=True)
    assert table["row_id"].tolist() == [0, 1] and table["video_id"].tolist() == [7, 7]


@pytest.mark.parametrize(
    ("names", "stops", "message"),
    [(["sniff"], [5, 12], "action: 1 names for 2 intervals"), ("sniff", [5], "2 start frames but 1 stop frames")],
)
def test_lengths_must_agree(names, stops, message):
    with pytest.raises(ValueError, match=message):
        interval_rows(7, "mouse1", "mouse2", names, [0, 10], stops)
