"""The faster pair features are bit-for-bit the features of the previous implementation.

``_reference_norm`` / ``_reference_min_keypoint_distance`` are frozen copies of
the functions before they were sped up; :func:`reference_pair_features` runs
the current assembly code with them, once per ordered pair, as it used to.
"""

from __future__ import annotations

import numpy as np
import pytest

import mabe.features.pairwise as pw
from mabe.data.io import MabeDataset
from mabe.data.synth import synthesize
from mabe.data.types import Pose, VideoMeta
from mabe.features import build_pair_features, video_pairs
from mabe.features.anchors import pose_anchors
from mabe.features.missing import interpolate_gaps
from mabe.features.mouse import mouse_signals, nearest_other_distance
from mabe.features.normalize import normalize_pose


def _reference_norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt((v * v).sum(axis=-1))


def _reference_min_keypoint_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    best = np.full(a.shape[0], np.inf)
    for i in range(a.shape[1]):
        d = _reference_norm(b - a[:, i : i + 1])
        best = np.minimum(best, np.where(np.isfinite(d), d, np.inf).min(axis=1, initial=np.inf))
    return np.where(np.isfinite(best), best, np.nan)


def reference_pair_features(pose: Pose, meta: VideoMeta, pairs, monkeypatch) -> np.ndarray:
    monkeypatch.setattr(pw, "_norm", _reference_norm)
    monkeypatch.setattr(pw, "_min_keypoint_distance", _reference_min_keypoint_distance)
    try:
        fps = float(meta.fps)
        coords = normalize_pose(pose, meta)
        coords = interpolate_gaps(coords, max_gap=max(1, round(pw.PAIR_MAX_GAP_S * fps)))
        anchors = pose_anchors(coords, pose.body_parts, fps)
        n_mice = coords.shape[1]
        signals = [mouse_signals(coords[:, m], anchors, fps) for m in range(n_mice)]
        centers = np.stack([s.center for s in signals], axis=1)
        out = np.empty((len(pairs), coords.shape[0], pw.D_PAIR), dtype=np.float32)
        for i, (a, t) in enumerate(pairs):
            a, t = a - 1, t - 1
            nearest = nearest_other_distance(centers, a, pw.DIST_CLIP)
            out[i] = pw._assemble(signals[a], signals[t], nearest, fps, a == t)
        return out
    finally:
        monkeypatch.undo()


def assert_identical(pose: Pose, meta: VideoMeta, monkeypatch) -> None:
    pairs = video_pairs(meta, pose.n_mice)
    fast = build_pair_features(pose, meta, pairs)
    slow = reference_pair_features(pose, meta, pairs, monkeypatch)
    assert fast.dtype == slow.dtype and fast.shape == slow.shape
    assert np.array_equal(fast, slow), np.abs(fast - slow).max()


@pytest.fixture(scope="module")
def every_lab(tmp_path_factory):
    from mabe.data.catalog import load_catalog

    labs = sorted(load_catalog())
    root = tmp_path_factory.mktemp("labs") / "data"
    synthesize(root, n_videos=len(labs), seed=5, labs=labs, minutes=0.1, progress=False)
    return MabeDataset(root)


def test_identical_on_every_simulated_lab(every_lab, monkeypatch):
    metas = [m for split in every_lab.splits() for m in every_lab.metas(split)]
    assert len({m.lab_id for m in metas}) >= 19
    for meta in metas:
        assert_identical(every_lab.load_pose(meta), meta, monkeypatch)


@pytest.mark.parametrize("n_parts", [1, 4, 18])
@pytest.mark.parametrize("missing", [0.0, 0.3, 0.9])
def test_identical_on_random_poses_with_gaps(n_parts, missing, monkeypatch):
    rng = np.random.default_rng(n_parts * 10 + int(missing * 10))
    parts = ("nose", "tail_base", *(f"p{i}" for i in range(n_parts)))[:n_parts]
    coords = rng.normal(300, 80, size=(2500, 3, n_parts, 2)).astype(np.float32)
    gone = rng.random(coords.shape[:3]) < missing
    coords[gone] = np.nan
    coords[100:400, 1] = np.nan  # a mouse missing for a while
    meta = VideoMeta("train", "lab", 1, 25.0, 3, parts, (), pix_per_cm=12.0)
    assert_identical(Pose(coords, parts), meta, monkeypatch)


def test_min_keypoint_distance_is_symmetric_and_matches_the_reference(monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5000, 7, 2)) * 1e3
    b = rng.normal(size=(5000, 5, 2)) * 1e3
    a[rng.random(a.shape[:2]) < 0.5] = np.nan
    b[:50] = np.nan
    monkeypatch.setattr(pw, "_KP_CHUNK", 777)  # blocks that do not divide the frames
    fast = pw._min_keypoint_distance(a, b)
    assert np.array_equal(fast, _reference_min_keypoint_distance(a, b), equal_nan=True)
    assert np.array_equal(fast, pw._min_keypoint_distance(b, a), equal_nan=True)
    assert np.isnan(fast[:50]).all() and np.isfinite(fast[50:]).any()
    empty = pw._min_keypoint_distance(a[:, :0], b)
    assert np.isnan(empty).all() and empty.shape == (5000,)
