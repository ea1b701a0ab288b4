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
    from mabe import progress
    from mabe.cli.tables import print_table
    from mabe.cli.train_cmd import print_trained
    from mabe.workflows.demo import run_demo

    # the demo's stages (synthesizing, training, predicting) are its story: told on stdout
    previous = progress.set_status_handler(typer.echo)
    try:
        result = run_demo(out=out, seed=seed, config_path=config, overrides=overrides)
    finally:
        progress.set_status_handler(previous)
    print_trained(result.trained)
    typer.echo(f"wrote {result.submission} ({result.n_intervals} intervals)")
    print_table(result.report.table, title="test split: F per (lab, action)")
    print_table(result.per_lab(), title="test split: score per lab")
    typer.echo(f"test-split MABe score: {result.score:.4f}")
