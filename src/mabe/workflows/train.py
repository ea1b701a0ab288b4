"""``mabe train`` as a function: config → fit → metrics table → decoding tuned on validation videos."""

from __future__ import annotations

from pathlib import Path

import typer

from mabe.config import Config, load_config, recommended_config
from mabe.data.io import MabeDataset

RECOMMENDED = "recommended"
"""``--config recommended``: the single recommended network (:func:`mabe.config.recommended_config`)."""


def resolve_train_config(
    data: Path, out: Path, config_path: Path | None, overrides: list[str]
) -> Config:
    """The config a training run uses: ``--config`` (or the recommended default), then ``--set``.

    ``--config recommended`` (when no such file exists) is the recommended
    single network, sized to the data: what ``mabe train`` trained by default
    before the ensemble.
    """
    if config_path is None or (str(config_path) == RECOMMENDED and not Path(config_path).exists()):
        config = recommended_config(MabeDataset(data), overrides)
        return config.model_copy(update={"run_dir": str(out)})
    return load_config(config_path, overrides, data_dir=data, out=out)


def user_set_keys(config_path: Path | None, overrides: list[str]) -> set[str]:
    """Keys the user chose: every ``--set`` key and every key of a ``--config`` file."""
    from mabe.config import parse_override

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
) -> dict:
    """Train, print the final validation metrics and, for labelled runs, tune decoding.

    Returns the run summary (also in ``RUN/summary.json``).
    """
    from mabe.training.distributed import is_global_zero
    from mabe.training.fit import fit, run_state
    from mabe.workflows.predict import decode_params_path
    from mabe.workflows.report import print_metrics
    from mabe.workflows.tune import tune_run

    config = resolve_train_config(data, out, config_path, list(overrides or []))
    # --resume on a finished run changes nothing, unless it was killed while tuning
    was_finished = resume and run_state(Path(out)) == "finished"
    summary = fit(config, out, resume=resume, user_keys=user_set_keys(config_path, list(overrides or [])))
    if not is_global_zero():  # DDP: the other processes' part ends with training
        return summary
    typer.echo(
        f"trained {summary['model_type']} ({summary['parameters']:,} parameters, "
        f"{summary['label_scheme']} labels) for {summary['epochs_completed']} epochs "
        f"in {summary['wall_time_sec']:.0f} s on {summary['device']}; best epoch {summary['best_epoch']}"
    )
    best = {k.removeprefix("val_"): v for k, v in summary["best_metrics"].items()}
    print_metrics(best, title=f"validation metrics at the best epoch ({out})")
    baseline = summary.get("baseline") or {}
    if "macro_f1" in baseline:
        typer.echo(
            f"majority-class baseline macro-F1 {baseline['macro_f1']:.4f} vs model "
            f"{best.get('macro_f1', float('nan')):.4f}"
        )
    if tune and not (was_finished and decode_params_path(out).is_file()):
        result = tune_run(out, data)
        typer.echo(str(result))
    return summary


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
) -> dict:
    """The default ``mabe train``: cross-fit the trees and the network, blend, tune on every video.

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

    Returns
    -------
    dict
        ``cv.json``'s object, with the ``budget`` plan.
    """
    from mabe.errors import MabeError
    from mabe.training.prepare import labelled_metas
    from mabe.workflows.budget import DataSize, plan_budget
    from mabe.workflows.cv import DEFAULT_MEMBERS, member_specs, run_cv
    from mabe.workflows.members import MemberSpec

    from mabe.config import parse_override

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
                  extra={"budget": plan.to_dict()})
