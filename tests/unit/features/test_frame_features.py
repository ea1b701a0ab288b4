from __future__ import annotations

import numpy as np
import pytest

from mabe.data.types import Pose
from mabe.features import (
    DEFAULT_PIX_PER_CM,
    build_frame_features,
    fill_missing,
    frame_feature_dim,
    interpolate_gaps,
    motion_features,
    normalize_pose,
    raw_features,
    resolve_pix_per_cm,
    to_centered_cm,
)

# --- normalize -------------------------------------------------------------


def test_to_centered_cm_scales_and_centres() -> None:
    xy = np.array([[[[300.0, 100.0], [np.nan, np.nan]]]], dtype=np.float32)
    out = to_centered_cm(xy, 20.0, (200.0, 150.0))
    np.testing.assert_allclose(out[0, 0, 0], [5.0, -2.5])
    assert np.isnan(out[0, 0, 1]).all()
    assert out.dtype == np.float32


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -3.0, None])
def test_to_centered_cm_default_scale(bad: float | None) -> None:
    xy = np.array([[DEFAULT_PIX_PER_CM, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(to_centered_cm(xy, bad, (0.0, 0.0)), [[1.0, 0.0]])


def test_to_centered_cm_unknown_frame_uses_median_keypoint() -> None:
    xy = np.array([[0.0, 0.0], [10.0, 10.0], [20.0, 40.0], [np.nan, 5.0]], dtype=np.float32)
    out = to_centered_cm(xy, 1.0, (float("nan"), float("nan")))
    np.testing.assert_allclose(np.nanmedian(out[:3], axis=0), [0.0, 0.0])
    with pytest.raises(ValueError, match="last axis of size 2"):
        to_centered_cm(np.zeros((3, 3)), 1.0)


def test_resolve_pix_per_cm_fallbacks(make_meta) -> None:
    parts = ("nose",)
    assert resolve_pix_per_cm(make_meta(parts, pix_per_cm=12.0)) == 12.0
    arena = make_meta(parts, pix_per_cm=float("nan"), arena_width_cm=40.0, arena_height_cm=20.0)
    assert resolve_pix_per_cm(arena) == pytest.approx(10.0)  # min(400/40, 300/20)
    assert resolve_pix_per_cm(make_meta(parts, pix_per_cm=float("nan"))) == DEFAULT_PIX_PER_CM


def test_normalize_pose_centres_on_frame(make_meta) -> None:
    pose = Pose(np.full((2, 1, 1, 2), [200.0, 150.0], dtype=np.float32), ("nose",))
    np.testing.assert_allclose(normalize_pose(pose, make_meta(("nose",), n_mice=1)), 0.0)


# --- missing ---------------------------------------------------------------


def _reference_fill(series: np.ndarray, max_gap: int | None) -> np.ndarray:
    """Loop over runs of NaN; linear inside, held at the edges, runs > max_gap left."""
    out = series.astype(np.float64).copy()
    n = len(series)
    valid = np.flatnonzero(np.isfinite(series))
    if len(valid) == 0:
        return out
    t = 0
    while t < n:
        if np.isfinite(series[t]):
            t += 1
            continue
        end = t
        while end < n and not np.isfinite(series[end]):
            end += 1
        if max_gap is None or end - t <= max_gap:
            frames = np.arange(t, end)
            out[t:end] = np.interp(frames, valid, series[valid])  # holds ends like np.interp
        t = end
    return out


@pytest.mark.parametrize("max_gap", [None, 0, 1, 3])
def test_fill_missing_matches_reference(rng: np.random.Generator, max_gap: int | None) -> None:
    coords = rng.normal(size=(60, 2, 3, 2)).astype(np.float32)
    coords[rng.random(coords.shape[:-1]) < 0.4] = np.nan
    coords[:, 1, 2] = np.nan  # a keypoint never tracked
    coords[:5, 0, 0] = np.nan  # leading run
    coords[-7:, 0, 1] = np.nan  # trailing run
    interp = interpolate_gaps(coords, max_gap)
    for m in range(2):
        for b in range(3):
            for c in range(2):
                ref = _reference_fill(coords[:, m, b, c], max_gap)
                np.testing.assert_allclose(interp[:, m, b, c], ref, rtol=1e-5, atol=1e-6)
    filled, observed = fill_missing(coords, max_gap)
    assert filled.dtype == np.float32 and np.isfinite(filled).all()
    np.testing.assert_array_equal(observed, np.isfinite(coords).all(axis=-1))
    np.testing.assert_array_equal(filled[:, 1, 2], 0.0)
    np.testing.assert_array_equal(filled[observed], coords[observed])


def test_fill_missing_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="frames, ..., 2"):
        fill_missing(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="max_gap"):
        fill_missing(np.zeros((5, 2)), max_gap=-1)


# --- raw / motion ----------------------------------------------------------


def test_raw_features_layout_and_padding() -> None:
    coords = np.arange(3 * 2 * 5 * 2, dtype=np.float32).reshape(3, 2, 5, 2)
    coords[0, 1, 4] = np.nan
    out = raw_features(coords)
    assert out.shape == (3, 144) and out.dtype == np.float32
    grid = out.reshape(3, 4, 18, 2)
    np.testing.assert_array_equal(grid[1:, :2, :5], coords[1:])
    np.testing.assert_array_equal(grid[0, 1, 4], 0.0)  # NaN -> 0
    assert not grid[:, 2:].any() and not grid[:, :, 5:].any()
    # mouse-major, then body part, then x, y
    assert out[2, (1 * 18 + 3) * 2 + 1] == coords[2, 1, 3, 1]


def test_raw_features_too_many_mice_or_parts() -> None:
    with pytest.raises(ValueError, match="5 mouse slots, more than max_mice=4"):
        raw_features(np.zeros((2, 5, 3, 2)))
    with pytest.raises(ValueError, match="19 body parts, more than max_body_parts=18"):
        raw_features(np.zeros((2, 2, 19, 2)))
    with pytest.raises(ValueError, match="frames, mice, body_parts, 2"):
        raw_features(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("fps", [10.0, 30.0, 120.0])
def test_motion_features_units(fps: float) -> None:
    # 1 cm per frame along x -> fps cm/s, no acceleration
    n = 20
    x = np.stack([np.arange(n, dtype=np.float32), np.full(n, 3.0, dtype=np.float32)], axis=1)
    out = motion_features(x, fps)
    assert out.shape == (n, 4)
    np.testing.assert_allclose(out[:, 0], fps, rtol=1e-6)
    np.testing.assert_allclose(out[:, 1:], 0.0, atol=1e-6)
    # same physical motion, sampled at two rates, gives the same velocity
    t = np.arange(0, 2, 1 / fps)
    pos = (5 * t**2)[:, None]  # a = 10 cm/s^2
    mid = len(t) // 2
    out = motion_features(pos, fps)
    assert out[mid, 0] == pytest.approx(10 * t[mid], rel=1e-3)
    assert out[mid, 1] == pytest.approx(10.0, rel=1e-3)


def test_motion_features_edge_cases() -> None:
    assert motion_features(np.ones((1, 3)), 30.0).shape == (1, 6)
    with pytest.raises(ValueError, match="fps"):
        motion_features(np.ones((3, 3)), 0.0)


# --- build_frame_features --------------------------------------------------


@pytest.mark.parametrize(("feature_set", "dim"), [("raw", 144), ("raw+motion", 288)])
def test_build_frame_features(feature_set: str, dim: int, make_meta, walking_pose) -> None:
    pose = walking_pose(n_frames=50, n_mice=3)
    pose.coords[10:14, 0] = np.nan
    meta = make_meta(pose.body_parts, n_mice=3)
    out = build_frame_features(pose, meta, feature_set)
    assert out.shape == (50, dim) == (50, frame_feature_dim(feature_set))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out[:, :144], raw_features(
        fill_missing(normalize_pose(pose, meta))[0]), rtol=1e-6)


def test_raw_motion_holds_speed_per_keypoint(make_meta) -> None:
    coords = np.zeros((10, 1, 1, 2), dtype=np.float32)
    coords[:, 0, 0, 0] = np.arange(10) * 10.0  # 10 px = 1 cm per frame at 10 px/cm
    pose = Pose(coords, ("nose",))
    out = build_frame_features(pose, make_meta(("nose",), n_mice=1, fps=25.0), "raw+motion",
                               max_mice=1, max_body_parts=2)
    assert out.shape == (10, 8)
    np.testing.assert_allclose(out[:, 4], 25.0, rtol=1e-5)  # speed of slot (0, 0)
    np.testing.assert_allclose(out[:, 5:], 0.0, atol=1e-4)  # empty slot, no acceleration


def test_frame_feature_dim_rejects_unknown_set() -> None:
    assert frame_feature_dim("raw", 2, 7) == 28
    with pytest.raises(ValueError, match="raw, raw\\+motion"):
        frame_feature_dim("pair")
