"""``mabe train``: train a behaviour model on a dataset's train split."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from mabe.workflows.train import TrainResult


def train(
    data: Path = typer.Option(..., "--data", help="Dataset directory (overrides data_dir)."),
    out: Path = typer.Option(..., "--out", help="Run directory (overrides checkpoint_dir)."),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="YAML config (or v5, v6, demo, actions, recommended) for one network; "
        "default: the cross-fitted ensemble of trees and a network.",
    ),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a config key: --set epochs=5 (repeatable; lgbm.KEY=V for the ensemble's trees)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue a killed run from its last checkpoint."),
    tune: bool = typer.Option(
        True, "--tune/--no-tune", help="Tune decoding thresholds on the validation videos afterwards (one network)."
    ),
    folds: int = typer.Option(5, "--folds", min=2, help="Folds of the default ensemble (before --budget)."),
    budget: float | None = typer.Option(
        None, "--budget", min=0.1,
        help="Minutes the default ensemble may take (estimated): fewer folds, epochs and trees, "
        "or the network dropped, until it fits.",
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Feature cache shared across runs (default $MABE_CACHE_DIR, else RUN/feature_cache)."
    ),
) -> None:
    """Train a model; write config, checkpoints, per-epoch metrics and a summary into RUN.

    Without --config: cross-fit LightGBM trees and a sequence network over 5 folds,
    blend them per action on out-of-fold probabilities, tune decoding on every
    training video, and keep the fold models as the ensemble mabe predict uses.

    Ctrl-C stops training after the last complete epoch's checkpoint, prints
    the command that resumes it and exits 130.
    """
    started = time.perf_counter()
    from mabe.errors import MabeError
    from mabe.training.run import TrainingInterrupted

    try:
        if config is None:
            _train_ensemble(data, out, overrides, resume, budget, folds, started, cache_dir)
            return
        if budget is not None:
            raise MabeError("--budget applies to the default ensemble; leave out --config or --budget")
        from mabe.workflows.train import train_run

        print_trained(train_run(data=data, out=out, config_path=config, overrides=overrides, resume=resume, tune=tune,
                                cache_dir=cache_dir))
    except TrainingInterrupted as exc:
        command = resume_command(data, out, config, overrides, tune, folds, budget, cache_dir)
        if config is None:  # the ensemble: what counts is whether the run kept anything
            from mabe.workflows.cv_dir import has_work

            exc.epochs_saved = int(has_work(out))
        if exc.epochs_saved == 0:
            raise TrainingInterrupted(f"{exc}; nothing to keep, start again with: {command}") from None
        raise TrainingInterrupted(f"{exc}; resume with: {command} --resume", exc.epochs_saved) from None


def print_trained(result: TrainResult) -> None:
    """Print what a single-network training did: the run, its best validation metrics, baseline, decoding."""
    from mabe.cli.tables import print_metrics

    if not result.global_zero:  # DDP: only the first process reports
        return
    summary = result.summary
    typer.echo(
        f"trained {summary['model_type']} ({summary['parameters']:,} parameters, "
        f"{summary['label_scheme']} labels) for {summary['epochs_completed']} epochs "
        f"in {summary['wall_time_sec']:.0f} s on {summary['device']}; best epoch {summary['best_epoch']}"
    )
    best = result.best_metrics
    print_metrics(best, title=f"validation metrics at the best epoch ({result.run})")
    baseline = summary.get("baseline") or {}
    if "macro_f1" in baseline:
        typer.echo(
            f"majority-class baseline macro-F1 {baseline['macro_f1']:.4f} vs model "
            f"{best.get('macro_f1', float('nan')):.4f}"
        )
    if result.tuned is not None:
        typer.echo(str(result.tuned))


def _train_ensemble(
    data: Path, out: Path, overrides: list[str], resume: bool, budget: float | None, folds: int, started: float,
    cache_dir: Path | None = None,
) -> None:
    """Train the default ``mabe train`` ensemble, then print its scores, the budget's plan and the time taken."""
    from mabe.cli.cv_cmd import print_cv
    from mabe.workflows.budget import describe_plan
    from mabe.workflows.train import train_ensemble

    result = train_ensemble(
        data=data, out=out, overrides=overrides, resume=resume, budget_minutes=budget, folds=folds, started=started,
        cache_dir=cache_dir,
    )
    print_cv(result)
    plan = result["budget"]
    if plan["budget_minutes"] is not None:
        typer.echo(describe_plan(plan))
    typer.echo(f"ensemble run written to {out}; took {time.perf_counter() - started:.0f} s{resumed_note(result)}")


def resumed_note(result: dict) -> str:
    """Return `` (resumed: ...)`` when an earlier attempt trained some fold models, else nothing.

    Examples
    --------
    >>> resumed_note({"fold_models": 4, "fold_models_reused": 2})
    ' (resumed: 2 of 4 fold models were trained by an earlier attempt)'
    >>> resumed_note({"fold_models": 4, "fold_models_reused": 0})
    ''
    """
    reused = int(result.get("fold_models_reused") or 0)
    if not reused:
        return ""
    return f" (resumed: {reused} of {result['fold_models']} fold models were trained by an earlier attempt)"


def resume_command(
    data: Path,
    out: Path,
    config: Path | None,
    overrides: list[str],
    tune: bool,
    folds: int = 5,
    budget: float | None = None,
    cache_dir: Path | None = None,
) -> str:
    """Return the ``mabe train`` command line (shell-quoted) that continues this run.

    ``folds`` and ``budget`` are the default ensemble's (``--folds`` only when not 5).

    Examples
    --------
    >>> resume_command(Path("d"), Path("runs/a b"), None, ["epochs=3"], True)
    "mabe train --data d --out 'runs/a b' --set epochs=3"
    >>> resume_command(Path("d"), Path("r"), None, [], True, folds=2, budget=1.5)
    'mabe train --data d --out r --folds 2 --budget 1.5'
    >>> resume_command(Path("d"), Path("r"), Path("demo"), [], True, cache_dir=Path("/cache"))
    'mabe train --data d --out r --config demo --cache-dir /cache'
    """
    parts = ["mabe", "train", "--data", str(data), "--out", str(out)]
    if config is not None:
        parts += ["--config", str(config)]
    else:
        parts += ["--folds", str(folds)] if folds != 5 else []
        parts += ["--budget", f"{budget:g}"] if budget is not None else []
    parts += ["--cache-dir", str(cache_dir)] if cache_dir is not None else []
    for item in overrides:
        parts += ["--set", item]
    if not tune:
        parts.append("--no-tune")
    return " ".join(shlex.quote(p) for p in parts)
