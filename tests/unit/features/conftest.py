from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from mabe.data.types import Pose, VideoMeta


def _make_meta(
    body_parts: tuple[str, ...], n_mice: int = 2, fps: float = 30.0, **kwargs: float
) -> VideoMeta:
    values = {"pix_per_cm": 10.0, "video_width": 400.0, "video_height": 300.0, **kwargs}
    return VideoMeta("train", "lab", 1, fps, n_mice, body_parts, (), **values)


def _walking_pose(
    n_frames: int = 120, n_mice: int = 2, body_parts: tuple[str, ...] = ("nose", "body_center", "tail_base"),
    seed: int = 0,
) -> Pose:
    """Mice walking smooth random paths, keypoints laid out along the heading (pixels)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames)[:, None]
    phase = rng.uniform(0, 2 * np.pi, size=(1, n_mice))
    center = np.stack(
        [200 + 80 * np.cos(0.03 * t + phase), 150 + 60 * np.sin(0.05 * t + phase)], axis=-1
    )  # (F, M, 2)
    heading = 0.04 * t + phase
    direction = np.stack([np.cos(heading), np.sin(heading)], axis=-1)
    offsets = np.linspace(40, -40, len(body_parts))  # front to back, pixels
    side = np.stack([-direction[..., 1], direction[..., 0]], axis=-1)
    wiggle = rng.normal(0, 3, size=(n_frames, n_mice, len(body_parts), 1))
    coords = (
        center[:, :, None, :]
        + offsets[None, None, :, None] * direction[:, :, None, :]
        + wiggle * side[:, :, None, :]
    )
    return Pose(coords.astype(np.float32), tuple(body_parts))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def make_meta() -> Callable[..., VideoMeta]:
    """``make_meta(body_parts, n_mice=2, fps=30.0, **meta_fields) -> VideoMeta`` (10 px/cm, 400x300)."""
    return _make_meta


@pytest.fixture
def walking_pose() -> Callable[..., Pose]:
    """``walking_pose(n_frames=120, n_mice=2, body_parts=(...), seed=0) -> Pose`` in pixels."""
    return _walking_pose
