"""Checks of single dataset files that report every problem they find.

Each ``check_*`` function reads one file and returns a :class:`Checked`: the
frame it read (``None`` when the file is unusable) and a list of one-line
problem messages (empty when the file is fine). The readers in
:mod:`mabe.data.io` raise the first message as a :class:`~mabe.errors.DataError`;
the validator (:mod:`mabe.data.validate`) collects them all.

Rows are counted from 1 in messages (the first data row is ``row 1``) and are
followed by the values that identify them.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from mabe.data import schema
from mabe.data.schema import MAX_MICE

METADATA_TEXT_COLUMNS: tuple[str, ...] = (
    "lab_id",
    *(c for c in schema.MOUSE_COLUMNS if not c.endswith("_id")),
    "arena_shape",
    "arena_type",
    "body_parts_tracked",
    "behaviors_labeled",
    "tracking_method",
)
"""Metadata columns read as text (``mouse{i}_id`` and numbers are inferred)."""


class Checked(NamedTuple):
    """Result of a ``check_*`` function.

    Attributes
    ----------
    frame
        The table read, or ``None`` if it is unusable (unreadable, missing
        columns, wrong dtypes). A frame is returned when only values are
        wrong, so callers can still cross-check it.
    problems
        One-line messages, without the file name; empty when all is well.
    """

    frame: pd.DataFrame | None
    problems: list[str]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def _quoted(names: list[str]) -> str:
    return ", ".join(repr(str(n)) for n in names)


def column_problems(columns: list[str], expected: tuple[str, ...]) -> list[str]:
    """Messages for missing and unexpected column names.

    Examples
    --------
    >>> column_problems(["a", "c"], ("a", "b"))
    ["missing column 'b'", "unexpected column 'c'"]
    """
    problems = []
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    if missing:
        word = "column" if len(missing) == 1 else "columns"
        problems.append(f"missing {word} {_quoted(missing)}")
    if extra:
        word = "column" if len(extra) == 1 else "columns"
        problems.append(f"unexpected {word} {_quoted(extra)}")
    return problems


def read_parquet_file(path: str | Path) -> Checked:
    """Read a parquet file, turning every way it can fail into a message.

    Examples
    --------
    >>> read_parquet_file("/nonexistent.parquet").problems
    ['file not found']
    """
    path = Path(path)
    if not path.is_file():
        return Checked(None, ["file not found"])
    if path.stat().st_size == 0:
        return Checked(None, ["empty file (0 bytes)"])
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        reason = _one_line(exc).replace(f"Could not open Parquet input source '{path}': ", "")
        return Checked(None, [f"not a readable parquet file ({reason})"])
    return Checked(frame, [])


def is_integer_column(series: pd.Series) -> bool:
    """Tell whether a dtype is an integer of any width (not bool, not float)."""
    return pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans


def is_number_column(series: pd.Series) -> bool:
    """Tell whether a dtype is an integer or a float (not bool)."""
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def is_text_column(series: pd.Series) -> bool:
    """Tell whether a column holds strings (``str``, object of strings, categorical of strings)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.api.types.is_string_dtype(series.cat.categories)
    return pd.api.types.is_string_dtype(series)


def dtype_problems(frame: pd.DataFrame, kinds: dict[str, str]) -> list[str]:
    """Messages for columns whose dtype is not of the expected kind.

    ``kinds`` maps a column to ``"int"``, ``"number"`` or ``"text"``; columns
    absent from ``frame`` are skipped (reported by :func:`column_problems`).

    Examples
    --------
    >>> dtype_problems(pd.DataFrame({"x": ["1"]}), {"x": "number"})
    ["column 'x' has dtype str, expected a number"]
    """
    tests = {"int": is_integer_column, "number": is_number_column, "text": is_text_column}
    wanted = {"int": "integers", "number": "a number", "text": "text"}
    problems = []
    for column, kind in kinds.items():
        if column not in frame or tests[kind](frame[column]):
            continue
        series = frame[column]
        if kind == "int" and series.hasnans:
            n = int(series.isna().sum())
            problems.append(f"column '{column}' has {_plural(n, 'missing value')}")
        else:
            problems.append(f"column '{column}' has dtype {series.dtype}, expected {wanted[kind]}")
    return problems


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _describe_row(frame: pd.DataFrame, i: int, columns: tuple[str, ...]) -> str:
    parts = []
    for column in columns:
        if column in frame:
            value = frame[column].iloc[i]
            parts.append(f"{column} {value!r}" if isinstance(value, str) else f"{column} {value}")
    return f"row {i + 1} ({', '.join(parts)})" if parts else f"row {i + 1}"


def _rows_problem(
    frame: pd.DataFrame, mask: np.ndarray, what: str, columns: tuple[str, ...]
) -> list[str]:
    """``["row 3 (...): <what> (and 2 more rows)"]`` for the rows in ``mask``, or ``[]``."""
    n = int(np.count_nonzero(mask))
    if n == 0:
        return []
    message = f"{_describe_row(frame, _first(mask), columns)}: {what}"
    if n > 1:
        message += f" (and {_plural(n - 1, 'more row')})"
    return [message]


# --------------------------------------------------------------------- tracking

_TRACKING_KINDS = {
    "video_frame": "int",
    "mouse_id": "int",
    "bodypart": "text",
    "x": "number",
    "y": "number",
}


def check_tracking(path: str | Path) -> Checked:
    """Check a tracking parquet file (long format, one row per keypoint).

    Returns the frame unless the file is unreadable, empty, or misses columns
    or has wrong dtypes. Value problems (non-finite coordinates, negative
    frames, mouse ids outside 1..4, duplicate keypoints) are reported with the
    frame still returned.

    Examples
    --------
    >>> check_tracking("/nonexistent.parquet").problems
    ['file not found']
    """
    frame, problems = read_parquet_file(path)
    if frame is None:
        return Checked(None, problems)
    problems = column_problems(list(frame.columns), schema.TRACKING_COLUMNS)
    if len(frame) == 0:
        return Checked(None, [*problems, "empty file (0 rows)"])
    problems += dtype_problems(frame, _TRACKING_KINDS)
    if problems:
        return Checked(None, problems)
    return Checked(frame, tracking_value_problems(frame))


def tracking_value_problems(frame: pd.DataFrame) -> list[str]:
    """Problems of the values of a tracking frame whose columns and dtypes are right.

    Examples
    --------
    >>> df = pd.DataFrame({"video_frame": [0, -1], "mouse_id": [1, 1],
    ...                    "bodypart": ["nose", "nose"], "x": [1.0, 2.0], "y": [1.0, 2.0]})
    >>> tracking_value_problems(df)
    ["row 2 (video_frame -1, mouse_id 1, bodypart 'nose'): video_frame is negative"]
    """
    key = ("video_frame", "mouse_id", "bodypart")
    problems: list[str] = []
    for column in ("x", "y"):
        values = frame[column].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            what = f"{column} is {values[_first(bad)]}, not a finite number"
            problems += _rows_problem(frame, bad, what, key)
    frames = frame["video_frame"].to_numpy()
    problems += _rows_problem(frame, frames < 0, "video_frame is negative", key)
    mice = frame["mouse_id"].to_numpy()
    problems += _rows_problem(
        frame, (mice < 1) | (mice > MAX_MICE), f"mouse_id is outside 1..{MAX_MICE}", key
    )
    codes, names = pd.factorize(frame["bodypart"])
    blank = [i for i, name in enumerate(names) if not str(name).strip()]
    empty = (codes < 0) | np.isin(codes, blank)
    problems += _rows_problem(frame, empty, "bodypart is empty", key)
    dup = _duplicated_keys(frames, mice, codes, len(names))
    if dup.any():
        i = _first(dup)
        same = (frames == frames[i]) & (mice == mice[i]) & (codes == codes[i])
        problems.append(
            f"{_plural(int(dup.sum()), 'duplicate (video_frame, mouse_id, bodypart) row')}, "
            f"first: {_describe_row(frame, i, key)} repeats row {_first(same) + 1}"
        )
    return problems


def _duplicated_keys(frames: np.ndarray, mice: np.ndarray, codes: np.ndarray, n_names: int) -> np.ndarray:
    """Rows repeating an earlier (frame, mouse, body part), like ``DataFrame.duplicated``.

    Counting one integer key per row with ``np.bincount`` is ~10x faster than
    pandas on million-row files; only when a repeat exists (rare) is the
    slower exact marking done. Falls back to pandas when the key range is huge.
    """
    n = len(frames)
    if n == 0:
        return np.zeros(0, bool)
    f = frames.astype(np.int64) - int(frames.min())
    m = mice.astype(np.int64) - int(mice.min())
    p = codes.astype(np.int64) + 1
    span_m, span_p = int(m.max()) + 1, n_names + 1
    size = (int(f.max()) + 1) * span_m * span_p
    if size <= 8 * n + 1_000_000:
        key = (f * span_m + m) * span_p + p
        if np.bincount(key, minlength=size).max() <= 1:
            return np.zeros(n, bool)
    return pd.DataFrame({"f": frames, "m": mice, "p": codes}).duplicated().to_numpy()


# ------------------------------------------------------------------ annotations

_ANNOTATION_KINDS = {
    "agent_id": "int",
    "target_id": "int",
    "action": "text",
    "start_frame": "int",
    "stop_frame": "int",
}


def check_annotations(
    path: str | Path, n_frames: int | None = None, n_mice: int | None = None
) -> Checked:
    """Check an annotation parquet file (one row per behaviour interval).

    Parameters
    ----------
    path
        The ``{split}_annotation/{lab_id}/{video_id}.parquet`` file.
    n_frames
        Frames in the video; when given, ``stop_frame`` (exclusive) must not
        exceed it.
    n_mice
        Mice in the video; when given, agents and targets must be in
        ``1..n_mice`` (otherwise in ``1..4``).

    Returns
    -------
    Checked
        The frame (cast to :data:`~mabe.data.schema.ANNOTATION_DTYPES` when
        there is no problem) and the problems. A file with zero rows is fine.

    Examples
    --------
    >>> check_annotations("/nonexistent.parquet").problems
    ['file not found']
    """
    frame, problems = read_parquet_file(path)
    if frame is None:
        return Checked(None, problems)
    problems = column_problems(list(frame.columns), schema.ANNOTATION_COLUMNS)
    problems += dtype_problems(frame, _ANNOTATION_KINDS)
    if problems:
        return Checked(None, problems)
    problems = annotation_value_problems(frame, n_frames, n_mice)
    if not problems:
        frame = frame.astype(schema.ANNOTATION_DTYPES).reset_index(drop=True)
    return Checked(frame, problems)


def annotation_value_problems(
    frame: pd.DataFrame, n_frames: int | None = None, n_mice: int | None = None
) -> list[str]:
    """Problems of the values of an annotation frame whose columns and dtypes are right.

    Examples
    --------
    >>> df = pd.DataFrame({"agent_id": [1], "target_id": [2], "action": ["sniff"],
    ...                    "start_frame": [10], "stop_frame": [5]})
    >>> annotation_value_problems(df)  # doctest: +NORMALIZE_WHITESPACE
    ["row 1 (agent_id 1, target_id 2, action 'sniff', start_frame 10, stop_frame 5):
      stop_frame is before start_frame"]
    """
    key = schema.ANNOTATION_COLUMNS
    start = frame["start_frame"].to_numpy()
    stop = frame["stop_frame"].to_numpy()
    problems = _rows_problem(frame, start < 0, "start_frame is negative", key)
    problems += _rows_problem(frame, stop < start, "stop_frame is before start_frame", key)
    huge = (start > np.iinfo(np.int32).max) | (stop > np.iinfo(np.int32).max)
    problems += _rows_problem(frame, huge, "frame number too large (over 2**31 - 1)", key)
    if n_frames is not None:
        what = f"stop_frame is past the video's end ({_plural(n_frames, 'frame')})"
        problems += _rows_problem(frame, stop > n_frames, what, key)
    top = MAX_MICE if n_mice is None else int(n_mice)
    if n_mice is None:
        lacks = f"ids are 1..{top}"
    else:
        lacks = f"the video has {_plural(top, 'mouse', 'mice')}"
    for column in ("agent_id", "target_id"):
        ids = frame[column].to_numpy()
        what = f"{column} names a mouse the video lacks ({lacks})"
        problems += _rows_problem(frame, (ids < 1) | (ids > top), what, key)
    action = frame["action"]
    empty = (action.isna() | (action.astype("str").str.strip().str.len() == 0)).to_numpy()
    problems += _rows_problem(frame, empty, "action is empty", key)
    return problems
