"""Pair features for the ``actions`` label scheme: one row per frame per ordered (agent, target).

The width :data:`D_PAIR` is the same for every lab: body parts are mapped to
semantic anchors (:mod:`mabe.features.anchors`; by name, or from how the
mice move when the names are unfamiliar), so a lab tracking 4 points and one
tracking 18 produce the same columns. Everything is in cm, cm/s and
rad/s, angles as (sin, cos), and egocentric to the agent (origin at its body
centre, x towards its nose), so the features do not change when the whole
scene is shifted or rotated. Column groups, in order:

1. agent's own features ``a_*`` and target's own ``t_*``
   (:data:`~mabe.features.mouse.OWN_FEATURES`; the target block is 0 for self pairs);
2. ``a_nearest_other_dist``: agent's body-centre distance to the closest other
   mouse (:data:`DIST_CLIP` when there is none), for self actions like huddle;
3. the relation block (0 for self pairs), see :data:`RELATION_FEATURES`;
4. temporal context: centred rolling mean and std of :data:`CONTEXT_SIGNALS`
   over :data:`CONTEXT_WINDOWS_S` (``<signal>_mean_<window>``, ``<signal>_std_<window>``);
5. ``is_self`` (1 for self pairs) and ``anchors_observed``: the fraction of
   the nose / body-centre / tail-base anchors of the mice involved that are
   known in the frame.

Values are clipped to physical ranges (tracking glitches otherwise give
speeds of thousands of cm/s) and what is still unknown becomes 0; the
``anchors_observed`` column tells the model how much of the row is real.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mabe.data.types import Pose, VideoMeta
from mabe.features import shared_pairs as shared
from mabe.features.anchors import anchor_points, pose_anchors
from mabe.features.missing import interpolate_gaps
from mabe.features.mouse import OWN_FEATURES, MouseSignals, mouse_signals, nearest_other_distance
from mabe.features.normalize import normalize_pose
from mabe.features.temporal import rolling_mean_std, time_derivative, window_frames

DIST_CLIP = 100.0
"""Distances and positions are clipped to this many cm."""
SPEED_CLIP = 200.0
"""Speeds and velocity components are clipped to this many cm/s."""
ACCEL_CLIP = 5000.0
"""Accelerations are clipped to this many cm/s^2."""
ANG_VEL_CLIP = 50.0
"""Turning rates are clipped to this many rad/s."""
LENGTH_CLIP = 50.0
"""Body length and spread are clipped to this many cm."""
REL_CLIP = 5.0
"""``body_length_rel`` is clipped to this ratio."""
PAIR_MAX_GAP_S = 1.0
""":func:`build_pair_features` interpolates keypoint gaps up to this many seconds."""

_OWN_RANGES: dict[str, tuple[float, float]] = {
    "speed": (0.0, SPEED_CLIP),
    "accel": (-ACCEL_CLIP, ACCEL_CLIP),
    "ang_vel": (-ANG_VEL_CLIP, ANG_VEL_CLIP),
    "nose_speed": (0.0, SPEED_CLIP),
    "body_length": (0.0, LENGTH_CLIP),
    "body_length_rel": (0.0, REL_CLIP),
    "spread": (0.0, LENGTH_CLIP),
}

_RELATION_RANGES: dict[str, tuple[float, float]] = {
    "dist_nose_nose": (0.0, DIST_CLIP),
    "dist_nose_body": (0.0, DIST_CLIP),
    "dist_nose_tail": (0.0, DIST_CLIP),
    "dist_tnose_atail": (0.0, DIST_CLIP),
    "dist_centroid": (0.0, DIST_CLIP),
    "dist_min_keypoint": (0.0, DIST_CLIP),
    "d_dist_centroid": (-SPEED_CLIP, SPEED_CLIP),
    "target_ego_x": (-DIST_CLIP, DIST_CLIP),
    "target_ego_y": (-DIST_CLIP, DIST_CLIP),
    "anose_in_t_x": (-DIST_CLIP, DIST_CLIP),
    "anose_in_t_y": (-DIST_CLIP, DIST_CLIP),
    "bearing_sin": (-1.0, 1.0),
    "bearing_cos": (-1.0, 1.0),
    "t_bearing_sin": (-1.0, 1.0),
    "t_bearing_cos": (-1.0, 1.0),
    "rel_heading_sin": (-1.0, 1.0),
    "rel_heading_cos": (-1.0, 1.0),
    "a_vel_toward": (-SPEED_CLIP, SPEED_CLIP),
    "t_vel_away": (-SPEED_CLIP, SPEED_CLIP),
    "overlap": (0.0, 1.0),
}

RELATION_FEATURES: tuple[str, ...] = tuple(_RELATION_RANGES)
"""The relation block (all 0 for self pairs).

``dist_nose_nose``, ``dist_nose_body``, ``dist_nose_tail``
    Agent nose to target nose / body centre / tail base (cm).
``dist_tnose_atail``
    Target nose to agent tail base (cm).
``dist_centroid``, ``d_dist_centroid``
    Body-centre distance (cm) and its rate of change (cm/s; negative = closing in).
``dist_min_keypoint``
    Closest pair of body keypoints (cm).
``target_ego_x``, ``target_ego_y``
    Target body centre in the agent's frame (cm; x forward, y counter-clockwise).
``anose_in_t_x``, ``anose_in_t_y``
    Agent nose in the target's frame (cm; x > 0 near the target's head, x < 0 near its rear).
``bearing_sin``, ``bearing_cos``
    Direction of the target seen from the agent, relative to the agent's heading.
``t_bearing_sin``, ``t_bearing_cos``
    Direction of the agent seen from the target, relative to the target's heading.
``rel_heading_sin``, ``rel_heading_cos``
    Target heading relative to agent heading (cos = 1: same direction).
``a_vel_toward``, ``t_vel_away``
    Agent velocity towards the target and target velocity away from the agent (cm/s).
``overlap``
    Fraction of the target's body keypoints inside the agent's body box
    (the box spanned by the agent's keypoints along and across its heading).
"""

CONTEXT_SIGNALS: tuple[str, ...] = (
    "a_speed",
    "a_ang_vel",
    "a_body_length_rel",
    "t_speed",
    "dist_centroid",
    "dist_nose_body",
)
"""Columns summarised over the context windows."""

CONTEXT_WINDOWS_S: tuple[tuple[str, float], ...] = (("250ms", 0.25), ("1s", 1.0), ("2s", 2.0))
"""Context windows: name used in column names, length in seconds."""

_BASE_RANGES: dict[str, tuple[float, float]] = {
    **{f"a_{k}": v for k, v in _OWN_RANGES.items()},
    **{f"t_{k}": v for k, v in _OWN_RANGES.items()},
    "a_nearest_other_dist": (0.0, DIST_CLIP),
    **_RELATION_RANGES,
}
_CONTEXT_NAMES: tuple[str, ...] = tuple(
    f"{signal}_{stat}_{window}"
    for window, _ in CONTEXT_WINDOWS_S
    for signal in CONTEXT_SIGNALS
    for stat in ("mean", "std")
)

PAIR_FEATURE_NAMES: tuple[str, ...] = (
    *_BASE_RANGES,
    *_CONTEXT_NAMES,
    "is_self",
    "anchors_observed",
)
"""Column names of :func:`pair_features`, in order."""

D_PAIR = len(PAIR_FEATURE_NAMES)
"""Width of the pair features (the same for every lab)."""

assert set(OWN_FEATURES) == set(_OWN_RANGES)


def _norm(v: np.ndarray) -> np.ndarray:
    # x*x + y*y is exactly what summing over the last axis of 2 gives, without
    # a reduction over a length-2 axis (numpy's slowest case)
    x, y = v[..., 0], v[..., 1]
    return np.sqrt(x * x + y * y)


def _ego(vec: np.ndarray, heading: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Components of ``vec`` along ``heading`` and 90 degrees counter-clockwise from it."""
    hx, hy = heading[..., 0], heading[..., 1]
    return vec[..., 0] * hx + vec[..., 1] * hy, hx * vec[..., 1] - hy * vec[..., 0]


_KP_CHUNK = 2048
"""Frames per block of :func:`_min_keypoint_distance` (bounds its temporary memory)."""


def _min_keypoint_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per frame, the smallest distance between a keypoint of ``a`` and one of ``b``.

    ``a``, ``b``: ``(frames, parts, 2)``; NaN when no pair of keypoints is known.
    All part pairs of a block of frames at once; the minimum is taken over
    squared distances and rooted once (``sqrt`` is monotonic and correctly
    rounded, so this equals the minimum of the distances exactly). Symmetric:
    ``_min_keypoint_distance(a, b) == _min_keypoint_distance(b, a)``.
    """
    n = a.shape[0]
    best = np.empty(n)
    for start in range(0, n, _KP_CHUNK):
        stop = min(n, start + _KP_CHUNK)
        dx = b[start:stop, None, :, 0] - a[start:stop, :, None, 0]
        dy = b[start:stop, None, :, 1] - a[start:stop, :, None, 1]
        d2 = (dx * dx + dy * dy).reshape(stop - start, -1)
        if d2.shape[1]:
            best[start:stop] = np.fmin.reduce(d2, axis=1)  # NaN only if nothing is known
        else:
            best[start:stop] = np.nan
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(best), np.sqrt(best), np.nan)


def _overlap(agent: MouseSignals, target: MouseSignals) -> np.ndarray:
    heading = agent.heading[:, None, :]
    ax, ay = _ego(agent.body - agent.center[:, None], heading)
    tx, ty = _ego(target.body - agent.center[:, None], heading)

    def bounds(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = np.isfinite(v)
        lo = np.where(ok, v, np.inf).min(axis=1, initial=np.inf)
        hi = np.where(ok, v, -np.inf).max(axis=1, initial=-np.inf)
        return lo[:, None], hi[:, None]

    (x0, x1), (y0, y1) = bounds(ax), bounds(ay)
    seen = np.isfinite(tx) & np.isfinite(ty)
    inside = seen & (tx >= x0) & (tx <= x1) & (ty >= y0) & (ty <= y1)
    n_seen = seen.sum(axis=1)
    known = (n_seen > 0) & np.isfinite(agent.heading).all(axis=1) & np.isfinite(x0[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known, inside.sum(axis=1) / n_seen, np.nan)


def _relation(
    agent: MouseSignals, target: MouseSignals, fps: float, min_kp: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    d = target.center - agent.center
    dist = _norm(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = d / dist[:, None]
    ha, ht = agent.heading, target.heading
    ego_x, ego_y = _ego(d, ha)
    nose_x, nose_y = _ego(agent.nose - target.center, ht)
    bearing_cos, bearing_sin = _ego(u, ha)
    t_bearing_cos, t_bearing_sin = _ego(-u, ht)
    rel_cos, rel_sin = _ego(ht, ha)
    return {
        "dist_nose_nose": _norm(target.nose - agent.nose),
        "dist_nose_body": _norm(target.center - agent.nose),
        "dist_nose_tail": _norm(target.tail - agent.nose),
        "dist_tnose_atail": _norm(agent.tail - target.nose),
        "dist_centroid": dist,
        "dist_min_keypoint": (
            _min_keypoint_distance(agent.body, target.body) if min_kp is None else min_kp
        ),
        "d_dist_centroid": time_derivative(dist, fps),
        "target_ego_x": ego_x,
        "target_ego_y": ego_y,
        "anose_in_t_x": nose_x,
        "anose_in_t_y": nose_y,
        "bearing_sin": bearing_sin,
        "bearing_cos": bearing_cos,
        "t_bearing_sin": t_bearing_sin,
        "t_bearing_cos": t_bearing_cos,
        "rel_heading_sin": rel_sin,
        "rel_heading_cos": rel_cos,
        "a_vel_toward": (agent.velocity * u).sum(axis=1),
        "t_vel_away": (target.velocity * u).sum(axis=1),
        "overlap": _overlap(agent, target),
    }


def _assemble(
    agent: MouseSignals,
    target: MouseSignals,
    nearest: np.ndarray,
    fps: float,
    is_self: bool,
    min_kp: np.ndarray | None = None,
) -> np.ndarray:
    n = agent.center.shape[0]
    zeros = np.zeros(n)
    cols: dict[str, np.ndarray] = {f"a_{k}": agent.own[k] for k in OWN_FEATURES}
    cols.update({f"t_{k}": zeros if is_self else target.own[k] for k in OWN_FEATURES})
    cols["a_nearest_other_dist"] = nearest
    if is_self:
        cols.update({k: zeros for k in RELATION_FEATURES})
    else:
        cols.update(_relation(agent, target, fps, min_kp))
    base = np.stack([np.clip(cols[k], *_BASE_RANGES[k]) for k in _BASE_RANGES], axis=1)

    signals = base[:, [list(_BASE_RANGES).index(s) for s in CONTEXT_SIGNALS]]
    context = []
    for _, seconds in CONTEXT_WINDOWS_S:
        mean, std = rolling_mean_std(signals, window_frames(seconds, fps))
        context.append(np.stack([mean, std], axis=2).reshape(n, -1))  # signal-major, mean/std

    ok = agent.anchors_ok if is_self else np.concatenate([agent.anchors_ok, target.anchors_ok], 1)
    flags = np.stack([np.full(n, float(is_self)), ok.mean(axis=1)], axis=1)
    out = np.concatenate([base, *context, flags], axis=1)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def _check_coords(coords_cm: np.ndarray, body_parts: Sequence[str], fps: float) -> np.ndarray:
    coords_cm = np.asarray(coords_cm)
    if coords_cm.ndim != 4 or coords_cm.shape[-1] != 2:
        raise ValueError(
            f"coords_cm must have shape (frames, mice, body_parts, 2), got {coords_cm.shape}"
        )
    if coords_cm.shape[2] != len(body_parts):
        raise ValueError(
            f"coords_cm has {coords_cm.shape[2]} body parts but {len(body_parts)} names were given"
        )
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    return coords_cm


def pair_features(
    coords_cm: np.ndarray, body_parts: Sequence[str], agent: int, target: int, fps: float
) -> np.ndarray:
    """Features of one ordered (agent, target) pair over a video.

    Parameters
    ----------
    coords_cm
        ``(frames, mice, body_parts, 2)`` in cm (:func:`~mabe.features.normalize.normalize_pose`),
        NaN where missing. Bridge short gaps first with
        :func:`~mabe.features.missing.interpolate_gaps` (as :func:`build_pair_features` does).
    body_parts
        Names of the body-part axis (any names: anchors are resolved by name,
        and a nose / tail base that no name gives is found from the pose, see
        :func:`~mabe.features.anchors.pose_anchors`).
    agent, target
        Mouse slot indices (0-based); ``agent == target`` for self actions.
    fps
        Frames per second (speeds are per second, windows in seconds).

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, D_PAIR)``, columns :data:`PAIR_FEATURE_NAMES`, no NaN.

    Raises
    ------
    ValueError
        On a wrong shape, names not matching the body-part axis, a slot out of
        range or a non-positive fps.

    Examples
    --------
    >>> xy = np.random.default_rng(0).normal(size=(20, 2, 4, 2))
    >>> out = pair_features(xy, ["nose", "ear_left", "ear_right", "tail_base"], 0, 1, fps=30.0)
    >>> out.shape == (20, D_PAIR), bool(np.isfinite(out).all())
    (True, True)
    """
    coords_cm = _check_coords(coords_cm, body_parts, fps)
    n_mice = coords_cm.shape[1]
    for name, slot in (("agent", agent), ("target", target)):
        if not 0 <= int(slot) < n_mice:
            raise ValueError(f"{name} slot {slot} out of range for {n_mice} mice (0-based)")
    anchors = pose_anchors(coords_cm, body_parts, fps)
    agent_signals = mouse_signals(coords_cm[:, agent], anchors, fps)
    is_self = int(agent) == int(target)
    target_signals = agent_signals if is_self else mouse_signals(coords_cm[:, target], anchors, fps)
    centers = anchor_points(coords_cm, anchors["body_center"])
    nearest = nearest_other_distance(centers, int(agent), DIST_CLIP)
    return _assemble(agent_signals, target_signals, nearest, fps, is_self)


def video_pairs(meta: VideoMeta, n_mice_in_pose: int) -> list[tuple[int, int]]:
    """Every ordered (agent_id, target_id) pair of a video, self pairs included.

    Mouse ids are 1-based. ``n_mice_in_pose`` (the pose array's mouse slots,
    at least ``meta.n_mice`` when read by :mod:`mabe.data.io`) decides which
    mice exist: features can only be computed for mice with a slot.

    Examples
    --------
    >>> meta = VideoMeta("train", "lab", 1, 30.0, 2, ("nose",), ())
    >>> video_pairs(meta, 2)
    [(1, 1), (1, 2), (2, 1), (2, 2)]
    """
    if int(n_mice_in_pose) < 1:
        raise ValueError(f"{meta.key}: pose has no mouse slots")
    mice = range(1, int(n_mice_in_pose) + 1)
    return [(a, t) for a in mice for t in mice]


def build_pair_features(
    pose: Pose, meta: VideoMeta, pairs: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Pair features of a video for the given (agent_id, target_id) pairs.

    normalize (centred cm) -> interpolate gaps up to :data:`PAIR_MAX_GAP_S`
    -> per-mouse signals (computed once per mouse) -> :func:`pair_features`
    columns for each pair.

    Parameters
    ----------
    pose, meta
        The video's pose and metadata (``meta.fps`` sets time units and windows).
    pairs
        ``(agent_id, target_id)`` with 1-based mouse ids (:func:`video_pairs`).

    Returns
    -------
    numpy.ndarray
        ``float32 (len(pairs), frames, D_PAIR)``, no NaN.

    Raises
    ------
    ValueError
        If a mouse id has no slot in the pose, or the fps is not positive.
    """
    key = tuple((int(a), int(t)) for a, t in pairs)
    out = shared.lookup(pose, meta, key)
    if out is None:
        out = _build_pair_features(pose, meta, pairs)
        shared.remember(pose, meta, key, out)
    return out


def _build_pair_features(
    pose: Pose, meta: VideoMeta, pairs: Sequence[tuple[int, int]]
) -> np.ndarray:
    fps = float(meta.fps)
    coords = _check_coords(normalize_pose(pose, meta), pose.body_parts, fps)
    n_frames, n_mice = coords.shape[:2]
    for agent_id, target_id in pairs:
        if not (1 <= int(agent_id) <= n_mice and 1 <= int(target_id) <= n_mice):
            raise ValueError(
                f"{meta.key}: pair ({agent_id}, {target_id}) names a mouse outside 1..{n_mice}"
            )
    coords = interpolate_gaps(coords, max_gap=max(1, int(round(PAIR_MAX_GAP_S * fps))))
    out = np.empty((len(pairs), n_frames, D_PAIR), dtype=np.float32)
    if not pairs:
        return out
    anchors = pose_anchors(coords, pose.body_parts, fps)
    # every mouse's signals once (all are needed for the nearest-other distance anyway)
    signals = [mouse_signals(coords[:, m], anchors, fps) for m in range(n_mice)]
    centers = np.stack([s.center for s in signals], axis=1)
    nearest = [nearest_other_distance(centers, m, DIST_CLIP) for m in range(n_mice)]
    min_kp: dict[tuple[int, int], np.ndarray] = {}  # symmetric: once per unordered pair
    for i, (agent_id, target_id) in enumerate(pairs):
        a, t = int(agent_id) - 1, int(target_id) - 1
        key = (min(a, t), max(a, t))
        if a != t and key not in min_kp:
            min_kp[key] = _min_keypoint_distance(signals[a].body, signals[t].body)
        out[i] = _assemble(signals[a], signals[t], nearest[a], fps, a == t, min_kp.get(key))
    return out
