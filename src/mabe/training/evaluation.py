"""Frame metrics of a trained run on a labelled dataset split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mabe.data.io import MabeDataset
from mabe.metrics.frame import frame_metrics, multilabel_frame_metrics
from mabe.progress import track
from mabe.training.inference import load_trained, predict_video
from mabe.training.labels import intervals_to_dense, pair_action_mask, pair_intervals, seed4_frame_labels
from mabe.training.module import flatten_metrics
from mabe.training.prepare import labelled_metas


def evaluate_split(run_dir: str | Path, data_dir: str | Path, split: str = "test", which: str = "best") -> dict[str, Any]:
    """Predict every labelled video of ``split`` and score the frames against ``{split}_annotation``.

    seed4: argmax class per frame. actions: entries (frame, pair, action)
    whose triple is whitelisted, thresholded at the run's ``threshold``.
    Frames are the videos' original frames (not the training time grid).

    Raises
    ------
    DataError
        If the split has no annotations or no labelled video.
    """
    model, config, info = load_trained(run_dir, which)
    dataset = MabeDataset(data_dir)
    metas = labelled_metas(dataset, split)
    classes = list(info["class_names"])
    parts: list[tuple[np.ndarray, ...]] = []
    for meta in track(metas, f"evaluating {split} videos"):
        video = dataset.load_video(meta)
        pred = predict_video(model, config, info, video)
        if config.is_seed4:
            truth = seed4_frame_labels(video.annotations, video.n_frames, config.seed4_groups)
            parts.append((truth, pred.probs.argmax(axis=1)))
        else:
            parts.extend(_action_parts(video, pred.probs, pred.pairs, classes))
    if config.is_seed4:
        y = np.concatenate([p[0] for p in parts])
        metrics = frame_metrics(y, np.concatenate([p[1] for p in parts]), len(classes), classes)
    else:
        shape = (0, len(classes))
        y = np.concatenate([p[0] for p in parts]) if parts else np.zeros(shape, bool)
        prob = np.concatenate([p[1] for p in parts]) if parts else np.zeros(shape, np.float16)
        mask = np.concatenate([p[2] for p in parts]) if parts else np.zeros(shape, bool)
        metrics = multilabel_frame_metrics(y, prob, mask, config.threshold, classes)
    out: dict[str, Any] = flatten_metrics(metrics)
    out |= {"split": split, "n_videos": len(metas), "checkpoint": info["checkpoint"]}
    return out


def _action_parts(video: Any, probs: np.ndarray, pairs: list, actions: list[str]) -> list[tuple[np.ndarray, ...]]:
    """(truth, prob, mask) rows of the pairs with at least one whitelisted action."""
    mask = pair_action_mask(video.meta, pairs, actions)
    bouts = pair_intervals(video.annotations, pairs, actions)
    parts = []
    for p in np.flatnonzero(mask.any(axis=1)):
        truth = intervals_to_dense(bouts[p], video.n_frames, len(actions)) > 0
        rows = np.broadcast_to(mask[p], truth.shape)
        parts.append((truth, probs[:, p].astype(np.float16), rows))
    return parts
