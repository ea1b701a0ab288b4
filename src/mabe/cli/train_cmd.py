"""``mabe train``: train a behaviour model on a dataset's train split."""

from __future__ import annotations

import shlex
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
    """Train a model; write config, checkpoints, per-epoch metrics and a summary into RUN.

    Ctrl-C stops training after the last complete epoch's checkpoint, prints
    the command that resumes it and exits 130.
    """
    from mabe.training.run import TrainingInterrupted
    from mabe.workflows.train import train_run

    try:
        train_run(data=data, out=out, config_path=config, overrides=overrides, resume=resume, tune=tune)
    except TrainingInterrupted as exc:
        command = resume_command(data, out, config, overrides, tune)
        if exc.epochs_saved == 0:
            raise TrainingInterrupted(f"{exc}; nothing to keep, start again with: {command}") from None
        raise TrainingInterrupted(f"{exc}; resume with: {command} --resume", exc.epochs_saved) from None


def resume_command(data: Path, out: Path, config: Path | None, overrides: list[str], tune: bool) -> str:
    """The ``mabe train`` command line (shell-quoted) that continues this run.

    Examples
    --------
    >>> resume_command(Path("d"), Path("runs/a b"), None, ["epochs=3"], True)
    "mabe train --data d --out 'runs/a b' --set epochs=3"
    """
    parts = ["mabe", "train", "--data", str(data), "--out", str(out)]
    if config is not None:
        parts += ["--config", str(config)]
    for item in overrides:
        parts += ["--set", item]
    if not tune:
        parts.append("--no-tune")
    return " ".join(shlex.quote(p) for p in parts)
