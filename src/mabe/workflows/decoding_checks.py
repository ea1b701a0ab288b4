"""Signs that decoding went wrong, found in a submission table alone.

A tuned decoding can look fine by its score and still be useless to a person
reading the intervals: a run once produced 89 one-frame ``sniffgenital``
bouts exactly 26 frames apart. :func:`degenerate_decoding` looks for

* ``one_frame``: most bouts of an action last a single frame;
* ``regular``: the bouts of one (video, agent, target, action) start at a
  suspiciously regular spacing (most gaps identical);
* ``never``: an action the model predicts never appears;
* ``dominant``: an action covers more than half of a video's frames for one
  (agent, target) (one finding per video and action, however many pairs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

FINDING_COLUMNS = ("kind", "action", "video_id", "agent_id", "target_id", "detail")
"""Columns of the table returned by :func:`degenerate_decoding`."""


def _finding(kind, action, detail, video_id=None, agent_id=None, target_id=None) -> dict:
    return {
        "kind": kind,
        "action": action,
        "video_id": video_id,
        "agent_id": agent_id,
        "target_id": target_id,
        "detail": detail,
    }


def _covered(starts: np.ndarray, stops: np.ndarray) -> int:
    """Frames covered by the union of ``[start, stop)`` intervals."""
    order = np.argsort(starts, kind="stable")
    total, reach = 0, -np.inf
    for s, e in zip(starts[order], stops[order], strict=True):
        s = max(s, reach)
        if e > s:
            total += int(e - s)
        reach = max(reach, e)
    return total


def degenerate_decoding(
    submission: pd.DataFrame,
    n_frames: Mapping[object, int] | None = None,
    actions: Sequence[str] | None = None,
    min_bouts: int = 10,
    one_frame_share: float = 0.5,
    regular_share: float = 0.75,
    dominant_share: float = 0.5,
) -> pd.DataFrame:
    """Find degenerate patterns in decoded intervals.

    Parameters
    ----------
    submission
        Columns ``video_id, agent_id, target_id, action, start_frame, stop_frame``.
    n_frames
        ``{video_id: frames}``; needed for the ``dominant`` check (skipped without it).
    actions
        The actions that could have been predicted; each absent one is a
        ``never`` finding (skipped when ``None``).
    min_bouts
        Fewest bouts before ``one_frame`` (per action) or ``regular`` (per
        key) is judged.
    one_frame_share
        ``one_frame`` when more than this share of an action's bouts last one frame.
    regular_share
        ``regular`` when at least this share of the gaps between successive
        bout starts of one key have the same length.
    dominant_share
        ``dominant`` when one key covers more than this share of its video.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FINDING_COLUMNS`, one row per finding; ``detail`` is a
        sentence for a person. Empty when nothing looks wrong.

    Examples
    --------
    >>> starts = np.arange(89) * 26
    >>> sub = pd.DataFrame({"video_id": 7, "agent_id": "mouse1", "target_id": "mouse2",
    ...                     "action": "sniffgenital", "start_frame": starts, "stop_frame": starts + 1})
    >>> found = degenerate_decoding(sub, {7: 3000}, actions=["sniffgenital", "attack"])
    >>> found["kind"].tolist()
    ['one_frame', 'regular', 'never']
    >>> found["detail"].iloc[1]
    'video 7 mouse1 → mouse2: 88 of 88 gaps between successive sniffgenital bouts are exactly 26 frames'
    """
    missing = [c for c in FINDING_COLUMNS[1:5] + ("start_frame", "stop_frame") if c not in submission.columns]
    if missing:
        raise ValueError(f"submission lacks column(s) {', '.join(missing)}")
    found: list[dict] = []
    sub = submission
    lengths = sub["stop_frame"].to_numpy(dtype=np.int64) - sub["start_frame"].to_numpy(dtype=np.int64)
    # one-frame bouts, per action over all videos
    for action, idx in sub.groupby("action", sort=True).indices.items():
        n = len(idx)
        ones = int((lengths[idx] <= 1).sum())
        if n >= min_bouts and ones > one_frame_share * n:
            found.append(_finding("one_frame", action, f"{ones} of {n} {action} bouts last a single frame"))
    # regular spacing and dominance, per key
    keys = ["video_id", "agent_id", "target_id", "action"]
    dominant: dict[tuple, list[tuple[float, str, str]]] = {}
    for (video, agent, target, action), rows in sub.groupby(keys, sort=True):
        starts = np.sort(rows["start_frame"].to_numpy(dtype=np.int64))
        where = f"video {video} {agent} → {target}"
        if len(starts) >= min_bouts:
            gaps = np.diff(starts)
            values, counts = np.unique(gaps, return_counts=True)
            top = int(counts.argmax())
            if counts[top] >= regular_share * len(gaps):
                found.append(_finding(
                    "regular", action,
                    f"{where}: {counts[top]} of {len(gaps)} gaps between successive {action} bouts "
                    f"are exactly {values[top]} frames",
                    video, agent, target,
                ))
        total = (n_frames or {}).get(video)
        if total:
            covered = _covered(rows["start_frame"].to_numpy(), rows["stop_frame"].to_numpy())
            if covered > dominant_share * total:
                dominant.setdefault((video, action), []).append((covered / total, agent, target))
    for (video, action), hits in dominant.items():
        share, agent, target = max(hits, key=lambda h: h[0])
        if len(hits) == 1:
            detail = f"video {video} {agent} → {target}: {action} predicted in {share:.0%} of the video's frames"
            found.append(_finding("dominant", action, detail, video, agent, target))
        else:
            detail = (
                f"video {video}: {action} predicted in more than {dominant_share:.0%} of the frames "
                f"for {len(hits)} (agent, target) pairs (up to {share:.0%}, {agent} → {target})"
            )
            found.append(_finding("dominant", action, detail, video))
    if actions is not None:
        seen = set(sub["action"].astype(str))
        for action in actions:
            if action not in seen:
                found.append(_finding("never", action, f"{action} is never predicted"))
    order = {"one_frame": 0, "regular": 1, "dominant": 2, "never": 3}
    table = pd.DataFrame(found, columns=list(FINDING_COLUMNS))
    if len(table):
        table = table.iloc[np.argsort(table["kind"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    return table
