"""Pixels to centred centimetres.

Every lab films at its own resolution and scale; features are computed in
centimetres with the origin at the arena (frame) centre so that distances and
speeds mean the same thing across labs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mabe.data.types import Pose, VideoMeta

DEFAULT_PIX_PER_CM = 15.0
"""Scale used when neither ``pix_per_cm`` nor the frame/arena sizes are known.

The MABe 2025 labs range from 5.5 to 65 px/cm with a typical value of about
15 px/cm (most labs film a 30-40 cm arena at 500-1000 px)."""


def _valid_positive(value: float | None) -> bool:
    return value is not None and bool(np.isfinite(value)) and float(value) > 0


def to_centered_cm(
    coords: np.ndarray,
    pix_per_cm: float | None,
    center_px: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Convert pixel coordinates to centimetres around a centre point.

    Parameters
    ----------
    coords
        Array whose last axis is ``(x, y)`` in pixels, typically
        ``(frames, mice, body_parts, 2)``; NaN where missing.
    pix_per_cm
        Pixels per centimetre. NaN, ``None`` or ``<= 0`` falls back to
        :data:`DEFAULT_PIX_PER_CM`.
    center_px
        ``(x, y)`` centre in pixels, usually ``(video_width / 2,
        video_height / 2)``. ``None`` or any NaN component: the median of all
        finite keypoints (the origin when nothing is finite).

    Returns
    -------
    numpy.ndarray
        ``float32`` array of the same shape, ``(coords - center_px) / pix_per_cm``;
        NaN stays NaN.

    Raises
    ------
    ValueError
        If the last axis of ``coords`` is not of size 2 or ``center_px`` is not
        two numbers.

    Examples
    --------
    >>> xy = np.array([[[[110.0, 40.0]]]], dtype=np.float32)
    >>> to_centered_cm(xy, 10.0, (100.0, 50.0)).ravel().tolist()
    [1.0, -1.0]
    >>> to_centered_cm(xy, float("nan"), (110.0, 40.0)).ravel().tolist()
    [0.0, 0.0]
    """
    coords = np.asarray(coords)
    if coords.ndim < 1 or coords.shape[-1] != 2:
        raise ValueError(f"coords must have a last axis of size 2 (x, y), got shape {coords.shape}")
    scale = float(pix_per_cm) if _valid_positive(pix_per_cm) else DEFAULT_PIX_PER_CM  # type: ignore[arg-type]
    center = None if center_px is None else np.asarray(center_px, dtype=np.float64).ravel()
    if center is not None and center.shape != (2,):
        raise ValueError(f"center_px must be (x, y), got {center_px!r}")
    if center is None or not np.isfinite(center).all():
        flat = coords.reshape(-1, 2).astype(np.float64)
        finite = np.isfinite(flat).all(axis=1)
        center = np.median(flat[finite], axis=0) if finite.any() else np.zeros(2)
    out = (coords.astype(np.float64) - center) / scale
    return out.astype(np.float32)


def resolve_pix_per_cm(meta: VideoMeta) -> float:
    """Pixels per cm of a video, with fallbacks when the metadata lacks it.

    In order: ``meta.pix_per_cm`` when positive; else the smaller of
    ``video_width / arena_width_cm`` and ``video_height / arena_height_cm``
    (the arena fits in the frame, so this bounds the scale from above and is
    close when the arena fills the frame); else :data:`DEFAULT_PIX_PER_CM`.

    Examples
    --------
    >>> meta = VideoMeta("train", "lab", 1, 30.0, 2, ("nose",), (),
    ...                  video_width=600.0, video_height=400.0,
    ...                  arena_width_cm=40.0, arena_height_cm=40.0)
    >>> resolve_pix_per_cm(meta)
    10.0
    """
    if _valid_positive(meta.pix_per_cm):
        return float(meta.pix_per_cm)
    ratios = [
        size / arena
        for size, arena in (
            (meta.video_width, meta.arena_width_cm),
            (meta.video_height, meta.arena_height_cm),
        )
        if _valid_positive(size) and _valid_positive(arena)
    ]
    return float(min(ratios)) if ratios else DEFAULT_PIX_PER_CM


def normalize_pose(pose: Pose, meta: VideoMeta) -> np.ndarray:
    """Return a video's pose in centimetres centred on the frame centre.

    Uses :func:`resolve_pix_per_cm` for the scale and ``(video_width / 2,
    video_height / 2)`` as the centre (the median keypoint when the frame
    size is unknown).

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, mice, body_parts, 2)`` in cm, NaN where missing.

    Examples
    --------
    >>> pose = Pose(np.full((1, 1, 1, 2), 50.0, dtype=np.float32), ("nose",))
    >>> meta = VideoMeta("train", "lab", 1, 30.0, 1, ("nose",), (), pix_per_cm=10.0,
    ...                  video_width=100.0, video_height=100.0)
    >>> normalize_pose(pose, meta).ravel().tolist()
    [0.0, 0.0]
    """
    center = (meta.video_width / 2.0, meta.video_height / 2.0)
    return to_centered_cm(pose.coords, resolve_pix_per_cm(meta), center)
