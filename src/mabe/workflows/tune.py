"""Tune a run's decoding (thresholds, smoothing, minimum bout length) on its validation videos."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mabe.data.io import MabeDataset
from mabe.decode import DecodeParams, VideoProbs, evaluate_decoding, tune_decoding
from mabe.errors import MabeError
from mabe.training.run import Run
from mabe.workflows.cv_scores import candidate_probs, solution_of
from mabe.workflows.ensemble import EnsembleRecord, is_ensemble_run
from mabe.workflows.oof import load_oof, oof_path
from mabe.workflows.predict import iter_video_probs


@dataclass
class TuneResult:
    """What tuning did: scores before and after on the tuning videos."""

    n_videos: int
    default_score: float
    tuned_score: float
    on_training_videos: bool
    params: DecodeParams

    def __str__(self) -> str:
        where = "training videos (no held-out videos)" if self.on_training_videos else "validation videos"
        return (
            f"decoding tuned on {self.n_videos} {where}: MABe score "
            f"{self.default_score:.4f} with default thresholds -> {self.tuned_score:.4f}"
        )


def validation_videos(run_dir: str | Path) -> tuple[list[int], bool]:
    """Return the run's validation video ids and whether they are its training videos."""
    data = Run(run_dir).summary().data
    return list(data.val_video_ids), data.val_is_train


def tune_run(
    run_dir: str | Path,
    data_dir: str | Path,
    which: str = "best",
    max_videos: int = 200,
    seed: int = 0,
) -> TuneResult:
    """Predict the run's validation videos, tune decoding on them, save ``RUN/decode.json``.

    At most ``max_videos`` videos (a seeded random subset) are used, since
    their probabilities are held in memory while tuning. Every labelled
    validation video counts, including those without a bout (the solution
    holds a placeholder row for each): what is decoded there is a false
    positive, so tuning cannot drift towards predicting everything.
    """
    if is_ensemble_run(run_dir):
        return tune_ensemble(run_dir, data_dir)
    dataset = MabeDataset(data_dir)
    val_ids, on_train = validation_videos(run_dir)
    metas = [m for m in dataset.metas("train") if m.video_id in set(val_ids) and m.behaviors_labeled]
    if not metas:
        raise MabeError(f"{run_dir}: its validation videos are not in {data_dir}/train.csv")
    if len(metas) > max_videos:
        keep = np.random.default_rng(seed).choice(len(metas), size=max_videos, replace=False)
        metas = [metas[i] for i in sorted(keep)]
    videos = list(iter_video_probs(run_dir, dataset, metas, which, "predicting validation videos"))
    no_labels = f"{data_dir}: the run's validation videos have no labels to tune on"
    return _tune_and_save(run_dir, dataset, videos, [m.video_id for m in metas], on_train, no_labels)


def tune_ensemble(run_dir: str | Path, data_dir: str | Path) -> TuneResult:
    """Tune an ensemble run's decoding on the blended out-of-fold probabilities of all its training videos.

    The out-of-fold files under ``RUN/oof/`` are read back, so nothing is
    predicted again; the result replaces ``RUN/decode.json``.
    """
    record = EnsembleRecord.load(run_dir)
    dataset = MabeDataset(data_dir)
    ids = sorted(v for fold in record.folds for v in fold)
    members = [m.name for m in record.active_members()]
    oof = {}
    for name in members:
        paths = [oof_path(run_dir, name, v) for v in ids]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise MabeError(f"{missing[0]}: out-of-fold probabilities missing; the ensemble run is incomplete")
        oof[name] = {v: load_oof(p)[0] for v, p in zip(ids, paths, strict=True)}
    videos = candidate_probs(oof, ids, record.weights)
    no_labels = f"{data_dir}: the ensemble's training videos have no annotations to tune on"
    return _tune_and_save(run_dir, dataset, videos, ids, False, no_labels)


def _tune_and_save(
    run_dir: str | Path,
    dataset: MabeDataset,
    videos: Sequence[VideoProbs],
    video_ids: Iterable[int],
    on_train: bool,
    no_labels: str,
) -> TuneResult:
    """Tune decoding on ``videos`` against their training labels and save it as the run's decoding.

    Raises
    ------
    MabeError
        ``no_labels``, if the training labels hold none of ``video_ids``.
    """
    solution = solution_of(dataset.solution("train", progress=False), video_ids)
    if solution.empty:
        raise MabeError(no_labels)
    default_score = evaluate_decoding(videos, solution, DecodeParams())
    params = tune_decoding(videos, solution)
    tuned_score = evaluate_decoding(videos, solution, params)
    params.save(Run(run_dir).decode_path)
    return TuneResult(len(videos), default_score, tuned_score, on_train, params)
