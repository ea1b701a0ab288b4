"""Fixed-width per-frame features: every keypoint's position, and its motion.

The layout is the reference (V5/V6) one: ``max_mice * max_body_parts * 2``
columns, mouse-major, then body part (in the array's body-part order, which
the data layer gives in metadata order), then ``x, y``; slots beyond the
video's mice / body parts are zero. Column ``((m * max_body_parts) + b) * 2 + c``
holds coordinate ``c`` of body part ``b`` of mouse slot ``m``.
"""

from __future__ import annotations

import numpy as np


def raw_features(coords_cm: np.ndarray, max_mice: int = 4, max_body_parts: int = 18) -> np.ndarray:
    """All keypoint coordinates of a frame in one zero-padded row.

    Parameters
    ----------
    coords_cm
        ``(frames, mice, body_parts, 2)``, usually centred cm with missing
        values already filled (remaining NaN become 0).
    max_mice, max_body_parts
        Slots of the fixed layout.

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, max_mice * max_body_parts * 2)``; 144 columns with the defaults.

    Raises
    ------
    ValueError
        If ``coords_cm`` is not 4-D with a last axis of 2, or the video has more
        mice or body parts than the layout holds.

    Examples
    --------
    >>> xy = np.arange(2 * 2 * 3 * 2, dtype=np.float32).reshape(2, 2, 3, 2)
    >>> out = raw_features(xy, max_mice=3, max_body_parts=4)
    >>> out.shape
    (2, 24)
    >>> out[0, :8].tolist()  # mouse 0: body parts 0-2, then the empty slot 3
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0]
    """
    coords_cm = np.asarray(coords_cm)
    if coords_cm.ndim != 4 or coords_cm.shape[-1] != 2:
        raise ValueError(
            f"coords_cm must have shape (frames, mice, body_parts, 2), got {coords_cm.shape}"
        )
    if max_mice < 1 or max_body_parts < 1:
        raise ValueError(f"max_mice and max_body_parts must be >= 1, got {max_mice}, {max_body_parts}")
    n_frames, n_mice, n_parts, _ = coords_cm.shape
    if n_mice > max_mice:
        raise ValueError(f"video has {n_mice} mouse slots, more than max_mice={max_mice}")
    if n_parts > max_body_parts:
        raise ValueError(
            f"video has {n_parts} body parts, more than max_body_parts={max_body_parts}"
        )
    out = np.zeros((n_frames, max_mice, max_body_parts, 2), dtype=np.float32)
    out[:, :n_mice, :n_parts] = np.nan_to_num(coords_cm, nan=0.0, posinf=0.0, neginf=0.0)
    return out.reshape(n_frames, max_mice * max_body_parts * 2)


def motion_features(x: np.ndarray, fps: float) -> np.ndarray:
    """Per-column velocity and acceleration in per-second units.

    Central differences (:func:`numpy.gradient`, one-sided at the ends)
    scaled by ``fps``, so a position in cm gives cm/s and cm/s², comparable
    between 10 and 120 fps videos.

    Parameters
    ----------
    x
        ``(frames, D)`` features (e.g. :func:`raw_features`).
    fps
        Frames per second (> 0).

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, 2 * D)``: ``[velocity (D), acceleration (D)]``; zeros
        for a single frame.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D or ``fps`` is not positive.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32)[:, None]  # 1 cm per frame
    >>> motion_features(x, fps=30.0)[:, 0].tolist()
    [30.0, 30.0, 30.0, 30.0]
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (frames, D), got {x.shape}")
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    n_frames, dim = x.shape
    if n_frames < 2:
        return np.zeros((n_frames, 2 * dim), dtype=np.float32)
    velocity = np.gradient(x.astype(np.float64), axis=0) * fps
    acceleration = np.gradient(velocity, axis=0) * fps
    return np.concatenate([velocity, acceleration], axis=1).astype(np.float32)
