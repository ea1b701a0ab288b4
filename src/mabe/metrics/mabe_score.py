"""The MABe 2025 interval F-score, computed with interval arithmetic.

The competition scores a submission frame by frame: every interval
``[start_frame, stop_frame)`` stands for the frames it covers. Per lab and
per action, true positives, false positives and false negatives are pooled
over the lab's videos and (agent, target) pairs; the lab's score is the mean
F-beta over its actions and the final score is the mean over labs.

This module never materialises frames. Every ``(video, agent, target,
action)`` key gets an integer code and each interval is placed on one long
number line at ``code * span + frame``, with ``span`` larger than any frame
range, so that intervals of different keys can never touch. Unions are then
one sort plus a cumulative maximum, and intersections one pair of
``searchsorted`` calls, whatever the number of keys.

Rules (identical to the competition's metric):

1. An empty solution or submission, a missing column or ``start_frame >
   stop_frame`` is an error. Submission rows of videos absent from the
   solution are dropped.
2. A submission row counts only if ``"agent,target,action"`` is listed in
   its video's ``behaviors_labeled`` (taken from the video's first solution
   row, items normalised by :func:`mabe.data.schema.parse_behaviors_labeled`).
3. Rows of one key are merged (duplicates cost nothing); a frame predicted
   for two different actions of the same (video, agent, target) makes the
   submission invalid. One agent may act on several targets at once.
4. A lab's actions are those of its solution rows plus those of its kept
   submission rows (even zero-length ones), so predicting a listed action that
   the lab never shows adds an F of 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mabe.data.schema import SOLUTION_COLUMNS, SUBMISSION_COLUMNS, parse_behaviors_labeled
from mabe.errors import InvalidSubmission

KEY_COLUMNS: tuple[str, ...] = ("video_id", "agent_id", "target_id", "action")
"""The columns that identify one scored key."""

_SCORED_SUBMISSION_COLUMNS = tuple(c for c in SUBMISSION_COLUMNS if c != "row_id")


@dataclass(frozen=True)
class ScoreReport:
    """The score of a submission with its breakdown.

    Attributes
    ----------
    score
        Mean over labs of the per-lab scores.
    per_lab
        Lab score (mean F over the lab's actions), indexed by ``lab_id``.
    table
        One row per (lab, action): ``lab_id, action, f, tp, fp, fn``.
    """

    score: float
    per_lab: pd.Series
    table: pd.DataFrame


# ----------------------------------------------------------------------------- interval core


def union_intervals(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of half-open intervals on one line, as sorted disjoint intervals.

    Empty intervals are dropped; touching intervals are merged.

    Examples
    --------
    >>> s, e = union_intervals(np.array([5, 0, 8, 20]), np.array([9, 3, 12, 20]))
    >>> s.tolist(), e.tolist()
    ([0, 5], [3, 12])
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return starts, stops
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], stops[order]
    reach = np.maximum.accumulate(stops)
    first = np.ones(starts.size, dtype=bool)
    first[1:] = starts[1:] > reach[:-1]
    heads = np.flatnonzero(first)
    tails = np.append(heads[1:] - 1, starts.size - 1)
    return starts[heads], reach[tails]


def overlap_per_interval(
    a_starts: np.ndarray, a_stops: np.ndarray, b_starts: np.ndarray, b_stops: np.ndarray
) -> np.ndarray:
    """Length of each interval of ``a`` covered by ``b``.

    Both sets must be sorted and disjoint (as returned by :func:`union_intervals`).

    Examples
    --------
    >>> overlap_per_interval(np.array([0, 30]), np.array([20, 40]),
    ...                      np.array([5, 15]), np.array([10, 35])).tolist()
    [10, 5]
    """
    lo = np.searchsorted(b_stops, a_starts, side="right")
    hi = np.searchsorted(b_starts, a_stops, side="left")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(a_starts.size, dtype=np.int64)
    owner = np.repeat(np.arange(a_starts.size), counts)
    first = np.cumsum(counts) - counts
    partner = lo[owner] + np.arange(total) - first[owner]
    pieces = np.minimum(a_stops[owner], b_stops[partner]) - np.maximum(
        a_starts[owner], b_starts[partner]
    )
    return np.bincount(owner, weights=pieces, minlength=a_starts.size).astype(np.int64)


def _line_span(*frames: np.ndarray) -> tuple[int, int]:
    """Smallest frame and a span that keeps keys apart on the number line."""
    non_empty = [f for f in frames if f.size]
    if not non_empty:
        return 0, 1
    lo = min(int(f.min()) for f in non_empty)
    hi = max(int(f.max()) for f in non_empty)
    return lo, hi - lo + 1


def key_frame_counts(
    n_keys: int,
    label: tuple[np.ndarray, np.ndarray, np.ndarray],
    pred: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame counts per integer key: ``(tp, predicted, labelled)``.

    Parameters
    ----------
    n_keys
        Keys are ``0..n_keys-1``.
    label, pred
        ``(keys, starts, stops)`` arrays of labelled / predicted intervals.
        Intervals of one key may overlap; their union is counted.

    Examples
    --------
    >>> lab = (np.array([0, 0]), np.array([0, 30]), np.array([10, 40]))
    >>> pre = (np.array([0]), np.array([0]), np.array([40]))
    >>> [a.tolist() for a in key_frame_counts(1, lab, pre)]
    [[20], [40], [20]]
    """
    lo, span = _line_span(label[1], label[2], pred[1], pred[2])
    if n_keys * span >= 2**62:
        raise InvalidSubmission("frame numbers are too large to score")

    def place(keys: np.ndarray, starts: np.ndarray, stops: np.ndarray):
        base = np.asarray(keys, dtype=np.int64) * span - lo
        return union_intervals(base + starts, base + stops)

    ls, le = place(*label)
    ps, pe = place(*pred)
    tp_each = overlap_per_interval(ps, pe, ls, le)
    tp = np.bincount(ps // span, weights=tp_each, minlength=n_keys)
    predicted = np.bincount(ps // span, weights=pe - ps, minlength=n_keys)
    labelled = np.bincount(ls // span, weights=le - ls, minlength=n_keys)
    return tp.astype(np.int64), predicted.astype(np.int64), labelled.astype(np.int64)


def f_beta(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Vectorised F-beta; 0 where ``tp + fp + fn == 0``.

    Examples
    --------
    >>> f_beta(np.array([20, 0]), np.array([20, 0]), np.array([0, 0])).round(4).tolist()
    [0.6667, 0.0]
    """
    b2 = beta * beta
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    denom = (1 + b2) * tp + b2 * fn + fp
    safe = np.where(denom > 0, denom, 1.0)
    return np.where(denom > 0, (1 + b2) * tp / safe, 0.0)


# ----------------------------------------------------------------------------- input handling


def frame_column(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """A frame column as int64, or :class:`InvalidSubmission` if not integral."""
    values = df[column]
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        raise InvalidSubmission(f"{what}: column {column!r} is not numeric")
    if values.isna().any():
        row = values.index[values.isna().to_numpy()][0]
        raise InvalidSubmission(f"{what}: column {column!r} is empty at row {row}")
    array = values.to_numpy()
    if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
        raise InvalidSubmission(f"{what}: column {column!r} has non-integer frames")
    return array.astype(np.int64)


def _check_frames(df: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    starts = frame_column(df, "start_frame", what)
    stops = frame_column(df, "stop_frame", what)
    bad = np.flatnonzero(starts > stops)
    if bad.size:
        row = df.index[bad[0]]
        raise InvalidSubmission(
            f"{what}: start_frame > stop_frame at row {row} "
            f"({starts[bad[0]]} > {stops[bad[0]]}; {bad.size} such rows)"
        )
    return starts, stops


def _check_inputs(solution: pd.DataFrame, submission: pd.DataFrame) -> None:
    if len(solution) == 0:
        raise InvalidSubmission("the solution is empty")
    if len(submission) == 0:
        raise InvalidSubmission("the submission is empty")
    for what, df, needed in (
        ("solution", solution, SOLUTION_COLUMNS),
        ("submission", submission, _SCORED_SUBMISSION_COLUMNS),
    ):
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise InvalidSubmission(f"{what} is missing column(s) {', '.join(missing)}")


def _keys_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The key columns as text (``video_id`` compared by its text form)."""
    return pd.DataFrame({c: df[c].astype(str).to_numpy() for c in KEY_COLUMNS})


def _whitelist(solution: pd.DataFrame) -> pd.MultiIndex:
    """All listed ``(video, agent, target, action)`` keys, from each video's first row."""
    first = solution.drop_duplicates("video_id")
    parsed: dict[object, list] = {}  # videos of one lab usually share the text
    rows: list[tuple[str, str, str, str]] = []
    for video, text in zip(first["video_id"].astype(str), first["behaviors_labeled"]):
        cache_key = text if isinstance(text, str) else None
        if cache_key not in parsed:
            try:
                parsed[cache_key] = parse_behaviors_labeled(text)
            except ValueError as exc:
                raise InvalidSubmission(
                    f"solution: video {video}: behaviors_labeled {exc}"
                ) from None
        rows.extend((video, *t) for t in parsed[cache_key])
    return pd.MultiIndex.from_tuples(rows, names=list(KEY_COLUMNS)) if rows else None


def _check_one_action_per_pair(
    pair: np.ndarray, keys: np.ndarray, starts: np.ndarray, stops: np.ndarray, names: pd.DataFrame
) -> None:
    """Raise if two actions of one (video, agent, target) share a frame.

    ``pair`` and ``keys`` are integer codes per row; ``names`` holds the key
    columns of each row, for the error message.
    """
    lo, span = _line_span(starts, stops)
    n_keys = int(keys.max()) + 1
    if max(n_keys, int(pair.max()) + 1) * span >= 2**62:
        raise InvalidSubmission("frame numbers are too large to score")
    # merge each key's own intervals (repeats of one action are allowed) ...
    ks, ke = union_intervals(keys * span - lo + starts, keys * span - lo + stops)
    pair_of_key = np.zeros(n_keys, dtype=np.int64)
    pair_of_key[keys] = pair
    key_of = ks // span
    owner = pair_of_key[key_of]
    # ... then move the merged runs onto their pair's stretch of the line
    ps = ks + (owner - key_of) * span
    pe = ke + (owner - key_of) * span
    order = np.argsort(ps, kind="stable")
    ps, pe, owner = ps[order], pe[order], owner[order]
    if ps.size < 2:
        return
    reach = np.maximum.accumulate(pe)
    clash = np.flatnonzero(ps[1:] < reach[:-1])
    if clash.size == 0:
        return
    i = clash[0] + 1
    offset = owner[i] * span - lo
    row = int(np.flatnonzero(pair == owner[i])[0])
    video, agent, target = names.iloc[row][list(KEY_COLUMNS[:3])]
    raise InvalidSubmission(
        f"video {video}: {agent} -> {target} has more than one action in frames "
        f"[{ps[i] - offset}, {min(pe[i], reach[i - 1]) - offset}) "
        "(one action per agent/target per frame)"
    )


# ----------------------------------------------------------------------------- scoring


def score_report(
    solution: pd.DataFrame, submission: pd.DataFrame, beta: float = 1.0
) -> ScoreReport:
    """Score a submission and break the score down by lab and action.

    Parameters
    ----------
    solution
        Columns :data:`mabe.data.schema.SOLUTION_COLUMNS`: one row per
        labelled bout, agents ``"mouseN"``, targets ``"mouseM"`` or ``"self"``.
    submission
        Columns :data:`mabe.data.schema.SUBMISSION_COLUMNS` (``row_id`` and
        any extra column are ignored).
    beta
        Weight of recall against precision.

    Returns
    -------
    ScoreReport

    Raises
    ------
    InvalidSubmission
        Empty input, missing column, ``start_frame > stop_frame``, or a frame
        predicted for two actions of one (video, agent, target).

    Examples
    --------
    >>> sol = pd.DataFrame({"video_id": [1, 1], "agent_id": "mouse1",
    ...     "target_id": "mouse2", "action": ["attack", "mount"],
    ...     "start_frame": [0, 15], "stop_frame": [9, 24], "lab_id": "A",
    ...     "behaviors_labeled": '["mouse1,mouse2,attack"]'})
    >>> sub = sol.iloc[:1].drop(columns=["lab_id", "behaviors_labeled"])
    >>> report = score_report(sol, sub)
    >>> report.score
    0.5
    >>> report.table[["action", "f", "tp", "fn"]].to_string(index=False)
    'action   f  tp  fn\\nattack 1.0   9   0\\n mount 0.0   0   9'
    """
    _check_inputs(solution, submission)
    sol_starts, sol_stops = _check_frames(solution, "solution")
    sub_starts, sub_stops = _check_frames(submission, "submission")

    sol_keys = _keys_frame(solution)
    sub_keys = _keys_frame(submission)
    listed = _whitelist(solution)
    kept = (
        pd.MultiIndex.from_frame(sub_keys).isin(listed)
        if listed is not None
        else np.zeros(len(sub_keys), dtype=bool)
    )
    sub_keys = sub_keys[kept].reset_index(drop=True)
    sub_starts, sub_stops = sub_starts[kept], sub_stops[kept]

    all_keys = pd.concat([sol_keys, sub_keys], ignore_index=True)
    key_code = all_keys.groupby(list(KEY_COLUMNS), sort=False).ngroup().to_numpy()
    n_sol = len(sol_keys)
    sub_code = key_code[n_sol:]
    if sub_code.size:
        pair_code = sub_keys.groupby(list(KEY_COLUMNS[:3]), sort=False).ngroup().to_numpy()
        _check_one_action_per_pair(pair_code, sub_code, sub_starts, sub_stops, sub_keys)

    n_keys = int(key_code.max()) + 1
    tp, predicted, labelled = key_frame_counts(
        n_keys, (key_code[:n_sol], sol_starts, sol_stops), (sub_code, sub_starts, sub_stops)
    )
    first = solution.drop_duplicates("video_id")
    video_lab = pd.Series(first["lab_id"].to_numpy(), index=first["video_id"].astype(str))
    first_row = np.unique(key_code, return_index=True)[1]
    per_key = pd.DataFrame(
        {
            "lab_id": video_lab.reindex(all_keys["video_id"].to_numpy()[first_row]).to_numpy(),
            "action": all_keys["action"].to_numpy()[first_row],
            "tp": tp,
            "fp": predicted - tp,
            "fn": labelled - tp,
        }
    )
    table = per_key.groupby(["lab_id", "action"], sort=True, as_index=False)[
        ["tp", "fp", "fn"]
    ].sum()
    table.insert(2, "f", f_beta(table["tp"], table["fp"], table["fn"], beta))
    per_lab = table.groupby("lab_id", sort=True)["f"].mean()
    per_lab = per_lab.reindex(pd.unique(solution["lab_id"])).rename("score")
    return ScoreReport(score=float(per_lab.mean()), per_lab=per_lab, table=table)


def mabe_score(solution: pd.DataFrame, submission: pd.DataFrame, beta: float = 1.0) -> float:
    """The MABe 2025 score of ``submission`` against ``solution``.

    See :func:`score_report` for parameters and errors.

    Examples
    --------
    >>> sol = pd.DataFrame({"video_id": [1, 1], "agent_id": "mouse1",
    ...     "target_id": "mouse2", "action": "attack", "start_frame": [0, 30],
    ...     "stop_frame": [10, 40], "lab_id": "A",
    ...     "behaviors_labeled": '["mouse1,mouse2,attack"]'})
    >>> sub = pd.DataFrame({"row_id": [0], "video_id": [1], "agent_id": ["mouse1"],
    ...     "target_id": ["mouse2"], "action": ["attack"], "start_frame": [0],
    ...     "stop_frame": [40]})
    >>> round(mabe_score(sol, sub), 6)
    0.666667
    """
    return score_report(solution, submission, beta).score
