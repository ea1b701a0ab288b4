"""``mabe info``: what a dataset holds, as tables."""

from __future__ import annotations

from pathlib import Path

import typer


def info(
    data: Path = typer.Argument(..., help="Dataset directory in the Kaggle layout."),
) -> None:
    """Print labs, videos, frames, mice, body parts, actions and bout counts.

    Mice are counted from the tracking files; videos whose csv lists another
    number are listed.
    """
    from mabe.cli.tables import print_table
    from mabe.data.io import MabeDataset
    from mabe.data.summary import summarize

    summary = summarize(MabeDataset(data))
    labs = summary.labs
    print_table(labs, title=f"{data}: videos per lab")
    totals = labs.groupby("split")[["videos", "frames", "minutes"]].sum().reset_index()
    print_table(totals, title="totals", floatfmt=".1f")
    if len(summary.mice_mismatch):
        print_table(
            summary.mice_mismatch,
            title="videos whose csv (mouseN_* columns) and tracking disagree on the mice; counted from the tracking",
        )
    if len(summary.actions):
        print_table(summary.actions, title="annotated bouts per lab and action")
    else:
        typer.echo("no annotations found")
