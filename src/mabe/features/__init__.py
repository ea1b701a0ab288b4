"""Pure array-in, array-out feature functions (no I/O).

Frame features (``seed4`` scheme): :func:`build_frame_features` with
``feature_set`` ``"raw"`` (144 columns) or ``"raw+motion"`` (288).
Pair features (``actions`` scheme): :func:`build_pair_features`, one
``(frames, D_PAIR)`` block per ordered (agent, target) pair of :func:`video_pairs`.
"""

from mabe.features.anchors import ANCHORS, anchor_points, body_axis_parts, pose_anchors, resolve_anchors
from mabe.features.frame import (
    FRAME_FEATURE_SETS,
    build_frame_features,
    frame_feature_dim,
    keypoint_motion,
)
from mabe.features.missing import fill_missing, interpolate_gaps
from mabe.features.normalize import (
    DEFAULT_PIX_PER_CM,
    normalize_pose,
    resolve_pix_per_cm,
    to_centered_cm,
)
from mabe.features.pairwise import (
    CONTEXT_SIGNALS,
    CONTEXT_WINDOWS_S,
    D_PAIR,
    DIST_CLIP,
    PAIR_FEATURE_NAMES,
    PAIR_MAX_GAP_S,
    RELATION_FEATURES,
    SPEED_CLIP,
    build_pair_features,
    pair_features,
    video_pairs,
)
from mabe.features.raw import motion_features, raw_features
from mabe.features.temporal import angular_velocity, rolling_mean_std, time_derivative, window_frames

__all__ = [
    "ANCHORS",
    "CONTEXT_SIGNALS",
    "CONTEXT_WINDOWS_S",
    "DEFAULT_PIX_PER_CM",
    "DIST_CLIP",
    "D_PAIR",
    "FRAME_FEATURE_SETS",
    "PAIR_FEATURE_NAMES",
    "PAIR_MAX_GAP_S",
    "RELATION_FEATURES",
    "SPEED_CLIP",
    "anchor_points",
    "body_axis_parts",
    "angular_velocity",
    "build_frame_features",
    "build_pair_features",
    "fill_missing",
    "frame_feature_dim",
    "interpolate_gaps",
    "keypoint_motion",
    "motion_features",
    "normalize_pose",
    "pair_features",
    "pose_anchors",
    "raw_features",
    "resolve_anchors",
    "resolve_pix_per_cm",
    "rolling_mean_std",
    "time_derivative",
    "to_centered_cm",
    "video_pairs",
    "window_frames",
]
