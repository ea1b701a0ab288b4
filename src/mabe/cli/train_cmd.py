"""``mabe train``: train a behaviour model on a dataset's train split."""

from __future__ import annotations

from pathlib import Path

import typer


def train(
    data: Path = typer.Option(..., "--data", help="Dataset directory (overrides data_dir)."),
    out: Path = typer.Option(..., "--out", help="Run directory (overrides checkpoint_dir)."),
    config: Path | None = typer.Option(
        None, "--config", help="YAML config; default: the recommended config for this data."
    ),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a config key: --set epochs=5 (repeatable)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue a killed run from its last checkpoint."),
    tune: bool = typer.Option(
        True, "--tune/--no-tune", help="Tune decoding thresholds on the validation videos afterwards."
    ),
) -> None:
    """Train a model; write config, checkpoints, per-epoch metrics and a summary into RUN."""
    from mabe.workflows.train import train_run

    train_run(data=data, out=out, config_path=config, overrides=overrides, resume=resume, tune=tune)
