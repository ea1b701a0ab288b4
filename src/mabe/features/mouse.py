"""Per-mouse signals shared by every pair a mouse takes part in.

:func:`mouse_signals` computes, once per mouse, the anchor points, heading,
velocity and the mouse's own rotation- and translation-invariant features
(speed, acceleration, turning rate, nose speed, body length, keypoint spread)
that :mod:`mabe.features.pairwise` combines into pair features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mabe.features.anchors import anchor_points
from mabe.features.temporal import angular_velocity, time_derivative

OWN_FEATURES: tuple[str, ...] = (
    "speed",
    "accel",
    "ang_vel",
    "nose_speed",
    "body_length",
    "body_length_rel",
    "spread",
)
"""A mouse's own features, in column order (prefixed ``a_`` / ``t_`` in pair features).

``speed``
    Body-centre speed (cm/s).
``accel``
    Time derivative of ``speed`` (cm/s^2; positive when speeding up).
``ang_vel``
    Turning rate of the heading (rad/s, counter-clockwise positive).
``nose_speed``
    Speed of the nose anchor (cm/s).
``body_length``
    Nose to tail base (cm; nose to body centre when no tail base / hips are tracked).
``body_length_rel``
    ``body_length`` over its median in the video (drops when rearing or hunching).
``spread``
    Root-mean-square distance of the body keypoints (tail beyond its base
    excluded) from their centroid (cm).
"""

MIN_HEADING_CM = 1e-3
"""Nose-to-back distances below this give no heading (the two anchors coincide)."""


@dataclass
class MouseSignals:
    """Arrays of one mouse over a video (``F`` frames, ``B`` body keypoints).

    Attributes
    ----------
    center, nose, tail
        ``(F, 2)`` anchor points in cm; ``tail`` is NaN when the lab tracks no
        tail base (or hips).
    heading
        ``(F, 2)`` unit vector from the back anchor (tail base, else body
        centre) to the nose; NaN when unknown.
    velocity
        ``(F, 2)`` body-centre velocity (cm/s).
    body
        ``(F, B, 2)`` body keypoints (tail beyond its base excluded).
    own
        :data:`OWN_FEATURES` name -> ``(F,)`` values (NaN where unknown).
    anchors_ok
        ``(F, 3)`` whether nose, body centre and tail base are known per frame.
    """

    center: np.ndarray
    nose: np.ndarray
    tail: np.ndarray
    heading: np.ndarray
    velocity: np.ndarray
    body: np.ndarray
    own: dict[str, np.ndarray]
    anchors_ok: np.ndarray


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt((v * v).sum(axis=-1))


def mouse_signals(
    coords_mouse: np.ndarray, anchors: Mapping[str, Sequence[int]], fps: float
) -> MouseSignals:
    """Anchor points, heading, velocity and own features of one mouse.

    Parameters
    ----------
    coords_mouse
        ``(frames, body_parts, 2)`` in cm, NaN where missing.
    anchors
        :func:`~mabe.features.anchors.resolve_anchors` of the body-part names.
    fps
        Frames per second (derivatives are per second).

    Returns
    -------
    MouseSignals

    Examples
    --------
    >>> from mabe.features.anchors import resolve_anchors
    >>> xy = np.zeros((3, 2, 2))
    >>> xy[:, 0, 0] = [2.0, 3.0, 4.0]   # nose, moving 1 cm per frame along x
    >>> xy[:, 1, 0] = [0.0, 1.0, 2.0]   # tail base
    >>> s = mouse_signals(xy, resolve_anchors(["nose", "tail_base"]), fps=10.0)
    >>> s.own["speed"].round(6).tolist(), s.own["body_length"].tolist()
    ([10.0, 10.0, 10.0], [2.0, 2.0, 2.0])
    """
    kp = np.asarray(coords_mouse, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[-1] != 2:
        raise ValueError(f"coords_mouse must have shape (frames, body_parts, 2), got {kp.shape}")
    center = anchor_points(kp, anchors["body_center"])
    nose = anchor_points(kp, anchors["nose"])
    tail = anchor_points(kp, anchors["tail_base"])
    back = tail if len(anchors["tail_base"]) else center

    axis = nose - back
    length = _norm(axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        heading = np.where((length > MIN_HEADING_CM)[:, None], axis / length[:, None], np.nan)

    velocity = time_derivative(center, fps)
    speed = _norm(velocity)
    finite_len = length[np.isfinite(length) & (length > MIN_HEADING_CM)]
    median_len = float(np.median(finite_len)) if finite_len.size else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        length_rel = length / median_len

    body = kp[:, list(anchors["body"])] if len(anchors["body"]) else kp[:, :0]
    centroid = anchor_points(kp, anchors["body"])
    sq = ((body - centroid[:, None, :]) ** 2).sum(axis=-1)
    seen = np.isfinite(sq)
    n_seen = seen.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.sqrt(np.where(seen, sq, 0.0).sum(axis=1) / n_seen)

    own = {
        "speed": speed,
        "accel": time_derivative(speed, fps),
        "ang_vel": angular_velocity(heading, fps),
        "nose_speed": _norm(time_derivative(nose, fps)),
        "body_length": length,
        "body_length_rel": length_rel,
        "spread": spread,
    }
    anchors_ok = np.stack(
        [np.isfinite(nose).all(axis=1), np.isfinite(center).all(axis=1), np.isfinite(tail).all(axis=1)],
        axis=1,
    )
    return MouseSignals(center, nose, tail, heading, velocity, body, own, anchors_ok)


def nearest_other_distance(centers: np.ndarray, mouse: int, far: float) -> np.ndarray:
    """Per frame, body-centre distance (cm) from ``mouse`` to the closest other mouse.

    Parameters
    ----------
    centers
        ``(frames, mice, 2)`` body centres, NaN where unknown.
    mouse
        Slot index of the mouse.
    far
        Value for frames where no other mouse is known (and videos with one mouse).

    Examples
    --------
    >>> c = np.array([[[0.0, 0.0], [3.0, 4.0], [np.nan, np.nan]]])
    >>> nearest_other_distance(c, 0, far=100.0).tolist(), nearest_other_distance(c[:, :1], 0, 100.0).tolist()
    ([5.0], [100.0])
    """
    centers = np.asarray(centers, dtype=np.float64)
    others = [m for m in range(centers.shape[1]) if m != mouse]
    if not others:
        return np.full(centers.shape[0], float(far))
    dist = _norm(centers[:, others] - centers[:, mouse : mouse + 1])
    dist = np.where(np.isfinite(dist), dist, np.inf).min(axis=1)
    return np.where(np.isfinite(dist), dist, float(far))
