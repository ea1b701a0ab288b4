"""Nose / tail base found from the pose when the body-part names are unfamiliar."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.data.types import Pose
from mabe.features import (
    PAIR_FEATURE_NAMES,
    body_axis_parts,
    build_pair_features,
    normalize_pose,
    pose_anchors,
    resolve_anchors,
)

NAMED = ("nose", "ear_left", "body_center", "ear_right", "tail_base")  # centre in the middle
COL = {name: i for i, name in enumerate(PAIR_FEATURE_NAMES)}


def forward_walkers(n_frames: int, parts: tuple[str, ...], fps: float = 30.0, seed: int = 0) -> Pose:
    """Two mice walking smooth loops nose first (pixels at 10 px/cm), parts laid out front to back."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames)[:, None] / fps
    phase = rng.uniform(0, 2 * np.pi, size=(1, 2))
    center = np.stack([200 + 80 * np.cos(0.9 * t + phase), 150 + 60 * np.sin(1.5 * t + phase)], -1)
    velocity = np.stack([-72 * np.sin(0.9 * t + phase), 90 * np.cos(1.5 * t + phase)], -1)
    direction = velocity / np.linalg.norm(velocity, axis=-1, keepdims=True)
    offsets = np.linspace(40, -40, len(parts))
    side = np.stack([-direction[..., 1], direction[..., 0]], -1)
    wiggle = rng.normal(0, 3, size=(n_frames, 2, len(parts), 1))
    coords = center[:, :, None] + offsets[None, None, :, None] * direction[:, :, None] + wiggle * side[:, :, None]
    return Pose(coords.astype(np.float32), tuple(parts))


def _cm(make_meta, parts, n_frames=120):
    pose = forward_walkers(n_frames, parts)
    return normalize_pose(pose, make_meta(parts)), pose


def test_front_and_back_follow_the_direction_of_motion(make_meta) -> None:
    parts = ("p0", "p1", "p2", "p3", "p4")  # laid out front to back by the fixture
    coords, _ = _cm(make_meta, parts)
    assert body_axis_parts(coords, 30.0) == (0, 4)
    # shuffled axis: the same body parts are found wherever they sit
    order = [3, 0, 4, 1, 2]
    assert body_axis_parts(coords[:, :, order], 30.0) == (order.index(0), order.index(4))
    anchors = pose_anchors(coords, parts, 30.0)
    assert anchors["nose"] == (0,) and anchors["tail_base"] == (4,)


def test_names_win_and_too_little_motion_guesses_nothing(make_meta) -> None:
    coords, _ = _cm(make_meta, NAMED)
    assert pose_anchors(coords, NAMED, 30.0) == resolve_anchors(NAMED)
    still = np.repeat(coords[:1], 60, axis=0)
    assert body_axis_parts(still, 30.0) is None
    assert body_axis_parts(coords[:12], 30.0) is None  # 0.4 s of walking is not enough evidence
    assert pose_anchors(still, ("a", "b", "c", "d", "e"), 30.0)["nose"] == ()
    assert body_axis_parts(coords[:, :, :1], 30.0) is None


@pytest.mark.parametrize("fps", [10.0, 120.0])
def test_renamed_parts_give_the_same_pair_features(make_meta, fps) -> None:
    pose = forward_walkers(int(8 * fps), NAMED, fps)
    renamed = Pose(pose.coords, tuple(f"kp{i}" for i in range(len(NAMED))))
    # the fixture's body_center is the middle part, and "body" keeps every part either way
    meta, meta_kp = make_meta(NAMED, fps=fps), make_meta(renamed.body_parts, fps=fps)
    ref = build_pair_features(pose, meta, [(1, 2), (2, 2)])
    out = build_pair_features(renamed, meta_kp, [(1, 2), (2, 2)])
    for name in ("a_body_length", "dist_nose_nose", "rel_heading_cos", "a_ang_vel"):
        np.testing.assert_allclose(out[..., COL[name]], ref[..., COL[name]], atol=1e-3, err_msg=name)
    # the body centre is the centroid of every part instead of the named one (equal up to wiggle)
    bearing = np.abs(out[0, :, COL["bearing_cos"]] - ref[0, :, COL["bearing_cos"]])
    assert np.median(bearing) < 0.05
    assert np.isfinite(out).all() and out[0, :, COL["anchors_observed"]].min() == 1.0
