from __future__ import annotations

import numpy as np
import pytest

from mabe.data.types import Pose
from mabe.features import (
    D_PAIR,
    PAIR_FEATURE_NAMES,
    RELATION_FEATURES,
    SPEED_CLIP,
    build_pair_features,
    interpolate_gaps,
    normalize_pose,
    pair_features,
    resolve_anchors,
    video_pairs,
)

MARS = ("ear_left", "ear_right", "hip_left", "hip_right", "neck", "nose", "tail_base")
COL = {name: i for i, name in enumerate(PAIR_FEATURE_NAMES)}
RELATION = [COL[n] for n in RELATION_FEATURES]
TARGET_OWN = [i for n, i in COL.items() if n.startswith("t_") and not n.startswith("t_bearing")]


def _scene_cm(walking_pose, n_frames: int = 90, n_mice: int = 3, parts=MARS) -> np.ndarray:
    return walking_pose(n_frames, n_mice, parts).coords.astype(np.float64) / 10.0 - 15.0


def test_names_and_width() -> None:
    assert D_PAIR == len(PAIR_FEATURE_NAMES) == len(set(PAIR_FEATURE_NAMES))
    assert PAIR_FEATURE_NAMES[-2:] == ("is_self", "anchors_observed")


def test_shape_dtype_and_no_nan(walking_pose) -> None:
    coords = _scene_cm(walking_pose)
    out = pair_features(coords, MARS, 0, 2, fps=30.0)
    assert out.shape == (90, D_PAIR) and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out[:, COL["dist_centroid"]].min() > 0 and out[:, COL["is_self"]].max() == 0


@pytest.mark.parametrize("angle", [0.7, np.pi / 2, -2.5])
def test_rotation_and_translation_invariance(walking_pose, angle: float) -> None:
    coords = _scene_cm(walking_pose)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = coords @ rot.T + np.array([12.5, -7.0])
    for agent, target in [(0, 1), (2, 0), (1, 1)]:
        ref = pair_features(coords, MARS, agent, target, fps=30.0)
        out = pair_features(moved, MARS, agent, target, fps=30.0)
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-3)


def test_egocentric_geometry() -> None:
    # agent at the origin facing +x; target 10 cm ahead and 5 cm to the +y side, facing the agent
    parts = ("nose", "body_center", "tail_base")
    agent = np.array([[3.0, 0.0], [0.0, 0.0], [-3.0, 0.0]])
    target = np.array([[7.0, 5.0], [10.0, 5.0], [13.0, 5.0]])
    coords = np.broadcast_to(np.stack([agent, target])[None], (5, 2, 3, 2)).copy()
    row = pair_features(coords, parts, 0, 1, fps=30.0)[2]
    assert row[COL["target_ego_x"]] == pytest.approx(10.0)
    assert row[COL["target_ego_y"]] == pytest.approx(5.0)
    assert row[COL["dist_centroid"]] == pytest.approx(np.hypot(10, 5), rel=1e-5)
    assert row[COL["dist_nose_nose"]] == pytest.approx(np.hypot(4, 5), rel=1e-5)
    assert row[COL["rel_heading_cos"]] == pytest.approx(-1.0)
    assert row[COL["bearing_cos"]] == pytest.approx(10 / np.hypot(10, 5), rel=1e-5)
    assert row[COL["anose_in_t_x"]] == pytest.approx(7.0)  # in front of the target's face
    assert row[COL["a_body_length"]] == pytest.approx(6.0)
    assert row[COL["a_speed"]] == pytest.approx(0.0, abs=1e-6)
    assert row[COL["overlap"]] == 0.0
    assert row[COL["anchors_observed"]] == 1.0


def test_overlap_when_agent_lies_on_target() -> None:
    parts = ("nose", "body_center", "tail_base")
    agent = np.array([[4.0, 0.0], [0.0, 0.0], [-4.0, 0.0]])
    target = np.array([[2.0, 0.0], [0.0, 0.0], [-2.0, 0.0]])  # inside the agent's length
    coords = np.stack([agent, target])[None].repeat(3, axis=0)
    row = pair_features(coords, parts, 0, 1, fps=30.0)[1]
    assert row[COL["overlap"]] == pytest.approx(1.0)


def test_approach_signs() -> None:
    parts = ("nose", "body_center", "tail_base")
    n = 30
    coords = np.zeros((n, 2, 3, 2))
    coords[:, 0, :, 0] = np.array([3.0, 0.0, -3.0]) + np.arange(n)[:, None] * 0.5  # agent walks +x
    coords[:, 1, :, 0] = np.array([3.0, 0.0, -3.0]) + 40.0  # target waits ahead
    row = pair_features(coords, parts, 0, 1, fps=30.0)[n // 2]
    assert row[COL["a_speed"]] == pytest.approx(15.0, rel=1e-4)
    assert row[COL["a_vel_toward"]] == pytest.approx(15.0, rel=1e-4)
    assert row[COL["d_dist_centroid"]] == pytest.approx(-15.0, rel=1e-4)
    assert row[COL["t_vel_away"]] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("fps", [10.0, 30.0, 120.0])
def test_speed_is_frame_rate_independent(fps: float) -> None:
    t = np.arange(0, 3, 1 / fps)
    coords = np.zeros((len(t), 1, 2, 2))
    coords[:, 0, 0, 0] = 20.0 * t + 2.0  # 20 cm/s
    coords[:, 0, 1, 0] = 20.0 * t
    out = pair_features(coords, ("nose", "tail_base"), 0, 0, fps=fps)
    np.testing.assert_allclose(out[5:-5, COL["a_speed"]], 20.0, rtol=1e-4)
    np.testing.assert_allclose(out[5:-5, COL["a_speed_mean_1s"]], 20.0, rtol=1e-4)


def test_self_pair_flag_and_zero_blocks(walking_pose) -> None:
    coords = _scene_cm(walking_pose)
    out = pair_features(coords, MARS, 1, 1, fps=25.0)
    assert (out[:, COL["is_self"]] == 1).all()
    assert not out[:, RELATION].any() and not out[:, TARGET_OWN].any()
    assert out[:, COL["a_speed"]].max() > 0
    assert (out[:, COL["a_nearest_other_dist"]] > 0).all()


def test_unknown_body_part_names(walking_pose) -> None:
    parts = ("a", "b", "c", "d")
    coords = _scene_cm(walking_pose, parts=parts)
    out = pair_features(coords, parts, 0, 1, fps=30.0)
    assert out.shape == (90, D_PAIR) and np.isfinite(out).all()
    assert out[:, COL["dist_centroid"]].min() > 0 and out[:, COL["a_spread"]].min() > 0
    # no nose, no tail: one anchor (the centroid) of three per mouse
    np.testing.assert_allclose(out[:, COL["anchors_observed"]], 1 / 3)


def test_resolve_anchors_fallbacks() -> None:
    shrew = resolve_anchors(["ear_left", "ear_right", "head", "tail_base"])
    assert shrew["nose"] == (2,) and shrew["neck"] == (0, 1)
    snail = resolve_anchors(["headpiece_topfrontleft", "headpiece_topfrontright", "Body-Center", "spine_1"])
    assert snail["nose"] == (0, 1) and snail["body_center"] == (2,)
    mars = resolve_anchors(MARS)
    assert mars["body_center"] == (2, 3) and mars["tail_base"] == (6,)
    ferret = resolve_anchors(["nose", "spine_1", "spine_2", "tail_base", "tail_tip", "tail_middle_1"])
    assert ferret["body_center"] == (1, 2) and ferret["body"] == (0, 1, 2, 3)


def test_heavy_missingness_gives_no_nan(walking_pose, make_meta, rng) -> None:
    pose = walking_pose(200, 3, MARS)
    coords = pose.coords.copy()
    coords[rng.random(coords.shape[:-1]) < 0.7] = np.nan
    coords[:, 2] = np.nan  # a mouse never tracked
    coords[:, :, 5] = np.nan  # no nose at all
    coords[50:120] = np.nan  # everything gone for over 2 s
    pose = Pose(coords, MARS)
    meta = make_meta(MARS, n_mice=3)
    out = build_pair_features(pose, meta, video_pairs(meta, 3))
    assert out.shape == (9, 200, D_PAIR) and np.isfinite(out).all()
    observed = out[..., COL["anchors_observed"]]
    assert observed.min() >= 0 and observed.max() <= 1
    assert (observed[8] == 0).all()  # (3, 3): the untracked mouse
    assert np.abs(out).max() <= 5000


def test_glitch_is_clipped(make_meta) -> None:
    coords = np.zeros((20, 1, 2, 2), dtype=np.float32)
    coords[:, 0, 0, 0] = 30.0
    coords[10, 0] += 5000.0  # a tracking jump of 500 cm
    out = build_pair_features(Pose(coords, ("nose", "tail_base")), make_meta(("nose", "tail_base"), 1), [(1, 1)])
    assert out[0, :, COL["a_speed"]].max() == SPEED_CLIP


def test_build_pair_features_matches_pair_features(walking_pose, make_meta) -> None:
    pose = walking_pose(60, 2, MARS)
    pose.coords[10:15, 0, 5] = np.nan
    meta = make_meta(MARS, fps=30.0)
    pairs = [(1, 2), (2, 2), (2, 1)]
    out = build_pair_features(pose, meta, pairs)
    coords = interpolate_gaps(normalize_pose(pose, meta), max_gap=30)
    for i, (a, t) in enumerate(pairs):
        np.testing.assert_allclose(out[i], pair_features(coords, MARS, a - 1, t - 1, 30.0), atol=1e-5)
    assert build_pair_features(pose, meta, []).shape == (0, 60, D_PAIR)


def test_bad_arguments(walking_pose, make_meta) -> None:
    pose = walking_pose(10, 2, MARS)
    meta = make_meta(MARS)
    with pytest.raises(ValueError, match="outside 1..2"):
        build_pair_features(pose, meta, [(1, 3)])
    with pytest.raises(ValueError, match="target slot 2 out of range"):
        pair_features(pose.coords, MARS, 0, 2, 30.0)
    with pytest.raises(ValueError, match="7 body parts but 2 names"):
        pair_features(pose.coords, ("a", "b"), 0, 1, 30.0)
    with pytest.raises(ValueError, match="fps"):
        pair_features(pose.coords, MARS, 0, 1, 0.0)


def test_video_pairs(make_meta) -> None:
    pairs = video_pairs(make_meta(MARS, n_mice=3), 3)
    assert len(pairs) == 9 and (2, 2) in pairs and (3, 1) in pairs
    assert all(1 <= a <= 3 and 1 <= t <= 3 for a, t in pairs)
