"""Pair features shared by the models of an ensemble while they predict one video.

An ensemble predicts a video with several models (tree and network members,
one per fold) that all start from the same pair features. Inside a
:func:`shared_pair_features` block, :func:`mabe.features.pairwise.build_pair_features`
computes them once per (pose, meta, pairs) and hands every later caller the
same read-only array; outside a block nothing is kept. This module holds only
that memo, so :mod:`mabe.features.pairwise` stays a set of pure functions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from mabe.data.types import Pose, VideoMeta

PairsKey = tuple[tuple[int, int], ...]
"""``(agent_id, target_id)`` pairs of a request, as ints."""

_SHARED: list[tuple[Pose, VideoMeta, PairsKey, np.ndarray]] | None = None
"""Results kept inside a block (``None``: no block is open, nothing is kept)."""


@contextlib.contextmanager
def shared_pair_features() -> Iterator[None]:
    """Compute :func:`~mabe.features.pairwise.build_pair_features` once per (pose, meta, pairs) inside the block.

    The shared arrays are read-only, and are dropped when the outermost block ends.

    Examples
    --------
    >>> from mabe.features.pairwise import build_pair_features
    >>> pose = Pose(np.random.default_rng(0).normal(200, 20, (30, 2, 3, 2)).astype("float32"),
    ...             ("nose", "neck", "tail_base"))
    >>> meta = VideoMeta("train", "LabA", 1, fps=30.0, n_mice=2, body_parts=pose.body_parts,
    ...                  behaviors_labeled=())
    >>> with shared_pair_features():
    ...     a = build_pair_features(pose, meta, [(1, 2)])
    ...     b = build_pair_features(pose, meta, [(1, 2)])
    >>> a is b, a.flags.writeable
    (True, False)
    >>> build_pair_features(pose, meta, [(1, 2)]) is a  # outside the block: computed again
    False
    """
    global _SHARED
    outer = _SHARED
    if outer is None:
        _SHARED = []
    try:
        yield
    finally:
        if outer is None:
            _SHARED = None


def lookup(pose: Pose, meta: VideoMeta, pairs: PairsKey) -> np.ndarray | None:
    """Return the array kept for this very pose object, meta and pairs, or ``None``."""
    for shared_pose, shared_meta, shared_pairs, out in _SHARED or ():
        if shared_pose is pose and shared_pairs == pairs and shared_meta == meta:
            return out
    return None


def remember(pose: Pose, meta: VideoMeta, pairs: PairsKey, out: np.ndarray) -> None:
    """Keep ``out`` (made read-only) for later callers, when a block is open."""
    if _SHARED is not None:
        out.flags.writeable = False
        _SHARED.append((pose, meta, pairs, out))
