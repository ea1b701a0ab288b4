"""Seeded K-fold assignment of videos for cross-fitting, grouped by video or by lab.

Every video (with ``group_by="lab"``: every lab) lands in exactly one fold.
Folds are balanced greedily: groups are shuffled with the seed, sorted by
their weight (frames of the video, or of the lab's videos; ties keep the
shuffled order), and each goes to the fold that currently holds the least
weight. With ``group_by="video"`` the assignment is stratified by lab: each
lab's videos are spread over the folds in turn, so every fold sees every lab
it can.

Examples
--------
>>> from mabe.data.types import VideoMeta
>>> metas = [VideoMeta("train", "A", i, 30.0, 2, ("nose",), (), 10.0) for i in range(6)]
>>> folds = make_folds(metas, n_folds=3, seed=0)
>>> sorted(len(f) for f in folds)
[2, 2, 2]
>>> sorted(v for f in folds for v in f)
[0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mabe.data.types import VideoMeta
from mabe.errors import ConfigError

GROUPINGS = ("video", "lab")
"""Values of ``group_by``."""


def video_weight(meta: VideoMeta) -> float:
    """Return a video's size for balancing: its native frames (1 when the duration is unknown)."""
    duration = float(meta.duration_sec)
    if not math.isfinite(duration) or duration <= 0:
        return 1.0
    return max(1.0, duration * float(meta.fps))


def make_folds(
    metas: Sequence[VideoMeta], n_folds: int = 5, group_by: str = "video", seed: int = 0
) -> list[list[int]]:
    """Assign videos to ``n_folds`` disjoint folds.

    Parameters
    ----------
    metas
        The labelled training videos (video ids must be unique).
    n_folds
        Number of folds, at least 2; at most the number of groups.
    group_by
        ``"video"`` (stratified by lab) or ``"lab"`` (whole labs per fold).
    seed
        Seed of the shuffle; the same inputs and seed give the same folds.

    Returns
    -------
    list[list[int]]
        ``n_folds`` lists of video ids (each sorted, none empty); their union
        is every video, their pairwise intersections are empty.

    Raises
    ------
    ConfigError
        For an unknown ``group_by``, ``n_folds < 2``, fewer groups than
        folds, or duplicated video ids.
    """
    metas = list(metas)
    if group_by not in GROUPINGS:
        raise ConfigError(f"group_by must be one of {', '.join(GROUPINGS)}, got {group_by!r}")
    if n_folds < 2:
        raise ConfigError(f"cross-fitting needs at least 2 folds, got {n_folds}")
    ids = [int(m.video_id) for m in metas]
    if len(set(ids)) != len(ids):
        raise ConfigError("two training videos share a video_id; folds need unique ids")
    rng = np.random.default_rng(seed)
    if group_by == "lab":
        labs = sorted({m.lab_id for m in metas})
        if len(labs) < n_folds:
            raise ConfigError(
                f"--group-by lab with {n_folds} folds needs at least {n_folds} labs, the data has {len(labs)}"
            )
        weights = {lab: sum(video_weight(m) for m in metas if m.lab_id == lab) for lab in labs}
        lab_fold = _greedy(labs, weights, n_folds, rng)
        folds = [[int(m.video_id) for m in metas if lab_fold[m.lab_id] == k] for k in range(n_folds)]
    else:
        if len(metas) < n_folds:
            raise ConfigError(f"{n_folds} folds need at least {n_folds} labelled videos, the data has {len(metas)}")
        folds = [[] for _ in range(n_folds)]
        load = np.zeros(n_folds)
        for lab in sorted({m.lab_id for m in metas}):
            members = [m for m in metas if m.lab_id == lab]
            order = rng.permutation(len(members))
            members = sorted((members[i] for i in order), key=video_weight, reverse=True)
            for meta in members:
                # fewest videos first (keeps labs spread), then least frames
                k = min(range(n_folds), key=lambda j: (len(folds[j]), load[j]))
                folds[k].append(int(meta.video_id))
                load[k] += video_weight(meta)
    return [sorted(f) for f in folds]


def _greedy(groups: list[str], weights: dict[str, float], n_folds: int, rng: np.random.Generator) -> dict[str, int]:
    order = [groups[i] for i in rng.permutation(len(groups))]
    order.sort(key=lambda g: weights[g], reverse=True)
    load = np.zeros(n_folds)
    count = np.zeros(n_folds, dtype=int)
    out: dict[str, int] = {}
    for i, group in enumerate(order):
        empty = [k for k in range(n_folds) if count[k] == 0]
        remaining = len(order) - i
        # never leave a fold empty: once the groups left only just cover the empty folds, fill them
        k = empty[0] if empty and remaining <= len(empty) else int(np.argmin(load))
        out[group] = k
        load[k] += weights[group]
        count[k] += 1
    return out


def fold_of(folds: Sequence[Sequence[int]]) -> dict[int, int]:
    """``video_id -> fold index`` of a fold assignment."""
    return {int(v): k for k, fold in enumerate(folds) for v in fold}
