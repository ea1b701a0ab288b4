"""``shared_pair_features``: one computation per video for every model of an ensemble."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.data.types import Pose, VideoMeta
from mabe.features import pairwise, shared_pairs
from mabe.features.pairwise import build_pair_features
from mabe.features.shared_pairs import shared_pair_features


def video(seed: int = 0) -> tuple[Pose, VideoMeta]:
    parts = ("nose", "neck", "tail_base")
    coords = np.random.default_rng(seed).normal(200, 20, (40, 3, 3, 2)).astype("float32")
    meta = VideoMeta("train", "LabA", 1, fps=30.0, n_mice=3, body_parts=parts, behaviors_labeled=())
    return Pose(coords, parts), meta


def test_inside_the_block_each_video_and_pair_list_is_computed_once(monkeypatch):
    pose, meta = video()
    calls = []
    compute = pairwise._build_pair_features
    monkeypatch.setattr(
        pairwise, "_build_pair_features", lambda *a: calls.append(a[2]) or compute(*a)
    )
    with shared_pair_features():
        first = build_pair_features(pose, meta, [(1, 2), (2, 1)])
        again = build_pair_features(pose, meta, [(1, 2), (2, 1)])
        with shared_pair_features():  # nested blocks share the outer one's results
            nested = build_pair_features(pose, meta, [(1, 2), (2, 1)])
        other = build_pair_features(pose, meta, [(1, 3)])
        other_video = build_pair_features(*video(1), [(1, 2), (2, 1)])
    assert again is first and nested is first
    assert len(calls) == 3  # first, other pairs, other video
    assert not first.flags.writeable
    assert np.array_equal(first, compute(pose, meta, [(1, 2), (2, 1)]))
    assert not np.array_equal(other_video, first)
    assert other.shape[0] == 1


def test_outside_the_block_nothing_is_kept():
    pose, meta = video()
    with shared_pair_features():
        build_pair_features(pose, meta, [(1, 2)])
    assert shared_pairs._SHARED is None
    a = build_pair_features(pose, meta, [(1, 2)])
    b = build_pair_features(pose, meta, [(1, 2)])
    assert a is not b and a.flags.writeable
    a[:] = 0  # the caller's own array
    assert not np.array_equal(a, b)


def test_an_error_inside_the_block_still_drops_what_was_kept():
    pose, meta = video()
    with pytest.raises(ValueError), shared_pair_features():
        build_pair_features(pose, meta, [(1, 2)])
        build_pair_features(pose, meta, [(1, 9)])
    assert shared_pairs._SHARED is None
