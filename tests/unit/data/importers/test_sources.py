"""sources.csv rows: a damaged frame or fps cell is one line naming the file; names need only the names column."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mabe.data.importers.sources import SOURCE_COLUMNS, mouse_names, source_of
from mabe.errors import DataError


def _table(**cells: object) -> pd.DataFrame:
    row = {c: "" for c in SOURCE_COLUMNS} | {"video_id": "7", "individuals": json.dumps(["adult", "juvenile"])}
    return pd.DataFrame([row | cells], columns=list(SOURCE_COLUMNS)).astype(str)


def test_an_empty_frame_cell_is_one_line_naming_the_file() -> None:
    with pytest.raises(DataError, match=r"^sources\.csv: video 7: first_frame, n_frames and fps must be numbers"):
        source_of(_table(first_frame="", n_frames="90", fps="30"), 7)
    row = source_of(_table(first_frame="0", n_frames="90", fps="30"), 7)
    assert row is not None and (row["first_frame"], row["n_frames"], row["fps"]) == (0, 90, 30.0)


def test_mouse_names_read_only_the_names() -> None:
    assert mouse_names(_table(), 7, 3) == ("adult", "juvenile", "mouse3")
    assert mouse_names(_table(), 8, 2) == ("mouse1", "mouse2")
