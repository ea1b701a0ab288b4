"""Per-frame feature sets of the ``seed4`` label scheme (one row per frame, all mice).

``"raw"``
    :func:`~mabe.features.raw.raw_features`: ``max_mice * max_body_parts * 2``
    position columns (144 with 4 mice x 18 body parts).
``"raw+motion"``
    The positions, then the speed (cm/s) of every keypoint slot, then the
    magnitude of its acceleration (cm/s^2), both in the same mouse-major,
    body-part order: ``2 * (max_mice * max_body_parts * 2)`` columns (288),
    the width of the reference V6 model. Speeds and accelerations come from
    :func:`~mabe.features.raw.motion_features` (per-column x/y velocity and
    acceleration) reduced to one magnitude per keypoint, which keeps the
    width at 288 and makes them independent of the arena's orientation.
"""

from __future__ import annotations

import numpy as np

from mabe.data.types import Pose, VideoMeta
from mabe.features.missing import fill_missing
from mabe.features.normalize import normalize_pose
from mabe.features.raw import motion_features, raw_features

FRAME_FEATURE_SETS: tuple[str, ...] = ("raw", "raw+motion")
"""Names accepted by :func:`build_frame_features`."""


def _check_feature_set(feature_set: str) -> None:
    if feature_set not in FRAME_FEATURE_SETS:
        raise ValueError(
            f"unknown feature_set {feature_set!r}; frame feature sets: {', '.join(FRAME_FEATURE_SETS)}"
        )


def frame_feature_dim(feature_set: str, max_mice: int = 4, max_body_parts: int = 18) -> int:
    """Columns of :func:`build_frame_features` for a feature set and layout.

    Examples
    --------
    >>> frame_feature_dim("raw"), frame_feature_dim("raw+motion")
    (144, 288)
    """
    _check_feature_set(feature_set)
    raw = int(max_mice) * int(max_body_parts) * 2
    return raw if feature_set == "raw" else 2 * raw


def build_frame_features(
    pose: Pose,
    meta: VideoMeta,
    feature_set: str,
    max_mice: int = 4,
    max_body_parts: int = 18,
) -> np.ndarray:
    """Per-frame features of a whole video.

    normalize (centred cm, :func:`~mabe.features.normalize.normalize_pose`)
    -> fill missing (every gap interpolated, edges held, never-tracked
    keypoints 0; :func:`~mabe.features.missing.fill_missing`)
    -> :func:`~mabe.features.raw.raw_features`
    (-> plus :func:`~mabe.features.raw.motion_features` for ``"raw+motion"``).

    Parameters
    ----------
    pose, meta
        The video's pose and metadata (``meta.fps`` scales the motion).
    feature_set
        ``"raw"`` (``max_mice * max_body_parts * 2`` columns) or
        ``"raw+motion"`` (twice that: positions, then per-keypoint speed and
        acceleration magnitude; see the module docstring).
    max_mice, max_body_parts
        Slots of the fixed layout.

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, frame_feature_dim(feature_set, max_mice, max_body_parts))``.

    Raises
    ------
    ValueError
        On an unknown feature set, or more mice / body parts than the layout holds.
    """
    _check_feature_set(feature_set)
    filled, _ = fill_missing(normalize_pose(pose, meta))
    raw = raw_features(filled, max_mice=max_mice, max_body_parts=max_body_parts)
    if feature_set == "raw":
        return raw
    return np.concatenate([raw, keypoint_motion(raw, meta.fps)], axis=1)


def keypoint_motion(raw: np.ndarray, fps: float) -> np.ndarray:
    """Speed and acceleration magnitude of every keypoint slot of a raw row.

    Parameters
    ----------
    raw
        ``(frames, 2 * K)`` interleaved ``x, y`` columns (:func:`raw_features` layout).
    fps
        Frames per second.

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, 2 * K)``: ``K`` speeds (cm/s), then ``K`` acceleration
        magnitudes (cm/s^2).

    Examples
    --------
    >>> x = np.stack([np.arange(4.0), np.zeros(4)], axis=1)  # 1 cm/frame along x
    >>> keypoint_motion(x, fps=30.0)[:, 0].tolist()
    [30.0, 30.0, 30.0, 30.0]
    """
    raw = np.asarray(raw)
    if raw.ndim != 2 or raw.shape[1] % 2:
        raise ValueError(f"raw must have shape (frames, 2 * keypoints), got {raw.shape}")
    n_frames, dim = raw.shape
    motion = motion_features(raw, fps).reshape(n_frames, 2, dim // 2, 2)
    return np.linalg.norm(motion, axis=-1).reshape(n_frames, dim).astype(np.float32)
