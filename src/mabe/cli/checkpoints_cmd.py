"""``mabe checkpoints``: list a run's checkpoints."""

from __future__ import annotations

from pathlib import Path

import typer


def checkpoints(
    run: Path = typer.Argument(..., help="Run directory written by mabe train."),
) -> None:
    """List checkpoints with epoch, monitored metric and size."""
    import pandas as pd

    from mabe.cli.tables import print_table
    from mabe.training.runfiles import list_checkpoints

    rows = list_checkpoints(run)
    if not rows:
        typer.echo(f"{run}: no checkpoints")
        return
    print_table(pd.DataFrame(rows), title=f"{run}/checkpoints")
