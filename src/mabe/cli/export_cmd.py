"""``mabe export``: a submission as files BORIS or a spreadsheet opens."""

from __future__ import annotations

from pathlib import Path

import typer


def export(
    submission: Path = typer.Option(
        ..., "--submission", help="A submission csv (mabe predict)."
    ),
    data: Path = typer.Option(
        ..., "--data", help="The dataset the submission is about."
    ),
    format: str = typer.Option("boris", "--format", help="boris or intervals."),
    out: Path = typer.Option(
        ..., "--out", help="Directory for the exported files (new files only)."
    ),
) -> None:
    """Write predicted intervals with times in seconds and frames, mice under their own names."""
    from mabe.workflows.export import export_submission

    written = export_submission(submission, data, format, out)
    for path, n in written:
        typer.echo(f"wrote {path}: {n} intervals")
