"""Frame metrics of a trained run on a labelled dataset split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from mabe.data.io import MabeDataset
from mabe.data.types import Video
from mabe.metrics.streaming import FrameMetricAccumulator
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
    Counted video by video with the accumulator validation uses during
    training (:class:`~mabe.metrics.streaming.FrameMetricAccumulator`).

    Raises
    ------
    DataError
        If the split has no annotations or no labelled video.
    """
    model, config, info = load_trained(run_dir, which)
    dataset = MabeDataset(data_dir)
    metas = labelled_metas(dataset, split)
    classes = list(info["class_names"])
    counts = FrameMetricAccumulator(classes, multilabel=not config.is_seed4, threshold=config.threshold)
    for meta in track(metas, f"evaluating {split} videos"):
        video = dataset.load_video(meta)
        pred = predict_video(model, config, info, video)
        if config.is_seed4:
            truth = seed4_frame_labels(video.annotations, video.n_frames, config.seed4_groups)
            counts.update_classes(torch.from_numpy(np.asarray(truth)), torch.from_numpy(pred.probs.argmax(axis=1)))
        else:
            for truth, prob, mask in _action_parts(video, pred.probs, pred.pairs, classes):
                counts.update_multilabel(torch.from_numpy(truth), torch.from_numpy(prob), torch.from_numpy(mask))
    out: dict[str, Any] = flatten_metrics(counts.compute())
    out |= {"split": split, "n_videos": len(metas), "checkpoint": info["checkpoint"]}
    return out


def _action_parts(
    video: Video, probs: np.ndarray, pairs: list, actions: list[str]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(truth, prob, mask) rows of the pairs with at least one whitelisted action."""
    mask = pair_action_mask(video.meta, pairs, actions)
    bouts = pair_intervals(video.annotations, pairs, actions)
    parts = []
    for p in np.flatnonzero(mask.any(axis=1)):
        truth = intervals_to_dense(bouts[p], video.n_frames, len(actions)) > 0
        rows = np.ascontiguousarray(np.broadcast_to(mask[p], truth.shape))
        parts.append((truth, np.ascontiguousarray(probs[:, p], dtype=np.float32), rows))
    return parts
