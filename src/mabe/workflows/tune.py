"""Tune a run's decoding (thresholds, smoothing, minimum bout length) on its validation videos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mabe.data.io import MabeDataset
from mabe.decode import DecodeParams, evaluate_decoding, tune_decoding
from mabe.errors import MabeError
from mabe.training.run import Run
from mabe.workflows.predict import decode_params_path, iter_video_probs


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
    """The run's validation video ids and whether they are its training videos."""
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
    from mabe.workflows.ensemble import is_ensemble_run

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
    solution = dataset.solution("train", progress=False)
    wanted = {str(m.video_id) for m in metas}
    solution = solution[solution["video_id"].astype(str).isin(wanted)]
    if solution.empty:
        raise MabeError(f"{data_dir}: the run's validation videos have no labels to tune on")
    default_score = evaluate_decoding(videos, solution, DecodeParams())
    params = tune_decoding(videos, solution)
    tuned_score = evaluate_decoding(videos, solution, params)
    params.save(decode_params_path(run_dir))
    return TuneResult(len(videos), default_score, tuned_score, on_train, params)


def tune_ensemble(run_dir: str | Path, data_dir: str | Path) -> TuneResult:
    """Tune an ensemble run's decoding on the blended out-of-fold probabilities of all its training videos.

    The out-of-fold files under ``RUN/oof/`` are read back, so nothing is
    predicted again; the result replaces ``RUN/decode.json``.
    """
    from mabe.workflows.cv_scores import candidate_probs
    from mabe.workflows.ensemble import EnsembleRecord
    from mabe.workflows.oof import load_oof, oof_path

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
        oof[name] = {v: load_oof(p)[0] for v, p in zip(ids, paths)}
    videos = candidate_probs(oof, ids, record.weights)
    solution = dataset.solution("train", progress=False)
    solution = solution[solution["video_id"].astype(str).isin({str(v) for v in ids})]
    if solution.empty:
        raise MabeError(f"{data_dir}: the ensemble's training videos have no annotations to tune on")
    default_score = evaluate_decoding(videos, solution, DecodeParams())
    params = tune_decoding(videos, solution)
    tuned_score = evaluate_decoding(videos, solution, params)
    params.save(decode_params_path(run_dir))
    return TuneResult(len(videos), default_score, tuned_score, False, params)
