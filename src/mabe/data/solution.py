"""Labelled videos without a bout in a solution table: one placeholder row each.

A solution (:data:`mabe.data.schema.SOLUTION_COLUMNS`) holds one row per
labelled bout, so a video whose labels say "nothing happened" would have no
row at all, and a scorer reading only bouts would never see it: predictions
there would be dropped instead of counted as false positives. A labelled
video (one whose ``behaviors_labeled`` lists at least one triple) without a
bout is therefore written as one *placeholder row*:

==================  =============================================
``video_id``        the video
``lab_id``          its lab
``behaviors_labeled``  its raw whitelist text
``agent_id``, ``target_id``, ``action``  missing (``NaN``)
``start_frame``, ``stop_frame``  ``0``, ``0`` (covers no frame)
==================  =============================================

A placeholder stands for the video and its whitelist only: the scorer
(:func:`mabe.metrics.score_report`) and the decoding tuner keep the video's
submission rows, and add no labelled key and no action for it. Pandas
``groupby`` drops rows whose keys are missing, so counts of bouts per
(lab, action) are unchanged by placeholders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mabe.data.schema import SOLUTION_COLUMNS, parse_behaviors_labeled

__all__ = ["add_boutless_videos", "is_labelled", "is_placeholder", "placeholder_rows"]

_TEXT_KEYS = ("agent_id", "target_id", "action")


def is_labelled(behaviors_labeled: object) -> bool:
    """Whether a ``behaviors_labeled`` cell lists at least one triple.

    A cell that cannot be parsed counts as labelled, so that the scorer
    reports it (naming the video) instead of silently leaving it out.

    Examples
    --------
    >>> is_labelled('["mouse1,mouse2,sniff"]'), is_labelled("[]"), is_labelled(float("nan"))
    (True, False, False)
    """
    try:
        return bool(parse_behaviors_labeled(behaviors_labeled))
    except ValueError:
        return True


def placeholder_rows(videos: pd.DataFrame) -> pd.DataFrame:
    """One placeholder solution row per labelled video of ``videos``.

    Parameters
    ----------
    videos
        At least the columns ``video_id``, ``lab_id`` and ``behaviors_labeled``
        (a metadata table such as ``train.csv`` will do). Videos whose
        ``behaviors_labeled`` lists nothing get no row.

    Returns
    -------
    pd.DataFrame
        Columns :data:`~mabe.data.schema.SOLUTION_COLUMNS`, in ``videos`` order.

    Examples
    --------
    >>> meta = pd.DataFrame({"video_id": [7, 8], "lab_id": "LabA",
    ...                      "behaviors_labeled": ['["mouse1,mouse2,sniff"]', ""]})
    >>> placeholder_rows(meta)[["video_id", "action", "start_frame", "stop_frame"]]
       video_id action  start_frame  stop_frame
    0         7    NaN            0           0
    """
    missing = [c for c in ("video_id", "lab_id", "behaviors_labeled") if c not in videos.columns]
    if missing:
        raise ValueError(f"labelled videos table is missing column(s) {', '.join(missing)}")
    keep = np.array([is_labelled(t) for t in videos["behaviors_labeled"]], dtype=bool)
    chosen = videos[keep] if len(videos) else videos
    n = len(chosen)
    nothing = pd.array([None] * n, dtype="str")
    return pd.DataFrame(
        {
            "video_id": chosen["video_id"].to_numpy(),
            **{c: nothing for c in _TEXT_KEYS},
            "start_frame": np.zeros(n, dtype=np.int64),
            "stop_frame": np.zeros(n, dtype=np.int64),
            "lab_id": pd.array(chosen["lab_id"].astype(str).to_numpy(), dtype="str"),
            "behaviors_labeled": chosen["behaviors_labeled"].to_numpy(),
        },
        columns=list(SOLUTION_COLUMNS),
    )


def is_placeholder(solution: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the placeholder rows (missing ``action``) of a solution.

    Examples
    --------
    >>> sol = pd.DataFrame({"action": ["sniff", None]})
    >>> is_placeholder(sol).tolist()
    [False, True]
    """
    if "action" not in solution.columns:
        return np.zeros(len(solution), dtype=bool)
    return solution["action"].isna().to_numpy(dtype=bool)


def add_boutless_videos(solution: pd.DataFrame, videos: pd.DataFrame) -> pd.DataFrame:
    """``solution`` plus a placeholder row for each labelled video it lacks.

    Parameters
    ----------
    solution
        Bout rows (and possibly placeholders already).
    videos
        The labelled videos to score (columns ``video_id``, ``lab_id``,
        ``behaviors_labeled``; e.g. a split's metadata table). Video ids are
        compared by their text form, as the scorer does.

    Returns
    -------
    pd.DataFrame
        A new table; ``solution`` is not modified. Its rows come first.

    Examples
    --------
    >>> sol = pd.DataFrame({"video_id": [7], "agent_id": ["mouse1"], "target_id": ["mouse2"],
    ...     "action": ["sniff"], "start_frame": [0], "stop_frame": [5], "lab_id": ["LabA"],
    ...     "behaviors_labeled": ['["mouse1,mouse2,sniff"]']})
    >>> meta = pd.DataFrame({"video_id": [7, 8], "lab_id": "LabA",
    ...                      "behaviors_labeled": '["mouse1,mouse2,sniff"]'})
    >>> add_boutless_videos(sol, meta)[["video_id", "action"]].values.tolist()
    [[7, 'sniff'], [8, nan]]
    """
    present = set(solution["video_id"].astype(str)) if len(solution) else set()
    absent = videos[~videos["video_id"].astype(str).isin(present).to_numpy()]
    extra = placeholder_rows(absent)
    if extra.empty:
        return solution.copy()
    if solution.empty:
        return extra.reset_index(drop=True)
    return pd.concat([solution, extra], ignore_index=True)
