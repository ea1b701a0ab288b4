"""``mabe checkpoints``: list a run's checkpoints (reads the run's index, not torch)."""

from __future__ import annotations

import math
from pathlib import Path

import typer


def checkpoints(
    run: Path = typer.Argument(..., help="Run directory written by mabe train."),
) -> None:
    """List checkpoints with epoch, monitored metric and size (every network fold of an ensemble)."""
    from mabe.workflows.checkpoints import run_checkpoints

    shown = 0
    for folder, rows in run_checkpoints(run):
        _print_table(str(folder), rows)
        shown += 1
    if not shown:
        typer.echo(f"{run}: no checkpoints")


def _print_table(title: str, rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", min_width=len(title))
    for name in ("name", "epoch", "metric", "size_bytes"):
        table.add_column(name, justify="left" if name == "name" else "right", no_wrap=True)
    for row in rows:
        metric = "nan" if math.isnan(row["metric"]) else f"{row['metric']:.4f}"
        table.add_row(row["name"], str(row["epoch"]), metric, str(row["size_bytes"]))
    console = Console()
    (console if console.is_terminal else Console(width=200)).print(table)
