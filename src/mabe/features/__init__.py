"""Pure array-in, array-out feature functions (no I/O).

Frame features (``seed4`` scheme): :func:`build_frame_features` with
``feature_set`` ``"raw"`` (144 columns) or ``"raw+motion"`` (288).
Pair features (``actions`` scheme): :func:`build_pair_features`, one
``(frames, D_PAIR)`` block per ordered (agent, target) pair of :func:`video_pairs`.
Tree features (gradient-boosted trees): :func:`build_tree_features`, the pair
features plus :func:`multiscale_context` of the most informative signals.
"""

from mabe.features.anchors import (
    ANCHORS,
    anchor_points,
    body_axis_parts,
    pose_anchors,
    resolve_anchors,
)
from mabe.features.context import (
    CONTEXT_STATS,
    context_names,
    lag_differences,
    multiscale_context,
    rolling_min_max,
    rolling_stats,
)
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
from mabe.features.temporal import (
    angular_velocity,
    rolling_mean_std,
    time_derivative,
    window_frames,
)
from mabe.features.tree_features import (
    DEFAULT_WINDOWS_S,
    TREE_CONTEXT_SIGNALS,
    build_tree_features,
    iter_tree_features,
    tree_feature_names,
    tree_rows,
)

__all__ = [
    "ANCHORS",
    "CONTEXT_SIGNALS",
    "CONTEXT_STATS",
    "CONTEXT_WINDOWS_S",
    "DEFAULT_PIX_PER_CM",
    "DEFAULT_WINDOWS_S",
    "DIST_CLIP",
    "D_PAIR",
    "FRAME_FEATURE_SETS",
    "PAIR_FEATURE_NAMES",
    "PAIR_MAX_GAP_S",
    "RELATION_FEATURES",
    "SPEED_CLIP",
    "TREE_CONTEXT_SIGNALS",
    "anchor_points",
    "angular_velocity",
    "body_axis_parts",
    "build_frame_features",
    "build_pair_features",
    "build_tree_features",
    "context_names",
    "fill_missing",
    "frame_feature_dim",
    "interpolate_gaps",
    "iter_tree_features",
    "keypoint_motion",
    "lag_differences",
    "motion_features",
    "multiscale_context",
    "normalize_pose",
    "pair_features",
    "pose_anchors",
    "raw_features",
    "resolve_anchors",
    "resolve_pix_per_cm",
    "rolling_mean_std",
    "rolling_min_max",
    "rolling_stats",
    "time_derivative",
    "to_centered_cm",
    "tree_feature_names",
    "tree_rows",
    "video_pairs",
    "window_frames",
]
