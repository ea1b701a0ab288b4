"""Fit and load gradient-boosted tree models (``model_type: lgbm``).

A tree-model directory holds::

    OUT/trees_model.txt         the model (:meth:`mabe.models.trees.ActionTrees.to_string`)
    OUT/tree_settings.json      the :class:`TreeSettings` it was fitted with
    OUT/feature_importance.csv  action, feature, gain (total gain of the feature's splits)
    OUT/summary.json            what :func:`fit_trees` returned (``"kind": "lgbm"``)

How training rows are chosen (and cached) is in :mod:`mabe.training.tree_data`;
:class:`TreeSettings`, :func:`training_rows` and :func:`collect_rows` are
re-exported here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mabe.data.io import MabeDataset
from mabe.data.types import Video, VideoMeta
from mabe.errors import MabeError
from mabe.features.tree_features import iter_tree_features
from mabe.fileio import atomic_write_text
from mabe.models.trees import ActionTrees, fit_action_trees
from mabe.training.feature_cache import (
    FEATURE_CODE_VERSION,
    FeatureCache,
    resolve_cache_dir,
)
from mabe.training.inference import Prediction
from mabe.training.samples import all_pairs
from mabe.training.tree_data import (
    TreeSettings,
    collect_rows,
    stride_frames,
    training_rows,
)

__all__ = [
    "IMPORTANCE_FILE",
    "MODEL_FILE",
    "SETTINGS_FILE",
    "SUMMARY_FILE",
    "TreePredictor",
    "TreeSettings",
    "collect_rows",
    "fit_trees",
    "load_trees",
    "stride_frames",
    "training_rows",
]

MODEL_FILE = "trees_model.txt"
SETTINGS_FILE = "tree_settings.json"
IMPORTANCE_FILE = "feature_importance.csv"
SUMMARY_FILE = "summary.json"
PREDICT_ROWS = 50_000
""":meth:`TreePredictor.predict_video` scores about this many (pair, frame) rows per LightGBM call."""


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
        n = video.n_frames
        probs = np.zeros((n, len(pairs), len(self.actions)), dtype=np.float32)
        if not (n and pairs):
            return Prediction(probs, list(self.actions), pairs, "actions")
        features = iter_tree_features(video.pose, video.meta, pairs, *self.settings.feature_args())
        # several pairs per LightGBM call (short videos), about PREDICT_ROWS rows at a time
        per_call = max(1, PREDICT_ROWS // n)
        pending: list[np.ndarray] = []
        done = 0
        for rows in features:
            pending.append(rows)
            if len(pending) == per_call or done + len(pending) == len(pairs):
                out = self.model.predict_proba(np.concatenate(pending), video.meta.lab_id)
                probs[:, done : done + len(pending)] = out.reshape(len(pending), n, -1).transpose(1, 0, 2)
                done += len(pending)
                pending = []
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
