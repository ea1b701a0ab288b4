"""Training targets from annotations: seed4 frame classes and masked per-pair action labels.

Two label schemes:

``seed4``
    One class per frame of a video, pooled over every (agent, target):
    ``Other`` (0) and the groups of ``seed4_groups`` (1, 2, ...). When several
    groups are active on a frame the later group wins (by default
    Aggressive > Mating > Social).
``actions``
    One sample per ordered (agent, target) pair (``target == agent`` for self
    actions) with a 0/1 target per action of the vocabulary and a mask: only
    actions whose ``(mouseA, mouseB | self, action)`` triple is in the video's
    ``behaviors_labeled`` are supervised; outside the whitelist an action is
    unknown, not negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from mabe.data.schema import Pair, mouse_name, target_name
from mabe.data.types import VideoMeta


def seed4_frame_labels(
    annotations: pd.DataFrame | None,
    n_frames: int,
    groups: Mapping[str, Sequence[str]],
) -> np.ndarray:
    """Per-frame seed4 class of one video.

    Parameters
    ----------
    annotations
        Columns ``action``, ``start_frame``, ``stop_frame`` (exclusive); ``None`` = no bouts.
    n_frames
        Frames of the video.
    groups
        Group name -> actions, in priority order: class ``i + 1`` is the
        ``i``-th group and a later group overrides an earlier one.

    Returns
    -------
    numpy.ndarray
        ``int64`` of shape ``(n_frames,)`` with classes ``0..len(groups)``.

    Examples
    --------
    >>> ann = pd.DataFrame({"action": ["sniff", "attack"], "start_frame": [0, 2], "stop_frame": [4, 3]})
    >>> seed4_frame_labels(ann, 5, {"Social": ["sniff"], "Aggressive": ["attack"]}).tolist()
    [1, 1, 2, 1, 0]
    """
    labels = np.zeros(int(n_frames), dtype=np.int64)
    if annotations is None or len(annotations) == 0:
        return labels
    class_of = {a: i + 1 for i, actions in enumerate(groups.values()) for a in actions}
    classes = annotations["action"].map(class_of).fillna(0).to_numpy(dtype=np.int64)
    starts = np.clip(annotations["start_frame"].to_numpy(dtype=np.int64), 0, n_frames)
    stops = np.clip(annotations["stop_frame"].to_numpy(dtype=np.int64), 0, n_frames)
    # a later group (higher class) wins where bouts overlap
    for i in range(len(classes)):
        if classes[i] > 0 and stops[i] > starts[i]:
            labels[starts[i] : stops[i]] = np.maximum(labels[starts[i] : stops[i]], classes[i])
    return labels


def action_vocabulary(metas: Iterable[VideoMeta]) -> list[str]:
    """Sorted union of the actions named in the videos' ``behaviors_labeled``."""
    return sorted({action for meta in metas for (_, _, action) in meta.behaviors_labeled})


def pair_triple(pair: Pair) -> tuple[str, str]:
    """``(2, 1) -> ("mouse2", "mouse1")``; ``(3, 3) -> ("mouse3", "self")``."""
    agent, target = pair
    return mouse_name(agent), target_name(agent, target)


def pair_action_mask(meta: VideoMeta, pairs: Sequence[Pair], actions: Sequence[str]) -> np.ndarray:
    """Which (pair, action) entries of a video are supervised.

    Returns
    -------
    numpy.ndarray
        ``bool`` of shape ``(len(pairs), len(actions))``: True where the triple
        ``(mouseA, mouseB | self, action)`` is in ``meta.behaviors_labeled``.
    """
    labeled = set(meta.behaviors_labeled)
    mask = np.zeros((len(pairs), len(actions)), dtype=bool)
    for p, pair in enumerate(pairs):
        agent, target = pair_triple(pair)
        for a, action in enumerate(actions):
            mask[p, a] = (agent, target, action) in labeled
    return mask


def pair_intervals(
    annotations: pd.DataFrame | None, pairs: Sequence[Pair], actions: Sequence[str]
) -> list[np.ndarray]:
    """Bouts per pair as ``(n, 3)`` int64 arrays of ``[action_index, start, stop)``.

    Bouts of actions outside ``actions`` or of pairs outside ``pairs`` are dropped.
    """
    out = [np.zeros((0, 3), dtype=np.int64) for _ in pairs]
    if annotations is None or len(annotations) == 0:
        return out
    index_of = {a: i for i, a in enumerate(actions)}
    pair_index = {(int(a), int(t)): i for i, (a, t) in enumerate(pairs)}
    ann = annotations[annotations["action"].isin(index_of)]
    rows: dict[int, list[tuple[int, int, int]]] = {}
    for agent, target, action, start, stop in zip(
        ann["agent_id"], ann["target_id"], ann["action"], ann["start_frame"], ann["stop_frame"], strict=True
    ):
        p = pair_index.get((int(agent), int(target)))
        if p is not None and int(stop) > int(start):
            rows.setdefault(p, []).append((index_of[action], int(start), int(stop)))
    for p, items in rows.items():
        out[p] = np.asarray(items, dtype=np.int64).reshape(-1, 3)
    return out


def intervals_to_dense(intervals: np.ndarray, n_frames: int, n_actions: int, offset: int = 0) -> np.ndarray:
    """Paint ``[action, start, stop)`` bouts into a ``(n_frames, n_actions)`` 0/1 array.

    ``offset`` is subtracted from the bounds first, so a window starting at
    frame ``offset`` gets its own slice of the bouts.

    Examples
    --------
    >>> intervals_to_dense(np.array([[1, 2, 5]]), 4, 2, offset=1)[:, 1].tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    dense = np.zeros((n_frames, n_actions), dtype=np.float32)
    for action, start, stop in np.asarray(intervals, dtype=np.int64).reshape(-1, 3):
        lo, hi = max(int(start) - offset, 0), min(int(stop) - offset, n_frames)
        if hi > lo:
            dense[lo:hi, action] = 1.0
    return dense


def remap_intervals(intervals: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Move bouts from original frames to positions on a time grid.

    Parameters
    ----------
    intervals
        ``(n, 3)`` ``[action, start, stop)`` in original frames.
    grid
        Non-decreasing original-frame index of each grid position
        (see :func:`mabe.training.windows.time_grid`).

    Returns
    -------
    numpy.ndarray
        ``(m, 3)`` bouts in grid positions; bouts that cover no grid point are dropped.
    """
    intervals = np.asarray(intervals, dtype=np.int64).reshape(-1, 3)
    if not len(intervals):
        return intervals
    starts = np.searchsorted(grid, intervals[:, 1], side="left")
    stops = np.searchsorted(grid, intervals[:, 2], side="left")
    out = np.stack([intervals[:, 0], starts, stops], axis=1)
    return out[out[:, 2] > out[:, 1]]
