"""Semantic anchor points (nose, neck, body centre, tail base, ears) from any body-part set.

Labs name their keypoints differently (``nose`` vs ``head`` vs eight
``headpiece_*`` points, ``body_center`` vs ``spine_1``/``spine_2``...).
:func:`resolve_anchors` maps a lab's names onto a fixed set of anchors by
name with fallbacks, so pair features have the same meaning and width for
every lab. Names it does not know contribute only through the centroid
(the ``body_center`` fallback) and the keypoint spread, unless the pose is
available: :func:`pose_anchors` then takes a nose and tail base that no name
gives from the direction the mice walk (:func:`body_axis_parts`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from mabe.features.temporal import time_derivative

ANCHORS: tuple[str, ...] = ("nose", "neck", "ear_left", "ear_right", "body_center", "tail_base")
"""Anchor names, in the order of :func:`resolve_anchors`' result (which also has ``"body"``)."""

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "nose": ("nose", "snout", "nose_tip"),
    "head": ("head", "head_center", "headcenter", "head_centre"),
    "neck": ("neck", "nape"),
    "ear_left": ("ear_left", "left_ear", "earl", "l_ear", "leftear"),
    "ear_right": ("ear_right", "right_ear", "earr", "r_ear", "rightear"),
    "body_center": (
        "body_center", "bodycenter", "body_centre", "center", "centre", "centroid",
        "mid_body", "midbody", "center_body", "body",
    ),
    "tail_base": ("tail_base", "tailbase", "base_of_tail", "tail_root", "tail_start", "tail_1"),
}

_GROUPS: dict[str, tuple[str, ...]] = {
    "headpiece": ("headpiece_",),
    "spine": ("spine_", "spine", "back_"),
    "lateral": ("lateral_", "side_"),
    "hip": ("hip_", "hip", "hind"),
}


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def resolve_anchors(body_parts: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """Body-part indices to average for each anchor of :data:`ANCHORS`.

    Resolution order (names compared case-insensitively, ``-``/space as ``_``):

    ``nose``
        nose (or snout) | head | mean of ``headpiece_*`` | mean of both ears | neck
    ``neck``
        neck | mean of both ears | mean of ``headpiece_*`` | head
    ``ear_left``, ``ear_right``
        the named ear only
    ``body_center``
        body_center (or center, centroid) | mean of ``spine_*`` | mean of
        ``lateral_*`` | mean of ``hip_*`` | centroid of ``body``
    ``tail_base``
        tail_base | mean of ``hip_*``

    plus ``body``: every body part except the tail beyond its base (names
    starting with ``tail`` other than the tail base), or all of them when
    that leaves none; its centroid and spread describe the body whatever the
    names are.

    Parameters
    ----------
    body_parts
        The body-part names in array order.

    Returns
    -------
    dict
        Anchor name (and ``"body"``) -> tuple of indices into ``body_parts``
        (empty when the anchor cannot be resolved; ``body_center`` and
        ``body`` are empty only when there are no body parts).

    Examples
    --------
    >>> resolve_anchors(["ear_left", "ear_right", "head", "tail_base"])["nose"]
    (2,)
    >>> resolve_anchors(["a", "b", "c"])["body_center"], resolve_anchors(["a", "b", "c"])["nose"]
    ((0, 1, 2), ())
    >>> resolve_anchors(["nose", "tail_base", "tail_tip"])["body"]
    (0, 1)
    """
    names = [_norm(n) for n in body_parts]

    def named(key: str) -> tuple[int, ...]:
        for synonym in _SYNONYMS[key]:
            if synonym in names:
                return (names.index(synonym),)
        return ()

    def group(key: str) -> tuple[int, ...]:
        prefixes = _GROUPS[key]
        return tuple(i for i, n in enumerate(names) if n.startswith(prefixes) and "tail" not in n)

    def first(*options: tuple[int, ...]) -> tuple[int, ...]:
        return next((o for o in options if o), ())

    ear_l, ear_r = named("ear_left"), named("ear_right")
    both_ears = ear_l + ear_r if ear_l and ear_r else ()
    head, headpiece, neck = named("head"), group("headpiece"), named("neck")
    hips = group("hip")
    tail_base = named("tail_base")
    body = tuple(i for i, n in enumerate(names) if not n.startswith("tail") or (i,) == tail_base)
    body = body or tuple(range(len(names)))
    return {
        "nose": first(named("nose"), head, headpiece, both_ears, neck),
        "neck": first(neck, both_ears, headpiece, head),
        "ear_left": ear_l,
        "ear_right": ear_r,
        "body_center": first(
            named("body_center"), group("spine"), group("lateral"), hips, body
        ),
        "tail_base": first(tail_base, hips),
        "body": body,
    }


def anchor_points(coords: np.ndarray, indices: Sequence[int]) -> np.ndarray:
    """Mean position of the given body parts, over those observed in each frame.

    Parameters
    ----------
    coords
        ``(frames, body_parts, 2)`` (one mouse) or ``(frames, mice, body_parts, 2)``.
    indices
        Body-part indices (from :func:`resolve_anchors`); empty gives all NaN.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of ``coords.shape`` without the body-part axis; NaN
        where none of the body parts is observed.

    Examples
    --------
    >>> xy = np.array([[[0.0, 0.0], [2.0, 4.0], [np.nan, np.nan]]])
    >>> anchor_points(xy, [0, 1, 2]).tolist()
    [[1.0, 2.0]]
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim not in (3, 4) or coords.shape[-1] != 2:
        raise ValueError(
            f"coords must have shape (frames, [mice,] body_parts, 2), got {coords.shape}"
        )
    out_shape = coords.shape[:-2] + (2,)
    if len(indices) == 0:
        return np.full(out_shape, np.nan)
    picked = coords[..., list(indices), :]
    ok = np.isfinite(picked).all(axis=-1, keepdims=True)
    count = ok.sum(axis=-2)
    total = np.where(ok, picked, 0.0).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


AXIS_MIN_SPEED_CM_S = 5.0
"""Frames where a mouse's centroid moves at least this fast show which end is its front."""
AXIS_MIN_MOVING_S = 1.0
"""Seconds of moving (frame, mouse) samples needed before :func:`body_axis_parts` guesses anything."""
AXIS_MIN_CM = 0.5
"""The front and back parts must lie at least this far apart along the direction of motion."""
_AXIS_HALF_SPAN_S = 0.1


def body_axis_parts(coords_cm: np.ndarray, fps: float) -> tuple[int, int] | None:
    """Find the front-most and back-most body part, from how the mice move.

    Mice walk forwards: on frames where a mouse's keypoint centroid moves
    faster than :data:`AXIS_MIN_SPEED_CM_S`, each body part's offset from the
    centroid is projected on the direction of motion, and the median over
    frames and mice is taken (at least :data:`AXIS_MIN_MOVING_S` seconds of
    such samples are needed). The part furthest ahead is the front (nose or head), the
    one furthest behind the back (tail base, or the tail tip when tracked).

    Parameters
    ----------
    coords_cm
        ``(frames, mice, body_parts, 2)`` in cm, NaN where missing.
    fps
        Frames per second.

    Returns
    -------
    tuple or None
        ``(front, back)`` body-part indices, or ``None`` when the video has
        too little motion (or fewer than two parts) to tell.

    Examples
    --------
    >>> t = np.arange(30.0)
    >>> mouse = np.stack([np.stack([t + 3, 0 * t], 1), np.stack([t, 0 * t], 1),
    ...                   np.stack([t - 3, 0 * t], 1)], axis=1)      # front, middle, back along +x
    >>> body_axis_parts(mouse[:, None] * 0.5, fps=30.0)
    (0, 2)
    """
    coords = np.asarray(coords_cm, dtype=np.float64)
    if coords.ndim != 4 or coords.shape[-1] != 2:
        raise ValueError(f"coords_cm must have shape (frames, mice, body_parts, 2), got {coords.shape}")
    if coords.shape[2] < 2 or coords.shape[0] < 2:
        return None
    centroid = anchor_points(coords, range(coords.shape[2]))  # (F, M, 2)
    velocity = time_derivative(centroid, fps, half_span_s=_AXIS_HALF_SPAN_S)
    speed = np.sqrt((velocity**2).sum(axis=-1))
    moving = np.isfinite(speed) & (speed >= AXIS_MIN_SPEED_CM_S)
    needed = max(3, int(np.ceil(AXIS_MIN_MOVING_S * fps)))
    if moving.sum() < needed:
        return None
    direction = velocity[moving] / speed[moving][:, None]  # (S, 2)
    offsets = coords[moving] - centroid[moving][:, None, :]  # (S, B, 2)
    projection = (offsets * direction[:, None, :]).sum(axis=-1)  # (S, B)
    counts = np.isfinite(projection).sum(axis=0)
    if (counts < needed).all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        middle = np.where(counts >= needed, np.nanmedian(projection, axis=0), np.nan)
    front, back = int(np.nanargmax(middle)), int(np.nanargmin(middle))
    if front == back or middle[front] - middle[back] < AXIS_MIN_CM:
        return None
    return front, back


def pose_anchors(coords_cm: np.ndarray, body_parts: Sequence[str], fps: float) -> dict[str, tuple[int, ...]]:
    """:func:`resolve_anchors`, with a missing nose or tail base found from the pose.

    Body parts with unfamiliar names (``kp0``, ``p1``, ...) give no ``nose``
    and no ``tail_base`` by name, and so no heading. When either is missing
    it is taken from :func:`body_axis_parts` (the front-most / back-most part
    while the mice walk); anchors resolved by name are never changed.

    Parameters
    ----------
    coords_cm
        ``(frames, mice, body_parts, 2)`` in cm, NaN where missing.
    body_parts
        Names of the body-part axis.
    fps
        Frames per second.

    Examples
    --------
    >>> t = np.arange(30.0)
    >>> mouse = np.stack([np.stack([t + 3, 0 * t], 1), np.stack([t - 3, 0 * t], 1)], axis=1)
    >>> anchors = pose_anchors(mouse[:, None] * 0.5, ["p", "q"], fps=30.0)
    >>> anchors["nose"], anchors["tail_base"]
    ((0,), (1,))
    """
    anchors = resolve_anchors(body_parts)
    need_nose, need_tail = not anchors["nose"], not anchors["tail_base"]
    if not (need_nose or need_tail):
        return anchors
    axis = body_axis_parts(coords_cm, fps)
    if axis is None:
        return anchors
    front, back = axis
    out = dict(anchors)
    if need_nose and (front,) != anchors["tail_base"]:
        out["nose"] = (front,)
    if need_tail and (back,) != out["nose"]:
        out["tail_base"] = (back,)
    return out
