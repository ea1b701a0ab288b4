"""``mabe train`` as a function: config → fit → metrics → decoding tuned on validation videos.

Nothing here prints: :func:`train_run` returns a :class:`TrainResult` (the CLI
prints it) and progress goes through :func:`mabe.progress.status`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mabe.config import Config, load_config, parse_override
from mabe.data.io import MabeDataset
from mabe.data.synth import synthesize
from mabe.errors import MabeError
from mabe.progress import status
from mabe.training.distributed import is_global_zero
from mabe.workflows.budget import DataSize, plan_budget
from mabe.workflows.members import MemberSpec
from mabe.workflows.predict import decode_params_path
from mabe.workflows.recommend import recommended_config
from mabe.workflows.tune import TuneResult, tune_run

RECOMMENDED = "recommended"
"""``--config recommended``: the single recommended network (:func:`mabe.workflows.recommend.recommended_config`)."""


@dataclass
class TrainResult:
    """What :func:`train_run` did: the run's summary and, if it tuned, the decoding result.

    Attributes
    ----------
    run
        The run directory.
    summary
        ``RUN/summary.json`` (model type, parameters, epochs, best metrics, baseline, ...).
    global_zero
        False in the other processes of a multi-device (DDP) run: they only train.
    tuned
        The decoding tuned on the validation videos, or None when not tuned (``--no-tune``,
        or a resumed finished run that already had ``decode.json``).
    """

    run: Path
    summary: dict[str, Any]
    global_zero: bool = True
    tuned: TuneResult | None = None

    @property
    def best_metrics(self) -> dict[str, Any]:
        """Return the validation metrics at the best epoch, without their ``val_`` prefix."""
        return {k.removeprefix("val_"): v for k, v in self.summary.get("best_metrics", {}).items()}


def ensure_dataset(config: Config) -> None:
    """Simulate the dataset first when ``use_kaggle_data`` is false and ``data_dir`` is empty.

    What ``use_kaggle_data: false`` (the demo config) means: ``synth_videos``
    videos of ``synth_labs`` are written into an empty (or missing) ``data_dir``.
    A directory holding anything is left as it is.
    """
    if config.use_kaggle_data or not config.data_dir:
        return
    root = Path(config.data_dir)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        return

    status(f"{root} is empty: simulating {config.synth_videos} videos (use_kaggle_data is false)")
    synthesize(
        root,
        n_videos=config.synth_videos,
        seed=max(config.seed, 0),
        labs=config.synth_labs,
        minutes=config.synth_minutes,
    )


def resolve_train_config(
    data: Path, out: Path, config_path: Path | None, overrides: list[str]
) -> Config:
    """Return the config a training run uses: ``--config`` (or the recommended default), then ``--set``.

    ``--config recommended`` (when no such file exists) is the recommended
    single network, sized to the data: what ``mabe train`` trained by default
    before the ensemble.
    """
    if config_path is None or (str(config_path) == RECOMMENDED and not Path(config_path).exists()):
        config = recommended_config(MabeDataset(data), overrides)
        return config.model_copy(update={"run_dir": str(out)})
    return load_config(config_path, overrides, data_dir=data, out=out)


def user_set_keys(config_path: Path | None, overrides: list[str]) -> set[str]:
    """Return the keys the user chose: every ``--set`` key and every key of a ``--config`` file."""
    keys = {parse_override(item)[0] for item in overrides}
    if config_path is not None and not (str(config_path) == RECOMMENDED and not Path(config_path).exists()):
        keys |= set(load_config(config_path).model_fields_set)
    return keys


def train_run(
    data: Path,
    out: Path,
    config_path: Path | None = None,
    overrides: list[str] | None = None,
    resume: bool = False,
    tune: bool = True,
    cache_dir: Path | None = None,
) -> TrainResult:
    """Train one network and, for labelled runs, tune decoding on its validation videos.

    ``cache_dir`` holds the per-video feature cache (default ``$MABE_CACHE_DIR``, else inside the run).

    Returns
    -------
    TrainResult
        The run summary (also in ``RUN/summary.json``) and the tuned decoding.
    """
    from mabe.training.fit import fit, run_state  # heavy: torch and Lightning

    config = resolve_train_config(data, out, config_path, list(overrides or []))
    ensure_dataset(config)
    # --resume on a finished run changes nothing, unless it was killed while tuning
    was_finished = resume and run_state(Path(out)) == "finished"
    summary = fit(config, out, resume=resume, user_keys=user_set_keys(config_path, list(overrides or [])),
                  cache_dir=cache_dir)
    if not is_global_zero():  # DDP: the other processes' part ends with training
        return TrainResult(Path(out), summary, global_zero=False)
    tuned = None
    if tune and not (was_finished and decode_params_path(out).is_file()):
        tuned = tune_run(out, data)
    return TrainResult(Path(out), summary, tuned=tuned)


DEFAULT_FOLDS = 5
"""Folds of the default ensemble (``mabe train`` without ``--config``) before any budget."""


def train_ensemble(
    data: Path,
    out: Path,
    overrides: list[str] | None = None,
    resume: bool = False,
    budget_minutes: float | None = None,
    folds: int = DEFAULT_FOLDS,
    members: tuple[str, ...] | None = None,
    cache_dir: Path | None = None,
    started: float | None = None,
) -> dict:
    """Train the default ``mabe train`` ensemble: cross-fit the trees and the network, blend, tune on every video.

    Every member is trained on K-1 folds and predicts the held-out fold
    (:func:`mabe.workflows.cv.run_cv`); blend weights and decoding are tuned
    on the out-of-fold probabilities of *all* training videos, and the K fold
    models of each member are kept as the ensemble that predicts (mean over
    folds, then the per-action blend). Keeping the fold models costs no
    extra training (cross-fitting trains them anyway) and averages K models;
    refitting on everything would add a full training per member.

    Parameters
    ----------
    overrides
        ``--set`` items: network config keys, or ``lgbm.KEY=VALUE`` for the trees.
    budget_minutes
        Cap on the estimated time; the plan shrinks (:mod:`mabe.workflows.budget`).
    folds
        Folds before shrinking (at most the number of labelled training videos).
    members
        Default ``("network", "lgbm")``.
    resume, cache_dir, started
        As :func:`mabe.workflows.cv.run_cv` (``started`` defaults to now, so
        ``wall_time_sec`` covers the planning here too).

    Returns
    -------
    dict
        ``cv.json``'s object, with the ``budget`` plan.
    """
    from mabe.training.prepare import labelled_metas  # heavy: torch (the data module)
    from mabe.workflows.cv import DEFAULT_MEMBERS, member_specs, run_cv  # heavy: torch

    started = time.perf_counter() if started is None else started
    for item in overrides or []:
        key, value = parse_override(item)
        if (key == "strategy" and "ddp" in str(value)) or (key in ("devices", "num_nodes") and str(value) not in ("1", "auto")):
            raise MabeError(
                f"--set {item}: the default ensemble trains its fold models one device at a time; "
                "for several devices train a single network with --config recommended (or v5, v6, a file)"
            )
    dataset = MabeDataset(data)
    n_videos = len(labelled_metas(dataset, "train"))
    if n_videos < 2:
        raise MabeError(
            f"{dataset.root / 'train.csv'}: the default ensemble cross-fits and needs at least 2 labelled "
            "training videos; train a single model with --config recommended"
        )
    specs = member_specs(dataset, members or DEFAULT_MEMBERS, None, list(overrides or []))
    settings = {s.kind: s.settings for s in specs}
    plan = plan_budget(
        DataSize.of(dataset),
        budget_minutes,
        min(folds, n_videos),
        [s.name for s in specs],
        settings.get("network", {}),
        settings.get("lgbm", {}),
    )
    chosen = [
        MemberSpec(s.name, s.kind, plan.network if s.kind == "network" else plan.trees)
        for s in specs
        if s.name in plan.members
    ]
    return run_cv(data, out, folds=plan.folds, specs=chosen, resume=resume, cache_dir=cache_dir,
                  extra={"budget": plan.to_dict()}, started=started)
