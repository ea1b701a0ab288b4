"""Bout statistics: how often, how long and how soon a behaviour happened, per triple.

One row per unit (a video, or a recording put back together from the videos
cut out of it) × agent × target × action, computed the same way from
predictions and from labels. Pure: interval tables and
:class:`VideoUnit` descriptions in, a DataFrame out.

Definitions (times in seconds at the video's frame rate; frames ``[start, stop)``):

- a **bout** is a maximal run of frames of one triple: intervals are clipped to
  the video, and overlapping or touching intervals merge (a bout cut in two by
  ``mabe import --split-minutes`` is one bout again per recording);
- ``total_duration_s`` the frames in bouts / fps; ``fraction`` the same over the
  frames observed;
- ``latency_s`` from the unit's first frame to the first bout's onset, NaN
  without a bout;
- ``mean_bout_s``, ``median_bout_s``, ``max_bout_s`` over bouts, NaN without one;
- ``mean_gap_s``: the mean time from the end of one bout to the onset of the
  next (the time *without* the behaviour between two bouts; onset-to-onset is
  this plus the mean bout duration), NaN with fewer than two bouts;
- ``censored_bouts``: bouts touching the first or last observed frame, whose
  true duration is unknown (at least what is shown).

A triple that is not counted in a unit (not in its ``behaviors_labeled``, or
not predicted on an unlabelled video) gets NaN everywhere, never 0; a counted
triple without a bout gets 0 bouts, 0 s and NaN for the per-bout columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mabe.data.schema import Triple, mouse_number
from mabe.metrics.intervals import union_intervals

BOUT_STAT_COLUMNS: tuple[str, ...] = (
    "bouts",
    "total_duration_s",
    "fraction",
    "latency_s",
    "mean_bout_s",
    "median_bout_s",
    "max_bout_s",
    "mean_gap_s",
    "censored_bouts",
)
"""The statistics of one triple in one unit (see the module docstring)."""

KEY_COLUMNS: tuple[str, ...] = ("lab_id", "unit", "agent", "target", "action")
"""Identify a row: ``unit`` is the video id (``--per video``) or the recording."""


@dataclass(frozen=True)
class VideoUnit:
    """What the statistics need to know about one video.

    Attributes
    ----------
    video_id, lab_id, fps, n_frames, n_mice
        The video; intervals are clipped to ``[0, n_frames)``.
    counted
        Triples whose bouts are counted (0 when none): the video's
        ``behaviors_labeled``, or what a model predicted on an unlabelled video.
    recording
        The source recording the video was cut from (``""``: the video alone).
    first_frame
        The recording's frame that is the video's frame 0.
    """

    video_id: int
    lab_id: str
    fps: float
    n_frames: int
    n_mice: int
    counted: frozenset[Triple]
    recording: str = ""
    first_frame: int = 0

    @property
    def recording_key(self) -> str:
        """The recording, or ``"video <id>"`` for a video not cut from a known one."""
        return self.recording or f"video {self.video_id}"


def merge_bouts(starts: Iterable[int], stops: Iterable[int], n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Clip intervals to ``[0, n_frames)`` and merge overlapping or touching ones into bouts.

    Examples
    --------
    >>> [b.tolist() for b in merge_bouts([5, 0, 3, 9], [8, 3, 4, 20], 12)]
    [[0, 5, 9], [4, 8, 12]]
    """
    s = np.clip(np.asarray(list(starts), dtype=np.int64), 0, n_frames)
    e = np.clip(np.asarray(list(stops), dtype=np.int64), 0, n_frames)
    return union_intervals(s, e)


def bout_stats(starts: Iterable[int], stops: Iterable[int], n_frames: int, fps: float) -> dict[str, float]:
    """Statistics of one triple over ``n_frames`` observed frames (see the module docstring).

    Parameters
    ----------
    starts, stops
        Interval frames, stop exclusive, in the unit's time (``0`` = its first frame).
    n_frames
        Frames observed; intervals are clipped to ``[0, n_frames)``.
    fps
        Frames per second.

    Examples
    --------
    >>> s = bout_stats([0, 30, 90], [15, 60, 100], n_frames=100, fps=10.0)
    >>> s["bouts"], s["total_duration_s"], s["fraction"], s["latency_s"], s["mean_gap_s"], s["censored_bouts"]
    (3, 5.5, 0.55, 0.0, 2.25, 2)
    >>> bout_stats([], [], 100, 10.0)["latency_s"]
    nan
    """
    if n_frames <= 0 or fps <= 0:
        raise ValueError(f"need n_frames > 0 and fps > 0, got {n_frames} and {fps}")
    s, e = merge_bouts(starts, stops, n_frames)
    lengths = (e - s) / fps
    nan = float("nan")
    return {
        "bouts": len(s),
        "total_duration_s": float(lengths.sum()),
        "fraction": float((e - s).sum() / n_frames),
        "latency_s": float(s[0] / fps) if len(s) else nan,
        "mean_bout_s": float(lengths.mean()) if len(s) else nan,
        "median_bout_s": float(np.median(lengths)) if len(s) else nan,
        "max_bout_s": float(lengths.max()) if len(s) else nan,
        "mean_gap_s": float(((s[1:] - e[:-1]) / fps).mean()) if len(s) > 1 else nan,
        "censored_bouts": int(((s == 0) | (e == n_frames)).sum()),
    }


def _not_counted() -> dict[str, float]:
    return dict.fromkeys(BOUT_STAT_COLUMNS, float("nan"))


def _in_video(triple: Triple, n_mice: int) -> bool:
    agent, target, _ = triple
    return mouse_number(agent) <= n_mice and (target == "self" or mouse_number(target) <= n_mice)


def row_triples(units: Sequence[VideoUnit], intervals: pd.DataFrame) -> dict[str, list[Triple]]:
    """Return the rows of each lab: every triple counted or present anywhere in the lab, sorted.

    Each unit then gets the triples of its lab whose mice it has, so the
    table is rectangular within a lab and a triple not counted in a video
    shows up there as NaN.
    """
    lab_of = {u.video_id: u.lab_id for u in units}
    found: dict[str, set[Triple]] = {}
    for unit in units:
        found.setdefault(unit.lab_id, set()).update(unit.counted)
    if len(intervals):
        present = intervals[["video_id", "agent_id", "target_id", "action"]].drop_duplicates()
        for vid, agent, target, action in present.itertuples(index=False):
            if int(vid) in lab_of:
                found[lab_of[int(vid)]].add((str(agent), str(target), str(action)))
    return {lab: sorted(triples) for lab, triples in found.items()}


def _grouped(intervals: pd.DataFrame) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    keys = ["video_id", "agent_id", "target_id", "action"]
    out = {}
    for key, part in intervals.groupby(keys, sort=False):
        vid, agent, target, action = key
        out[(int(vid), str(agent), str(target), str(action))] = (
            part["start_frame"].to_numpy(np.int64),
            part["stop_frame"].to_numpy(np.int64),
        )
    return out


def _row(unit_id: object, lab: str, triple: Triple, stats: dict, extra: dict) -> dict:
    agent, target, action = triple
    return {"lab_id": lab, "unit": unit_id, "agent": agent, "target": target, "action": action,
            **extra, **stats}


def video_stats(intervals: pd.DataFrame, units: Sequence[VideoUnit]) -> pd.DataFrame:
    """Return one row per video × triple (:data:`KEY_COLUMNS`, counted, frames, :data:`BOUT_STAT_COLUMNS`).

    Parameters
    ----------
    intervals
        Submission-like rows (``video_id, agent_id, target_id, action,
        start_frame, stop_frame``); rows of videos not in ``units`` are ignored.
    units
        The videos, with the triples counted in each.

    Returns
    -------
    pd.DataFrame
        ``unit`` is the video id; ``counted`` says whether the triple was
        counted there (False: NaN statistics); ``n_frames`` and ``start_s``
        (the video's start in its recording, seconds) describe the video.
    """
    bouts = _grouped(intervals)
    rows_of = row_triples(units, intervals)
    empty = np.zeros(0, np.int64)
    rows = []
    for unit in units:
        extra = {"counted": False, "n_frames": unit.n_frames, "duration_s": unit.n_frames / unit.fps,
                 "start_s": unit.first_frame / unit.fps}
        for triple in rows_of[unit.lab_id]:
            if not _in_video(triple, unit.n_mice):
                continue
            if triple in unit.counted:
                s, e = bouts.get((unit.video_id, *triple), (empty, empty))
                stats = bout_stats(s, e, unit.n_frames, unit.fps)
                rows.append(_row(unit.video_id, unit.lab_id, triple, stats, {**extra, "counted": True}))
            else:
                rows.append(_row(unit.video_id, unit.lab_id, triple, _not_counted(), extra))
    return _frame(rows)


def recording_stats(intervals: pd.DataFrame, units: Sequence[VideoUnit]) -> pd.DataFrame:
    """Return one row per recording × triple: the videos cut from one recording put back together.

    A triple's bouts are taken from the videos of the recording where it is
    counted, placed at their ``first_frame`` in the recording (so a bout cut
    at a video boundary merges back into one); ``n_frames`` is the frames of
    those videos and the latency is counted from the first of them
    (``start_s``). A triple counted in none of them is NaN.
    """
    bouts = _grouped(intervals)
    rows_of = row_triples(units, intervals)
    recordings: dict[tuple[str, str], list[VideoUnit]] = {}
    for unit in units:
        recordings.setdefault((unit.lab_id, unit.recording_key), []).append(unit)
    rows = []
    for (lab, key), videos in recordings.items():
        videos = sorted(videos, key=lambda u: u.first_frame)
        n_mice = max(u.n_mice for u in videos)
        ids = ";".join(str(u.video_id) for u in videos)
        for triple in rows_of[lab]:
            if not _in_video(triple, n_mice):
                continue
            counted = [u for u in videos if triple in u.counted]
            if not counted:
                extra = {"counted": False, "video_ids": ids, "n_frames": sum(u.n_frames for u in videos),
                         "duration_s": sum(u.n_frames / u.fps for u in videos),
                         "start_s": videos[0].first_frame / videos[0].fps}
                rows.append(_row(key, lab, triple, _not_counted(), extra))
                continue
            rows.append(_row(key, lab, triple, *_joined(counted, triple, bouts)))
    return _frame(rows)


def _joined(videos: list[VideoUnit], triple: Triple, bouts: dict) -> tuple[dict, dict]:
    origin = videos[0].first_frame
    fps = videos[0].fps
    starts, stops = [], []
    for unit in videos:
        s, e = bouts.get((unit.video_id, *triple), (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        s, e = merge_bouts(s, e, unit.n_frames)
        starts.append(s + unit.first_frame - origin)
        stops.append(e + unit.first_frame - origin)
    span = max(u.first_frame + u.n_frames for u in videos) - origin
    observed = sum(u.n_frames for u in videos)
    stats = bout_stats(np.concatenate(starts), np.concatenate(stops), span, fps)
    stats["fraction"] = stats["total_duration_s"] * fps / observed
    extra = {"counted": True, "video_ids": ";".join(str(u.video_id) for u in videos), "n_frames": observed,
             "duration_s": observed / fps, "start_s": origin / fps}
    return stats, extra


def _frame(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=[*KEY_COLUMNS, "counted", "n_frames", "duration_s", "start_s",
                                     *BOUT_STAT_COLUMNS])
    for column in ("bouts", "censored_bouts"):
        table[column] = table[column].astype("Float64").round().astype("Int64")
    return table


def grouped_summary(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Summarise counted rows per ``by`` values × action: n, mean and median of the main statistics.

    Examples
    --------
    >>> t = pd.DataFrame({"action": ["a", "a", "a"], "g": ["x", "x", "y"], "counted": [True, True, True],
    ...                   "unit": [1, 2, 3], "bouts": [1, 3, 2], "total_duration_s": [1.0, 2.0, 3.0],
    ...                   "fraction": [0.1, 0.2, 0.3], "latency_s": [0.0, 1.0, 2.0], "mean_bout_s": [1.0, 1.0, 1.5]})
    >>> grouped_summary(t, ["g"])[["g", "action", "n", "bouts_median"]].values.tolist()
    [['x', 'a', 2, 2.0], ['y', 'a', 1, 2.0]]
    """
    keys = [*by, "action"]
    counted = table[table["counted"].astype(bool)]
    measures = ["bouts", "total_duration_s", "fraction", "latency_s", "mean_bout_s"]
    rows = []
    for key, part in counted.groupby(keys, sort=True, dropna=False):
        row = dict(zip(keys, key, strict=True))
        row["n"] = len(part)
        row["units"] = part["unit"].nunique()
        for m in measures:
            values = pd.to_numeric(part[m], errors="coerce").astype(float)
            row[f"{m}_mean"] = float(values.mean()) if values.notna().any() else float("nan")
            row[f"{m}_median"] = float(values.median()) if values.notna().any() else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
