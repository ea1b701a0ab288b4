"""``mabe demo``: synthetic data → train → tune → predict → score, in a few minutes on a CPU."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("demo_run"), "--out", help="Directory for the demo's data and run."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the synthetic data and training."),
    config: Path | None = typer.Option(None, "--config", help="Config to train (default: demo config)."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config key (repeatable)."),
) -> None:
    """Run the whole pipeline on built-in synthetic data and print the test-split score table."""
    from mabe.workflows.demo import run_demo

    run_demo(out=out, seed=seed, config_path=config, overrides=overrides)
