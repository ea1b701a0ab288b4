"""Fit and load gradient-boosted tree models (``model_type: lgbm``).

A tree-model directory holds::

    OUT/trees_model.txt         the model (:meth:`mabe.models.trees.ActionTrees.to_string`)
    OUT/tree_settings.json      the :class:`TreeSettings` it was fitted with
    OUT/feature_importance.csv  action, feature, gain (total gain of the feature's splits)
    OUT/summary.json            what :func:`fit_trees` returned (``"kind": "lgbm"``)

Training rows: for every training video (streamed, one in memory at a time),
each pair with at least one whitelisted action contributes its frames every
:attr:`TreeSettings.frame_stride_s` seconds (features are computed at the
native frame rate first); each action then keeps the rows where it is
whitelisted, all positives and a share :attr:`TreeSettings.negative_rate` of
the negatives. These rows are what the per-video feature cache stores
(:mod:`mabe.training.feature_cache`), so folds and reruns share them.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mabe.data.io import MabeDataset
from mabe.data.types import Video, VideoMeta
from mabe.errors import MabeError
from mabe.features.context import CONTEXT_STATS
from mabe.features.tree_features import (
    DEFAULT_WINDOWS_S,
    iter_tree_features,
    tree_feature_names,
)
from mabe.fileio import atomic_write_text
from mabe.models.trees import (
    ActionTrees,
    fit_action_trees,
    lgbm_params,
    subsample_negatives,
)
from mabe.progress import track
from mabe.training.feature_cache import (
    FEATURE_CODE_VERSION,
    FeatureCache,
    resolve_cache_dir,
)
from mabe.training.inference import Prediction
from mabe.training.labels import intervals_to_dense, pair_action_mask, pair_intervals
from mabe.training.samples import all_pairs

MODEL_FILE = "trees_model.txt"
SETTINGS_FILE = "tree_settings.json"
IMPORTANCE_FILE = "feature_importance.csv"
SUMMARY_FILE = "summary.json"


class TreeSettings(BaseModel):
    """Settings of a tree model: features, training rows and LightGBM.

    Attributes
    ----------
    context_windows_s
        Context windows in seconds (:func:`~mabe.features.context.multiscale_context`).
    context_stats
        Context statistics (:data:`~mabe.features.context.CONTEXT_STATS`).
    frame_stride_s
        Training rows are taken every this many seconds (at least every
        frame; ``0`` = every frame). Bounds memory on long videos.
    negative_rate
        Share of each action's negative rows kept for training (all
        positives are kept); corrected for in the predicted probabilities.
    num_leaves, learning_rate, n_estimators, early_stopping_rounds,
    min_data_in_leaf, feature_fraction, bagging_fraction, lambda_l2, max_bin
        LightGBM; early stopping needs validation videos.
    num_threads
        LightGBM threads; ``None`` = ``$OMP_NUM_THREADS`` if set, else 2.
    seed
        Seeds the negative subsampling and LightGBM (results are deterministic).
    """

    model_config = ConfigDict(extra="forbid")

    context_windows_s: tuple[float, ...] = DEFAULT_WINDOWS_S
    context_stats: tuple[str, ...] = CONTEXT_STATS
    frame_stride_s: float = Field(1.0 / 15.0, ge=0.0)
    negative_rate: float = Field(0.5, gt=0.0, le=1.0)
    num_leaves: int = Field(31, ge=2)
    learning_rate: float = Field(0.05, gt=0.0)
    n_estimators: int = Field(400, ge=1)
    early_stopping_rounds: int = Field(30, ge=1)
    min_data_in_leaf: int = Field(20, ge=1)
    feature_fraction: float = Field(0.8, gt=0.0, le=1.0)
    bagging_fraction: float = Field(0.8, gt=0.0, le=1.0)
    lambda_l2: float = Field(1.0, ge=0.0)
    max_bin: int = Field(63, ge=4)
    num_threads: int | None = Field(None, ge=1)
    seed: int = Field(0, ge=0)

    @field_validator("context_windows_s")
    @classmethod
    def _positive_windows(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not (np.isfinite(w) and w > 0) for w in value):
            raise ValueError(f"context windows must be positive seconds, got {list(value)}")
        return value

    @field_validator("context_stats")
    @classmethod
    def _known_stats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in CONTEXT_STATS]
        if unknown:
            raise ValueError(f"unknown context statistics {unknown}; choose from {list(CONTEXT_STATS)}")
        return value

    def threads(self) -> int:
        """LightGBM threads to use."""
        if self.num_threads is not None:
            return int(self.num_threads)
        env = os.environ.get("OMP_NUM_THREADS", "")
        return max(1, int(env)) if env.isdigit() else 2

    def feature_names(self) -> list[str]:
        """Columns of the features (without the lab, which the model adds)."""
        return tree_feature_names(self.context_windows_s, self.context_stats)

    def rows_key(self, actions: Sequence[str]) -> dict[str, Any]:
        """What the cached training rows of a video depend on (besides its files)."""
        return {
            "kind": "tree-rows",
            "context_windows_s": list(self.context_windows_s),
            "context_stats": list(self.context_stats),
            "frame_stride_s": self.frame_stride_s,
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


def stride_frames(fps: float, stride_s: float) -> int:
    """Frames between training rows (at least 1).

    Examples
    --------
    >>> stride_frames(30.0, 1 / 15), stride_frames(120.0, 1 / 15), stride_frames(10.0, 1 / 15)
    (2, 8, 1)
    """
    return max(1, round(float(stride_s) * float(fps)))


def _video_rng(seed: int, meta: VideoMeta) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(meta.lab_id.encode()), int(meta.video_id)])


def training_rows(video: Video, actions: Sequence[str], settings: TreeSettings) -> dict[str, np.ndarray]:
    """The training rows of one labelled video.

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
    frames = np.arange(0, video.n_frames, stride_frames(video.meta.fps, settings.frame_stride_s))
    rng = _video_rng(settings.seed, video.meta)
    kept_pairs = [pairs[p] for p in keep]
    bouts = pair_intervals(video.annotations, kept_pairs, actions)
    xs, ys, uses, pair_idx, frame_idx = [], [], [], [], []
    features = iter_tree_features(
        video.pose, video.meta, kept_pairs, settings.context_windows_s, settings.context_stats
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


def _meta_stamp(meta: VideoMeta) -> dict[str, Any]:
    return {k: v for k, v in vars(meta).items() if k not in ("split",)}


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
        lab id per row, object array) and ``seconds`` spent building features.
    """
    parts: dict[str, list[np.ndarray]] = {"x": [], "y": [], "use": [], "lab": []}
    seconds = 0.0
    items = track(list(metas), description) if progress else list(metas)
    for meta in items:

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
            rows = cache.get_or_build(meta.key, sources, build, extra=_meta_stamp(meta))
        for key in ("x", "y", "use"):
            parts[key].append(rows[key])
        parts["lab"].append(np.full(len(rows["x"]), meta.lab_id, dtype=object))
    width, n_actions = len(settings.feature_names()), len(actions)
    out: dict[str, Any] = {
        "x": np.concatenate(parts["x"]) if parts["x"] else np.zeros((0, width), np.float32),
        "y": np.concatenate(parts["y"]) if parts["y"] else np.zeros((0, n_actions), np.uint8),
        "use": np.concatenate(parts["use"]) if parts["use"] else np.zeros((0, n_actions), bool),
        "lab": np.concatenate(parts["lab"]) if parts["lab"] else np.zeros(0, object),
        "seconds": seconds,
    }
    return out


def _lab_codes(labs: Sequence[str], row_labs: np.ndarray) -> np.ndarray:
    index = {lab: float(i) for i, lab in enumerate(labs)}
    return np.array([index.get(lab, np.nan) for lab in row_labs], dtype=np.float32)


def _importance_csv(model: ActionTrees) -> str:
    lines = ["action,feature,gain"]
    for action, gains in model.feature_importance().items():
        for name, gain in sorted(gains.items(), key=lambda kv: -kv[1]):
            lines.append(f"{action},{name},{gain:.6g}")
    return "\n".join(lines) + "\n"


def fit_trees(
    dataset: MabeDataset,
    train_metas: Sequence[VideoMeta],
    valid_metas: Sequence[VideoMeta],
    actions: Sequence[str],
    settings: TreeSettings | None,
    out_dir: str | Path,
    progress: bool = True,
    *,
    cache_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Fit one LightGBM model per action and write a tree-model directory.

    Parameters
    ----------
    dataset
        The labelled dataset the videos come from.
    train_metas, valid_metas
        Training videos, and validation videos for early stopping (may be empty).
    actions
        Action vocabulary (output order of the predictions).
    settings
        :class:`TreeSettings` (``None`` for the defaults).
    out_dir
        Where the model files go (created; files of a previous tree model are replaced).
    progress
        Show progress bars.
    cache_dir
        Per-video feature cache; default ``$MABE_CACHE_DIR``, else
        ``out_dir/feature_cache``. Never inside the dataset.

    Returns
    -------
    dict
        The summary also written to ``out_dir/summary.json``: ``kind``
        (``"lgbm"``), ``actions``, ``labs``, ``n_features``, ``train_rows``,
        ``valid_rows``, ``per_action`` (rows, positives, best iteration,
        validation loss), ``feature_seconds``, ``fit_seconds``, ``cache``
        (dir, hits, builds) and ``settings``.

    Raises
    ------
    MabeError
        If there are no training videos, no actions, or the cache is inside the dataset.
    """
    settings = settings or TreeSettings()
    actions = list(actions)
    if not actions:
        raise MabeError("fit_trees: no actions to learn")
    if not train_metas:
        raise MabeError("fit_trees: no training videos")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache_root = resolve_cache_dir(cache_dir, out / "feature_cache", forbidden=[dataset.root])
    cache = FeatureCache(cache_root, settings.rows_key(actions), FEATURE_CODE_VERSION)
    train = collect_rows(dataset, train_metas, actions, settings, cache, progress, "tree features (train)")
    valid = None
    if valid_metas:
        valid = collect_rows(dataset, valid_metas, actions, settings, cache, progress, "tree features (valid)")
    labs = sorted({m.lab_id for m in train_metas})
    negative_rates = {a: float(settings.negative_rate) for a in actions}
    start = time.perf_counter()
    model = fit_action_trees(
        train["x"], train["y"], train["use"], _lab_codes(labs, train["lab"]), actions,
        settings.feature_names(), labs, negative_rates, settings.params(),
        n_estimators=settings.n_estimators, early_stopping_rounds=settings.early_stopping_rounds,
        valid=None if valid is None or not len(valid["x"])
        else (valid["x"], valid["y"], valid["use"], _lab_codes(labs, valid["lab"])),
    )
    fit_seconds = time.perf_counter() - start
    summary = {
        "kind": "lgbm",
        "actions": actions,
        "labs": labs,
        "n_features": len(settings.feature_names()) + 1,
        "n_train_videos": len(train_metas),
        "n_valid_videos": len(valid_metas),
        "train_rows": len(train["x"]),
        "valid_rows": len(valid["x"]) if valid is not None else 0,
        "per_action": model.info,
        "feature_seconds": round(train["seconds"] + (valid["seconds"] if valid else 0.0), 3),
        "fit_seconds": round(fit_seconds, 3),
        "num_threads": settings.threads(),
        "cache": {"dir": str(cache.dir), "hits": cache.hits, "builds": cache.builds},
        "settings": settings.model_dump(mode="json"),
    }
    atomic_write_text(out / MODEL_FILE, model.to_string())
    atomic_write_text(out / SETTINGS_FILE, settings.model_dump_json(indent=2) + "\n")
    atomic_write_text(out / IMPORTANCE_FILE, _importance_csv(model))
    atomic_write_text(out / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
    return summary


class TreePredictor:
    """A fitted tree model with its feature settings: predicts whole videos.

    Attributes
    ----------
    model
        The :class:`~mabe.models.trees.ActionTrees`.
    settings
        The :class:`TreeSettings` it was fitted with.
    actions
        The action vocabulary (last axis of the probabilities).
    """

    def __init__(self, model: ActionTrees, settings: TreeSettings) -> None:
        if model.feature_names != settings.feature_names():
            raise MabeError("tree model and its settings disagree on the feature columns")
        self.model = model
        self.settings = settings
        self.actions = list(model.actions)

    def predict_video(self, video: Video) -> Prediction:
        """Per-frame probabilities of every action for every pair of a video.

        Returns
        -------
        Prediction
            ``label_scheme="actions"``, ``probs`` ``float32 (frames, P, A)`` at
            the video's native frames, ``pairs`` = every ordered pair of its
            mice and the self pairs (:func:`~mabe.training.samples.all_pairs`).
        """
        pairs = all_pairs(video)
        probs = np.zeros((video.n_frames, len(pairs), len(self.actions)), dtype=np.float32)
        if video.n_frames and pairs:
            features = iter_tree_features(
                video.pose, video.meta, pairs, self.settings.context_windows_s, self.settings.context_stats
            )
            for p, rows in enumerate(features):
                probs[:, p] = self.model.predict_proba(rows, video.meta.lab_id)
        return Prediction(probs, list(self.actions), pairs, "actions")


def load_trees(out_dir: str | Path) -> TreePredictor:
    """Load a tree-model directory written by :func:`fit_trees`.

    Raises
    ------
    MabeError
        If a file is missing or unreadable.
    """
    out = Path(out_dir)
    model_path, settings_path = out / MODEL_FILE, out / SETTINGS_FILE
    for path in (model_path, settings_path):
        if not path.is_file():
            raise MabeError(f"{path}: not found (not a tree-model directory?)")
    try:
        settings = TreeSettings.model_validate_json(settings_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise MabeError(f"{settings_path}: invalid tree settings ({str(exc).splitlines()[0]})") from None
    try:
        model = ActionTrees.from_string(model_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise MabeError(f"{model_path}: {exc}") from None
    return TreePredictor(model, settings)
