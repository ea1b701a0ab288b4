"""Pure array-in, array-out feature functions (no I/O).

Frame features (``seed4`` scheme): :func:`build_frame_features` with
``feature_set`` ``"raw"`` (144 columns) or ``"raw+motion"`` (288).
"""

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
from mabe.features.raw import motion_features, raw_features

__all__ = [
    "DEFAULT_PIX_PER_CM",
    "FRAME_FEATURE_SETS",
    "build_frame_features",
    "fill_missing",
    "frame_feature_dim",
    "interpolate_gaps",
    "keypoint_motion",
    "motion_features",
    "normalize_pose",
    "raw_features",
    "resolve_pix_per_cm",
    "to_centered_cm",
]
