"""One video → model inputs and targets on its time grid (shared by training, evaluation, inference)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import nn

from mabe import features
from mabe.config import Config
from mabe.data.types import Video, VideoMeta
from mabe.errors import ConfigError
from mabe.models import MODELS, WithContext, log_fps
from mabe.training.labels import (
    Pair,
    pair_action_mask,
    pair_intervals,
    remap_intervals,
    seed4_frame_labels,
)
from mabe.training.windows import time_grid


@dataclass
class VideoSample:
    """A video's inputs and targets on its time grid.

    Attributes
    ----------
    key
        ``"lab_id/video_id"``.
    grid
        Original-frame index of each grid point, ``(n,)``.
    n_frames
        Frames of the original video.
    features
        seed4: ``(n, input_dim)``; actions: ``(P, n, input_dim)``.
    pairs
        actions: the ``(agent_id, target_id)`` of each feature row; seed4: empty.
    labels
        seed4: ``(n,)`` int64 classes (all ``Other`` without annotations); ``None`` for actions.
    intervals
        actions: per pair, ``(m, 3)`` ``[action, start, stop)`` bouts in grid points.
    mask
        actions: ``(P, A)`` bool, which (pair, action) entries are supervised.
    lab
        Index of the video's lab in ``config.lab_vocabulary`` plus one (0: unknown lab).
    log_fps
        ``log(native fps / 30)`` of the video.
    """

    key: str
    grid: np.ndarray
    n_frames: int
    features: np.ndarray
    pairs: list[Pair] = field(default_factory=list)
    labels: np.ndarray | None = None
    intervals: list[np.ndarray] | None = None
    mask: np.ndarray | None = None
    lab: int = 0
    log_fps: float = 0.0

    @property
    def n(self) -> int:
        """Grid points."""
        return int(len(self.grid))

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the features and grid."""
        return int(self.features.nbytes + self.grid.nbytes)


def feature_width(config: Config) -> int:
    """Columns produced by the configured feature set (before padding)."""
    if config.feature_set == "pair":
        return int(features.D_PAIR)
    return int(features.frame_feature_dim(_feature_set(config), config.num_mice, config.num_keypoints))


def _feature_set(config: Config) -> str:
    """Return ``config.feature_set`` (always set once the config is validated)."""
    if config.feature_set is None:
        raise ConfigError("feature_set is not set; load the config through mabe.config so it is resolved")
    return config.feature_set


def resolve_input_dim(config: Config) -> int:
    """``input_dim`` to build the model with: the feature width, or the configured larger value.

    Raises
    ------
    ConfigError
        If ``input_dim`` is smaller than the feature width.
    """
    width = feature_width(config)
    if config.input_dim is None:
        return width
    if config.input_dim < width:
        raise ConfigError(
            f"input_dim {config.input_dim} is smaller than the {width} columns of "
            f"feature_set '{config.feature_set}' (num_mice {config.num_mice}, "
            f"num_keypoints {config.num_keypoints}); set input_dim: null to use {width}"
        )
    return int(config.input_dim)


def _pad_columns(array: np.ndarray, width: int, dtype: str) -> np.ndarray:
    array = np.nan_to_num(np.asarray(array, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    extra = width - array.shape[-1]
    if extra < 0:
        raise ValueError(f"features have {array.shape[-1]} columns, more than input_dim {width}")
    if extra:
        pad = [(0, 0)] * (array.ndim - 1) + [(0, extra)]
        array = np.pad(array, pad)
    return array.astype(dtype, copy=False)


def video_grid(meta: VideoMeta, n_frames: int, config: Config) -> np.ndarray:
    """Return the video's time grid under ``config.fps`` and ``config.frame_gap``."""
    return time_grid(n_frames, meta.fps, config.fps, config.frame_gap)


def all_pairs(video: Video) -> list[Pair]:
    """Every ordered (agent, target) pair of the video's mice, self pairs included."""
    return [(int(a), int(t)) for a, t in features.video_pairs(video.meta, video.pose.n_mice)]


def video_inputs(
    video: Video, config: Config, input_dim: int, dtype: str = "float32", pairs: list[Pair] | None = None
) -> tuple[np.ndarray, np.ndarray, list[Pair]]:
    """Features of one video on its time grid, zero-padded to ``input_dim`` columns.

    ``pairs`` (actions scheme) restricts the pair features to those pairs;
    default: :func:`all_pairs`.

    Returns
    -------
    features
        seed4: ``(n, input_dim)``; actions: ``(P, n, input_dim)``.
    grid
        ``(n,)`` original-frame index of each grid point.
    pairs
        actions: ``(agent_id, target_id)`` per feature row (self pairs included); seed4: ``[]``.
    """
    grid = video_grid(video.meta, video.n_frames, config)
    if config.feature_set == "pair":
        pairs = all_pairs(video) if pairs is None else list(pairs)
        if not pairs:
            return np.zeros((0, len(grid), input_dim), dtype=dtype), grid, []
        feats = features.build_pair_features(video.pose, video.meta, pairs)
        return _pad_columns(np.asarray(feats)[:, grid], input_dim, dtype), grid, pairs
    feats = features.build_frame_features(
        video.pose,
        video.meta,
        _feature_set(config),
        max_mice=config.num_mice,
        max_body_parts=config.num_keypoints,
    )
    return _pad_columns(np.asarray(feats)[grid], input_dim, dtype), grid, []


def lab_index(config: Config, lab_id: str) -> int:
    """Return the lab's embedding slot: its position in ``config.lab_vocabulary`` plus one, 0 when unknown.

    Examples
    --------
    >>> cfg = Config(model_type="tcn_bigru", lab_vocabulary=["A", "B"])
    >>> lab_index(cfg, "B"), lab_index(cfg, "Z")
    (2, 0)
    """
    labs = config.lab_vocabulary or []
    return labs.index(lab_id) + 1 if lab_id in labs else 0


def lab_update(config: Config, metas: list[VideoMeta]) -> dict[str, list[str]]:
    """``{"lab_vocabulary": sorted labs of metas}`` for a lab-conditioned model without one, else ``{}``.

    prepare passes the training videos (not the validation ones), so a lab held out
    whole is scored as an unknown lab, as it would be met after training.
    """
    uses_labs = getattr(MODELS.get(config.model_type), "accepts_context", False)
    if not uses_labs or config.lab_vocabulary is not None:
        return {}
    return {"lab_vocabulary": sorted({m.lab_id for m in metas})}


def video_context(video: Video, config: Config) -> tuple[int, float]:
    """``(lab index, log-fps)`` of a video: what a lab-conditioned model is told besides the features."""
    return lab_index(config, video.meta.lab_id), log_fps(video.meta.fps)


def bind_context(model: nn.Module, video: Video, config: Config) -> nn.Module:
    """``model`` with ``video``'s lab and frame rate bound, for code that calls ``model(x)``.

    Models that take no lab are returned as they are.
    """
    if not getattr(model, "accepts_context", False):
        return model
    return WithContext(model, *video_context(video, config))


def build_sample(
    video: Video, config: Config, input_dim: int, actions: list[str], dtype: str | None = None
) -> VideoSample:
    """Build the inputs and targets of one labelled video (missing annotations mean no bouts).

    actions scheme: only pairs with at least one whitelisted action are kept
    (the others have nothing to learn from), which saves memory and time.
    """
    dtype = dtype or config.feature_dtype
    lab, fps = video_context(video, config)
    if config.is_seed4:
        feats, grid, _ = video_inputs(video, config, input_dim, dtype)
        # a whitelisted video without an annotation file had no bouts: every frame is Other
        full = seed4_frame_labels(video.annotations, video.n_frames, config.seed4_groups)
        return VideoSample(video.meta.key, grid, video.n_frames, feats, labels=full[grid], lab=lab, log_fps=fps)
    pairs = all_pairs(video)
    mask = pair_action_mask(video.meta, pairs, actions)
    keep = [p for p in range(len(pairs)) if mask[p].any()]
    pairs = [pairs[p] for p in keep]
    feats, grid, pairs = video_inputs(video, config, input_dim, dtype, pairs)
    bouts = pair_intervals(video.annotations, pairs, actions)
    intervals = [remap_intervals(b, grid) for b in bouts]
    return VideoSample(video.meta.key, grid, video.n_frames, feats, pairs, None, intervals, mask[keep], lab, fps)
