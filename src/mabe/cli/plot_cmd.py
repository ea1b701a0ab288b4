"""``mabe plot``: single figures as PNG files."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Draw one figure to a PNG file.", no_args_is_help=True)


@app.command("ethogram")
def ethogram_cmd(
    data: Path = typer.Option(..., "--data", help="Dataset directory."),
    submission: Path = typer.Option(..., "--submission", help="Submission CSV with the predicted intervals."),
    video: int = typer.Option(..., "--video", help="Video id."),
    out: Path = typer.Option(..., "--out", help="PNG file to write."),
    split: str = typer.Option("test", "--split", help="Split of --data holding the video."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists."),
) -> None:
    """Plot the true (if labelled) and predicted bouts of one video over time."""
    from mabe.workflows.plot_ethogram import write_ethogram

    path, n_pred, n_true = write_ethogram(data, submission, video, out, split, overwrite)
    truth = f", {n_true} labelled" if n_true is not None else ", no labels"
    typer.echo(f"wrote {path}: video {video}, {n_pred} predicted bouts{truth}")
