"""``mabe evaluate``: a trained run's frame metrics on another dataset or split."""

from __future__ import annotations

from pathlib import Path

import typer


def evaluate(
    run: Path = typer.Option(..., "--run", help="Run directory written by mabe train."),
    data: Path = typer.Option(..., "--data", help="Dataset directory with labels for --split."),
    split: str = typer.Option("test", "--split", help="train or test."),
    which: str = typer.Option("best", "--checkpoint", help="best, last, or a checkpoint file name."),
) -> None:
    """Report accuracy, macro and per-class F1 / precision / recall of a run on labelled data."""
    from mabe.cli.tables import print_metrics
    from mabe.training.fit import evaluate as evaluate_run
    from mabe.workflows.ensemble import evaluate_ensemble, is_ensemble_run

    if is_ensemble_run(run):
        metrics = evaluate_ensemble(run, data, split)
    else:
        metrics = evaluate_run(run, data, split, which=which)
    print_metrics(metrics, title=f"{run} on {data} ({split})")
