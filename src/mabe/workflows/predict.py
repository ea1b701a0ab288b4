"""Trained run + dataset split → per-video probabilities → a validated submission."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mabe.data.io import MabeDataset
from mabe.data.submission import assemble_submission
from mabe.data.types import Video, VideoMeta
from mabe.decode import DecodeParams, VideoProbs, decode_video, seed4_to_pair_probs
from mabe.errors import MabeError
from mabe.features.shared_pairs import shared_pair_features
from mabe.progress import track
from mabe.training.run import Run
from mabe.workflows.ensemble import EnsemblePredictor, is_ensemble_run
from mabe.workflows.whitelist import (
    check_requested_actions,
    decoding_whitelist,
    model_whitelist,
    run_actions,
    seed4_actions,
)


def decode_params_path(run_dir: str | Path) -> Path:
    """Where a run keeps its tuned :class:`~mabe.decode.DecodeParams`."""
    return Run(run_dir).decode_path


def load_decode_params(run_dir: str | Path) -> DecodeParams:
    """Return the run's tuned decoding parameters, or the defaults if it was never tuned."""
    path = decode_params_path(run_dir)
    return DecodeParams.load(path) if path.is_file() else DecodeParams()


def to_video_probs(meta: VideoMeta, prediction, seed4_groups=None) -> VideoProbs:
    """Wrap a model's :class:`~mabe.training.inference.Prediction` for decoding.

    ``actions`` models give ``(F, P, A)`` directly. ``seed4`` models give
    ``(F, 4)`` class probabilities; they are spread over every ordered pair and
    the video's whitelisted actions by :func:`mabe.decode.seed4_to_pair_probs`
    (a coarse fallback: within a class group the first whitelisted action wins);
    a video without whitelist gets every member action of the groups.

    ``whitelist`` stays the video's ``behaviors_labeled`` (empty for a new
    recording); :func:`predict_split_report` opens it when decoding.
    """
    whitelist = set(meta.behaviors_labeled)
    if prediction.label_scheme == "seed4":
        n_mice = meta.n_mice
        pairs = [(a, t) for a in range(1, n_mice + 1) for t in range(1, n_mice + 1)]
        # a new recording (no whitelist) gets every member action of the groups
        actions = sorted({action for _, _, action in whitelist}) or seed4_actions(seed4_groups)
        spread = whitelist or model_whitelist(pairs, actions)
        probs = seed4_to_pair_probs(prediction.probs, pairs, actions, spread, seed4_groups)
    else:
        pairs, actions, probs = list(prediction.pairs), list(prediction.actions), prediction.probs
    return VideoProbs(
        video_id=meta.video_id,
        lab_id=meta.lab_id,
        probs=probs,
        pairs=pairs,
        actions=actions,
        whitelist=whitelist,
    )


def load_video_predictor(run_dir: str | Path, which: str = "best") -> Callable[[Video], VideoProbs]:
    """Load a run once; return a function from one video to its probabilities.

    An ensemble run (``RUN/ensemble.json``) gives its blended probabilities
    (``which`` does not apply to it); a single-model run those of its
    ``which`` checkpoint. Used in this process and by ``--workers`` processes.
    The members and folds of an ensemble share one computation of the pair
    features of each video (:func:`mabe.features.shared_pairs.shared_pair_features`).
    """
    if is_ensemble_run(run_dir):

        ensemble = EnsemblePredictor(run_dir)

        def predict_ensemble(video: Video) -> VideoProbs:
            # every fold of every member starts from the same pair features: compute them once
            with shared_pair_features():
                return ensemble.predict(video)

        return predict_ensemble
    from mabe.training.inference import load_trained, predict_video

    model, config, run_info = load_trained(run_dir, which)
    groups = getattr(config, "seed4_groups", None)

    def predict(video: Video) -> VideoProbs:
        return to_video_probs(video.meta, predict_video(model, config, run_info, video), groups)

    return predict


def iter_video_probs(
    run_dir: str | Path,
    dataset: MabeDataset,
    metas: Iterable[VideoMeta],
    which: str = "best",
    description: str = "predicting",
) -> Iterator[VideoProbs]:
    """Run a trained model (or ensemble) over videos one at a time (flat memory), yielding their probabilities."""
    predict = load_video_predictor(run_dir, which)
    for meta in track(list(metas), description):
        yield predict(dataset.load_video(meta))


def predict_split(
    run_dir: str | Path,
    data_dir: str | Path,
    split: str = "test",
    which: str = "best",
    actions: Sequence[str] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Decode every video of ``split`` into a submission table (checked, with ``row_id``).

    The submission of :func:`predict_split_report`; see there.
    """
    return predict_split_report(run_dir, data_dir, split, which, actions, workers).table


def predict_split_report(
    run_dir: str | Path,
    data_dir: str | Path,
    split: str = "test",
    which: str = "best",
    actions: Sequence[str] | None = None,
    workers: int = 1,
) -> SplitPrediction:
    """Decode every video of ``split`` with the run's decoding parameters.

    A labelled video is decoded on its ``behaviors_labeled`` triples. A video
    whose ``behaviors_labeled`` is empty (a new recording) is decoded on every
    action the model predicts, for every ordered pair of its mice (self
    actions on self pairs only, see
    :func:`mabe.workflows.whitelist.model_whitelist`).

    Parameters
    ----------
    run_dir, data_dir, split, which
        The trained run, the dataset, the split and the checkpoint.
    actions
        Decode only these actions (``None``: all).
    workers
        ``> 1``: predict videos in that many processes
        (:mod:`mabe.workflows.parallel`); the table is the same.

    Raises
    ------
    MabeError
        If the split does not exist or ``actions`` names an action the model
        does not predict; :class:`~mabe.errors.InvalidSubmission` if the
        decoded table breaks a submission rule (a bug, never expected).
    """
    dataset = MabeDataset(data_dir)
    if split not in dataset.splits():
        raise MabeError(f"{data_dir}: no {split}.csv, so there is no '{split}' split to predict")
    check_requested_actions(actions, run_actions(run_dir), run_dir)
    params = load_decode_params(run_dir)
    metas = dataset.metas(split)
    if workers > 1:
        # import cycle: mabe.workflows.parallel imports this module
        from mabe.workflows.parallel import decode_videos_parallel

        results = decode_videos_parallel(
            run_dir, data_dir, metas, which, workers, f"predicting {split}", actions=actions
        )
    else:
        results = (
            decode_one(vp, params, actions)
            for vp in iter_video_probs(run_dir, dataset, metas, which, f"predicting {split}")
        )
    parts, rows = [], []
    for part, row in results:
        parts.append(part)
        rows.append(row)
    table = assemble_submission(parts)
    videos = pd.DataFrame(rows, columns=["video_id", "lab_id", "n_frames", "labelled", "n_intervals"])
    return SplitPrediction(table=table, videos=videos)


def decode_one(
    vp: VideoProbs, params: DecodeParams, actions: Sequence[str] | None = None
) -> tuple[pd.DataFrame, tuple]:
    """Decode one video on its whitelist (or the model's, for a new recording).

    Returns the decoded intervals and the video's row of
    :attr:`SplitPrediction.videos`.
    """
    whitelist = decoding_whitelist(vp.whitelist, vp.pairs, vp.actions, actions)
    part = decode_video(vp.probs, vp.pairs, vp.actions, whitelist, params, vp.lab_id, vp.video_id)
    row = (vp.video_id, vp.lab_id, int(vp.probs.shape[0]), bool(vp.whitelist), len(part))
    return part, row


@dataclass
class SplitPrediction:
    """A decoded split and what happened per video.

    Attributes
    ----------
    table
        The checked submission (with ``row_id``).
    videos
        One row per predicted video: ``video_id, lab_id, n_frames, labelled``
        (False: ``behaviors_labeled`` was empty, every model action was
        predicted), ``n_intervals``.
    """

    table: pd.DataFrame
    videos: pd.DataFrame

    @property
    def empty_videos(self) -> list:
        """Ids of the videos that yielded no interval."""
        return self.videos.loc[self.videos["n_intervals"] == 0, "video_id"].tolist()
