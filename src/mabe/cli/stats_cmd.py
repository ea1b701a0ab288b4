"""``mabe stats``: per-animal behaviour statistics from predictions or labels, and their agreement."""

from __future__ import annotations

from pathlib import Path

import typer


def stats(
    data: Path = typer.Option(..., "--data", help="The dataset the intervals are about."),
    out: Path = typer.Option(..., "--out", help="Directory for the tables and plots (new files only)."),
    submission: Path = typer.Option(None, "--submission", help="A submission csv (mabe predict)."),
    labels: bool = typer.Option(False, "--labels", help="Use the split's own labels."),
    oof: Path = typer.Option(None, "--oof", help="A cross-fitted run: its decoded out-of-fold predictions of the training videos."),
    split: str = typer.Option(None, "--split", help="train or test (default: test; train with --oof)."),
    by: list[str] = typer.Option([], "--by", help="Group by a column (agent_condition, mouse1_condition, agent, ...); repeatable."),
    per: str = typer.Option("video", "--per", help="video, or recording (videos cut by --split-minutes put back together)."),
    agreement: bool = typer.Option(False, "--agreement", help="Compare predictions with --labels: r, ICC(2,1), mean absolute difference."),
    run: Path = typer.Option(None, "--run", help="The run that made --submission: its actions count as looked-for on unlabelled videos."),
) -> None:
    """Bout count, total duration, latency, bout lengths and gaps per video (or recording) x agent x target x action."""
    from mabe.workflows.stats import run_stats

    chosen = split or ("train" if oof is not None else "test")
    result = run_stats(data, out, chosen, submission, labels, oof, by, per, agreement, run)
    main = result.tables.get("stats", result.tables.get("predicted"))
    if main is not None:
        counted = int(main["counted"].sum())
        typer.echo(f"{len(main)} rows ({counted} counted, {len(main) - counted} not labelled: empty)")
    if "agreement" in result.tables:
        from mabe.cli.tables import print_table

        print_table(result.tables["agreement"].round(3))
    for path in result.written:
        typer.echo(f"wrote {path}")
