"""Left/right mirroring: the pairing rule, the pose flip, and the pair features' odd columns."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.data.types import Pose
from mabe.features.mirror import PAIR_MIRROR_ODD, mirror_coords, mirror_pairs, pair_mirror_signs
from mabe.features.pairwise import PAIR_FEATURE_NAMES, build_pair_features


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["nose", "ear_left", "ear_right", "tail_base"], [0, 2, 1, 3]),
        (["lateral_left", "lateral_right", "hip_left", "hip_right"], [1, 0, 3, 2]),
        (["headpiece_topleft", "headpiece_topright", "headpiece_bottomleft"], [1, 0, 2]),  # no bottomright
        (["LeftEar", "RightEar", "LEFT_HIP", "RIGHT_HIP"], [1, 0, 3, 2]),
        (["l_ear", "r_ear", "ear_L", "ear_R", "paw-l", "paw-r"], [1, 0, 3, 2, 5, 4]),
        (["EarL", "EarR", "tail", "rear"], [1, 0, 2, 3]),  # glued l/r only with a partner: tail, rear stay
        (["ear_left", "neck"], [0, 1]),  # a lone side has no partner
    ],
)
def test_pairing_rule(names: list[str], expected: list[int]) -> None:
    perm = mirror_pairs(names)
    assert perm.tolist() == expected
    assert perm[perm].tolist() == list(range(len(names)))  # an involution: pairs are symmetric


def test_mirroring_swaps_left_right_parts_and_reflects_x() -> None:
    parts = ("nose", "ear_left", "ear_right", "tail_base")
    coords = np.random.default_rng(0).normal(100, 20, (5, 2, 4, 2)).astype(np.float32)
    coords[1, 0, 2] = np.nan
    out = mirror_coords(coords, parts, axis_x=100.0)
    np.testing.assert_array_equal(out[..., 1, 1], coords[..., 2, 1])  # the new left ear is the old right ear
    np.testing.assert_allclose(out[..., 1, 0], 200.0 - coords[..., 2, 0])
    np.testing.assert_allclose(out[..., 0, 0], 200.0 - coords[..., 0, 0])  # nose: x reflected, same slot
    assert np.isnan(out[1, 0, 1]).all()  # NaN follows its body part
    np.testing.assert_allclose(mirror_coords(out, parts, axis_x=100.0), coords, atol=1e-4)  # twice is the identity
    np.testing.assert_allclose(mirror_coords(mirror_coords(coords, parts), parts), coords, atol=1e-4)  # default axis


def test_mirror_coords_checks_shapes() -> None:
    with pytest.raises(ValueError, match="body parts"):
        mirror_coords(np.zeros((3, 1, 2, 2)), ("nose",))


def test_pair_features_of_the_mirrored_pose_are_the_odd_columns_negated(walking_pose, make_meta) -> None:
    parts = ("nose", "ear_left", "ear_right", "body_center", "tail_base")
    pose = walking_pose(90, 2, parts)
    meta = make_meta(parts)
    mirrored = Pose(mirror_coords(pose.coords, parts, meta.video_width / 2), parts)
    pairs = [(1, 2), (2, 1), (1, 1)]
    a = np.asarray(build_pair_features(pose, meta, pairs))
    b = np.asarray(build_pair_features(mirrored, meta, pairs))
    np.testing.assert_allclose(b, a * pair_mirror_signs(), atol=2e-3)
    odd = [PAIR_FEATURE_NAMES.index(n) for n in PAIR_MIRROR_ODD]
    assert np.abs(a[..., odd]).max() > 0.1  # not invariant: TTA sees a different input
