"""Submissions, in one place: assemble, check, read and write ``submission.csv`` tables.

A submission has the columns :data:`mabe.data.schema.SUBMISSION_COLUMNS`:
``row_id, video_id, agent_id, target_id, action, start_frame, stop_frame`` with
agents as ``mouseN``, targets ``mouseM`` or ``self`` and exclusive stops.

- :func:`interval_rows` makes one video's table of intervals;
- :func:`assemble_submission` joins per-video tables (decoders, baselines)
  into one numbered table, checked unless told otherwise;
- :func:`check_submission` is stricter than the scorer: it rejects anything
  the competition would reject *and* anything that can only be a bug on our
  side (zero-length rows, overlapping rows of one pair, bad mouse names), so
  that ``mabe predict`` never writes a file Kaggle would refuse;
- :func:`read_submission` reads a user's file (one-line errors naming it);
- :func:`write_submission` writes atomically and never replaces a file unasked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from mabe.data.schema import SUBMISSION_COLUMNS
from mabe.errors import DataError, InvalidSubmission, MabeError
from mabe.fileio import atomic_write_text

__all__ = [
    "AGENT_PATTERN",
    "ROW_COLUMNS",
    "TARGET_PATTERN",
    "assemble_submission",
    "check_submission",
    "frame_column",
    "interval_rows",
    "read_submission",
    "write_submission",
]

ROW_COLUMNS: tuple[str, ...] = tuple(c for c in SUBMISSION_COLUMNS if c != "row_id")
"""Columns of a per-video table (a submission without ``row_id``)."""

_SORT_KEYS = ["video_id", "agent_id", "target_id", "start_frame"]


def frame_column(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """Return a frame column as int64, or :class:`InvalidSubmission` if not integral.

    Examples
    --------
    >>> frame_column(pd.DataFrame({"f": [0.0, 3.0]}), "f", "submission").tolist()
    [0, 3]
    """
    values = df[column]
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        raise InvalidSubmission(f"{what}: column {column!r} is not numeric")
    if values.isna().any():
        row = values.index[values.isna().to_numpy()][0]
        raise InvalidSubmission(f"{what}: column {column!r} is empty at row {row}")
    array = values.to_numpy()
    if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
        raise InvalidSubmission(f"{what}: column {column!r} has non-integer frames")
    return array.astype(np.int64)


# ----------------------------------------------------------------------------- assemble


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "video_id": pd.Series(dtype="int64"),
            **{c: pd.Series(dtype="str") for c in ("agent_id", "target_id", "action")},
            "start_frame": pd.Series(dtype="int64"),
            "stop_frame": pd.Series(dtype="int64"),
        }
    )


def interval_rows(
    video_id: int,
    agent_id: str | Sequence[str],
    target_id: str | Sequence[str],
    action: str | Sequence[str],
    start_frame: ArrayLike,
    stop_frame: ArrayLike,
) -> pd.DataFrame:
    """Return one video's intervals as a per-video table (:data:`ROW_COLUMNS`), for :func:`assemble_submission`.

    Parameters
    ----------
    video_id
        The video.
    agent_id, target_id, action
        One name for every interval, or one name per interval.
    start_frame, stop_frame
        Interval bounds (``stop`` exclusive), of equal length.

    Examples
    --------
    >>> interval_rows(7, "mouse1", "self", "rear", [0, 9], [5, 12])
       video_id agent_id target_id action  start_frame  stop_frame
    0         7   mouse1      self   rear            0           5
    1         7   mouse1      self   rear            9          12
    """
    starts = np.asarray(start_frame, dtype=np.int64).reshape(-1)
    stops = np.asarray(stop_frame, dtype=np.int64).reshape(-1)
    if starts.shape != stops.shape:
        raise ValueError(f"{len(starts)} start frames but {len(stops)} stop frames")

    def names(value: str | Sequence[str], column: str) -> list[str]:
        values = [value] * len(starts) if isinstance(value, str) else list(value)
        if len(values) != len(starts):
            raise ValueError(f"{column}: {len(values)} names for {len(starts)} intervals")
        return values

    return pd.DataFrame(
        {
            "video_id": np.full(len(starts), int(video_id), dtype=np.int64),
            "agent_id": names(agent_id, "agent_id"),
            "target_id": names(target_id, "target_id"),
            "action": names(action, "action"),
            "start_frame": starts,
            "stop_frame": stops,
        }
    )


def assemble_submission(
    parts: Iterable[pd.DataFrame], *, sort: bool = False, check: bool = True
) -> pd.DataFrame:
    """One submission table from per-video tables, rows numbered by ``row_id``.

    Parameters
    ----------
    parts
        Tables with at least :data:`ROW_COLUMNS` (extra columns are dropped),
        typically one per video. Empty ones are skipped before joining, so that
        their untyped ``video_id`` never turns the others' ids into floats.
    sort
        Order rows by video, agent, target and start (stable); otherwise they
        keep the order of ``parts``.
    check
        Give the columns their file dtypes (integer ids and frames, text
        names) and run :func:`check_submission`: what a table about to be
        written needs. ``False`` keeps the dtypes as given, for scoring in
        memory.

    Returns
    -------
    pd.DataFrame
        Columns :data:`~mabe.data.schema.SUBMISSION_COLUMNS`.

    Raises
    ------
    InvalidSubmission
        With ``check``, if the joined table breaks a submission rule.

    Examples
    --------
    >>> one = pd.DataFrame({"video_id": [7], "agent_id": ["mouse1"], "target_id": ["self"],
    ...     "action": ["rear"], "start_frame": [0], "stop_frame": [5]})
    >>> assemble_submission([one, one.iloc[:0], one.assign(video_id=3)], sort=True)
       row_id  video_id agent_id target_id action  start_frame  stop_frame
    0       0         3   mouse1      self   rear            0           5
    1       1         7   mouse1      self   rear            0           5
    """
    frames = [p for p in parts if len(p)]
    table = pd.concat(frames, ignore_index=True) if frames else _no_rows()
    table = table[list(ROW_COLUMNS)].copy()
    if sort:
        table = table.sort_values(_SORT_KEYS, kind="stable").reset_index(drop=True)
    table.insert(0, "row_id", np.arange(len(table), dtype=np.int64))
    if check:
        for col in ("video_id", "start_frame", "stop_frame"):
            table[col] = table[col].astype("int64")
        for col in ("agent_id", "target_id", "action"):
            table[col] = table[col].astype(str)
        check_submission(table)
    return table


# ----------------------------------------------------------------------------- check

AGENT_PATTERN = re.compile(r"mouse\d+")
"""What an ``agent_id`` must look like (full match)."""
TARGET_PATTERN = re.compile(r"mouse\d+|self")
"""What a ``target_id`` must look like (full match)."""


def _check_columns(df: pd.DataFrame) -> None:
    missing = [c for c in SUBMISSION_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidSubmission(f"submission is missing column(s) {', '.join(missing)}")
    extra = [str(c) for c in df.columns if c not in SUBMISSION_COLUMNS]
    if extra:
        raise InvalidSubmission(f"submission has unexpected column(s) {', '.join(extra)}")


def _check_row_id(df: pd.DataFrame) -> None:
    row_id = frame_column(df, "row_id", "submission")
    bad = np.flatnonzero(row_id != np.arange(len(df)))
    if bad.size:
        raise InvalidSubmission(
            f"submission: row_id must be 0..{len(df) - 1} in order; "
            f"row {bad[0]} has {row_id[bad[0]]}"
        )


def _check_names(df: pd.DataFrame) -> None:
    if df["video_id"].isna().any():
        raise InvalidSubmission("submission: column 'video_id' has empty values")
    for column, pattern in (("agent_id", AGENT_PATTERN), ("target_id", TARGET_PATTERN), ("action", None)):
        values = df[column]
        text = values.astype(str)
        ok = values.notna().to_numpy() & (text.str.len() > 0).to_numpy()
        if pattern is not None:
            ok &= text.str.fullmatch(pattern.pattern).to_numpy(dtype=bool)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise InvalidSubmission(
                f"submission: row {i}: bad {column} {values.iloc[i]!r}"
                + (" (expected mouseN or self)" if column == "target_id" else "")
            )
    same = (df["agent_id"].astype(str) == df["target_id"].astype(str)).to_numpy()
    if same.any():
        i = int(np.flatnonzero(same)[0])
        raise InvalidSubmission(
            f"submission: row {i}: target_id equals agent_id; write 'self' instead"
        )


def _check_frames(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    starts = frame_column(df, "start_frame", "submission")
    stops = frame_column(df, "stop_frame", "submission")
    negative = np.flatnonzero(starts < 0)
    if negative.size:
        raise InvalidSubmission(f"submission: row {negative[0]}: negative start_frame")
    empty = np.flatnonzero(starts >= stops)
    if empty.size:
        i = empty[0]
        raise InvalidSubmission(
            f"submission: row {i}: start_frame {starts[i]} is not before stop_frame {stops[i]}"
        )
    return starts, stops


def _check_no_overlap(df: pd.DataFrame, starts: np.ndarray, stops: np.ndarray) -> None:
    pair = (
        df[["video_id", "agent_id", "target_id"]]
        .astype(str)
        .groupby(["video_id", "agent_id", "target_id"], sort=False)
        .ngroup()
        .to_numpy()
    )
    order = np.lexsort((starts, pair))
    p, s, e = pair[order], starts[order], stops[order]
    clash = np.flatnonzero((p[1:] == p[:-1]) & (s[1:] < e[:-1]))
    if clash.size:
        a, b = order[clash[0]], order[clash[0] + 1]
        raise InvalidSubmission(
            f"submission: rows {min(a, b)} and {max(a, b)} overlap for video "
            f"{df['video_id'].iloc[a]}, {df['agent_id'].iloc[a]} -> {df['target_id'].iloc[a]}"
        )


def check_submission(df: pd.DataFrame) -> None:
    """Raise :class:`InvalidSubmission` unless ``df`` is a well-formed submission.

    Requirements: exactly the columns of
    :data:`mabe.data.schema.SUBMISSION_COLUMNS`; ``row_id`` equal to
    ``0..n-1``; ``agent_id`` ``"mouseN"``, ``target_id`` ``"mouseM"`` or
    ``"self"`` (never the agent itself); non-empty ``action`` and
    ``video_id``; integer frames with ``0 <= start_frame < stop_frame``; no two
    rows of one (video, agent, target) sharing a frame, whatever their
    actions. An empty table with the right columns passes (it predicts
    nothing; the scorer itself rejects empty submissions).

    Examples
    --------
    >>> sub = pd.DataFrame({"row_id": [0, 1], "video_id": [7, 7],
    ...     "agent_id": ["mouse1", "mouse1"], "target_id": ["mouse2", "self"],
    ...     "action": ["sniff", "rear"], "start_frame": [0, 5], "stop_frame": [10, 9]})
    >>> check_submission(sub)
    >>> check_submission(sub.assign(target_id="mouse2"))
    Traceback (most recent call last):
    ...
    mabe.errors.InvalidSubmission: submission: rows 0 and 1 overlap for video 7, mouse1 -> mouse2
    """
    _check_columns(df)
    if len(df) == 0:
        return
    df = df.reset_index(drop=True)
    _check_row_id(df)
    _check_names(df)
    starts, stops = _check_frames(df)
    _check_no_overlap(df, starts, stops)


# ----------------------------------------------------------------------------- read and write

_INT_COLUMNS = ("row_id", "video_id", "start_frame", "stop_frame")


def read_submission(path: str | Path) -> pd.DataFrame:
    """Read a submission CSV, checking its columns and integer fields.

    Raises
    ------
    DataError
        If the file is missing, not CSV, lacks a column or has a non-integer frame.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(path, "is a directory, not a submission CSV file")
    if not path.is_file():
        raise DataError(path, "submission file not found")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not a readable CSV file ({type(exc).__name__})") from None
    missing = [c for c in SUBMISSION_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}")
    for col in _INT_COLUMNS:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | values.abs().eq(float("inf")) | (values != values.round())
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(
                path, f"column '{col}' row {row + 2}: {df[col].iloc[row]!r} is not an integer"
            )
        df[col] = values.astype("int64")
    for col in ("agent_id", "target_id", "action"):
        df[col] = df[col].astype(str)
    return df[list(SUBMISSION_COLUMNS)]


def write_submission(df: pd.DataFrame, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``df`` atomically to ``path`` (temp file, then rename).

    Refuses to replace an existing file unless ``overwrite`` is true.
    """
    path = Path(path)
    if path.is_dir():
        raise MabeError(f"{path}: is a directory; give --out a file name such as submission.csv")
    if path.exists() and not overwrite:
        raise MabeError(f"{path}: already exists; choose another --out or pass --overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, df[list(SUBMISSION_COLUMNS)].to_csv(index=False))
