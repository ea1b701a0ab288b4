"""Checks a submission file must pass before it is written.

:func:`check_submission` is stricter than the scorer: it rejects anything the
competition would reject *and* anything that can only be a bug on our side
(zero-length rows, duplicate or overlapping rows of one pair, bad mouse
names), so that ``mabe predict`` never writes a file Kaggle would refuse.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from mabe.data.schema import SUBMISSION_COLUMNS
from mabe.errors import InvalidSubmission
from mabe.metrics.mabe_score import frame_column

_AGENT = re.compile(r"mouse\d+")
_TARGET = re.compile(r"mouse\d+|self")


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
    for column, pattern in (("agent_id", _AGENT), ("target_id", _TARGET), ("action", None)):
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
