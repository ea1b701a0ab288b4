"""Training data of the tree models: :class:`TreeSettings` and per-video training rows.

Training rows: for every training video (streamed, one in memory at a time),
each pair with at least one whitelisted action contributes its frames every
:attr:`TreeSettings.frame_stride_s` seconds (features are computed at the
native frame rate first; at most :attr:`TreeSettings.max_frames_per_video`
frames per video); each action then keeps the rows where it is whitelisted,
all positives and a share :attr:`TreeSettings.negative_rate` of the negatives.
These rows are what the per-video feature cache stores
(:mod:`mabe.training.feature_cache`), so folds and reruns share them.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mabe.data.io import MabeDataset
from mabe.data.types import Video, VideoMeta
from mabe.features.context import CONTEXT_STATS
from mabe.features.pairwise import PAIR_FEATURE_NAMES
from mabe.features.tree_features import (
    DEFAULT_WINDOWS_S,
    TREE_CONTEXT_SIGNALS,
    iter_tree_features,
    tree_feature_names,
)
from mabe.models.trees import lgbm_params, subsample_negatives
from mabe.progress import track
from mabe.training.feature_cache import FeatureCache, meta_stamp
from mabe.training.labels import intervals_to_dense, pair_action_mask, pair_intervals
from mabe.training.samples import all_pairs


class TreeSettings(BaseModel):
    """Settings of a tree model: features, training rows and LightGBM.

    Attributes
    ----------
    context_windows_s
        Context windows in seconds (:func:`~mabe.features.context.multiscale_context`).
    context_stats
        Context statistics (:data:`~mabe.features.context.CONTEXT_STATS`).
    context_signals
        Pair-feature columns summarised over the windows
        (:data:`~mabe.features.tree_features.TREE_CONTEXT_SIGNALS`).
    frame_stride_s
        Training rows are taken every this many seconds (at least every
        frame; ``0`` = every frame). Bounds memory on long videos.
    max_frames_per_video
        At most this many training frames per video: the stride grows for
        longer videos (bounds memory on hour-long recordings).
    negative_rate
        Share of each action's negative rows kept for training (all
        positives are kept); corrected for in the predicted probabilities.
    internal_valid_fraction
        An action with no validation rows (no validation videos, or none
        whitelisting it) stops early on this share of its training videos
        held out, then is refitted on all of them (0: train every round).
    num_leaves, learning_rate, n_estimators, early_stopping_rounds,
    min_data_in_leaf, feature_fraction, bagging_fraction, lambda_l2, max_bin
        LightGBM; early stopping needs validation videos.
    num_threads
        LightGBM threads; ``None`` = ``$OMP_NUM_THREADS`` if set, else 2.
    seed
        Seeds the negative subsampling and LightGBM: the same data, settings and
        thread count give the same model.
    """

    model_config = ConfigDict(extra="forbid")

    context_windows_s: tuple[float, ...] = DEFAULT_WINDOWS_S
    context_stats: tuple[str, ...] = CONTEXT_STATS
    context_signals: tuple[str, ...] = TREE_CONTEXT_SIGNALS
    frame_stride_s: float = Field(default=1.0 / 15.0, ge=0.0)
    max_frames_per_video: int = Field(default=20_000, ge=1)
    negative_rate: float = Field(default=0.5, gt=0.0, le=1.0)
    internal_valid_fraction: float = Field(default=0.2, ge=0.0, lt=1.0)
    num_leaves: int = Field(default=31, ge=2)
    learning_rate: float = Field(default=0.05, gt=0.0)
    n_estimators: int = Field(default=400, ge=1)
    early_stopping_rounds: int = Field(default=30, ge=1)
    min_data_in_leaf: int = Field(default=20, ge=1)
    feature_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    bagging_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    lambda_l2: float = Field(default=1.0, ge=0.0)
    max_bin: int = Field(default=63, ge=4)
    num_threads: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)

    @field_validator("context_windows_s")
    @classmethod
    def _positive_windows(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not (np.isfinite(w) and w > 0) for w in value):
            raise ValueError(f"context windows must be positive seconds, got {list(value)}")
        return value

    @field_validator("context_stats", "context_signals")
    @classmethod
    def _known_names(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known, message = {
            "context_stats": (CONTEXT_STATS, f"unknown context statistics {{}}; choose from {list(CONTEXT_STATS)}"),
            "context_signals": (PAIR_FEATURE_NAMES, "context signals {} are not pair features"),
        }[str(info.field_name)]
        unknown = [s for s in value if s not in known]
        if unknown:
            raise ValueError(message.format(unknown))
        return value

    def threads(self) -> int:
        """LightGBM threads to use."""
        if self.num_threads is not None:
            return int(self.num_threads)
        env = os.environ.get("OMP_NUM_THREADS", "")
        return max(1, int(env)) if env.isdigit() else 2

    def feature_names(self) -> list[str]:
        """Columns of the features (without the lab, which the model adds)."""
        return tree_feature_names(self.context_windows_s, self.context_stats, self.context_signals)

    def feature_args(self) -> tuple[tuple[float, ...], tuple[str, ...], tuple[str, ...]]:
        """``(windows_s, stats, signals)`` for :func:`~mabe.features.tree_features.iter_tree_features`."""
        return self.context_windows_s, self.context_stats, self.context_signals

    def rows_key(self, actions: Sequence[str]) -> dict[str, Any]:
        """Return what the cached training rows of a video depend on (besides its files)."""
        return {
            "kind": "tree-rows",
            "context_windows_s": list(self.context_windows_s),
            "context_stats": list(self.context_stats),
            "context_signals": list(self.context_signals),
            "frame_stride_s": self.frame_stride_s,
            "max_frames_per_video": self.max_frames_per_video,
            "negative_rate": self.negative_rate,
            "seed": self.seed,
            "actions": list(actions),
        }

    def params(self) -> dict[str, Any]:
        """LightGBM parameters (:func:`mabe.models.trees.lgbm_params`)."""
        return lgbm_params(
            num_leaves=self.num_leaves, learning_rate=self.learning_rate,
            min_data_in_leaf=self.min_data_in_leaf, feature_fraction=self.feature_fraction,
            bagging_fraction=self.bagging_fraction, lambda_l2=self.lambda_l2, max_bin=self.max_bin,
            num_threads=self.threads(), seed=self.seed,
        )


def stride_frames(fps: float, stride_s: float, n_frames: int = 0, max_frames: int | None = None) -> int:
    """Return the frames between training rows.

    ``stride_s`` seconds, at least 1 frame, and wide enough that a video of
    ``n_frames`` gives at most ``max_frames`` rows.

    Examples
    --------
    >>> stride_frames(30.0, 1 / 15), stride_frames(120.0, 1 / 15), stride_frames(10.0, 1 / 15)
    (2, 8, 1)
    >>> stride_frames(30.0, 1 / 15, n_frames=100_000, max_frames=20_000)
    5
    """
    step = max(1, round(float(stride_s) * float(fps)))
    if max_frames is not None and n_frames > 0:
        step = max(step, -(-int(n_frames) // int(max_frames)))
    return step


def _video_rng(seed: int, meta: VideoMeta) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(meta.lab_id.encode()), int(meta.video_id)])


def training_rows(video: Video, actions: Sequence[str], settings: TreeSettings) -> dict[str, np.ndarray]:
    """Build the training rows of one labelled video.

    Returns
    -------
    dict
        ``x`` ``float32 (rows, D)``; ``y`` ``uint8 (rows, A)``; ``use`` ``bool
        (rows, A)`` (whitelisted, and kept by the negative subsampling);
        ``frame`` and ``pair`` ``int32 (rows,)`` (frame index and index into
        :func:`~mabe.training.samples.all_pairs`). Rows no action uses are dropped.
    """
    actions = list(actions)
    pairs = all_pairs(video)
    mask = pair_action_mask(video.meta, pairs, actions)
    keep = [p for p in range(len(pairs)) if mask[p].any()]
    width = len(settings.feature_names())
    step = stride_frames(video.meta.fps, settings.frame_stride_s, video.n_frames, settings.max_frames_per_video)
    frames = np.arange(0, video.n_frames, step)
    rng = _video_rng(settings.seed, video.meta)
    kept_pairs = [pairs[p] for p in keep]
    bouts = pair_intervals(video.annotations, kept_pairs, actions)
    xs, ys, uses, pair_idx, frame_idx = [], [], [], [], []
    features = iter_tree_features(
        video.pose, video.meta, kept_pairs, *settings.feature_args()
    )
    for k, rows in enumerate(features):
        y = intervals_to_dense(bouts[k], video.n_frames, len(actions))[frames].astype(np.uint8)
        use = np.broadcast_to(mask[keep[k]], y.shape)
        use = subsample_negatives(y, use, settings.negative_rate, rng)
        sel = np.flatnonzero(use.any(axis=1))
        xs.append(rows[frames[sel]])
        ys.append(y[sel])
        uses.append(use[sel])
        pair_idx.append(np.full(len(sel), keep[k], dtype=np.int32))
        frame_idx.append(frames[sel].astype(np.int32))
    if not xs:
        return {
            "x": np.zeros((0, width), np.float32), "y": np.zeros((0, len(actions)), np.uint8),
            "use": np.zeros((0, len(actions)), bool), "frame": np.zeros(0, np.int32),
            "pair": np.zeros(0, np.int32),
        }
    return {
        "x": np.concatenate(xs), "y": np.concatenate(ys), "use": np.concatenate(uses),
        "frame": np.concatenate(frame_idx), "pair": np.concatenate(pair_idx),
    }


def collect_rows(
    dataset: MabeDataset,
    metas: Sequence[VideoMeta],
    actions: Sequence[str],
    settings: TreeSettings,
    cache: FeatureCache | None = None,
    progress: bool = True,
    description: str = "tree features",
) -> dict[str, Any]:
    """Training rows of many videos, streamed one video at a time (through ``cache`` when given).

    Returns
    -------
    dict
        ``x``, ``y``, ``use`` pooled over the videos, ``lab`` (``(rows,)``
        lab id per row, object array), ``group`` (``(rows,)`` index of the
        row's video in ``metas``) and ``seconds`` spent building features.
    """
    parts: dict[str, list[np.ndarray]] = {"x": [], "y": [], "use": [], "lab": [], "group": []}
    seconds = 0.0
    items = track(list(metas), description) if progress else list(metas)
    for index, meta in enumerate(items):

        def build(meta: VideoMeta = meta) -> dict[str, np.ndarray]:
            nonlocal seconds
            video = dataset.load_video(meta)
            start = time.perf_counter()
            out = training_rows(video, actions, settings)
            seconds += time.perf_counter() - start
            return out

        if cache is None:
            rows = build()
        else:
            sources = [dataset.tracking_path(meta), dataset.annotation_path(meta)]
            rows = cache.get_or_build(meta.key, sources, build, extra=meta_stamp(meta))
        for key in ("x", "y", "use"):
            parts[key].append(rows[key])
        parts["lab"].append(np.full(len(rows["x"]), meta.lab_id, dtype=object))
        parts["group"].append(np.full(len(rows["x"]), index, dtype=np.int32))
    width, n_actions = len(settings.feature_names()), len(actions)
    out: dict[str, Any] = {
        "x": np.concatenate(parts["x"]) if parts["x"] else np.zeros((0, width), np.float32),
        "y": np.concatenate(parts["y"]) if parts["y"] else np.zeros((0, n_actions), np.uint8),
        "use": np.concatenate(parts["use"]) if parts["use"] else np.zeros((0, n_actions), bool),
        "lab": np.concatenate(parts["lab"]) if parts["lab"] else np.zeros(0, object),
        "group": np.concatenate(parts["group"]) if parts["group"] else np.zeros(0, np.int32),
        "seconds": seconds,
    }
    return out
