"""Per-frame features for gradient-boosted trees: pair features plus multi-scale context.

A tree model classifies one frame at a time, so each frame's row carries its
own neighbourhood in time. For every ordered (agent, target) pair (and self
pair) the row is:

1. the egocentric pair features of :func:`~mabe.features.pairwise.build_pair_features`
   (:data:`~mabe.features.pairwise.PAIR_FEATURE_NAMES`, ``D_PAIR`` columns);
2. :func:`~mabe.features.context.multiscale_context` of
   :data:`TREE_CONTEXT_SIGNALS` (distances, speeds, relative angles, body
   length, kinematics) over windows given in seconds;
3. ``fps`` and ``n_mice`` of the video.

The width depends only on the windows and statistics chosen, never on the
number or names of the body parts. The lab is not a column here: its code
depends on the labs a model was trained on, so the model adds it
(:class:`mabe.models.trees.ActionTrees`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from mabe.data.types import Pose, VideoMeta
from mabe.features.context import CONTEXT_STATS, context_names, multiscale_context
from mabe.features.pairwise import PAIR_FEATURE_NAMES, build_pair_features

TREE_CONTEXT_SIGNALS: tuple[str, ...] = (
    "a_speed",
    "a_accel",
    "a_ang_vel",
    "a_nose_speed",
    "a_body_length_rel",
    "t_speed",
    "t_body_length_rel",
    "a_nearest_other_dist",
    "dist_nose_nose",
    "dist_nose_body",
    "dist_nose_tail",
    "dist_centroid",
    "dist_min_keypoint",
    "a_vel_toward",
    "bearing_cos",
    "rel_heading_cos",
    "overlap",
)
"""Pair-feature columns summarised over the context windows."""

DEFAULT_WINDOWS_S: tuple[float, ...] = (0.25, 1.0, 3.0)
"""Default context windows in seconds."""

VIDEO_FEATURES: tuple[str, ...] = ("fps", "n_mice")
"""Per-video constant columns appended last."""



def _signal_index(signals: Sequence[str]) -> list[int]:
    unknown = [s for s in signals if s not in PAIR_FEATURE_NAMES]
    if unknown:
        raise ValueError(f"context signals {unknown} are not pair features (see PAIR_FEATURE_NAMES)")
    return [PAIR_FEATURE_NAMES.index(s) for s in signals]


def tree_feature_names(
    windows_s: Sequence[float] = DEFAULT_WINDOWS_S,
    stats: Sequence[str] = CONTEXT_STATS,
    signals: Sequence[str] = TREE_CONTEXT_SIGNALS,
) -> list[str]:
    """Column names of :func:`build_tree_features`, in order.

    Examples
    --------
    >>> names = tree_feature_names([1.0], ["mean"])
    >>> len(names) == len(PAIR_FEATURE_NAMES) + len(TREE_CONTEXT_SIGNALS) + 2, names[-2:]
    (True, ['fps', 'n_mice'])
    """
    return [
        *PAIR_FEATURE_NAMES,
        *(f"ctx_{n}" for n in context_names(signals, windows_s, stats)),
        *VIDEO_FEATURES,
    ]


def tree_rows(
    pair_block: np.ndarray,
    fps: float,
    n_mice: int,
    windows_s: Sequence[float] = DEFAULT_WINDOWS_S,
    stats: Sequence[str] = CONTEXT_STATS,
    signals: Sequence[str] = TREE_CONTEXT_SIGNALS,
) -> np.ndarray:
    """Tree features from pair features, for one pair or a batch of pairs of a video.

    Parameters
    ----------
    pair_block
        ``(frames, D_PAIR)`` pair features of one pair, or ``(pairs, frames,
        D_PAIR)`` for several pairs of the same video (one vectorised pass,
        much faster than one call per pair on short videos).
    fps
        Frames per second of the video.
    n_mice
        Mice in the video.
    windows_s, stats
        Context windows (seconds) and statistics
        (:data:`~mabe.features.context.CONTEXT_STATS`).
    signals
        Pair-feature columns summarised (default :data:`TREE_CONTEXT_SIGNALS`).

    Returns
    -------
    numpy.ndarray
        ``float32``, ``pair_block``'s shape with the last axis
        ``len(tree_feature_names(windows_s, stats, signals))`` wide; no NaN.

    Examples
    --------
    >>> rows = tree_rows(np.zeros((5, len(PAIR_FEATURE_NAMES))), 30.0, 2, [0.5], ["mean"])
    >>> rows.shape == (5, len(tree_feature_names([0.5], ["mean"]))), rows[0, -2:].tolist()
    (True, [30.0, 2.0])
    """
    block = np.asarray(pair_block)
    single = block.ndim == 2
    if single:
        block = block[None]
    if block.ndim != 3 or block.shape[2] != len(PAIR_FEATURE_NAMES):
        raise ValueError(
            f"pair_block must have shape ([pairs,] frames, {len(PAIR_FEATURE_NAMES)}), got {np.shape(pair_block)}"
        )
    index = _signal_index(signals)
    g, n, _ = block.shape
    n_signals = len(index)
    n_windows, n_stats, d_pair = len(windows_s), len(stats), block.shape[2]
    width = d_pair + n_windows * n_signals * n_stats
    out = np.empty((g, n, width + len(VIDEO_FEATURES)), dtype=np.float32)
    out[:, :, :d_pair] = block
    out[:, :, width:] = (fps, n_mice)
    # every pair's signals side by side: one multiscale_context call for the batch, written
    # straight into the output (splitting the last axis of a slice is always a view)
    columns = block[:, :, index].transpose(1, 0, 2).reshape(n, g * n_signals)
    view = out[:, :, d_pair:width].reshape(g, n, n_windows, n_signals, n_stats).transpose(1, 2, 0, 3, 4)
    multiscale_context(columns, fps, windows_s, stats, out=view)
    return out[0] if single else out


BATCH_ROWS = 100_000
""":func:`iter_tree_features` computes the context of this many (pair, frame) rows at a time."""


def iter_tree_features(
    pose: Pose,
    meta: VideoMeta,
    pairs: Sequence[tuple[int, int]],
    windows_s: Sequence[float] = DEFAULT_WINDOWS_S,
    stats: Sequence[str] = CONTEXT_STATS,
    signals: Sequence[str] = TREE_CONTEXT_SIGNALS,
) -> Iterator[np.ndarray]:
    """Tree features of each pair in turn, ``float32 (frames, D)``.

    Pairs are processed in batches of about :data:`BATCH_ROWS` rows, so
    short videos are fast and long ones hold few pairs' context at once.
    """
    base = build_pair_features(pose, meta, list(pairs))
    per_batch = max(1, BATCH_ROWS // max(pose.n_frames, 1))
    for start in range(0, len(pairs), per_batch):
        batch = tree_rows(
            base[start : start + per_batch], float(meta.fps), pose.n_mice, windows_s, stats, signals
        )
        yield from batch


def build_tree_features(
    pose: Pose,
    meta: VideoMeta,
    pairs: Sequence[tuple[int, int]],
    windows_s: Sequence[float] = DEFAULT_WINDOWS_S,
    stats: Sequence[str] = CONTEXT_STATS,
    signals: Sequence[str] = TREE_CONTEXT_SIGNALS,
) -> np.ndarray:
    """Tree features of a video for the given (agent_id, target_id) pairs, at native frames.

    Parameters
    ----------
    pose, meta
        The video (any body parts, any fps).
    pairs
        ``(agent_id, target_id)``, 1-based; ``agent == target`` for self pairs.
    windows_s, stats, signals
        See :func:`tree_rows`.

    Returns
    -------
    numpy.ndarray
        ``float32 (len(pairs), frames, len(tree_feature_names(windows_s, stats, signals)))``.

    Examples
    --------
    >>> pose = Pose(np.random.default_rng(0).normal(200, 20, (30, 2, 3, 2)).astype("float32"),
    ...             ("nose", "body_center", "tail_base"))
    >>> meta = VideoMeta("train", "lab", 1, 30.0, 2, pose.body_parts, ())
    >>> build_tree_features(pose, meta, [(1, 2), (2, 2)], [1.0], ["mean"]).shape[:2]
    (2, 30)
    """
    width = len(tree_feature_names(windows_s, stats, signals))
    out = np.empty((len(pairs), pose.n_frames, width), dtype=np.float32)
    for p, rows in enumerate(iter_tree_features(pose, meta, pairs, windows_s, stats, signals)):
        out[p] = rows
    return out
