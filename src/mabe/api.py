"""The Python API: what the commands do, as functions that return tables and typed records.

``import mabe`` then ``mabe.load_dataset``, ``mabe.import_poses``, ``mabe.train``,
``mabe.predict``, ``mabe.score`` and ``mabe.stats`` (re-exported lazily by :mod:`mabe`, so importing
``mabe`` stays light). Each calls the same workflow as its command and takes the same
arguments, spelled as Python keywords; nothing here prints (progress lines go to stderr
as ``mabe: ...`` unless :func:`mabe.progress.set_enabled` turns them off), and user-input
problems raise :class:`mabe.errors.MabeError` with the one line the CLI would print.

Examples
--------
>>> import tempfile, pathlib
>>> import mabe
>>> from mabe.data.synth import synthesize
>>> root = pathlib.Path(tempfile.mkdtemp()) / "data"
>>> _ = synthesize(root, n_videos=2, seed=0, labs=["CalMS21_task1"], minutes=0.1, progress=False)
>>> dataset = mabe.load_dataset(root)
>>> [m.lab_id for m in dataset.metas("train")]
['CalMS21_task1']
>>> perfect = dataset.solution("test", progress=False).drop(columns=["lab_id", "behaviors_labeled"])
>>> round(mabe.score(root, perfect.assign(row_id=range(len(perfect)))).score, 3)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mabe.data.io import MabeDataset
from mabe.data.submission import read_submission
from mabe.errors import MabeError
from mabe.metrics import ScoreReport
from mabe.workflows.import_ import ImportOptions, ImportSummary
from mabe.workflows.import_ import import_poses as _import_poses
from mabe.workflows.predict import predict_split
from mabe.workflows.scoring import score_submission
from mabe.workflows.stats import compute_stats, labelled_intervals
from mabe.workflows.train import DEFAULT_FOLDS, train_ensemble, train_run


def load_dataset(root: str | Path) -> MabeDataset:
    """Open a dataset in the MABe layout (``train.csv``, ``{split}_tracking/``, ...), lazily.

    Parameters
    ----------
    root
        The dataset directory.

    Returns
    -------
    MabeDataset
        Videos load one at a time (``iter_videos``); ``metas(split)`` lists them,
        ``solution(split)`` is the label table the score compares against.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mabe.data.synth import synthesize
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "data"
    >>> _ = synthesize(root, n_videos=2, seed=0, labs=["CalMS21_task1"], minutes=0.1, progress=False)
    >>> video = next(load_dataset(root).iter_videos("train", progress=False))
    >>> video.pose.coords.shape[1:]  # (frames, mice, body parts, xy)
    (2, 7, 2)
    """
    root = Path(root)
    if not (root / "train.csv").is_file() and not (root / "test.csv").is_file():
        raise MabeError(f"{root}: not a dataset (no train.csv or test.csv)")
    return MabeDataset(root)


def import_poses(
    pose_files: Sequence[str | Path],
    out: str | Path,
    *,
    lab: str,
    fps: float | None = None,
    annotations: Sequence[str | Path] = (),
    annotation_format: str | None = None,
    progress: bool = False,
    **options: Any,
) -> ImportSummary:
    """Import DeepLabCut / SLEAP / LightningPose / Anipose / NWB pose files (and labels) into ``out``.

    The function behind ``mabe import``; ``options`` are its other flags as keywords
    (``min_confidence``, ``target``, ``agent``, ``behaviors``, ``split``,
    ``split_minutes``, ``test_last``, ``pix_per_cm``, ``source_software``).

    Returns
    -------
    ImportSummary
        The videos added (id, split, source file, frames, intervals) and what was left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from movement.io import load_poses, save_poses
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> position = np.random.default_rng(0).uniform(0, 500, (90, 2, 3, 2))
    >>> poses = load_poses.from_numpy(position, np.ones((90, 3, 2)), ["adult", "juvenile"], ["nose", "neck", "tail"])
    >>> save_poses.to_dlc_file(poses, folder / "session1_DLC.csv", split_individuals=False)
    >>> summary = import_poses([folder / "session1_DLC.csv"], folder / "data", lab="mylab", fps=30)
    >>> [(v.video_id, v.split) for v in summary.videos]
    [(1, 'train')]
    """
    settings = ImportOptions(lab=lab, fps=fps, annotation_format=annotation_format, **options)
    return _import_poses(list(pose_files), out, settings, list(annotations), progress=progress)


def train(
    data: str | Path,
    out: str | Path,
    *,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    budget_minutes: float | None = None,
    folds: int | None = None,
    resume: bool = False,
) -> dict[str, Any]:
    """Train a run into ``out``, as ``mabe train``; return its summary (``RUN/summary.json``).

    Without ``config``: the default cross-fitted ensemble (trees + network,
    ``folds`` folds, optionally shrunk to ``budget_minutes``). With one
    (``"recommended"``, ``"v5"``, ``"v6"``, ``"demo"``, ``"actions"`` or a YAML
    file): a single network. ``overrides`` are ``--set`` items (``"epochs=5"``).
    Load the run with ``mabe.predict(out, ...)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mabe import progress
    >>> from mabe.data.synth import synthesize
    >>> progress.set_enabled(False)
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = synthesize(root / "data", n_videos=4, seed=0, labs=["CalMS21_task1"], minutes=0.2, progress=False)
    >>> summary = train(root / "data", root / "run", config="demo",
    ...                 overrides=["epochs=1", "max_windows_per_epoch=8", "lstm_hidden=4"])
    >>> summary["epochs_completed"]
    1
    """
    if config is None:
        return train_ensemble(
            data=Path(data), out=Path(out), overrides=list(overrides), resume=resume,
            budget_minutes=budget_minutes, folds=folds or DEFAULT_FOLDS,
        )
    if budget_minutes is not None or folds is not None:
        raise MabeError("budget_minutes and folds apply to the default ensemble; leave out config or them")
    return train_run(data=Path(data), out=Path(out), config_path=Path(config), overrides=list(overrides),
                     resume=resume).summary


def predict(run: str | Path, data: str | Path, split: str = "test", *, workers: int = 1) -> pd.DataFrame:
    """Decode every video of ``split`` with a trained run; return the submission table (checked).

    Columns ``row_id, video_id, agent_id, target_id, action, start_frame, stop_frame``
    (stop exclusive), one row per predicted bout, as ``mabe predict`` writes it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mabe import progress
    >>> from mabe.data.synth import synthesize
    >>> progress.set_enabled(False)
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = synthesize(root / "data", n_videos=4, seed=0, labs=["CalMS21_task1"], minutes=0.2, progress=False)
    >>> _ = train(root / "data", root / "run", config="demo",
    ...           overrides=["epochs=1", "max_windows_per_epoch=8", "lstm_hidden=4"])
    >>> submission = predict(root / "run", root / "data", "test")
    >>> list(submission.columns)
    ['row_id', 'video_id', 'agent_id', 'target_id', 'action', 'start_frame', 'stop_frame']
    >>> 0 <= score(root / "data", submission).score <= 1
    True
    """
    return predict_split(run, data, split, workers=workers)


def score(data: str | Path, submission: pd.DataFrame | str | Path, split: str = "test") -> ScoreReport:
    """Score a submission (a table or a csv path) against a split's labels, as ``mabe score``.

    Returns
    -------
    ScoreReport
        ``score`` (the lab-averaged interval F-score), ``per_lab``, the per
        (lab, action) ``table`` with tp/fp/fn, and counts of ``ignored`` rows
        (:func:`mabe.workflows.scoring.score_submission`, the policy of ``mabe score``
        without ``--strict``).
    """
    return score_submission(data, submission, split, progress=False).report


def stats(
    data: str | Path, submission: pd.DataFrame | str | Path | None = None, split: str = "test", *, per: str = "video"
) -> pd.DataFrame:
    """Behaviour statistics per video (or recording) x agent x target x action, as ``mabe stats``.

    From a submission (a table or a csv path), or from the split's own labels when
    ``submission`` is None. Columns: ``bouts``, ``total_duration_s``, ``fraction``, ``latency_s``,
    bout lengths and gaps, and each animal's metadata and name; a triple the video does not
    list in ``behaviors_labeled`` is empty (NaN), not 0. ``per="recording"`` puts the videos
    that ``mabe import --split-minutes`` cut back together.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mabe.data.synth import synthesize
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "data"
    >>> _ = synthesize(root, n_videos=2, seed=0, labs=["CalMS21_task1"], minutes=0.5, progress=False)
    >>> table = stats(root, split="train")
    >>> {"bouts", "total_duration_s", "latency_s", "mean_bout_s"} <= set(table.columns)
    True
    >>> bool((table["bouts"].dropna() >= 0).all())
    True
    """
    dataset = load_dataset(data)
    if submission is None:
        return compute_stats(dataset, split, labelled_intervals(dataset, split), False, per)
    table = submission if isinstance(submission, pd.DataFrame) else read_submission(submission)
    return compute_stats(dataset, split, table, True, per)
