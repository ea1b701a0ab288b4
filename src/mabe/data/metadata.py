"""Parsing and checking of the metadata tables ``train.csv`` / ``test.csv``.

One set of cell parsers serves both :func:`meta_from_row` (which raises on the
first bad cell) and :func:`check_metadata` (which reports every bad cell of
every row), so the two can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from mabe.data import schema
from mabe.data.checks import METADATA_TEXT_COLUMNS, Checked, column_problems
from mabe.data.types import VideoMeta

Row: TypeAlias = "Mapping[str, Any] | pd.Series[Any]"
"""A metadata row: a mapping of column name to cell (a dict or a pandas row)."""


def _is_empty(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_lab_id(value: object) -> str:
    """Parse a ``lab_id`` cell: non-empty text usable as a directory name.

    Examples
    --------
    >>> parse_lab_id("AdaptableSnail")
    'AdaptableSnail'
    """
    if _is_empty(value):
        raise ValueError("missing")
    text = str(value).strip()
    if "/" in text or "\\" in text or text in (".", ".."):
        raise ValueError(f"not a valid directory name: {text!r}")
    return text


def parse_video_id(value: object) -> int:
    """Parse a ``video_id`` cell: an integer (``12.0`` is accepted, ``12.5`` is not).

    Examples
    --------
    >>> parse_video_id("44566106")
    44566106
    """
    if _is_empty(value):
        raise ValueError("missing")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"not an integer: {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"not an integer: {value!r}")
    return int(number)


def parse_number(value: object, required: bool = False) -> float:
    """Parse a numeric cell: a finite number > 0, or NaN when empty and not ``required``.

    Examples
    --------
    >>> parse_number("30")
    30.0
    >>> parse_number(float("nan"))
    nan
    """
    if _is_empty(value):
        if required:
            raise ValueError("missing")
        return float("nan")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"not a number: {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"must be > 0, got {number}")
    return number


def _parse_text(value: object) -> str:
    return "" if _is_empty(value) else str(value).strip()


_CELL_PARSERS: dict[str, Callable[[object], object]] = {
    "lab_id": parse_lab_id,
    "video_id": parse_video_id,
    "frames_per_second": lambda v: parse_number(v, required=True),
    **{c: parse_number for c in schema.METADATA_NUMERIC_COLUMNS if c != "frames_per_second"},
    "body_parts_tracked": schema.parse_body_parts,
    "behaviors_labeled": schema.parse_behaviors_labeled,
}
"""Every metadata column with a constraint, and the function that parses it."""


def _parse_cell(row: Row, column: str) -> Any:
    try:
        return _CELL_PARSERS[column](row.get(column))
    except ValueError as exc:
        raise ValueError(f"column '{column}': {exc}") from None


def listed_mice(row: Row) -> int:
    """Highest ``i`` whose ``mouse{i}_*`` cells are not all empty; 0 if none.

    Equals the number of listed mice unless the listing has gaps.

    Examples
    --------
    >>> listed_mice({"mouse1_strain": "C57Bl/6J", "mouse2_sex": "male"})
    2
    >>> listed_mice({"mouse1_strain": float("nan")})
    0
    """
    found = 0
    for m in range(1, schema.MAX_MICE + 1):
        if any(not _is_empty(row.get(f"mouse{m}_{f}")) for f in schema.MOUSE_FIELDS):
            found = m
    return found


def meta_from_row(row: Row, split: str) -> VideoMeta:
    """Build a :class:`~mabe.data.types.VideoMeta` from one metadata row.

    Parameters
    ----------
    row
        A row of :func:`mabe.data.io.read_metadata` (a ``pd.Series`` or a mapping).
    split
        ``"train"`` or ``"test"``.

    Returns
    -------
    VideoMeta
        ``n_mice`` is :func:`listed_mice`, or 1 when no mouse is listed (the
        tracking file then decides, see :func:`mabe.data.dense.tracking_to_dense`).

    Raises
    ------
    ValueError
        Naming the first bad column, e.g. ``"column 'frames_per_second': missing"``.

    Examples
    --------
    >>> row = {"lab_id": "LabA", "video_id": 7, "frames_per_second": 30,
    ...        "body_parts_tracked": '["nose", "tail_base"]',
    ...        "behaviors_labeled": '["mouse1,mouse2,sniff"]', "mouse1_sex": "male",
    ...        "mouse2_sex": "male"}
    >>> meta = meta_from_row(row, "train")
    >>> meta.key, meta.n_mice, meta.body_parts
    ('LabA/7', 2, ('nose', 'tail_base'))
    """
    return VideoMeta(
        split=split,
        lab_id=_parse_cell(row, "lab_id"),
        video_id=_parse_cell(row, "video_id"),
        fps=_parse_cell(row, "frames_per_second"),
        n_mice=max(listed_mice(row), 1),
        body_parts=tuple(_parse_cell(row, "body_parts_tracked")),
        behaviors_labeled=tuple(_parse_cell(row, "behaviors_labeled")),
        duration_sec=_parse_cell(row, "video_duration_sec"),
        pix_per_cm=_parse_cell(row, "pix_per_cm_approx"),
        video_width=_parse_cell(row, "video_width_pix"),
        video_height=_parse_cell(row, "video_height_pix"),
        arena_width_cm=_parse_cell(row, "arena_width_cm"),
        arena_height_cm=_parse_cell(row, "arena_height_cm"),
        arena_shape=_parse_text(row.get("arena_shape")),
        arena_type=_parse_text(row.get("arena_type")),
        tracking_method=_parse_text(row.get("tracking_method")),
    )


def _row_label(i: int, row: Row) -> str:
    try:
        return f"row {i + 1} (video_id {parse_video_id(row.get('video_id'))})"
    except ValueError:
        return f"row {i + 1}"


def _read_csv(path: Path) -> Checked:
    if not path.is_file():
        return Checked(None, ["file not found"])
    if path.stat().st_size == 0:
        return Checked(None, ["empty file (0 bytes)"])
    try:
        frame = pd.read_csv(path, dtype=dict.fromkeys(METADATA_TEXT_COLUMNS, "str"))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        return Checked(None, [f"not a readable CSV file ({' '.join(str(exc).split())})"])
    return Checked(frame, [])


def _duplicate_problems(video_ids: dict[int, list[int]]) -> list[str]:
    return [
        f"video_id {vid} appears in rows {', '.join(str(i + 1) for i in rows)}"
        for vid, rows in video_ids.items()
        if len(rows) > 1
    ]


def check_metadata(path: str | Path) -> Checked:
    """Check a metadata csv and report every problem, naming row and column.

    Checks the 38 columns of :data:`~mabe.data.schema.METADATA_COLUMNS`
    (missing and unexpected ones), each row's ``lab_id``, ``video_id``, numbers
    (``frames_per_second`` required and > 0; the others > 0 when given),
    ``body_parts_tracked`` and ``behaviors_labeled``, and duplicate video ids.

    Returns
    -------
    Checked
        The frame (columns in schema order, ``video_id`` as ``int64`` when all
        ids are valid) unless the file cannot be read, and the problems.

    Examples
    --------
    >>> check_metadata("/nonexistent/train.csv").problems
    ['file not found']
    """
    path = Path(path)
    frame, problems = _read_csv(path)
    if frame is None:
        return Checked(None, problems)
    problems = column_problems(list(frame.columns), schema.METADATA_COLUMNS)
    columns = [c for c in _CELL_PARSERS if c in frame.columns]
    rows_of_id: dict[int, list[int]] = {}
    for i, row in enumerate(frame[columns].to_dict("records")):
        label = _row_label(i, row)
        for column in columns:
            try:
                value = _parse_cell(row, column)
            except ValueError as exc:
                problems.append(f"{label}: {exc}")
                continue
            if column == "video_id":
                rows_of_id.setdefault(value, []).append(i)
    problems += _duplicate_problems(rows_of_id)
    ordered = [c for c in schema.METADATA_COLUMNS if c in frame.columns]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    if "video_id" in frame and sum(map(len, rows_of_id.values())) == len(frame):
        frame = frame.astype({"video_id": "int64"})
    return Checked(frame.reset_index(drop=True), problems)
