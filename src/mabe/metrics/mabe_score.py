"""The MABe 2025 interval F-score, computed with interval arithmetic.

The competition scores a submission frame by frame: every interval
``[start_frame, stop_frame)`` stands for the frames it covers. Per lab and
per action, true positives, false positives and false negatives are pooled
over the lab's videos and (agent, target) pairs; the lab's score is the mean
F-beta over its actions and the final score is the mean over labs.

Frames are never materialised (:mod:`mabe.metrics.intervals`). Every
``(video, agent, target, action)`` key gets an integer code and each interval is placed on one long
number line at ``code * span + frame``, with ``span`` larger than any frame
range, so that intervals of different keys can never touch. Unions are then
one sort plus a cumulative maximum, and intersections one pair of
``searchsorted`` calls, whatever the number of keys.

Rules (identical to the competition's metric):

1. An empty solution or submission, a missing column or ``start_frame >
   stop_frame`` is an error (an empty submission may be allowed with
   ``allow_empty=True``). Submission rows of videos absent from the
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

Labelled videos without a bout (see :mod:`mabe.data.solution`): a solution
may hold one *placeholder row* per labelled video that has no bout, or
``score_report(..., labelled=videos)`` adds them. Such a video is scored like
any other: its rows on whitelisted triples are kept, so what is predicted
there is a false positive of its lab and action. A placeholder adds no
labelled key and no action. A lab whose videos have no bout at all and that
gets no kept row has no action to average; it scores 1 (nothing to find,
nothing found).

Where every video has a bout, the score is exactly the competition's. The
one difference is a labelled video with no bout: the competition's solution
is made of bout rows, so its scorer never sees such a video and drops its
predictions, while here they count as false positives (and a lab made only of
such videos counts, scoring 1 when nothing is predicted there). Without this
a tuner could predict everything on negative videos for free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mabe.data.schema import SOLUTION_COLUMNS, SUBMISSION_COLUMNS, parse_behaviors_labeled
from mabe.data.solution import add_boutless_videos, is_placeholder
from mabe.data.submission import AGENT_PATTERN, TARGET_PATTERN, frame_column
from mabe.errors import InvalidSolution, InvalidSubmission
from mabe.metrics.intervals import f_beta, key_frame_counts, line_span, union_intervals

KEY_COLUMNS: tuple[str, ...] = ("video_id", "agent_id", "target_id", "action")
"""The columns that identify one scored key."""

_SCORED_SUBMISSION_COLUMNS = tuple(c for c in SUBMISSION_COLUMNS if c != "row_id")

IGNORED_REASONS: dict[str, str] = {
    "unknown_video": "video not among the labelled videos",
    "bad_mouse_id": "agent/target not in the mouseN form",
    "not_whitelisted": "agent,target,action not in the video's behaviors_labeled",
    "zero_length": "zero length (covers no frame)",
}
"""Why submission rows add no frame to the score (keys of :attr:`ScoreReport.ignored`)."""



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
    ignored
        Submission rows that add no frame, by reason (every key of
        :data:`IGNORED_REASONS`; a row counts once, under its first reason
        in that order). Zero-length rows of whitelisted triples still bring
        their action into their lab's average, as in the competition.
    n_rows
        Rows in the submission.
    """

    score: float
    per_lab: pd.Series
    table: pd.DataFrame
    ignored: dict[str, int] = field(default_factory=dict)
    n_rows: int = 0


# ----------------------------------------------------------------------------- input handling


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


def _check_inputs(solution: pd.DataFrame, submission: pd.DataFrame, allow_empty: bool) -> None:
    if len(solution) == 0:
        raise InvalidSolution("the solution is empty")
    if len(submission) == 0 and not allow_empty:
        raise InvalidSubmission("the submission is empty")
    for what, df, needed in (
        ("solution", solution, SOLUTION_COLUMNS),
        ("submission", submission, _SCORED_SUBMISSION_COLUMNS),
    ):
        missing = [c for c in needed if c not in df.columns]
        if missing:
            error = InvalidSolution if df is solution else InvalidSubmission
            raise error(f"{what} is missing column(s) {', '.join(missing)}")


def _keys_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return the key columns as text (``video_id`` compared by its text form)."""
    return pd.DataFrame({c: df[c].astype(str).to_numpy() for c in KEY_COLUMNS})


def _whitelist(solution: pd.DataFrame) -> pd.MultiIndex:
    """All listed ``(video, agent, target, action)`` keys, from each video's first row."""
    first = solution.drop_duplicates("video_id")
    parsed: dict[object, list] = {}  # videos of one lab usually share the text
    rows: list[tuple[str, str, str, str]] = []
    for video, text in zip(first["video_id"].astype(str), first["behaviors_labeled"], strict=True):
        cache_key = text if isinstance(text, str) else None
        if cache_key not in parsed:
            try:
                parsed[cache_key] = parse_behaviors_labeled(text)
            except ValueError as exc:
                raise InvalidSolution(
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
    lo, span = line_span(starts, stops)
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


def _ignored(
    sub_keys: pd.DataFrame, listed_mask: np.ndarray, known: pd.Index, empty: np.ndarray
) -> dict[str, int]:
    """Count submission rows that add no frame, by their first reason."""
    video_ok = sub_keys["video_id"].isin(known).to_numpy()
    form_ok = (
        sub_keys["agent_id"].str.fullmatch(AGENT_PATTERN.pattern).to_numpy(dtype=bool)
        & sub_keys["target_id"].str.fullmatch(TARGET_PATTERN.pattern).to_numpy(dtype=bool)
    )
    return {
        "unknown_video": int((~video_ok).sum()),
        "bad_mouse_id": int((video_ok & ~form_ok).sum()),
        "not_whitelisted": int((video_ok & form_ok & ~listed_mask).sum()),
        "zero_length": int((listed_mask & empty).sum()),
    }


def score_report(
    solution: pd.DataFrame,
    submission: pd.DataFrame,
    beta: float = 1.0,
    *,
    labelled: pd.DataFrame | None = None,
    allow_empty: bool = False,
) -> ScoreReport:
    r"""Score a submission and break the score down by lab and action.

    Parameters
    ----------
    solution
        Columns :data:`mabe.data.schema.SOLUTION_COLUMNS`: one row per
        labelled bout, agents ``"mouseN"``, targets ``"mouseM"`` or ``"self"``,
        plus optionally one placeholder row per labelled video without a bout
        (:mod:`mabe.data.solution`).
    submission
        Columns :data:`mabe.data.schema.SUBMISSION_COLUMNS` (``row_id`` and
        any extra column are ignored).
    beta
        Weight of recall against precision.
    labelled
        Labelled videos to score even if ``solution`` has no row for them
        (columns ``video_id``, ``lab_id``, ``behaviors_labeled``; e.g. a
        split's metadata); each missing one gets a placeholder row.
    allow_empty
        Score an empty submission (0 on every lab with a bout) instead of
        rejecting it as the competition does.

    Returns
    -------
    ScoreReport

    Raises
    ------
    InvalidSolution
        If the solution is at fault: empty, a missing column, ``start_frame >
        stop_frame`` or an unreadable ``behaviors_labeled``.
    InvalidSubmission
        If the submission is at fault: empty (unless ``allow_empty``), a
        missing column, ``start_frame > stop_frame``, or a frame predicted for
        two actions of one (video, agent, target).

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
    'action   f  tp  fn\nattack 1.0   9   0\n mount 0.0   0   9'

    A labelled video without a bout (2) turns what is predicted there into
    false positives:

    >>> videos = pd.DataFrame({"video_id": [1, 2], "lab_id": "A",
    ...     "behaviors_labeled": '["mouse1,mouse2,attack"]'})
    >>> sub2 = pd.concat([sub, sub.assign(video_id=2)], ignore_index=True)
    >>> score_report(sol, sub2).score, round(score_report(sol, sub2, labelled=videos).score, 4)
    (0.5, 0.3333)
    """
    if labelled is not None:
        solution = add_boutless_videos(solution, labelled)
    _check_inputs(solution, submission, allow_empty)
    bouts = solution[~is_placeholder(solution)]
    try:
        sol_starts, sol_stops = _check_frames(bouts, "solution")
    except InvalidSubmission as exc:  # the same frame checks as a submission's, about the labels
        raise InvalidSolution(str(exc)) from None
    sub_starts, sub_stops = _check_frames(submission, "submission")

    sol_keys = _keys_frame(bouts)
    sub_keys = _keys_frame(submission)
    listed = _whitelist(solution)
    kept = (
        pd.MultiIndex.from_frame(sub_keys).isin(listed)
        if listed is not None and len(sub_keys)
        else np.zeros(len(sub_keys), dtype=bool)
    )
    first = solution.drop_duplicates("video_id")
    video_lab = pd.Series(first["lab_id"].to_numpy(), index=first["video_id"].astype(str))
    ignored = _ignored(sub_keys, kept, video_lab.index, sub_starts == sub_stops)
    sub_keys = sub_keys[kept].reset_index(drop=True)
    sub_starts, sub_stops = sub_starts[kept], sub_stops[kept]

    all_keys = pd.concat([sol_keys, sub_keys], ignore_index=True)
    key_code = all_keys.groupby(list(KEY_COLUMNS), sort=False).ngroup().to_numpy()
    n_sol = len(sol_keys)
    sub_code = key_code[n_sol:]
    if sub_code.size:
        pair_code = sub_keys.groupby(list(KEY_COLUMNS[:3]), sort=False).ngroup().to_numpy()
        _check_one_action_per_pair(pair_code, sub_code, sub_starts, sub_stops, sub_keys)

    n_keys = int(key_code.max()) + 1 if key_code.size else 0
    tp, predicted, labelled_frames = key_frame_counts(
        n_keys, (key_code[:n_sol], sol_starts, sol_stops), (sub_code, sub_starts, sub_stops)
    )
    first_row = np.unique(key_code, return_index=True)[1]
    per_key = pd.DataFrame(
        {
            "lab_id": video_lab.reindex(all_keys["video_id"].to_numpy()[first_row]).to_numpy(),
            "action": all_keys["action"].to_numpy()[first_row],
            "tp": tp,
            "fp": predicted - tp,
            "fn": labelled_frames - tp,
        }
    )
    table = per_key.groupby(["lab_id", "action"], sort=True, as_index=False)[
        ["tp", "fp", "fn"]
    ].sum()
    table.insert(2, "f", f_beta(table["tp"], table["fp"], table["fn"], beta))
    per_lab = table.groupby("lab_id", sort=True)["f"].mean()
    # a lab with no action at all (only bout-less videos, nothing kept) found nothing to find
    per_lab = per_lab.reindex(pd.unique(solution["lab_id"])).fillna(1.0).rename("score")
    return ScoreReport(
        score=float(per_lab.mean()),
        per_lab=per_lab,
        table=table,
        ignored=ignored,
        n_rows=len(submission),
    )


def mabe_score(
    solution: pd.DataFrame,
    submission: pd.DataFrame,
    beta: float = 1.0,
    *,
    labelled: pd.DataFrame | None = None,
    allow_empty: bool = False,
) -> float:
    """Compute the MABe 2025 score of ``submission`` against ``solution``.

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
    return score_report(solution, submission, beta, labelled=labelled, allow_empty=allow_empty).score
